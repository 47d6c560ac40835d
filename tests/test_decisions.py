"""The Functions and Decisions Map: its data, Markdown and standalone HTML."""

from __future__ import annotations

import json
import re
import shutil
import textwrap

import pytest
from conftest import FIXTURES, HASH_SEEDS, ROOT, python_process

from ics_graph.inputs.loader import load_mapping
from ics_graph.outputs.decisions import to_html, to_markdown
from ics_graph.queries.decisions import decisions_map

CLEAN = FIXTURES / "clean"
XSS = "<img src=x onerror=alert(1)>"
EXTRA = """
functions:
  - id: xss
    name: "<img src=x onerror=alert(1)>"
    holder: icb
    lowest_level: place
    minimum_level: place
  - id: piped
    name: "Pipes | and\\nnewlines"
    holder: icb
    lowest_level: place
    minimum_level: place
allocations:
  - {function: xss, area: north, accountable: shire-icb}
  - {function: piped, area: south, accountable: shire-icb, effective_from: 2022-07-01, effective_to: 2024-03-31}
"""


@pytest.fixture(scope="module")
def northants():
    return decisions_map(load_mapping([ROOT / "data" / "northamptonshire"]))


@pytest.fixture
def fixture_map(tmp_path):
    folder = tmp_path / "mapping"
    shutil.copytree(CLEAN, folder)
    (folder / "extra.yaml").write_text(textwrap.dedent(EXTRA), encoding="utf-8")
    return decisions_map(load_mapping([folder]))


def test_the_fixture_map_has_a_system_its_places_and_the_rows(fixture_map):
    assert [s.area for s in fixture_map.systems] == ["Shire"]
    shire = fixture_map.systems[0]
    assert [r.function for r in shire.rows] == ["Emergency preparedness"]
    assert [p.area for p in shire.places] == ["North Shire", "South Shire"]
    north = {r.function: r for r in shire.places[0].rows}
    assert north["Continuing healthcare"].delegated_to == "North Shire committee"
    assert north["Continuing healthcare"].instrument == "committee of the board"
    assert north["Continuing healthcare"].dates == "from 2022-07-01"
    south = {r.function: r for r in shire.places[1].rows}
    assert south["Pipes | and\nnewlines"].dates == "2022-07-01 to 2024-03-31"
    assert south["Continuing healthcare"].delegated_to == ""
    assert [r["function"] for r in fixture_map.reserved] == ["ICB performance assessment"]
    assert [(d["function"], d["to"], d["instrument"], d["start"]) for d in fixture_map.nhse_delegations] == [
        ("Primary medical services", "NHS Shire ICB", "s65Z5 delegation", "2022-07-01")
    ]


def test_rows_are_sorted_by_category_then_function(northants):
    rows = northants.systems[0].rows
    keys = [(r.category, r.function) for r in rows]
    assert keys == sorted(keys)
    assert len({r.category for r in rows}) > 3


def test_northamptonshire_map_has_its_two_places_and_the_nhs_england_delegations(northants):
    # the whole timeline: the ICB's footprint (from 2022-07-01) and the CCG's 2021-22 footprint, each with the
    # two council areas as places (part of both footprints in turn), each era's rows under its own footprint
    assert [s.area_id for s in northants.systems] == ["area/northamptonshire", "area/nhn-system-2021"]
    places = [[p.area for p in s.places] for s in northants.systems]
    assert places == [["North Northamptonshire", "West Northamptonshire"]] * 2
    (icb_era, ccg_era) = ({r.accountable for p in s.places for r in p.rows} for s in northants.systems)
    assert not any("CCG" in a for a in icb_era) and all("CCG" in a for a in ccg_era)
    pms = [d for d in northants.nhse_delegations if d["function_id"] == "function/primary-medical-services"]
    assert len(pms) == 1
    assert pms[0]["from"] == "NHS England" and pms[0]["to"] == "NHS Northamptonshire Integrated Care Board"
    assert pms[0]["instrument"] == "s65Z5 delegation" and pms[0]["start"] == "2022-07-01"
    markdown = to_markdown(northants)
    assert "### North Northamptonshire (place)" in markdown and "### West Northamptonshire (place)" in markdown
    assert "## Northamptonshire STP/ICS footprint (2021-22) (system)" in markdown
    assert "## Delegated to the ICB by NHS England" in markdown
    assert re.search(
        r"^\| Primary medical services \(GP services\) \| NHS Northamptonshire Integrated Care Board \|",
        markdown,
        re.MULTILINE,
    )
    html = to_html(northants)
    assert "North Northamptonshire" in html and "West Northamptonshire" in html
    assert "Primary medical services (GP services)" in html


def test_markdown_tables_escape_pipes_and_newlines(fixture_map):
    markdown = to_markdown(fixture_map)
    line = next(line for line in markdown.splitlines() if "Pipes" in line)
    assert "Pipes \\| and<br>newlines" in line
    # Every table row has as many unescaped cell separators as its header.
    for table_line in (line for line in markdown.splitlines() if line.startswith("|")):
        assert len(re.findall(r"(?<!\\)\|", table_line)) in (9, 5, 8)
    assert XSS not in markdown and "&lt;img src=x onerror=alert(1)&gt;" in markdown


def test_markdown_says_when_nothing_is_reserved(tmp_path):
    folder = tmp_path / "mapping"
    shutil.copytree(CLEAN, folder)
    catalogue = (folder / "catalogue.yaml").read_text(encoding="utf-8").replace("reserved: true, ", "")
    (folder / "catalogue.yaml").write_text(catalogue, encoding="utf-8")
    markdown = to_markdown(decisions_map(load_mapping([folder])))
    assert "No function in this mapping is marked as reserved." in markdown


def test_html_is_standalone_and_escapes_everything(fixture_map):
    page = to_html(fixture_map)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert XSS not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    lowered = page.lower()
    assert "<script" not in lowered and "<link" not in lowered and "@import" not in lowered
    assert "http" not in lowered and "src=" not in lowered.replace("&lt;img src=x", "")
    assert "<style>" in page


MAP_IN_A_PROCESS = """
import json, sys
from ics_graph.inputs.loader import load_mapping
from ics_graph.outputs.decisions import to_html, to_markdown
from ics_graph.queries.decisions import decisions_map
found = decisions_map(load_mapping([sys.argv[1]]))
print(json.dumps({"markdown": to_markdown(found), "html": to_html(found), "data": found.as_dict()}, default=str))
"""


def test_output_is_deterministic(tmp_path):
    """Two processes with different hash seeds make the same map, as does this one."""
    folder = tmp_path / "mapping"
    shutil.copytree(CLEAN, folder)
    (folder / "extra.yaml").write_text(textwrap.dedent(EXTRA), encoding="utf-8")
    raw = [python_process(MAP_IN_A_PROCESS, folder, seed=seed).stdout for seed in HASH_SEEDS]
    first, second = map(json.loads, raw)
    assert first["markdown"] == second["markdown"]
    assert first["html"] == second["html"]
    assert first["data"] == second["data"]
    assert raw[0] == raw[1]  # the data in the same order too
    here = decisions_map(load_mapping([folder]))
    assert to_markdown(here) == first["markdown"] and to_html(here) == first["html"]
    assert json.loads(json.dumps(here.as_dict(), default=str)) == first["data"]


def test_as_of_is_shown(fixture_map):
    fixture_map.as_of = "2023-01-01"
    assert "as it stands on 2023-01-01" in to_markdown(fixture_map)
    assert "as it stands on 2023-01-01" in to_html(fixture_map)
