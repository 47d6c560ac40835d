"""The rules of legal standing: who can be accountable, which instrument fits which
bodies, joint accountability, and subsidiarity decided or left to the default.

Each rule has a mapping that triggers it and a near miss that must not, each added as
one file beside the clean fixture (tests/fixtures/clean), which on its own has no
findings at all.
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
ID = "https://w3id.org/ics-graph/id/"


def findings(tmp_path, extra: str, slug: str | None = None, name: str = "extra.yaml"):
    folder = tmp_path / "mapping"
    shutil.copytree(CLEAN, folder)
    (folder / name).write_text(textwrap.dedent(extra), encoding="utf-8")
    found = run_rules(load_mapping([folder]), list(RULES.values()))
    return [f for f in found if slug is None or f.rule == slug]


def _identity(finding) -> tuple:
    return finding.rule, finding.focus, tuple(finding.related)


def only(tmp_path, extra: str, slug: str, name: str = "extra.yaml"):
    """The findings of ``slug``, after checking that no other rule found anything the
    clean fixture alone does not give."""
    clean = {_identity(f) for f in findings(tmp_path / "clean", "{}")}
    found = findings(tmp_path, extra, name=name)
    others = [f for f in found if f.rule != slug and _identity(f) not in clean]
    assert not others, f"other rules fired too: {[(f.rule, f.message) for f in others]}"
    return [f for f in found if f.rule == slug]


def test_the_rules_of_legal_standing_are_built_in_and_cite_the_law():
    for slug in (
        "accountable-without-legal-standing",
        "delegation-instrument-mismatch",
        "subsidiarity-undecided",
    ):
        rule = RULES[slug]
        assert rule.builtin and rule.example and rule.fix
        assert any("Act" in s or "NHS England" in s or "Integrating care" in s for s in rule.sources), slug
    assert RULES["accountable-without-legal-standing"].severity is Severity.ERROR
    assert RULES["delegation-instrument-mismatch"].severity is Severity.ERROR
    assert RULES["subsidiarity-undecided"].severity is Severity.WARNING


# -- accountable-without-legal-standing --------------------------------------------------

PHM = """
    functions:
      - {{id: phm, name: Population health management, holder: icb, lowest_level: place, minimum_level: place}}
    bodies:
      - {{id: north-partnership, name: North Shire Partnership, type: place-partnership, operates_in: north{form}}}
      - {{id: north-practice, name: North Practice, type: gp-practice, operates_in: north-1}}
    allocations:
      - {{function: phm, area: north, accountable: {north}, effective_from: 2022-07-01{extra}}}
      - {{function: phm, area: south, accountable: shire-icb, effective_from: 2022-07-01}}
    """


@pytest.mark.parametrize(
    ("body", "form", "label"),
    [
        ("north-committee", "a committee", "North Shire committee"),
        ("north-partnership", "a partnership", "North Shire Partnership"),
        ("north-practice", "a contractor", "North Practice"),
    ],
)
def test_a_committee_partnership_or_contractor_cannot_be_accountable(tmp_path, body, form, label):
    (f,) = only(tmp_path, PHM.format(north=body, form="", extra=""), "accountable-without-legal-standing")
    assert f.severity is Severity.ERROR
    assert f.message == (
        f"Population health management in North Shire names {label} as accountable, but it is {form}, "
        "which cannot hold a function in law; only a statutory body can"
    )
    assert f.focus.startswith(ID + "allocation/phm--north--") and f.related == (ID + "body/" + body,)


def test_near_miss_the_statutory_holder_is_accountable(tmp_path):
    assert only(tmp_path, PHM.format(north="shire-icb", form="", extra=""), "accountable-without-legal-standing") == []


def test_near_miss_a_body_whose_legal_form_says_it_is_statutory(tmp_path):
    # a 2020-21 'ICP' that was in fact a statutory body says so; its type's default does not decide
    extra = PHM.format(north="north-partnership", form=", legal_form: statutory-body", extra="")
    assert only(tmp_path, extra, "accountable-without-legal-standing") == []


def test_near_miss_a_retired_allocation(tmp_path):
    extra = PHM.format(north="north-committee", form="", extra=", status: retired")
    assert findings(tmp_path, extra, "accountable-without-legal-standing") == []


def test_a_joint_allocation_names_each_body_without_standing(tmp_path):
    (f,) = only(
        tmp_path,
        PHM.format(north="[shire-icb, north-committee, north-council]", form="", extra=", joint: yes"),
        "accountable-without-legal-standing",
    )
    assert f.related == (ID + "body/north-committee",)


def test_near_miss_a_function_the_law_gives_to_that_kind_of_body(tmp_path):
    # the integrated care strategy is the integrated care partnership's own (LGPIHA 2007 s116ZB)
    extra = """
        functions:
          - {id: strategy, name: Integrated care strategy, holder: icp, lowest_level: system, minimum_level: system}
          - {id: plan, name: Joint forward plan, holder: icb, lowest_level: system, minimum_level: system}
        bodies:
          - {id: shire-icp, name: Shire ICP, type: icp, operates_in: shire, committee_of: [shire-icb, north-council]}
        allocations:
          - {function: strategy, area: shire, accountable: shire-icp, effective_from: 2022-07-01}
          - {function: plan, area: shire, accountable: shire-icp, effective_from: 2022-07-01}
        """
    (f,) = only(tmp_path, extra, "accountable-without-legal-standing")
    assert f.message.startswith(
        "Joint forward plan in Shire names Shire ICP as accountable, but it is a joint committee"
    )


def test_a_provider_collaborative_in_rdf_is_a_collaborative(tmp_path):
    ics = "https://w3id.org/ics-graph/ontology#"
    turtle = f"""
        @prefix ics: <{ics}> .
        <{ID}allocation/collab-phm> a ics:Allocation ; ics:function <{ID}function/chc> ;
            ics:area <{ID}area/north> ; ics:accountableBody <{ID}collaborative/shire-collab> ;
            ics:effectiveTo "2022-06-30"^^<http://www.w3.org/2001/XMLSchema#date> .
        """
    (f,) = findings(tmp_path, turtle, "accountable-without-legal-standing", name="extra.ttl")
    assert "Shire collaborative as accountable, but it is a collaborative" in f.message


# -- delegation-instrument-mismatch ------------------------------------------------------

BODIES = """
    bodies:
      - {id: north-partnership, name: North Shire Partnership, type: place-partnership, operates_in: north}
      - {id: north-sub, name: North Shire sub-committee, type: place-committee, operates_in: north, committee_of: north-committee}
      - {id: north-joint, name: North Shire joint committee, type: joint-committee, operates_in: north, committee_of: [shire-icb, north-council]}
      - {id: council-joint, name: Council joint committee, type: joint-committee, operates_in: north, committee_of: north-council}
      - {id: north-ccg, name: NHS North Shire CCG, type: ccg, operates_in: north}
      - {id: shire-combined, name: Shire Combined Authority, type: combined-authority, operates_in: shire}
    """


def delegation(to: str, instrument: str, source: str = "shire-icb") -> str:
    return textwrap.dedent(BODIES) + (
        "delegations:\n"
        f"  - {{function: chc, from: {source}, to: {to}, area: north, instrument: {instrument}, effective_from: 2023-04-01}}\n"
    )


@pytest.mark.parametrize(
    ("to", "instrument", "says"),
    [
        ("north-partnership", "s65z5-delegation", "but s65Z5 arrangements are only with NHS England, an ICB"),
        ("north-committee", "s65z5-joint", "under s65Z5 joint exercise, but s65Z5 arrangements are only with"),
        (
            "north-council",
            "committee-of-board",
            "but North Shire Council is not recorded as a committee of NHS Shire ICB",
        ),
        (
            "north-committee",
            "s65z6-joint-committee",
            "but North Shire committee is not recorded as a joint committee of",
        ),
        (
            "council-joint",
            "s65z6-joint-committee",
            "but Council joint committee is not recorded as a joint committee of",
        ),
        ("shire-acute", "s75-partnership", "but s75 arrangements are between an NHS body"),
        ("north-council", "lead-provider-contract", "with North Shire Council, which is not an NHS trust"),
    ],
)
def test_an_instrument_that_does_not_fit_the_bodies(tmp_path, to, instrument, says):
    (f,) = only(tmp_path, delegation(to, instrument), "delegation-instrument-mismatch")
    assert f.severity is Severity.ERROR and says in f.message, f.message
    assert f.focus.startswith(ID + "delegation/") and f.related == (ID + "body/" + to,)


def test_a_lead_provider_contract_with_a_collaborative_is_not_a_delegation(tmp_path):
    (f,) = only(tmp_path, delegation("shire-collab", "lead-provider-contract"), "delegation-instrument-mismatch")
    assert f.message == (
        "NHS Shire ICB records a lead provider contract for Continuing healthcare with Shire collaborative, "
        "a provider collaborative with no legal personality: a contract for services is not a delegation of the "
        "function; the contract is with the lead provider trust and the function stays with NHS Shire ICB"
    )
    assert f.related == (ID + "collaborative/shire-collab",)


def test_a_ccg_was_never_party_to_an_s65z5_arrangement(tmp_path):
    (f,) = findings(tmp_path, delegation("north-ccg", "s65z5-delegation"), "delegation-instrument-mismatch")
    assert "is a clinical commissioning group: s65Z5 came into force on 1 July 2022" in f.message
    assert "CCGs were abolished on 30 June 2022" in f.message


@pytest.mark.parametrize(
    ("to", "instrument", "source"),
    [
        ("north-council", "s65z5-delegation", "shire-icb"),  # a local authority
        ("shire-combined", "s65z5-joint", "shire-icb"),  # a combined authority
        ("shire-acute", "s65z5-delegation", "shire-icb"),  # an NHS trust
        ("north-committee", "committee-of-board", "shire-icb"),  # part_of (org:subOrganizationOf)
        ("north-sub", "committee-of-board", "shire-icb"),  # a sub-committee of its committee
        ("north-joint", "s65z6-joint-committee", "shire-icb"),  # a joint committee of the ICB and council
        ("north-council", "s75-partnership", "shire-icb"),  # NHS body and local authority
        ("shire-acute", "lead-provider-contract", "shire-icb"),  # a trust
        ("north-partnership", "other", "shire-icb"),  # nothing to check
    ],
)
def test_near_miss_an_instrument_that_fits(tmp_path, to, instrument, source):
    found = findings(tmp_path, delegation(to, instrument, source), "delegation-instrument-mismatch")
    assert found == [], [f.message for f in found]


def test_near_miss_a_retired_delegation(tmp_path):
    extra = delegation("north-partnership", "s65z5-delegation").replace(
        "effective_from", "status: retired, effective_from"
    )
    assert findings(tmp_path, extra, "delegation-instrument-mismatch") == []


# -- multiple-accountable: joint allocations -----------------------------------------------

JOINT = """
    functions:
      - {{id: jsna, name: Joint strategic needs assessment, holder: [icb, local-authority], lowest_level: place, minimum_level: place}}
    allocations:
      - {{function: jsna, area: north, accountable: [shire-icb, north-council], joint: yes, effective_from: 2022-07-01}}
      - {{function: jsna, area: south, accountable: shire-icb, effective_from: 2022-07-01}}{more}
    """


def test_near_miss_one_joint_allocation_is_joint_accountability(tmp_path):
    assert only(tmp_path, JOINT.format(more=""), "multiple-accountable") == []


def test_a_joint_allocation_and_a_separate_one_are_still_two(tmp_path):
    extra = JOINT.format(
        more="\n      - {function: jsna, area: north, accountable: north-council, effective_from: 2023-04-01}"
    )
    (f,) = only(tmp_path, extra, "multiple-accountable")
    assert (
        "Joint strategic needs assessment in North Shire has two accountable bodies over overlapping periods"
        in f.message
    )
    assert "NHS Shire ICB" in f.message and "North Shire Council" in f.message
    assert len(f.related) == 1


def test_two_bodies_in_rdf_not_marked_joint_are_still_reported(tmp_path):
    ics = "https://w3id.org/ics-graph/ontology#"
    turtle = f"""
        @prefix ics: <{ics}> .
        <{ID}allocation/two> a ics:Allocation ; ics:function <{ID}function/eprr> ; ics:area <{ID}area/shire> ;
            ics:accountableBody <{ID}body/shire-icb> , <{ID}body/nhs-england> ;
            ics:effectiveTo "2022-06-30"^^<http://www.w3.org/2001/XMLSchema#date> .
        """
    found = findings(tmp_path, turtle, "multiple-accountable", name="extra.ttl")
    (one,) = [f for f in found if not f.related]
    assert one.focus == ID + "allocation/two"
    assert (
        "more than one accountable body in one allocation not marked joint: NHS England, NHS Shire ICB" in one.message
    )
    not_joint = turtle.replace("ics:effectiveTo", "ics:joint false ; ics:effectiveTo")
    assert [
        f for f in findings(tmp_path / "false", not_joint, "multiple-accountable", name="extra.ttl") if not f.related
    ]
    joint = turtle.replace("ics:effectiveTo", "ics:joint true ; ics:effectiveTo")
    assert [
        f for f in findings(tmp_path / "joint", joint, "multiple-accountable", name="extra.ttl") if not f.related
    ] == []


# -- subsidiarity-above-lowest-level and subsidiarity-undecided ----------------------------

ABOVE = """
    functions:
      - {{id: phm, name: Population health management, holder: icb, lowest_level: place, minimum_level: place}}
    allocations:
      - {{function: phm, area: shire, accountable: shire-icb, effective_from: 2022-07-01{extra}}}
    """


def test_a_rationale_alone_no_longer_answers_subsidiarity(tmp_path):
    (f,) = only(
        tmp_path, ABOVE.format(extra=', rationale: "needs system-wide data"'), "subsidiarity-above-lowest-level"
    )
    assert f.message == (
        "Population health management sits at system level in Shire, above the lowest level it could sit at "
        "(place), and no reason of scale (level_reason) is recorded"
    )


def test_near_miss_a_level_reason_answers_it(tmp_path):
    extra = ABOVE.format(extra=", level_reason: population-scale, rationale: one data platform")
    assert only(tmp_path, extra, "subsidiarity-above-lowest-level") == []


def test_the_statutory_default_is_undecided_not_above(tmp_path):
    (f,) = only(tmp_path, ABOVE.format(extra=", basis: default"), "subsidiarity-undecided")
    assert f.severity is Severity.WARNING
    assert f.message == (
        "Population health management sits at system level in Shire only by statutory default (basis: default): "
        "nobody has decided whether it could sit lower (place)"
    )


@pytest.mark.parametrize(
    "extra",
    [
        ", basis: default, level_reason: statutory-requirement",  # the reason is recorded
        ", basis: decision, level_reason: financial-risk",  # decided, with a reason
        ", basis: default, status: retired",  # no longer held
    ],
)
def test_near_miss_neither_subsidiarity_rule(tmp_path, extra):
    found = findings(tmp_path, ABOVE.format(extra=extra))
    assert {f.rule for f in found} <= {"unowned-function"}, [f.message for f in found]


def test_near_miss_the_default_at_the_lowest_level_it_could_sit_at(tmp_path):
    extra = """
        allocations:
          - {function: eprr, area: shire, accountable: shire-icb, basis: default, effective_to: 2022-06-30}
        """
    assert findings(tmp_path, extra, "subsidiarity-undecided") == []
