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


@pytest.mark.parametrize(
    "paths",
    [[ROOT / "data" / pack] for pack in PACKS] + [[ROOT / "tests" / "fixtures" / "mini"]],
    ids=[*PACKS, "mini"],
)
def test_every_related_entity_is_an_entity_of_the_mapping_never_a_class(paths):
    mapping = load_mapping(paths)
    entities = {row["e"] for row in mapping.select(_TYPED) if row["e"].startswith(v.ID)}
    found = check(mapping).findings
    assert found
    related = {iri for f in found for iri in f.related}
    assert related and related <= entities, sorted(related - entities)


def test_a_coverage_gap_relates_every_place_where_the_function_is_missing():
    mapping = load_mapping([ROOT / "data" / "greater-manchester"])
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
    cycles = [f for f in check(load_mapping([tmp_path])).findings if f.rule == "dependency-cycle"]
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
    assert result.output.splitlines()[0].startswith(answer)


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
