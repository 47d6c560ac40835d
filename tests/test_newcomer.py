"""What a newcomer reads first: check's report, and findings a machine can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from ics_graph.engine.checking import check
from ics_graph.inputs.loader import load_mapping
from ics_graph.model import vocabulary as v
from ics_graph.model.sparql import IRI

ROOT = Path(__file__).resolve().parent.parent
PACKS = ["northamptonshire", "cambridgeshire-peterborough", "greater-manchester", "lancashire-south-cumbria"]
_TYPED = "SELECT DISTINCT ?e WHERE { ?e a ?type }"


# Greater Manchester and Cambridgeshire & Peterborough have no finding that relates another entity (their
# findings are subsidiarity warnings and undecided collaboratives, about one allocation or collaborative each),
# so their real data get two additions: one place allocation of continuing healthcare (a coverage gap relating
# the other places and the system; a date inconsistency where the place ended in 2022) and a dependency cycle
# (whose class ics:Function must never be related).
EXTRA = {
    "greater-manchester": ("gm-oldham", "gm-oldham-council"),
    "cambridgeshire-peterborough": ("cp-north", "cp-cambridgeshire-cc"),
}


def _with_extra(tmp_path, pack: str, place: str, body: str) -> Path:
    (tmp_path / "m.yaml").write_text(
        f"imports: [{ROOT / 'data' / pack}]\n"
        "allocations:\n"
        f"  - {{id: extra-chc, function: continuing-healthcare, area: {place}, level: place, accountable: {body}}}\n"
        "dependencies:\n"
        "  - {function: continuing-healthcare, depends_on: [estates]}\n"
        "  - {function: estates, depends_on: [continuing-healthcare]}\n",
        encoding="utf-8",
    )
    return tmp_path


@pytest.mark.parametrize(
    "paths",
    [[ROOT / "data" / pack] for pack in PACKS] + [[ROOT / "tests" / "fixtures" / "mini"]],
    ids=[*PACKS, "mini"],
)
def test_every_related_entity_is_an_entity_of_the_mapping_never_a_class(paths, tmp_path):
    pack = paths[0].name
    if pack in EXTRA:
        paths = [_with_extra(tmp_path, pack, *EXTRA[pack])]
    mapping = load_mapping(paths, allow_outside=pack in EXTRA)
    entities = {row["e"] for row in mapping.select(_TYPED) if row["e"].startswith(v.ID)}
    found = check(mapping).findings
    assert found
    related = {iri for f in found for iri in f.related}
    assert related and related <= entities, sorted(related - entities)


def test_a_coverage_gap_relates_every_place_where_the_function_is_missing():
    # Lancashire and South Cumbria has two place geographies until July 2022, so gaps of 4 and of 5 places
    # (Greater Manchester, used before, now records every borough's 2021-22 arrangements: no gap)
    mapping = load_mapping([ROOT / "data" / "lancashire-south-cumbria"])
    gaps = [f for f in check(mapping).findings if f.rule == "place-coverage-gap"]
    assert gaps
    for gap in gaps:
        places = [iri for iri in gap.related if mapping.ask("ASK { ?p a ics:Place }", {"p": IRI(iri)})]
        systems = [iri for iri in gap.related if mapping.ask("ASK { ?s a ics:System }", {"s": IRI(iri)})]
        missing = int(gap.message.split("; missing in ")[1].split(":")[0])
        assert len(systems) == 1 and len(places) == missing  # the system, and each place missing
        for place in places:
            assert mapping.label(place) in gap.message


def test_a_dependency_cycle_relates_its_members_only(tmp_path):
    (tmp_path / "m.yaml").write_text(
        "imports: [" + str(ROOT / "tests" / "fixtures" / "mini") + "]\n"
        "dependencies:\n  - {function: chc, depends_on: [eprr]}\n  - {function: eprr, depends_on: [chc]}\n",
        encoding="utf-8",
    )
    cycles = [f for f in check(load_mapping([tmp_path], allow_outside=True)).findings if f.rule == "dependency-cycle"]
    assert len(cycles) == 1
    assert cycles[0].related == (v.ID + "function/eprr",) or cycles[0].related == (v.ID + "function/chc",)


# --- names as a transition lead types them -----------------------------------------------

GM = ROOT / "data" / "greater-manchester"
NORTHANTS = ROOT / "data" / "northamptonshire"


def _run(*args: str):
    from click.testing import CliRunner

    from ics_graph.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize(
    ("command", "text", "pack", "answer"),
    [
        ("where", "GP", GM, "Primary medical services (GP services) (function/primary-medical-services)"),
        ("where", "Where does CHC sit?", GM, "NHS continuing healthcare (function/continuing-healthcare)"),
        ("at", "GM", GM, "Greater Manchester (area/greater-manchester, system level)"),
        ("at", "Oldham locality", GM, "Oldham (area/gm-oldham, place level)"),
        ("body", "ICB", GM, "NHS Greater Manchester Integrated Care Board (body/greater-manchester-icb"),
        ("body", "ICB", NORTHANTS, "NHS Northamptonshire Integrated Care Board (body/northamptonshire-icb"),
    ],
)
def test_short_names_find_what_a_transition_lead_means(command, text, pack, answer):
    result = _run(command, text, pack)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "As of 2026-12-05"  # the suite's today (conftest)
    assert result.output.splitlines()[1].startswith(answer)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("NHS", "'NHS' could mean several functions"),  # a word of many names: a list, not a guess
        ("ab", "no function matches 'ab'"),  # too short to guess from (it fuzzily matched SAB)
        ("safeguarding", "could mean several functions: Safeguarding adults"),
    ],
)
def test_short_or_common_words_list_candidates_and_exit_2(text, said):
    result = _run("where", text, GM)
    assert result.exit_code == 2
    assert said in result.output


def test_several_bodies_are_bodies():
    result = _run("body", "Oldham", GM)
    assert result.exit_code == 2 and "several bodies" in result.output and "bodys" not in result.output


def test_at_takes_local_level_names():
    by_word = _run("at", "Oldham", GM, "--level", "locality", "--format", "json")
    by_key = _run("at", "Oldham", GM, "--level", "place", "--format", "json")
    assert by_word.exit_code == 0 and by_word.output == by_key.output
    wrong = _run("at", "Oldham", GM, "--level", "sistem")
    assert wrong.exit_code == 2 and "--level: unknown level 'sistem'" in wrong.output


def test_rules_explain_takes_its_rule_folder_after_the_slug(tmp_path):
    text = (ROOT / "rules" / "unowned-function.rq").read_text(encoding="utf-8")
    (tmp_path / "my-rule.rq").write_text(text.replace("slug: unowned-function", "slug: my-rule"), encoding="utf-8")
    after = _run("rules", "explain", "my-rule", "--rules", tmp_path)
    before = _run("rules", "--rules", tmp_path, "explain", "my-rule")
    assert after.exit_code == 0 and after.output == before.output and after.output.startswith("my-rule")


def test_body_icb_lists_the_icbs_when_the_mapping_has_several():
    result = _run("body", "ICB", GM, NORTHANTS)
    assert result.exit_code == 2
    assert "'ICB' could mean several bodies: NHS Greater Manchester Integrated Care Board" in result.output
    assert "NHS Northamptonshire Integrated Care Board (northamptonshire-icb)" in result.output


# --- questions answer as of today, and say so ---------------------------------------------

CCG = "NHS Oldham CCG"  # the national frame's ccg-00y, ended 2022-06-30


def test_at_answers_as_of_today_by_default_and_says_so():
    today = _run("at", "Oldham", GM)
    every = _run("at", "Oldham", GM, "--all-dates")
    then = _run("at", "Oldham", GM, "--as-of", "2022-06-30")
    assert today.exit_code == every.exit_code == then.exit_code == 0
    assert today.output.splitlines()[0] == "As of 2026-12-05" and CCG not in today.output
    assert every.output.splitlines()[0] == "All dates" and CCG in every.output
    assert then.output.splitlines()[0] == "As of 2022-06-30" and CCG in then.output
    assert today.output.splitlines()[1:3] == every.output.splitlines()[1:3]  # the same area, heading and source


@pytest.mark.parametrize(
    "args",
    [("where", "CHC", GM), ("at", "Oldham", GM), ("body", "ICB", GM), ("impact", "CHC", GM)],
    ids=["where", "at", "body", "impact"],
)
def test_every_question_says_which_dates_it_answers_for(args):
    import json

    text = _run(*args)
    dated = json.loads(_run(*args, "--format", "json").output)
    every = json.loads(_run(*args, "--format", "json", "--all-dates").output)
    then = json.loads(_run(*args, "--format", "json", "--as-of", "2023-04-01").output)
    assert text.exit_code == 0 and text.output.splitlines()[0] == "As of 2026-12-05"
    assert _run(*args, "--all-dates").output.splitlines()[0] == "All dates"
    assert (dated["as_of"], dated["all_dates"]) == ("2026-12-05", False)
    assert (every["as_of"], every["all_dates"]) == (None, True)
    assert (then["as_of"], then["all_dates"]) == ("2023-04-01", False)


def test_today_is_ics_graph_today_when_set(monkeypatch):
    monkeypatch.setenv("ICS_GRAPH_TODAY", "2022-06-30")
    moved = _run("at", "Oldham", GM)
    assert moved.exit_code == 0 and CCG in moved.output
    assert moved.output == _run("at", "Oldham", GM, "--as-of", "2022-06-30").output
    monkeypatch.setenv("ICS_GRAPH_TODAY", "30/06/2022")
    wrong = _run("at", "Oldham", GM)
    assert wrong.exit_code == 2 and "ICS_GRAPH_TODAY: '30/06/2022' is not a date" in wrong.output


def test_as_of_and_all_dates_together_are_a_usage_error():
    result = _run("where", "CHC", GM, "--as-of", "2022-06-30", "--all-dates")
    assert result.exit_code == 2 and "give --as-of DATE or --all-dates, not both" in result.output


def test_a_name_that_ended_is_found_with_all_dates_and_the_error_says_so():
    today = _run("body", CCG, GM)
    assert today.exit_code == 2 and "Answering as of 2026-12-05: --all-dates also looks among" in today.output
    every = _run("body", CCG, GM, "--all-dates")
    assert every.exit_code == 0 and every.output.splitlines()[1].startswith(CCG + " (body/ccg-00y")


def test_check_judges_every_date_whatever_today_is(monkeypatch):
    before = _run("check", NORTHANTS, "--format", "json", "--fail-on", "never")
    monkeypatch.setenv("ICS_GRAPH_TODAY", "2022-06-30")
    after = _run("check", NORTHANTS, "--format", "json", "--fail-on", "never")
    assert before.exit_code == after.exit_code == 0 and before.output == after.output
    # the CCG's allocation ended before the suite's today, the ICB's begins after 2022-06-30: both judged
    assert '"focus": "allocation/nhn-ccg-strategic-planning"' in before.output  # ended on 2022-06-30
    assert '"focus": "allocation/nhn-sys-strategic-planning"' in after.output  # from 2022-07-01


def test_a_mapping_with_nothing_dated_out_is_answered_as_it_is():
    """As of a day when everything is in force, the view shares the mapping's store:
    nothing is copied (a large store with no history answers as fast as with
    --all-dates). The view knows its day, so findings kept from a whole-timeline check
    are not reused for it."""
    import datetime as dt

    from ics_graph.model.timeline import as_of

    mini = load_mapping([ROOT / "tests" / "fixtures" / "mini"])
    today = as_of(mini, dt.date(2026, 12, 5))
    assert today.store is mini.store and today.as_of == dt.date(2026, 12, 5) and mini.as_of is None
    before = as_of(mini, dt.date(2022, 6, 30))  # before the ICB began: a view without it
    assert before.store is not mini.store and len(before.store) < len(mini.store)
    assert before.as_of == dt.date(2022, 6, 30)


def test_a_store_is_queried_in_place_as_of_today(tmp_path, monkeypatch):
    import datetime as dt

    from ics_graph.app import stores
    from ics_graph.stores.spec import parse_store

    spec = parse_store(f"oxigraph:{tmp_path / 'store'}")
    assert _run("load", ROOT / "tests" / "fixtures" / "mini", "--store", f"oxigraph:{spec.location}").exit_code == 0
    opened = []
    real = stores.open_mapping
    monkeypatch.setattr(stores, "open_mapping", lambda *a, **k: opened.append(real(*a, **k)) or opened[-1])
    mapping = stores.open_store(spec, as_of=dt.date(2026, 12, 5))
    (whole,) = opened
    assert whole.findings_at_load is not None and whole.findings_at_load() is not None  # the store kept findings
    assert mapping.store is whole.store  # nothing dated out: the store itself, not a copy
    assert mapping.as_of == dt.date(2026, 12, 5)  # judged for the day: with the findings the load
    # kept as of its day (ICS_GRAPH_TODAY, the same day), which are that day's, not the timeline's
    from ics_graph.engine.checking import check

    assert mapping.findings_at_load is not None and mapping.findings_at_load() == check(mapping).findings


def test_places_that_only_repeat_the_system_answer_are_named_on_one_line():
    import json

    text = _run("where", "CHC", GM).output
    places = [
        p["area"] for p in json.loads(_run("where", "CHC", GM, "--format", "json").output)["systems"][0]["places"]
    ]
    assert len(places) == 10  # JSON keeps every place
    assert text.count("accountable:") == 1  # the block is printed once, for the system
    (line,) = [line for line in text.splitlines() if "as Greater Manchester above" in line]
    assert line.strip() == f"{', '.join(places)} (place): as Greater Manchester above, covered from above"
    # a place with an allocation of its own keeps its block
    bcf = _run("where", "better care fund", str(ROOT / "data" / "northamptonshire")).output
    assert "as Northamptonshire above" not in bcf and bcf.count("accountable:") == 2
