"""The Lancashire & South Cumbria pack (data/lancashire-south-cumbria): what ``check`` finds, pinned.

The pack's README ("Findings") says, for each finding below, why it is a real problem in the
system's arrangements as the ICS Board papers of 2 December 2020 (seed 004) and the law describe
them, or which other part of the tree it comes from. The findings are pinned as (rule, entity)
pairs for two runs: the default run (the whole timeline) and the run as of 2 December 2020, the
date of the seed paper. A change to the pack, the catalogue, the national frame or a rule that
adds, drops or moves a finding makes one of these tests fail, so that the README can be brought
up to date with it.

The other tests hold the pack to what its README promises: every citation of the seed can be
found in the seed; nothing accountable lacks legal standing; every arrangement of the CCG era
ends when the law ended it, and every function a CCG held on 30 June 2022 has a destination on
1 July 2022 (the table ``ics-graph transition`` prints).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import NATIONAL_ABOVE_LOWEST

from ics_graph.engine.checking import check
from ics_graph.inputs.loader import load_mapping
from ics_graph.model.timeline import as_of

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "data" / "lancashire-south-cumbria"
SEED = ROOT.parent / "shared" / "seeds" / "004_66cc8fc6162838c4.txt"
SEED_SOURCES = {"lsc-seed-ics-board-2020-12", "lsc-src-integrating-care-2020"}

PAPER_DAY = dt.date(2020, 12, 2)  # the ICS Board meeting the seed's papers are for

ICPS = ["central-lancashire", "fylde-coast", "morecambe-bay", "pennine-lancashire", "west-lancashire"]
COUNCIL_PLACES = ["blackburn-with-darwen", "blackpool", "lancashire", "south-cumbria"]

#: The three collaboratives whose collaboration model the papers leave open.
_COLLABORATIVES = [
    ("collaborative-lead", "collaborative/lsc-diagnostics-collaborative"),
    ("collaborative-lead", "collaborative/lsc-pathology-collaborative"),
    ("collaborative-lead", "collaborative/lsc-shared-services-collaborative"),
]

#: The proposed neighbourhood teams, recorded at each ICP because the papers define no neighbourhood.
_INT_AT_ICP = [
    ("subsidiarity-above-lowest-level", f"allocation/lsc-icp-{icp}-integrated-neighbourhood-teams") for icp in ICPS
]

#: Two place geographies until 27 July 2022: functions of the five ICPs, and duties at the four
#: council (health and wellbeing board) footprints.
_ICP_FUNCTIONS = [
    "integrated-neighbourhood-teams",
    "joint-commissioning-with-local-authorities",
    "people-plan",
    "population-health-management",
    "resource-allocation",
    "strategic-planning",
]
_COUNCIL_FUNCTIONS = [
    "better-care-fund",
    "child-death-review",
    "health-and-wellbeing-board-membership",
    "joint-health-and-wellbeing-strategy",
    "joint-strategic-needs-assessment",
    "s117-aftercare",
    "safeguarding-adults",
    "safeguarding-children",
    "section-75-partnership-arrangements",
    "send-health",
]
_COVERAGE = [("place-coverage-gap", f"function/{f}") for f in _ICP_FUNCTIONS + _COUNCIL_FUNCTIONS]

#: The ICB's functions from 1 July 2022 that sit at system only by statutory default, where they
#: could sit at place (or neighbourhood) and nobody in the sources decided.
_UNDECIDED = [
    "children-young-people-services-commissioning",
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
    "resource-allocation",
    "strategic-planning",
    "system-resilience-patient-flow",
    "vcse-partnership",
]
_ICB_UNDECIDED = [("subsidiarity-undecided", f"allocation/lsc-icb-{f}") for f in _UNDECIDED]

#: NHS England's national holdings in the national frame (data/national/nhs-england-functions.yaml),
#: reported in every pack that imports the frame; not this pack's (see the README, "Findings").
_NATIONAL = NATIONAL_ABOVE_LOWEST

#: (rule, focus id) of every finding; see data/lancashire-south-cumbria/README.md, "Findings".
EXPECTED_DEFAULT = sorted(_COLLABORATIVES + _INT_AT_ICP + _COVERAGE + _ICB_UNDECIDED + _NATIONAL)
#: As of 2 December 2020 (the paper's day) the system's footprint and CCGs are there (the national
#: frame records no start for them), so the places are in their system and the same coverage and
#: subsidiarity findings as in the default run hold; function-continuity is silent under --as-of.
EXPECTED_AS_OF_PAPER = sorted(_COLLABORATIVES + _INT_AT_ICP + _COVERAGE + _NATIONAL)


@pytest.fixture(scope="module")
def mapping():
    return load_mapping([PACK])


def _found(mapping):
    return sorted((f.rule, f.focus_id) for f in check(mapping).findings)


def test_default_run_finds_exactly_the_explained_findings(mapping):
    assert _found(mapping) == EXPECTED_DEFAULT


def test_the_footprints_recorded_as_covering_each_place_keep_the_2021_handovers_whole(tmp_path):
    """Two 2020-21 system arrangements (the growth funding, the winter room) end on 31 March
    2021 and each CCG holds the function for its own footprint from the next day. The council
    and ICP places are parallel footprints of those CCGs, recorded with ``covered_by`` from the
    sources the README names; without that record the rule could not know the places are held,
    and would report both endings."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    areas = tmp_path / "data" / "lancashire-south-cumbria" / "areas.yaml"
    text = areas.read_text(encoding="utf-8")
    assert text.count("covered_by:") == len(ICPS) + len(COUNCIL_PLACES)
    areas.write_text(re.sub(r"(?m)^    covered_by: .*\n", "", text), encoding="utf-8")
    uncovered = load_mapping([tmp_path / "data" / "lancashire-south-cumbria"], allow_outside=True)
    assert [(rule, focus) for rule, focus in _found(uncovered) if rule == "function-continuity"] == [
        ("function-continuity", "allocation/lsc-2020-growth-funding"),
        ("function-continuity", "allocation/lsc-2020-winter-room"),
    ]


def test_as_of_the_paper_finds_exactly_the_explained_findings(mapping):
    assert _found(as_of(mapping, PAPER_DAY)) == EXPECTED_AS_OF_PAPER


def test_every_finding_is_explained_in_the_readme():
    """Each pinned entity (its id, or the function's id) is named in the README's findings section."""
    readme = (PACK / "README.md").read_text(encoding="utf-8")
    findings = readme[readme.index("## Findings") :]
    for _rule, focus in sorted(set(EXPECTED_DEFAULT + EXPECTED_AS_OF_PAPER)):
        _kind, name = focus.split("/", 1)
        named = name.split("--", 1)[0] if name.endswith("--always") else name
        if name.startswith("lsc-icb-"):
            named = name[len("lsc-icb-") :]
        elif name.startswith("lsc-icp-"):
            named = "lsc-icp-<ICP>-integrated-neighbourhood-teams"
        assert named in findings, f"{focus} is not explained in the README's Findings"


# --- sources ------------------------------------------------------------------------------


def _norm(text: str) -> str:
    text = re.sub(r"<[^>]+>", " ", text)
    for a, b in (("\u2019", "'"), ("\u2018", "'"), ("\u2013", "-"), ("\u2014", "-"), ("*", "")):
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text).strip().lower()


def _seed_citations():
    """(file, entity, locator) of every citation of the seed in the pack's own files."""
    for path in sorted(PACK.glob("*.yaml")):
        stack = [yaml.safe_load(path.read_text(encoding="utf-8"))]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                sources = node.get("source")
                for item in sources if isinstance(sources, list) else [sources]:
                    if isinstance(item, dict) and item.get("ref") in SEED_SOURCES:
                        yield path.name, node.get("id") or node.get("function"), item.get("locator", "")
                    elif isinstance(item, str) and item in SEED_SOURCES:
                        yield path.name, node.get("id") or node.get("function"), ""
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)


def test_every_seed_citation_has_a_locator():
    assert [(f, e) for f, e, locator in _seed_citations() if not locator.strip()] == []


@pytest.mark.skipif(not SEED.exists(), reason="the seed papers are not beside the repository")
def test_every_quoted_phrase_of_a_seed_locator_is_in_the_seed():
    """A reader can find every cited passage: each phrase a locator quotes ('...'), or each part of
    it around '...' or a table's '|', is in the seed, allowing only for HTML tags, dashes, curly
    quotes and whitespace. A locator that quotes nothing names a section or table."""
    seed = _norm(SEED.read_text(encoding="utf-8"))
    missing = []
    for file, entity, locator in _seed_citations():
        for quoted in re.findall(r"'([^']{6,})'", locator.replace("\u2019", "'")):
            for part in re.split(r"\s*\.\.\.\s*|\s*\|\s*", quoted):
                if len(part) >= 4 and _norm(part) not in seed:
                    missing.append((file, entity, part))
    assert missing == []


# --- legal standing, time and the 1 July 2022 transfer --------------------------------------

_ALLOCATIONS = """
SELECT ?a ?f ?from ?to (GROUP_CONCAT(STR(?b); separator=" ") AS ?bodies) WHERE {
  ?a a ics:Allocation ; ics:function ?f ; ics:accountableBody ?b .
  OPTIONAL { ?a ics:effectiveFrom ?from } OPTIONAL { ?a ics:effectiveTo ?to }
} GROUP BY ?a ?f ?from ?to
"""
BODY = "https://w3id.org/ics-graph/id/body/"
CCGS = {BODY + f"ccg-{code}" for code in ("00q", "00r", "00x", "01a", "01e", "01k", "02g", "02m")}


def _allocations(mapping):
    return [
        {**row, "bodies": set(row["bodies"].split())}
        for row in mapping.select(_ALLOCATIONS)
        if row["a"].split("/")[-1].startswith("lsc-")
    ]


def test_no_partnership_committee_or_collaborative_is_accountable(mapping):
    """The ICS Board "is not of a statutory nature"; "it is not anticipated that ICPs will be
    statutory organisations": the 2020 bodies deliver, statutory bodies answer."""
    partnerships = {"lsc-ics-board", "lsc-sle", "lsc-jcccg", "lsc-ccb", "lsc-integrated-care-partnership"}
    partnerships |= {f"lsc-icp-{icp}" for icp in ICPS}
    accountable = {b.split("/")[-1] for r in _allocations(mapping) for b in r["bodies"]}
    assert accountable & partnerships == set()


def test_no_ccg_is_accountable_for_anything_after_30_june_2022(mapping):
    late = [r["a"] for r in _allocations(mapping) if r["bodies"] & CCGS and (not r.get("to") or r["to"] > "2022-06-30")]
    assert late == []


def test_every_function_a_ccg_held_on_30_june_2022_has_a_destination(mapping):
    """The table `ics-graph transition "Lancashire and South Cumbria"` prints: every function each
    of the eight CCGs held on its last day is held by someone else from 1 July 2022."""
    from ics_graph.queries.transition import transition

    report = transition(mapping, "https://w3id.org/ics-graph/id/area/lancashire-and-south-cumbria")
    assert len(report.ccgs) == 8
    assert report.handovers, "no CCG function found on 30 June 2022"
    assert [(h.ccg, h.function_id) for h in report.unmapped] == []
