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
