"""The four seed data packs: they load, they carry provenance, and ``check`` finds exactly what their
READMEs explain.

Each pack's README ("Findings") says why every finding below is a real gap or tension in the board papers,
not a data error. The expected lists are pinned on purpose: a change to a pack, the catalogue, the national
frame or a rule that adds, drops or moves a finding makes these tests fail, so that the README can be
brought up to date with it. Each pack is loaded once per module.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ics_graph.engine.checking import check
from ics_graph.inputs.loader import load_mapping
from ics_graph.util.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"

#: (rule, focus id, severity) of every finding, sorted; see each pack's README.md, "Findings".
EXPECTED: dict[str, list[tuple[str, str, str]]] = {
    "greater-manchester": [
        ("collaborative-lead", "collaborative/gm-oldham-provider-collaborative", "info"),
        ("place-coverage-gap", "function/integrated-neighbourhood-teams", "warning"),
        ("place-coverage-gap", "function/joint-commissioning-with-local-authorities", "warning"),
        ("place-coverage-gap", "function/population-health-management", "warning"),
        ("place-coverage-gap", "function/resource-allocation", "warning"),
        ("place-coverage-gap", "function/section-75-partnership-arrangements", "warning"),
        ("place-coverage-gap", "function/strategic-planning", "warning"),
        (
            "subsidiarity-below-required-scale",
            "allocation/resource-allocation--gm-oldham--gm-oldham-ccg--always",
            "error",
        ),
        (
            "subsidiarity-below-required-scale",
            "allocation/strategic-planning--gm-oldham--gm-oldham-ccg--always",
            "error",
        ),
        ("trust-not-in-collaborative", "body/gm-oldham-nca", "warning"),
        ("trust-not-in-collaborative", "body/gm-oldham-pcft", "warning"),
        ("unowned-function", "function/integrated-care-strategy", "error"),
    ],
    "lancashire-south-cumbria": [
        ("collaborative-lead", "collaborative/lsc-pathology-collaborative", "info"),
        *[
            (
                "subsidiarity-below-required-scale",
                f"allocation/{function}--lsc-{place}--lsc-icp-{place}--always",
                "error",
            )
            for function in ("people-plan", "resource-allocation", "strategic-planning")
            for place in ("central-lancashire", "fylde-coast", "morecambe-bay", "pennine-lancashire", "west-lancashire")
        ],
        ("trust-not-in-collaborative", "body/lsc-lscft", "warning"),
        ("unowned-function", "allocation/contracting--lancashire-and-south-cumbria--unowned--always", "error"),
        (
            "unowned-function",
            "allocation/learning-disability-autism-commissioning--lancashire-and-south-cumbria--unowned--2021-04-01",
            "error",
        ),
        (
            "unowned-function",
            "allocation/system-resilience-patient-flow--lancashire-and-south-cumbria--unowned--always",
            "error",
        ),
        ("unowned-function", "function/integrated-care-strategy", "error"),
    ],
    "northamptonshire": [
        ("collaborative-lead", "collaborative/nhn-cyp-collab", "info"),
        ("collaborative-lead", "collaborative/nhn-elective-collab", "info"),
        ("collaborative-lead", "collaborative/nhn-ican-collab", "info"),
        ("collaborative-lead", "collaborative/nhn-mh-collab", "info"),
        ("dependency-cycle", "workstream/nhn-ws-collaboratives", "error"),
    ],
    "cambridgeshire-peterborough": [
        ("collaborative-lead", "collaborative/cp-acute-collab", "info"),
        ("collaborative-lead", "collaborative/cp-cm-collab", "info"),
        ("collaborative-lead", "collaborative/cp-mhld-collab", "info"),
        ("subsidiarity-below-required-scale", "allocation/cp-alloc-contracting-north", "error"),
        ("subsidiarity-below-required-scale", "allocation/cp-alloc-contracting-south", "error"),
        ("unowned-function", "allocation/cp-alloc-contracting-north", "error"),
        ("unowned-function", "allocation/cp-alloc-contracting-south", "error"),
        ("unowned-function", "function/integrated-care-strategy", "error"),
    ],
}

PACKS = sorted(EXPECTED)

_ALLOCATIONS_AND_DELEGATIONS = """
SELECT ?x WHERE { { ?x a ics:Allocation } UNION { ?x a ics:Delegation } }
"""
_WITHOUT_SOURCE = """
SELECT ?x WHERE {
  { ?x a ics:Allocation } UNION { ?x a ics:Delegation }
  FILTER NOT EXISTS { ?x dcterms:source ?s }
}
"""


@pytest.fixture(scope="module")
def packs():
    """pack name -> the loaded mapping, or the InputError it raised; each pack loaded at most once."""
    loaded: dict[str, object] = {}

    def load(name: str):
        if name not in loaded:
            try:
                loaded[name] = load_mapping([DATA / name])
            except InputError as exc:
                loaded[name] = exc
        return loaded[name]

    return load


def _mapping(packs, name: str):
    mapping = packs(name)
    if isinstance(mapping, InputError):
        pytest.fail(f"data/{name} does not load:\n{mapping}")
    return mapping


def _defined_in_pack(mapping, iri: str, name: str) -> bool:
    """True when the entity was written in one of the pack's own files (not the catalogue or national frame)."""
    location = mapping.location(iri)
    if location is None:
        return False
    return (DATA / name).resolve() in Path(location.file).resolve().parents


@pytest.mark.parametrize("name", PACKS)
def test_pack_loads_without_input_errors(packs, name):
    assert not isinstance(packs(name), InputError), f"data/{name} does not load:\n{packs(name)}"


@pytest.mark.parametrize("name", PACKS)
def test_check_finds_exactly_the_explained_findings(packs, name):
    mapping = _mapping(packs, name)
    found = sorted((f.rule, f.focus_id, f.severity.word) for f in check(mapping).findings)
    assert found == sorted(EXPECTED[name])


@pytest.mark.parametrize("name", PACKS)
def test_every_allocation_and_delegation_of_the_pack_has_a_source(packs, name):
    mapping = _mapping(packs, name)
    own = [
        row["x"] for row in mapping.select(_ALLOCATIONS_AND_DELEGATIONS) if _defined_in_pack(mapping, row["x"], name)
    ]
    assert own, f"no allocation or delegation found in data/{name}'s own files"
    missing = sorted(row["x"] for row in mapping.select(_WITHOUT_SOURCE) if _defined_in_pack(mapping, row["x"], name))
    assert missing == []
