"""`ics-graph transition`: what each CCG held on 30 June 2022 and where it sits from 1 July
2022, on a fixture spanning the transfer (tests/fixtures/transition)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ics_graph.cli import main
from ics_graph.inputs.loader import load_mapping
from ics_graph.model import vocabulary as v
from ics_graph.queries.transition import transition

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "transition"
SHIRE = v.ID + "area/shire"


def _run(*args: str):
    return CliRunner().invoke(main, [*args], catch_exceptions=False)


def test_each_ccg_function_goes_to_its_destination_or_is_named_as_having_none():
    report = transition(load_mapping([FIXTURE]), SHIRE)
    assert [c["ccg"] for c in report.ccgs] == ["NHS North Shire CCG", "NHS South Shire CCG"]
    assert {c["successor"] for c in report.ccgs} == {"NHS Shire ICB"}
    table = [
        (h.ccg, h.function_id, [(d.level, d.area, d.accountable) for d in h.destinations]) for h in report.handovers
    ]
    assert table == [
        ("NHS North Shire CCG", "function/chc", [("system", "Shire", "NHS Shire ICB")]),
        ("NHS North Shire CCG", "function/phm", []),
        ("NHS South Shire CCG", "function/chc", [("system", "Shire", "NHS Shire ICB")]),
    ]
    (north_chc,) = report.handovers[0].destinations
    assert north_chc.chain == ["NHS Shire ICB -> North Shire place committee (committee of the board)"]
    assert report.handovers[2].destinations[0].chain == []  # the delegation is the north's only
    assert [h.function_id for h in report.unmapped] == ["function/phm"]


def test_the_command_in_text_json_and_csv():
    text = _run("transition", "Shire", str(FIXTURE))
    assert text.exit_code == 0
    assert "  -> no destination from 2022-07-01 (the CCG's successor: NHS Shire ICB)" in text.output
    assert text.output.rstrip().endswith("3 functions held by CCGs; 1 without a destination.")
    data = json.loads(_run("transition", "Shire", str(FIXTURE), "--format", "json").output)
    assert data["without_destination"] == 1 and data["last_ccg_day"] == "2022-06-30"
    rows = _run("transition", "Shire", str(FIXTURE), "--format", "csv").output.splitlines()
    assert rows[0].startswith("function,function_id,ccg,ccg_area,level,area,accountable,status")
    assert sum("no destination" in row for row in rows) == 1


def test_a_place_is_not_a_system():
    done = _run("transition", "North Shire", str(FIXTURE))
    assert done.exit_code == 2 and "not a system" in done.output


def test_an_undated_ccg_allocation_that_runs_on_is_not_a_destination(tmp_path):
    # An allocation to the CCG with no end runs on past 30 June 2022 (as undated 2020
    # arrangements did): it is what the CCG held, never where the function went.
    text = (FIXTURE / "mapping.yaml").read_text(encoding="utf-8")
    undated = "{function: phm, area: shire-north, accountable: shire-north-ccg, effective_from: 2021-04-01}"
    text = text.replace(
        "{function: phm, area: shire-north, accountable: shire-north-ccg, effective_from: 2021-04-01, "
        "effective_to: 2022-06-30}",
        undated,
    )
    assert undated in text
    (tmp_path / "mapping.yaml").write_text(text, encoding="utf-8")
    report = transition(load_mapping([tmp_path]), SHIRE)
    assert [h.function_id for h in report.unmapped] == ["function/phm"]
