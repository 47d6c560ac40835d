"""The Northamptonshire pack (data/northamptonshire): what ``check`` finds, pinned.

The pack's README ("Findings") says, for each finding below, why it is a real problem in the
system's arrangements as the ICS design blueprint (seed 003, June 2021), the transition highlight
report of 1 February 2022 (seed 000) and the law describe them, or which other part of the tree it
comes from. The findings are pinned as (rule, entity) pairs for three runs: the default run (the
whole timeline), the run as of 1 February 2022 (the date of seed 000, CCG era) and the run as of
1 January 2023 (the ICB era). A change to the pack, the catalogue, the national frame or a rule that
adds, drops or moves a finding makes one of these tests fail, so that the README can be brought up
to date with it.

The other tests hold the pack to what its README promises: every citation of a seed has a locator
and every phrase it quotes is in the seed; nothing accountable lacks legal standing; every
arrangement of the CCG ends when the law ended it and every function the CCG held on 30 June 2022 is
held from 1 July 2022, in the data and in what ``ics-graph transition`` shows (see the README, "The
transfer of 1 July 2022"); and the as-of answers.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from conftest import NATIONAL_ABOVE_LOWEST

from ics_graph.engine.checking import check
from ics_graph.inputs.loader import load_mapping
from ics_graph.model.timeline import as_of
from ics_graph.queries.transition import transition
from ics_graph.queries.where import what_sits_at, where_is

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "data" / "northamptonshire"
SEEDS = {
    "nhn-seed-highlight-2022": ROOT.parent / "shared" / "seeds" / "000_a974890c5256b399.txt",
    "nhn-seed-design-2021": ROOT.parent / "shared" / "seeds" / "003_c92a20a198ae4b29.txt",
}

PAPER_DAY = dt.date(2022, 2, 1)  # seed 000: "ICS Programme: Transition Steering Group 01 February 2022"
ICB_DAY = dt.date(2023, 1, 1)

ID = "https://w3id.org/ics-graph/id/"

#: Functions that sit at system only by statutory default though they could sit at place (or
#: neighbourhood), and that nobody in the papers placed: the CCG's (2021-22) and the ICB's.
_UNDECIDED_BOTH = [
    "children-young-people-services-commissioning",
    "community-services-commissioning",
    "hospital-discharge",
    "looked-after-children",
    "palliative-end-of-life-care",
    "personal-health-budgets",
    "system-resilience-patient-flow",
    "vcse-partnership",
]
#: ... for the CCG only: the papers decide these for the ICB (seed 003), not for the CCG.
_UNDECIDED_CCG_ONLY = [
    "contracting",
    "integrated-neighbourhood-teams",
    "people-plan",
    "place-based-partnerships",
    "population-health-management",
    "resource-allocation",
    "strategic-planning",
]
_CCG_UNDECIDED = [
    ("subsidiarity-undecided", f"allocation/nhn-ccg-{f}") for f in sorted(_UNDECIDED_BOTH + _UNDECIDED_CCG_ONLY)
]
_ICB_UNDECIDED = [("subsidiarity-undecided", f"allocation/nhn-sys-{f}") for f in _UNDECIDED_BOTH]

#: Seed 003 places these with the ICB at system and gives no reason of scale; the neighbourhood
#: teams sit at the places that are to develop them, as no neighbourhood is named.
_ABOVE_LOWEST = [
    ("subsidiarity-above-lowest-level", f"allocation/{a}")
    for a in (
        "nhn-alloc-int-north",
        "nhn-alloc-int-west",
        "nhn-sys-contracting",
        "nhn-sys-people-plan",
        "nhn-sys-population-health-management",
        "nhn-sys-resource-allocation",
        "nhn-sys-strategic-planning",
    )
]

_COLLABORATIVES = [("collaborative-lead", f"collaborative/nhn-{c}-collab") for c in ("cyp", "elective", "ican", "mh")]
_CYCLE = [("dependency-cycle", "workstream/nhn-ws-collaboratives")]

#: NHS England's national holdings in the national frame (data/national/nhs-england-functions.yaml),
#: reported in every pack that imports the frame; not this pack's (see the README, "Findings").
_NATIONAL = NATIONAL_ABOVE_LOWEST

#: (rule, focus id) of every finding; see data/northamptonshire/README.md, "Findings".
EXPECTED_DEFAULT = sorted(_COLLABORATIVES + _CYCLE + _NATIONAL + _ABOVE_LOWEST + _CCG_UNDECIDED + _ICB_UNDECIDED)
EXPECTED_AS_OF_PAPER = sorted(_COLLABORATIVES + _CYCLE + _NATIONAL + _CCG_UNDECIDED)
EXPECTED_AS_OF_ICB = sorted(_COLLABORATIVES + _CYCLE + _NATIONAL + _ABOVE_LOWEST + _ICB_UNDECIDED)


@pytest.fixture(scope="module")
def mapping():
    return load_mapping([PACK])


def _found(mapping):
    return sorted({(f.rule, f.focus_id) for f in check(mapping).findings})


def test_default_run_finds_exactly_the_explained_findings(mapping):
    assert _found(mapping) == EXPECTED_DEFAULT


def test_as_of_the_paper_finds_exactly_the_explained_findings(mapping):
    assert _found(as_of(mapping, PAPER_DAY)) == EXPECTED_AS_OF_PAPER


def test_as_of_the_icb_era_finds_exactly_the_explained_findings(mapping):
    assert _found(as_of(mapping, ICB_DAY)) == EXPECTED_AS_OF_ICB


def test_every_finding_is_explained_in_the_readme():
    """Each pinned entity (its id, or the function's id) is named in the README's findings section."""
    readme = (PACK / "README.md").read_text(encoding="utf-8")
    findings = readme[readme.index("## Findings") :]
    for _rule, focus in EXPECTED_DEFAULT:
        _kind, name = focus.split("/", 1)
        named = name.split("--", 1)[0] if name.endswith("--always") else name
        for prefix in ("nhn-ccg-", "nhn-sys-"):
            if name.startswith(prefix) and _rule == "subsidiarity-undecided":
                named = name[len(prefix) :]
        assert named in findings, f"{focus} is not explained in the README's Findings"


# --- sources ------------------------------------------------------------------------------


def _norm(text: str) -> str:
    text = re.sub(r"<[^>]+>", " ", text)
    for a, b in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u2013", "-"), ("*", "")):
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text).strip().lower()


def _seed_citations():
    """(seed, file, entity, locator) of every citation of a seed in the pack's own files."""
    for path in sorted(PACK.glob("*.yaml")):
        stack = [yaml.safe_load(path.read_text(encoding="utf-8"))]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                sources = node.get("source")
                for item in sources if isinstance(sources, list) else [sources]:
                    if isinstance(item, dict) and item.get("ref") in SEEDS:
                        yield item["ref"], path.name, node.get("id") or node.get("function"), item.get("locator", "")
                    elif isinstance(item, str) and item in SEEDS:
                        yield item, path.name, node.get("id") or node.get("function"), ""
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)


def test_every_seed_citation_has_a_locator():
    assert [(f, e) for _s, f, e, locator in _seed_citations() if not locator.strip()] == []


@pytest.mark.skipif(not all(p.exists() for p in SEEDS.values()), reason="the seed papers are not beside the repository")
def test_every_seed_locator_is_a_phrase_of_its_seed():
    """A reader can find every cited passage: each locator (or each part of it around '...') is in
    the seed it cites, allowing only for HTML tags, dashes, curly quotes and whitespace."""
    texts = {ref: _norm(path.read_text(encoding="utf-8")) for ref, path in SEEDS.items()}
    missing = []
    for ref, file, entity, locator in _seed_citations():
        parts = [p for p in re.split(r"\s*\.\.\.\s*", locator) if p.strip()]
        if not parts or any(_norm(p) not in texts[ref] for p in parts):
            missing.append((file, entity, locator))
    assert missing == []


# --- legal standing, time and the 1 July 2022 transfer --------------------------------------

_ALLOCATIONS = """
SELECT ?a ?f ?area ?from ?to (GROUP_CONCAT(STR(?b); separator=" ") AS ?bodies) WHERE {
  ?a a ics:Allocation ; ics:function ?f ; ics:area ?area ; ics:accountableBody ?b .
  OPTIONAL { ?a ics:effectiveFrom ?from } OPTIONAL { ?a ics:effectiveTo ?to }
} GROUP BY ?a ?f ?area ?from ?to
"""
CCG = ID + "body/ccg-78h"
ICB = ID + "body/northamptonshire-icb"
ICP = ID + "body/nhn-icp"


def _allocations(mapping):
    return [
        {**row, "bodies": set(row["bodies"].split())}
        for row in mapping.select(_ALLOCATIONS)
        if row["a"].split("/")[-1].startswith("nhn-")
    ]


def test_no_partnership_hwb_or_collaborative_is_accountable(mapping):
    """HWBs are committees of their councils, the 2021-22 Partnership Board a partnership, the
    collaboratives have no legal personality: they deliver, statutory bodies answer."""
    not_statutory = {"nhn-hcp-board", "nhn-north-hwb", "nhn-west-hwb", "nhn-mhnc", "nhn-rockingham-forest-pcn"}
    accountable = {b.split("/")[-1] for r in _allocations(mapping) for b in r["bodies"]}
    assert accountable & not_statutory == set()
    assert not {rule for rule, _ in _found(mapping)} & {
        "accountable-without-legal-standing",
        "delegation-instrument-mismatch",
        "multiple-accountable",
    }


def test_the_ccg_is_accountable_for_nothing_after_30_june_2022(mapping):
    late = [r["a"] for r in _allocations(mapping) if CCG in r["bodies"] and (not r.get("to") or r["to"] > "2022-06-30")]
    assert late == []


def test_every_function_the_ccg_held_on_30_june_2022_passes_to_the_icb_on_1_july(mapping):
    """The handover table: for every function the CCG was accountable for on its last day, in each
    area (the 2021-22 footprint or a council area of it), an allocation from 1 July 2022 in which
    the ICB (or the statutory ICP) is accountable, in the ICB's footprint or the same council area."""
    rows = _allocations(mapping)
    same_place = {"nhn-system-2021": {"northamptonshire", "nhn-north", "nhn-west"}}
    same_place |= {f"nhn-{p}": {f"nhn-{p}", "northamptonshire"} for p in ("north", "west")}
    held = {(r["f"], r["area"].split("/")[-1]) for r in rows if CCG in r["bodies"] and r.get("to") == "2022-06-30"}
    after = {
        (r["f"], r["area"].split("/")[-1])
        for r in rows
        if r.get("from") == "2022-07-01" and r["bodies"] & {ICB, ICP} and not r.get("to")
    }
    assert len(held) == 91
    lost = sorted((f.split("/")[-1], area) for f, area in held if not any((f, a) in after for a in same_place[area]))
    assert lost == []


def test_the_transition_command_shows_the_handover_through_the_ccg_successor(mapping):
    """The CCG's 2021-22 footprint is outside the 2022 area tree; the command finds the CCG through
    its successor (the ICB operates in the system) and a destination for every function it held."""
    report = transition(mapping, ID + "area/northamptonshire")
    assert [c["id"] for c in report.ccgs] == ["body/ccg-78h"]
    assert len(report.handovers) == 91
    assert report.unmapped == []
    chc = [h for h in report.handovers if h.function_id == "function/continuing-healthcare"]
    assert [d.accountable for h in chc for d in h.destinations] == ["NHS Northamptonshire Integrated Care Board"]


def test_as_of_the_paper_the_ccg_holds_the_functions_and_the_places_are_in_its_footprint(mapping):
    """The review's question for 2020-22: as of 1 February 2022 a system is loaded, the CCG holds
    continuing healthcare for the whole footprint, and the JSNA at each place jointly with the
    council, through the HWB."""
    day = as_of(mapping, PAPER_DAY)
    chc = where_is(day, ID + "function/continuing-healthcare").as_dict()
    text = repr(chc)
    assert "Northamptonshire STP/ICS footprint (2021-22)" in text and "NHS Northamptonshire CCG" in text
    place = what_sits_at(day, ID + "area/nhn-west").as_dict()
    items = [i for g in place["groups"] for c in g["categories"] for i in c["items"]]
    jsna = [i for i in items if i["function"] == "Joint strategic needs assessment"]
    assert jsna and "West Northamptonshire Council" in repr(jsna) and "NHS Northamptonshire CCG" in repr(jsna)


def test_as_of_2023_the_icb_and_councils_hold_the_place_duties(mapping):
    day = as_of(mapping, ICB_DAY)
    place = what_sits_at(day, ID + "area/nhn-north").as_dict()
    items = [i for g in place["groups"] for c in g["categories"] for i in c["items"]]
    bcf = [i for i in items if i["function"] == "Better Care Fund"]
    assert bcf and "North Northamptonshire Council" in repr(bcf) and "Integrated Care Board" in repr(bcf)
    assert "CCG" not in repr(items)
