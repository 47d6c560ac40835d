"""The Greater Manchester / Oldham pack (data/greater-manchester, seed 002): what ``check`` finds on the whole
timeline and as the mapping stood on the paper's date (June 2021) and after the ICB began, pinned as
(rule, entity) pairs; the 1 July 2022 handover; and the seed locators.

The pack README ("Findings") says why each finding is a real problem in the paper's arrangements, or an
artefact of something outside the pack (the national frame, a rule on an ``--as-of`` view). The lists are
pinned on purpose: a change to the pack, the catalogue, the national frame or a rule that adds, drops or
moves a finding makes these tests fail, so that the README can be brought up to date with it.
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
PACK = ROOT / "data" / "greater-manchester"

#: the paper's month (it gives no day), and a day after the ICB began
SEED_DATE = dt.date(2021, 6, 30)
AFTER = dt.date(2023, 1, 1)

BOROUGHS = (
    "bolton",
    "bury",
    "manchester",
    "oldham",
    "rochdale",
    "salford",
    "stockport",
    "tameside",
    "trafford",
    "wigan",
)
PER_COUNCIL_DUTIES = (
    "jsna",
    "jhws",
    "bcf",
    "hwb-member",
    "s117",
    "cdr",
    "send",
    "safeguarding-children",
    "safeguarding-adults",
    "s75",
)

#: NHS England's national allocations with no verified reason of scale: from data/national, in every pack (README)
NATIONAL = NATIONAL_ABOVE_LOWEST

#: as of 2023-01-01 (README, "--as-of 2023-01-01"): the whole timeline's findings but the 2021-22 one
EXPECTED_AFTER = sorted(
    [
        ("collaborative-lead", "collaborative/gm-oldham-provider-collaborative"),
        ("subsidiarity-above-lowest-level", "allocation/gm-people-plan-icb"),
        *[
            ("subsidiarity-undecided", f"allocation/gm-sys-{function}")
            for function in (
                "children-young-people-services-commissioning",
                "community-services-commissioning",
                "contracting",
                "hospital-discharge",
                "integrated-neighbourhood-teams",
                "joint-commissioning-with-local-authorities",
                "looked-after-children",
                "palliative-end-of-life-care",
                "personal-health-budgets",
                "population-health-management",
                "resource-allocation",
                "strategic-planning",
                "system-resilience-patient-flow",
                "vcse-partnership",
            )
        ],
        *NATIONAL,
    ]
)

#: 2021-22: the paper names no GM-wide provider collaborative (README, "Default run")
UNOWNED_2021 = [("unowned-function", "function/provider-collaboratives")]

#: the whole timeline (README, "Default run")
EXPECTED_DEFAULT = sorted([*EXPECTED_AFTER, *UNOWNED_2021])

#: as of 2021-06-30 (README, "--as-of 2021-06-30"): the localities sit in the 2021-22 footprint (gm-system-2021);
#: function-continuity asks about two days and is silent under --as-of
EXPECTED_SEED_DATE = sorted(
    [
        ("collaborative-lead", "collaborative/gm-oldham-provider-collaborative"),
        *UNOWNED_2021,
        *NATIONAL,
    ]
)


@pytest.fixture(scope="module")
def mapping():
    return load_mapping([PACK])


def _found(mapping) -> list[tuple[str, str]]:
    return sorted({(f.rule, f.focus_id) for f in check(mapping).findings})


@pytest.fixture(scope="module")
def default_findings(mapping):
    return _found(mapping)


def test_default_run_finds_exactly_the_explained_findings(default_findings):
    assert default_findings == EXPECTED_DEFAULT


def test_as_of_the_seed_date_finds_exactly_the_explained_findings(mapping):
    assert _found(as_of(mapping, SEED_DATE)) == EXPECTED_SEED_DATE


def test_after_the_icb_began_the_findings_are_the_default_runs_but_2021s(mapping):
    assert _found(as_of(mapping, AFTER)) == EXPECTED_AFTER


def test_each_locality_is_in_one_system_on_each_day(mapping):
    """The localities name both footprints (part_of), and each footprint's dates say when: the 2021-22 one
    on the paper's date, the ICB's after 1 July 2022."""
    from ics_graph.queries.areas import AreaTree

    for day, system in ((SEED_DATE, "gm-system-2021"), (AFTER, "greater-manchester")):
        tree = AreaTree.of(as_of(mapping, day))
        for borough in BOROUGHS:
            parents = [p.rsplit("/", 1)[-1] for p in tree.parents[f"https://w3id.org/ics-graph/id/area/gm-{borough}"]]
            assert parents == [system], (day, borough, parents)


def test_every_ccg_function_has_a_destination_on_1_july_2022(mapping):
    report = transition(mapping, "https://w3id.org/ics-graph/id/area/greater-manchester")
    assert len(report.ccgs) == 10
    assert report.handovers and not report.unmapped
    oldham = {h.function_id for h in report.handovers if h.ccg == "NHS Oldham CCG"}
    # the five functions the review found ending with the CCG, now held by the ICB (and undecided for Oldham)
    assert {
        "strategic-planning",
        "resource-allocation",
        "population-health-management",
        "joint-commissioning-with-local-authorities",
        "integrated-neighbourhood-teams",
    } <= {function_id.removeprefix("function/") for function_id in oldham}


def test_no_partnership_is_accountable_and_no_pool_is_a_one_way_delegation(default_findings):
    found = {rule for rule, _ in default_findings}
    assert not found & {"accountable-without-legal-standing", "delegation-instrument-mismatch", "multiple-accountable"}


def _seed_locators():
    for path in sorted(PACK.glob("*.yaml")):
        stack = [yaml.safe_load(path.read_text(encoding="utf-8"))]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if node.get("ref") == "gm-seed-oldham-transition-2021":
                    yield path.name, node["locator"]
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)


def _normal(text: str) -> str:
    for a, b in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"'), ("**", ""), ("\u2013", "-")):
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text).strip().lower()


def test_every_seed_locator_quotes_the_seed():
    seed = next(
        (
            p
            for p in (
                ROOT / "seeds" / "002_899b1e7afa428a9c.txt",
                ROOT.parent / "shared" / "seeds" / "002_899b1e7afa428a9c.txt",
            )
            if p.exists()
        ),
        None,
    )
    if seed is None:
        pytest.skip("the seed paper is not beside the checkout")
    text = _normal(seed.read_text(encoding="utf-8"))
    missing = []
    for name, locator in _seed_locators():
        quoted = _normal(locator)
        first, last = quoted.find("'"), quoted.rfind("'")
        if first == last:
            missing.append((name, locator))
            continue
        parts = [p.strip() for p in re.split(r"…|\.\.\.", quoted[first + 1 : last]) if p.strip()]
        if not all(part in text for part in parts):
            missing.append((name, locator))
    assert missing == []
