"""The Cambridgeshire & Peterborough pack (data/cambridgeshire-peterborough): what ``check`` finds, pinned.

The pack's README ("Findings") says, for each finding below, why it is a real problem in the
system's arrangements as the Q2 2021/22 progress report (seed 001) and the law describe them.
The findings are pinned as (rule, entity) pairs for three runs: the default run (the whole
timeline), the run as of 31 October 2021 (the paper's Sept/Oct 2021 arrangements, CCG era) and
the run as of 1 January 2023 (the ICB era). A change to the pack, the catalogue, the national
frame or a rule that adds, drops or moves a finding makes one of these tests fail, so that the
README can be brought up to date with it.

The other tests hold the pack to what its README promises: every citation of the seed can be
found in the seed; every arrangement of the CCG era ends when the law ended it and is picked up
by the ICB (or the joint arrangement that includes it) the next day; nothing accountable lacks
legal standing; and the 2021 questions of the review are answered.
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

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "data" / "cambridgeshire-peterborough"
SEED = ROOT.parent / "shared" / "seeds" / "001_f647e165ce065d79.txt"

PAPER_DAY = dt.date(2021, 10, 31)  # "formal delegation ... during Sept/Oct 21"; the paper is dated September 2021
ICB_DAY = dt.date(2023, 1, 1)

_UNDECIDED = [
    "children-young-people-services-commissioning",
    "child-death-review",
    "community-services-commissioning",
    "contracting",
    "hospital-discharge",
    "integrated-neighbourhood-teams",
    "joint-commissioning-with-local-authorities",
    "looked-after-children",
    "palliative-end-of-life-care",
    "people-plan",
    "personal-health-budgets",
    "place-based-partnerships",
    "population-health-management",
    "s117-aftercare",
    "safeguarding-adults",
    "safeguarding-children",
    "send-health",
    "strategic-planning",
    "system-resilience-patient-flow",
    "vcse-partnership",
]

#: NHS England's national holdings in the national frame (data/national/nhs-england-functions.yaml),
#: reported in every pack that imports the frame; see the README, "Findings".
_NATIONAL = NATIONAL_ABOVE_LOWEST

_COLLABORATIVES = [
    ("collaborative-lead", "collaborative/cp-acute-collab"),
    ("collaborative-lead", "collaborative/cp-cm-collab"),
    ("collaborative-lead", "collaborative/cp-mhld-collab"),
]
_INT_AT_PLACE = [
    ("subsidiarity-above-lowest-level", "allocation/cp-alloc-int-north"),
    ("subsidiarity-above-lowest-level", "allocation/cp-alloc-int-south"),
]


def _undecided(prefix):
    return [("subsidiarity-undecided", f"allocation/{prefix}-{function}") for function in _UNDECIDED]


#: (rule, focus id) of every finding; see data/cambridgeshire-peterborough/README.md, "Findings".
EXPECTED_DEFAULT = sorted(_COLLABORATIVES + _INT_AT_PLACE + _NATIONAL + _undecided("cp-ccg") + _undecided("cp-sys"))
EXPECTED_AS_OF_PAPER = sorted(_COLLABORATIVES + _INT_AT_PLACE + _NATIONAL + _undecided("cp-ccg"))
EXPECTED_AS_OF_ICB = sorted(_COLLABORATIVES + _NATIONAL + _undecided("cp-sys"))


@pytest.fixture(scope="module")
def mapping():
    return load_mapping([PACK])


def _found(mapping):
    return sorted((f.rule, f.focus_id) for f in check(mapping).findings)


def test_default_run_finds_exactly_the_explained_findings(mapping):
    assert _found(mapping) == EXPECTED_DEFAULT


def test_as_of_the_paper_finds_exactly_the_explained_findings(mapping):
    assert _found(as_of(mapping, PAPER_DAY)) == EXPECTED_AS_OF_PAPER


def test_as_of_the_icb_era_finds_exactly_the_explained_findings(mapping):
    assert _found(as_of(mapping, ICB_DAY)) == EXPECTED_AS_OF_ICB


def test_every_finding_is_explained_in_the_readme():
    """Each pinned entity id (or function id) is named in the README's findings section."""
    readme = (PACK / "README.md").read_text(encoding="utf-8")
    findings = readme[readme.index("## Findings") :]
    for _rule, focus in EXPECTED_DEFAULT:
        kind, name = focus.split("/", 1)
        named = name if kind != "allocation" or not name.endswith("--always") else name.split("--", 1)[0]
        if name.startswith(("cp-ccg-", "cp-sys-")):
            named = name[len("cp-ccg-") :]
        assert named in findings, f"{focus} is not explained in the README's Findings"


# --- sources ------------------------------------------------------------------------------


def _norm(text: str) -> str:
    text = re.sub(r"<[^>]+>", " ", text).replace("\u2013", "-").replace("\u2019", "'").replace("*", "")
    return re.sub(r"\s+", " ", text).strip().lower()


def _seed_citations():
    for path in sorted(PACK.glob("*.yaml")):
        stack = [yaml.safe_load(path.read_text(encoding="utf-8"))]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                sources = node.get("source")
                for item in sources if isinstance(sources, list) else [sources]:
                    if isinstance(item, dict) and item.get("ref") == "cp-seed-progress-2021":
                        yield path.name, node.get("id") or node.get("function"), item.get("locator", "")
                    elif item == "cp-seed-progress-2021":
                        yield path.name, node.get("id") or node.get("function"), ""
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)


@pytest.mark.skipif(not SEED.exists(), reason="the seed papers are not beside the repository")
def test_every_seed_locator_is_a_phrase_of_the_seed():
    """A reader can find every cited passage: each locator (or each part of it around '...') is
    in the seed, allowing only for HTML tags, dashes and whitespace."""
    seed = _norm(SEED.read_text(encoding="utf-8"))
    missing = []
    for file, entity, locator in _seed_citations():
        parts = [p for p in re.split(r"\s*\.\.\.\s*", locator) if p]
        if not parts or any(_norm(p) not in seed for p in parts):
            missing.append((file, entity, locator))
    assert missing == []


# --- time and the 1 July 2022 transfer ---------------------------------------------------

_ALLOCATIONS = """
SELECT ?a ?f ?from ?to (GROUP_CONCAT(STR(?b); separator=" ") AS ?bodies) WHERE {
  ?a a ics:Allocation ; ics:function ?f ; ics:accountableBody ?b .
  OPTIONAL { ?a ics:effectiveFrom ?from } OPTIONAL { ?a ics:effectiveTo ?to }
} GROUP BY ?a ?f ?from ?to
"""
CCG = "https://w3id.org/ics-graph/id/body/ccg-06h"
ICB = "https://w3id.org/ics-graph/id/body/cambridgeshire-and-peterborough-icb"
FUNCTION = "https://w3id.org/ics-graph/id/function/"


def _allocations(mapping):
    return [
        {**row, "bodies": set(row["bodies"].split())}
        for row in mapping.select(_ALLOCATIONS)
        if row["a"].split("/")[-1].startswith("cp-")
    ]


def test_the_ccg_is_accountable_for_nothing_after_30_june_2022(mapping):
    late = [r["a"] for r in _allocations(mapping) if CCG in r["bodies"] and (not r.get("to") or r["to"] > "2022-06-30")]
    assert late == []


def _held(mapping):
    return [r for r in _allocations(mapping) if CCG in r["bodies"] and r.get("to") == "2022-06-30"]


def test_every_function_the_ccg_held_on_30_june_2022_passes_to_the_icb_on_1_july(mapping):
    """The handover `ics-graph transition` shows (see the README, "The transfer of 1 July
    2022", and the test below): for every function the CCG was
    accountable for on its last day, an allocation from 1 July 2022 in which the ICB, or the
    statutory integrated care partnership, is accountable."""
    rows = _allocations(mapping)
    held = {r["f"] for r in rows if CCG in r["bodies"] and r.get("to") == "2022-06-30"}
    picked_up = {
        r["f"]
        for r in rows
        if r.get("from") == "2022-07-01" and (ICB in r["bodies"] or any(b.endswith("/cp-icp") for b in r["bodies"]))
    }
    assert held, "no CCG allocation ends on 30 June 2022"
    assert sorted(f.split("/")[-1] for f in held - picked_up) == []


def test_the_transition_command_shows_the_handover_through_the_ccg_successor(mapping):
    """The CCG's 2021-22 footprint is outside the 2022 area tree; the command finds the CCG through
    its successor (the ICB operates in the system) and a destination for every function it held."""
    report = transition(mapping, "https://w3id.org/ics-graph/id/area/cambridgeshire-and-peterborough")
    assert [c["id"] for c in report.ccgs] == ["body/ccg-06h"]
    assert {h.function_id for h in report.handovers} == {"function/" + r["f"].split("/")[-1] for r in _held(mapping)}
    assert report.unmapped == []


def test_the_paper_day_has_a_system_loaded(mapping):
    """The review's question: as of October 2021 a system is loaded, the CCG holds population
    health management there, and at each place, delivered by the place ICP."""
    day = as_of(mapping, PAPER_DAY)
    rows = day.select(
        f"""SELECT ?area ?level ?d WHERE {{
          ?a a ics:Allocation ; ics:function <{FUNCTION}population-health-management> ;
             ics:accountableBody <{CCG}> ; ics:area ?area . ?area ics:level ?level .
          OPTIONAL {{ ?a ics:deliveredBy ?d }} }}"""
    )
    found = sorted((row["area"].split("/")[-1], row.get("d", "").split("/")[-1]) for row in rows)
    assert found == [("cp-north", "cp-north-icp"), ("cp-south", "cp-south-icp"), ("cp-system-2021", "")]


def test_no_partnership_is_accountable_for_anything(mapping):
    partnerships = {"cp-north-icp", "cp-south-icp", "cp-system-leaders", "cp-alliances"}
    accountable = {b.split("/")[-1] for r in _allocations(mapping) for b in r["bodies"]}
    assert accountable & partnerships == set()
