"""Every built-in rule: a minimal mapping that triggers it, and a near miss that must not.

Each case adds one YAML file beside the clean fixture (tests/fixtures/clean), which on
its own has no findings at all.
"""

from __future__ import annotations

import shutil
import textwrap

import pytest
from conftest import FIXTURES

from ics_graph.engine.checking import run_rules
from ics_graph.engine.rulefiles import load_rules
from ics_graph.inputs.loader import load_mapping
from ics_graph.model.findings import Severity

CLEAN = FIXTURES / "clean"
RULES = {r.slug: r for r in load_rules()}


def findings(tmp_path, extra: str, slug: str | None = None):
    folder = tmp_path / "mapping"
    shutil.copytree(CLEAN, folder)
    (folder / "extra.yaml").write_text(textwrap.dedent(extra), encoding="utf-8")
    found = run_rules(load_mapping([folder]), list(RULES.values()))
    return [f for f in found if slug is None or f.rule == slug]


def only(tmp_path, extra: str, slug: str):
    """The findings of ``slug``, after checking no other rule fired."""
    found = findings(tmp_path, extra)
    others = sorted({f.rule for f in found if f.rule != slug})
    assert not others, f"other rules fired too: {others}: {[f.message for f in found if f.rule != slug]}"
    return [f for f in found if f.rule == slug]


def test_the_clean_fixture_has_no_findings(tmp_path):
    assert findings(tmp_path, "{}") == []


def test_every_rule_documents_itself():
    for rule in RULES.values():
        assert rule.title and rule.message and rule.rationale and rule.fix and rule.example, rule.slug
        assert rule.sources, f"{rule.slug} cites no source"
        assert rule.slug in rule.explain() and "How to fix:" in rule.explain()


# -- unowned-function ------------------------------------------------------------------


def test_unowned_function_in_a_mapped_system(tmp_path):
    (f,) = only(
        tmp_path,
        """
        functions:
          - {id: ifr, name: Individual funding requests, lowest_level: system, minimum_level: system}
        """,
        "unowned-function",
    )
    # Shire is loaded for checking from 2022-07-01, when the clean fixture's allocations start.
    assert f.message == "Individual funding requests has no allocation anywhere in Shire from 2022-07-01"
    assert f.location.file.endswith("extra.yaml") and f.location.line == 3


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param(
            # An undated allocation loads Shire from the start: ifr is never held, and
            # chc and eprr only from 2022-07-01 (the clean fixture).
            """
            functions:
              - {id: ifr, name: Individual funding requests, lowest_level: system, minimum_level: system}
              - {id: ls, name: Local services, lowest_level: system, minimum_level: system}
            allocations:
              - {function: ls, area: shire, accountable: shire-icb}
            """,
            [
                "Continuing healthcare has no allocation in Shire before 2022-07-01",
                "Emergency preparedness has no allocation in Shire before 2022-07-01",
                "Individual funding requests has no allocation anywhere in Shire",
            ],
            id="never-held-and-held-only-later",
        ),
        pytest.param(
            """
            functions:
              - {id: ifr, name: Individual funding requests, lowest_level: system, minimum_level: system}
            allocations:
              - {function: ifr, area: shire, accountable: shire-icb, effective_from: 2022-07-01, effective_to: 2023-03-31}
            """,
            ["Individual funding requests has no allocation in Shire from 2023-04-01"],
            id="held-then-lapses",
        ),
        pytest.param(
            # Shire is loaded from 2021-04-01 (a council's chc), eprr held only from 2022-07-01:
            # the gap comes first, and the message says when the function is first held.
            """
            allocations:
              - {function: chc, area: north, accountable: north-council, effective_from: 2021-04-01, effective_to: 2022-06-30}
            """,
            ["Emergency preparedness has no allocation in Shire from 2021-04-01 (it is first held from 2022-07-01)"],
            id="gap-before-it-is-first-held",
        ),
        pytest.param(
            # ... but not when the function itself ends in law that day
            """
            functions:
              - {id: ifr, name: Individual funding requests, lowest_level: system, minimum_level: system, in_force_to: 2023-03-31}
            allocations:
              - {function: ifr, area: shire, accountable: shire-icb, effective_from: 2022-07-01, effective_to: 2023-03-31}
            """,
            [],
            id="near-miss-function-ends-in-law",
        ),
    ],
)
def test_unowned_function_names_the_first_day_of_the_gap(tmp_path, extra, expected):
    assert sorted(f.message for f in findings(tmp_path, extra, "unowned-function")) == expected


@pytest.mark.parametrize("scoped", [False, True])
def test_a_function_a_system_defines_for_itself_is_not_asked_of_another(tmp_path, scoped):
    applies = ", applies_in: [shire]" if scoped else ""
    found = findings(
        tmp_path,
        f"""
        areas:
          - {{id: wold, name: The Wold, level: system, part_of: region}}
        bodies:
          - {{id: wold-icb, name: NHS Wold ICB, type: icb, operates_in: wold}}
        functions:
          - {{id: shire-sc, name: Shire strategic commissioning, lowest_level: system, minimum_level: system{applies}}}
        allocations:
          - {{function: shire-sc, area: shire, accountable: shire-icb, effective_from: 2022-07-01}}
          - {{function: eprr, area: wold, accountable: wold-icb, effective_from: 2022-07-01}}
        """,
        "unowned-function",
    )
    messages = sorted(f.message for f in found)
    # the national functions are asked of both systems either way
    assert "Continuing healthcare has no allocation anywhere in The Wold from 2022-07-01" in messages
    local = "Shire strategic commissioning has no allocation anywhere in The Wold from 2022-07-01"
    assert (local in messages) is not scoped
    assert not [m for m in messages if "in Shire" in m]


def test_allocation_without_accountable_body(tmp_path):
    (f,) = only(
        tmp_path,
        """
        functions:
          - {id: ifr, name: Individual funding requests, lowest_level: system, minimum_level: system}
        allocations:
          - {function: ifr, area: shire, rationale: x, effective_from: 2022-07-01}
        """,
        "unowned-function",
    )
    assert f.message == "Individual funding requests is allocated without an accountable body in Shire"


def test_near_miss_function_owned_by_an_allocation_above_the_system(tmp_path):
    assert (
        only(
            tmp_path,
            """
        functions:
          - {id: screening, name: Screening, lowest_level: national, minimum_level: national}
        allocations:
          - {function: screening, area: england, accountable: nhs-england}
        """,
            "unowned-function",
        )
        == []
    )


def test_near_miss_unmapped_systems_are_not_checked(tmp_path):
    assert (
        only(
            tmp_path,
            """
        areas:
          - {id: other, name: Other system, level: system, part_of: region}
        """,
            "unowned-function",
        )
        == []
    )


# -- place-coverage-gap ----------------------------------------------------------------


def test_place_coverage_gap_names_the_missing_place(tmp_path):
    (f,) = only(
        tmp_path,
        """
        functions:
          - {id: phm, name: Population health management, lowest_level: place, minimum_level: place}
        allocations:
          - {function: phm, area: shire, accountable: shire-icb, rationale: r, status: retired}
          - {function: phm, area: north, accountable: shire-icb, effective_from: 2022-07-01}
        """,
        "place-coverage-gap",
    )
    assert (
        f.message
        == "Population health management is allocated at place level in part of Shire; missing in 1: South Shire"
    )


def test_neighbourhood_coverage_gap(tmp_path):
    found = findings(
        tmp_path,
        """
        areas:
          - {id: north-2, name: North Two, level: neighbourhood, part_of: north}
        functions:
          - {id: int, name: Neighbourhood teams, lowest_level: neighbourhood, minimum_level: neighbourhood}
        allocations:
          - {function: int, area: north-1, accountable: shire-icb}
          - {function: int, area: south-1, accountable: shire-icb}
        """,
        "place-coverage-gap",
    )
    assert [f.message for f in found] == [
        "Neighbourhood teams is allocated at neighbourhood level in part of North Shire; missing in 1: North Two"
    ]


def test_near_miss_every_place_covered(tmp_path):
    assert findings(tmp_path, "{}", "place-coverage-gap") == []  # chc sits in both places


# -- multiple-accountable --------------------------------------------------------------


def test_two_accountable_bodies_in_the_same_period(tmp_path):
    (f,) = only(
        tmp_path,
        """
        allocations:
          - {function: chc, area: north, accountable: north-council, effective_from: 2023-01-01}
        """,
        "multiple-accountable",
    )
    assert "Continuing healthcare in North Shire has two accountable bodies" in f.message
    assert {f.focus_label} and len(f.related) == 1


def test_near_miss_consecutive_periods(tmp_path):
    assert (
        only(
            tmp_path,
            """
        bodies:
          - {id: shire-ccg, name: NHS Shire CCG, type: ccg, operates_in: shire, valid_to: 2022-06-30, successor: shire-icb}
        allocations:
          - {id: council-chc, function: chc, area: north, accountable: north-council, effective_from: 2020-01-01, effective_to: 2022-06-30}
          - {function: eprr, area: shire, accountable: shire-ccg, effective_from: 2020-01-01, effective_to: 2022-06-30}
        """,
            "multiple-accountable",
        )
        == []
    )


# -- dependency-cycle ------------------------------------------------------------------


def test_dependency_cycle_is_reported_once_with_a_shortest_cycle(tmp_path):
    found = findings(
        tmp_path,
        """
        dependencies:
          - {function: eprr, depends_on: [pms]}
          - {function: pms, depends_on: [chc, eprr]}
        """,
        "dependency-cycle",
    )
    assert len(found) == 1
    (f,) = found
    assert f.message == (
        "Continuing healthcare, Emergency preparedness and Primary medical services depend on each other "
        "in a circle; one shortest cycle: "
        "Continuing healthcare -> Emergency preparedness -> Primary medical services -> Continuing healthcare"
    )
    assert [c.rsplit("/", 1)[-1] for c in f.cycle] == ["chc", "eprr", "pms", "chc"]


def test_workstream_cycle(tmp_path):
    (f,) = findings(
        tmp_path,
        """
        workstreams:
          - {id: ws-c, name: Workstream C, depends_on: [ws-a]}
          - {id: ws-d, name: Workstream D, depends_on: [ws-d]}
        dependencies:
          - {function: eprr, depends_on: [pms]}
        """,
        "dependency-cycle",
    )
    assert f.message == "Workstream D depends on itself; one shortest cycle: Workstream D -> Workstream D"


def test_near_miss_a_chain_is_not_a_cycle(tmp_path):
    assert (
        only(
            tmp_path,
            """
        dependencies:
          - {function: eprr, depends_on: [pms]}
        """,
            "dependency-cycle",
        )
        == []
    )


# -- delegation-cycle ------------------------------------------------------------------


def test_delegation_cycle(tmp_path):
    found = findings(
        tmp_path,
        """
        delegations:
          - {function: chc, from: north-committee, to: shire-icb, area: north, instrument: other, rationale: r, effective_from: 2022-07-01}
        """,
        "delegation-cycle",
    )
    (f,) = found
    assert (
        f.message
        == "Delegation of Continuing healthcare goes round in a circle: North Shire committee -> NHS Shire ICB -> North Shire committee"
    )
    # It points at the delegation that closes the circle.
    assert f.location.file.endswith("extra.yaml") and f.location.line == 3


def test_near_miss_delegations_of_different_functions_do_not_form_a_cycle(tmp_path):
    assert (
        findings(
            tmp_path,
            """
        allocations:
          - {function: eprr, area: north, accountable: north-committee, rationale: r}
        delegations:
          - {function: eprr, from: north-committee, to: shire-icb, area: north, instrument: other, rationale: r}
        """,
            "delegation-cycle",
        )
        == []
    )


# -- subsidiarity ----------------------------------------------------------------------


def test_above_lowest_level_without_rationale(tmp_path):
    (f,) = only(
        tmp_path,
        """
        functions:
          - {id: phm, name: Population health management, lowest_level: place, minimum_level: place}
        allocations:
          - {function: phm, area: shire, accountable: shire-icb, effective_from: 2022-07-01}
        """,
        "subsidiarity-above-lowest-level",
    )
    assert f.severity is Severity.WARNING
    assert f.message == (
        "Population health management sits at system level in Shire, above the lowest level it could sit at (place), "
        "and no reason of scale (level_reason) is recorded"
    )


def test_near_miss_above_lowest_level_with_a_level_reason(tmp_path):
    assert (
        only(
            tmp_path,
            """
        functions:
          - {id: phm, name: Population health management, lowest_level: place, minimum_level: place}
        allocations:
          - {function: phm, area: shire, accountable: shire-icb, effective_from: 2022-07-01, level_reason: population-scale, rationale: "needs system-wide data"}
        """,
            "subsidiarity-above-lowest-level",
        )
        == []
    )


def test_below_required_scale(tmp_path):
    (f,) = findings(
        tmp_path,
        """
        allocations:
          - {id: eprr-north, function: eprr, area: north, accountable: shire-icb}
        """,
        "subsidiarity-below-required-scale",
    )
    assert f.severity is Severity.ERROR
    assert (
        f.message
        == "Emergency preparedness sits at place level in North Shire, below the minimum scale it needs (system)"
    )


def test_near_miss_at_required_scale(tmp_path):
    assert findings(tmp_path, "{}", "subsidiarity-below-required-scale") == []


# -- upward-delegation -----------------------------------------------------------------

UPWARD = """
    allocations:
      - {{function: eprr, area: north, accountable: north-committee, rationale: r}}
    delegations:
      - {{function: eprr, from: north-committee, to: shire-icb, area: north, instrument: other{extra}}}
    """


def test_upward_delegation_is_a_warning_without_rationale(tmp_path):
    found = findings(tmp_path, UPWARD.format(extra=""), "upward-delegation")
    (f,) = found
    assert f.severity is Severity.WARNING
    assert "North Shire committee (place) delegates Emergency preparedness up to NHS Shire ICB (system)" in f.message


def test_upward_delegation_with_rationale_is_only_information(tmp_path):
    (f,) = findings(tmp_path, UPWARD.format(extra=", rationale: pooled at system for scale"), "upward-delegation")
    assert f.severity is Severity.INFO


def test_near_miss_downward_delegation(tmp_path):
    assert findings(tmp_path, "{}", "upward-delegation") == []  # NHS England -> ICB -> committee


# -- delegator-lacks-function ----------------------------------------------------------


def test_delegator_lacks_function(tmp_path):
    (f,) = only(
        tmp_path,
        """
        delegations:
          - {function: chc, from: north-council, to: north-committee, area: north, instrument: other}
        """,
        "delegator-lacks-function",
    )
    assert (
        f.message
        == "North Shire Council delegates Continuing healthcare for North Shire but holds no such function there"
    )


def test_near_miss_function_received_by_delegation_can_be_passed_on(tmp_path):
    assert (
        only(
            tmp_path,
            """
        delegations:
          - {function: chc, from: north-committee, to: north-council, area: north-1, instrument: other, effective_from: 2022-07-01}
        """,
            "delegator-lacks-function",
        )
        == []
    )


# -- reserved-function-delegated -------------------------------------------------------


def test_reserved_function_delegated(tmp_path):
    found = findings(
        tmp_path,
        """
        delegations:
          - {function: assess, from: nhs-england, to: shire-icb, area: shire, instrument: s65z5-delegation}
        """,
        "reserved-function-delegated",
    )
    (f,) = found
    assert (
        f.message
        == "ICB performance assessment is reserved and may not be delegated, but NHS England delegates it to NHS Shire ICB"
    )


def test_near_miss_delegable_function(tmp_path):
    assert findings(tmp_path, "{}", "reserved-function-delegated") == []  # pms is delegated, not reserved


# -- delegate-outside-footprint --------------------------------------------------------


def test_delegate_outside_footprint(tmp_path):
    (f,) = only(
        tmp_path,
        """
        delegations:
          - {function: chc, from: shire-icb, to: south-committee, area: north, instrument: committee-of-board}
        """,
        "delegate-outside-footprint",
    )
    assert (
        f.message == "South Shire committee receives Continuing healthcare for North Shire but does not operate there"
    )


def test_near_miss_collaborative_operates_through_its_members(tmp_path):
    assert (
        only(
            tmp_path,
            """
        delegations:
          - {function: chc, from: shire-icb, to: shire-collab, area: north, instrument: other}
        """,
            "delegate-outside-footprint",
        )
        == []
    )


# -- area-hierarchy --------------------------------------------------------------------


def test_place_outside_any_system_and_level_skipping(tmp_path):
    found = findings(
        tmp_path,
        """
        areas:
          - {id: loose, name: Loose Place, level: place}
          - {id: skip, name: Skipping Neighbourhood, level: neighbourhood, part_of: shire}
        """,
        "area-hierarchy",
    )
    messages = sorted(f.message for f in found)
    assert messages == [
        "Loose Place: a place must be part of exactly one system, but is part of none",
        "Skipping Neighbourhood: a neighbourhood must be part of exactly one place, but is part of none",
        "Skipping Neighbourhood: a neighbourhood-level area is part of Shire, a system-level area; part-of must link to the level directly above",
    ]


SUCCESSIVE_SYSTEMS = """
        areas:
          - {id: shire-2021, name: Shire STP (2021-22), level: system, valid_to: 2022-06-30}
          - {id: shire-2022, name: Shire ICS, level: system, valid_from: %s}
          - {id: moved, name: Moved Place, level: place, part_of: [shire-2021, shire-2022]}
          - {id: moved-n, name: Moved Neighbourhood, level: neighbourhood, part_of: [north, moved]}
        """


def test_an_area_may_move_between_parents_one_at_a_time(tmp_path):
    """A council area in its STP footprint until 30 June 2022 and in its ICB's from
    1 July: two parents, one on each day, is no finding on the whole timeline or on
    either day."""
    text = SUCCESSIVE_SYSTEMS % "2022-07-01"
    found = findings(tmp_path, text, "area-hierarchy")
    assert [f.message for f in found if f.focus.endswith("/moved")] == []
    # the neighbourhood names two undated places: it is in both at once
    assert [f.message for f in found if f.focus.endswith("/moved-n")] == [
        "Moved Neighbourhood: is part of Moved Place and of North Shire at the same time (their periods overlap); "
        "an area is in one parent at a time"
    ]


def test_parents_whose_periods_overlap_are_reported(tmp_path):
    (found,) = [
        f for f in findings(tmp_path, SUCCESSIVE_SYSTEMS % "2022-06-30", "area-hierarchy") if f.focus.endswith("/moved")
    ]
    assert found.message == (
        "Moved Place: is part of Shire STP (2021-22) and of Shire ICS at the same time (their periods overlap); "
        "an area is in one parent at a time"
    )
    assert [r.rsplit("/", 1)[-1] for r in found.related] == ["shire-2021", "shire-2022"]


def test_allocation_level_disagrees_with_area(tmp_path):
    (f,) = findings(
        tmp_path,
        """
        allocations:
          - {id: eprr-declared, function: eprr, area: shire, level: place, accountable: shire-icb, effective_to: 2022-06-30}
        """,
        "area-hierarchy",
    )
    assert f.message == "eprr-declared: declared at place level, but its area Shire is at system level"


def test_near_miss_sub_icb_location_sits_in_its_system(tmp_path):
    assert (
        findings(
            tmp_path,
            """
        areas:
          - {id: sicbl-1, name: Old CCG footprint, level: place, type: sub-icb-location, part_of: shire}
        """,
            "area-hierarchy",
        )
        == []
    )


# -- collaborative-lead ----------------------------------------------------------------


def test_collaborative_lead_problems(tmp_path):
    found = findings(
        tmp_path,
        """
        collaboratives:
          - {id: c1, name: No lead, model: lead-provider, members: [shire-acute]}
          - {id: c2, name: Outside lead, model: lead-provider, members: [shire-acute], lead: shire-mh}
          - {id: c3, name: Undecided, model: undecided, members: [shire-acute]}
        """,
        "collaborative-lead",
    )
    assert sorted((f.severity.word, f.message) for f in found) == [
        ("info", "Undecided: its collaboration model (alliance or lead provider) is still undecided"),
        ("warning", "No lead: has the lead-provider model but no lead provider"),
        ("warning", "Outside lead: its lead provider Shire Mental Health is not one of its members"),
    ]


def test_near_miss_alliance_needs_no_lead(tmp_path):
    assert (
        only(
            tmp_path,
            """
        collaboratives:
          - {id: c4, name: Alliance, model: alliance, members: [shire-acute, shire-mh]}
        """,
            "collaborative-lead",
        )
        == []
    )


# -- trust-not-in-collaborative --------------------------------------------------------


def test_trust_not_in_collaborative(tmp_path):
    (f,) = only(
        tmp_path,
        """
        bodies:
          - {id: lonely, name: Lonely Hospital, type: nhs-trust-acute, operates_in: north}
        """,
        "trust-not-in-collaborative",
    )
    assert f.message == "Lonely Hospital provides acute services in North Shire but is in no provider collaborative"


def test_near_miss_community_trust_is_not_expected_in_one(tmp_path):
    assert (
        only(
            tmp_path,
            """
        bodies:
          - {id: comm, name: Community Trust, type: nhs-trust-community, operates_in: north}
        """,
            "trust-not-in-collaborative",
        )
        == []
    )


# -- date-inconsistency ----------------------------------------------------------------


def test_end_before_start(tmp_path):
    (f,) = findings(
        tmp_path,
        """
        areas:
          - {id: old, name: Old Place, level: place, part_of: shire, valid_from: 2022-07-01, valid_to: 2021-03-31}
        """,
        "date-inconsistency",
    )
    assert f.message == "Old Place: ends (2021-03-31) before it starts (2022-07-01)"


def test_delegation_before_delegator_holds_function(tmp_path):
    (f,) = only(
        tmp_path,
        """
        delegations:
          - {function: chc, from: shire-icb, to: south-committee, area: south, instrument: committee-of-board, effective_from: 2022-04-01}
        """,
        "date-inconsistency",
    )
    assert "starts on 2022-04-01, when NHS Shire ICB does not yet (or no longer) hold the function" in f.message


def test_two_date_defects_of_one_delegation_keep_their_own_fingerprints(tmp_path):
    """A delegation that starts before its delegator holds the function and also ends
    before it starts is two findings; a baseline that knows one must still show the
    other, so they must not share a fingerprint (rule, focus, related)."""
    from ics_graph.engine.checking import check

    extra = """
        delegations:
          - {function: chc, from: shire-icb, to: south-committee, area: south, instrument: committee-of-board,
             effective_from: 2022-04-01, effective_to: 2022-03-01}
        """
    reversed_period, before_holding = sorted(findings(tmp_path, extra, "date-inconsistency"), key=lambda f: f.related)
    assert "ends (2022-03-01) before it starts (2022-04-01)" in reversed_period.message
    assert reversed_period.related == ()
    assert "when NHS Shire ICB does not yet (or no longer) hold the function" in before_holding.message
    assert before_holding.related == ("https://w3id.org/ics-graph/id/body/shire-icb",)  # the delegator
    assert reversed_period.focus == before_holding.focus
    assert reversed_period.fingerprint != before_holding.fingerprint
    mapping = load_mapping([tmp_path / "mapping"])
    shown = check(mapping, baseline={reversed_period.fingerprint}, select=["date-inconsistency"])
    assert [f.message for f in shown.findings] == [before_holding.message] and shown.baselined == 1


def test_icb_holds_function_before_icbs_do(tmp_path):
    (f,) = only(
        tmp_path,
        """
        allocations:
          - {function: eprr, area: shire, accountable: shire-icb, effective_from: 2021-04-01, effective_to: 2022-06-30}
          - {function: chc, area: north, accountable: north-council, effective_from: 2021-04-01, effective_to: 2022-06-30}
        """,
        "date-inconsistency",
    )
    assert "an ICB holds Emergency preparedness from 2021-04-01, before ICBs hold it (2022-07-01)" in f.message


ONE_DAY_PLACE = """
    areas:
      - {{id: new, name: New Place, level: place, part_of: shire, valid_from: 2022-07-01, valid_to: 2022-07-01}}
    allocations:
      - {{function: chc, area: new, accountable: shire-icb, effective_from: 2022-07-01{extra}}}
    """


def test_allocation_in_force_when_its_area_does_not_exist(tmp_path):
    (f,) = only(tmp_path, ONE_DAY_PLACE.format(extra=""), "date-inconsistency")
    assert f.message == (
        "chc--new--shire-icb--2022-07-01: in force on days when its area New Place does not exist "
        "(it exists from 2022-07-01 to 2022-07-01)"
    )


def test_near_miss_dates_in_order(tmp_path):
    # a one-day place holding chc for that one day: in order, and no gap after it ends
    assert only(tmp_path, ONE_DAY_PLACE.format(extra=", effective_to: 2022-07-01"), "date-inconsistency") == []


# -- function-continuity ---------------------------------------------------------------

# Shire before the ICB: its CCG holds everything until 30 June 2022, and the ICB (the
# CCG's successor) takes it on from 1 July 2022, chc and eprr in the clean fixture.
HANDOVER = """
    functions:
      - {{id: ifr, name: Individual funding requests, holder: icb, lowest_level: place, minimum_level: place, icb_from: 2022-07-01}}
    bodies:
      - {{id: shire-ccg, name: NHS Shire CCG, type: ccg, operates_in: shire, valid_to: 2022-06-30, successor: shire-icb}}
    allocations:
      - {{function: eprr, area: shire, accountable: shire-ccg, effective_to: 2022-06-30}}
      - {{function: chc, area: north, accountable: shire-ccg, effective_to: 2022-06-30}}
      - {{function: chc, area: south, accountable: shire-ccg, effective_to: 2022-06-30}}
      - {{function: ifr, area: north, accountable: shire-ccg, effective_to: 2022-06-30}}
      - {{function: ifr, area: south, accountable: shire-ccg, effective_to: 2022-06-30}}
      - {{function: ifr, area: north, accountable: shire-icb, effective_from: 2022-07-01}}
    {south}
    """


def test_function_continuity_a_place_left_behind_by_the_ccg(tmp_path):
    (f,) = only(tmp_path, HANDOVER.format(south=""), "function-continuity")
    assert f.severity is Severity.ERROR
    assert f.message == (
        "Individual funding requests is held in South Shire by NHS Shire CCG until 2022-06-30; "
        "from 2022-07-01 nobody holds it in South Shire, and the successor NHS Shire ICB has no allocation there"
    )
    assert f.location.file.endswith("extra.yaml") and f.location.line == 11  # the allocation that ends


def test_function_continuity_an_end_date_a_day_early(tmp_path):
    (f,) = only(
        tmp_path,
        """
        functions:
          - {id: ifr, name: Individual funding requests, holder: icb, lowest_level: place, minimum_level: place}
        allocations:
          - {function: ifr, area: north, accountable: shire-icb, effective_from: 2022-07-01}
          - {function: ifr, area: south, accountable: shire-icb, effective_from: 2022-07-01, effective_to: 2023-03-30}
          - {function: ifr, area: south, accountable: shire-icb, effective_from: 2023-04-01}
        """,
        "function-continuity",
    )
    assert f.message == (
        "Individual funding requests is held in South Shire by NHS Shire ICB until 2023-03-30; "
        "from 2023-03-31 nobody holds it in South Shire"
    )


def test_near_miss_the_successor_icb_holds_it_from_the_next_day(tmp_path):
    extra = HANDOVER.format(
        south="  - {function: ifr, area: south, accountable: shire-icb, effective_from: 2022-07-01}"
    )
    assert only(tmp_path, extra, "function-continuity") == []


# A council's area beside the NHS places of the same system: two geographies that overlap
# without nesting (as Lancashire's council area and its CCG footprints did). The system
# holds ifr until 31 March 2023; from 1 April 2023 North and South hold it, and {held}.
PARALLEL = """
    functions:
      - {{id: ifr, name: Individual funding requests, holder: icb, lowest_level: place, minimum_level: place, icb_from: 2022-07-01}}
    areas:
      - {{id: shire-council, name: Shire council area, level: place, part_of: shire{covered_by}}}
    allocations:
      - {{function: ifr, area: shire, accountable: shire-icb, effective_from: 2022-07-01, effective_to: 2023-03-31, level_reason: financial-risk}}
      - {{function: ifr, area: north, accountable: shire-icb, effective_from: 2023-04-01}}
      {south}
    """
SOUTH_HOLDS = "- {function: ifr, area: south, accountable: shire-icb, effective_from: 2023-04-01}"


def continuity(tmp_path, extra: str) -> list[str]:
    """The function-continuity messages (the council's area, with no allocation of its
    own, is also a place-coverage gap, which is not the point here)."""
    return [f.message for f in findings(tmp_path, extra) if f.rule == "function-continuity"]


def test_function_continuity_an_area_covered_by_areas_of_another_geography(tmp_path):
    # recorded as covered by North and South, each held from 1 April 2023: nothing lapses
    covered = PARALLEL.format(covered_by=", covered_by: [north, south]", south=SOUTH_HOLDS)
    assert continuity(tmp_path / "covered", covered) == []
    # without covered_by, nothing says the council's area is held: it is reported
    assert continuity(tmp_path / "unrecorded", PARALLEL.format(covered_by="", south=SOUTH_HOLDS)) == [
        "Individual funding requests is held in Shire by NHS Shire ICB until 2023-03-31; "
        "from 2023-04-01 nobody holds it in Shire council area"
    ]
    # covered by North and South, and South not held: both are reported
    assert continuity(tmp_path / "south", PARALLEL.format(covered_by=", covered_by: [north, south]", south="")) == [
        "Individual funding requests is held in Shire by NHS Shire ICB until 2023-03-31; "
        "from 2023-04-01 nobody holds it in Shire council area, South Shire"
    ]


@pytest.mark.parametrize("slug", sorted(RULES))
def test_each_rule_has_a_trigger_test(slug):
    """Guard: a new built-in rule needs tests here too (or in another tests/test_rules*.py)."""
    from pathlib import Path

    source = "".join(p.read_text(encoding="utf-8") for p in sorted(Path(__file__).parent.glob("test_rules*.py")))
    assert f'"{slug}"' in source
