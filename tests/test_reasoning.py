"""HermiT reasoning over small sample graphs, and the sentences that explain an
inconsistency. These run the real reasoner: Java 17 or later (marker ``java``; `make test`
installs it, CI fails without it, elsewhere these tests are skipped without it)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from ics_graph.cli import main
from ics_graph.reasoning.hermit import ReasoningReport, reason

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "reasoning"
ROOT = Path(__file__).resolve().parent.parent
ID = "https://w3id.org/ics-graph/id/"
PREFIXES = """@prefix ics: <https://w3id.org/ics-graph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def only(report: ReasoningReport) -> str:
    assert not report.consistent
    assert len(report.problems) == 1, report.problems
    return report.problems[0]


@pytest.mark.java
def test_consistent_sample():
    report = reason(FIXTURES / "consistent.ttl")
    assert report.consistent, report.problems
    assert report.problems == [] and report.without_standing == []  # its allocation's body is an ICB
    assert report.triples > 100
    assert report.elapsed >= report.reasoner_elapsed > 0
    print(f"HermiT on the consistent sample: {report.reasoner_elapsed:.2f} s (total {report.elapsed:.2f} s)")


@pytest.mark.java
def test_consistent_sample_as_ntriples_text():
    text = ox.serialize(ox.parse(path=str(FIXTURES / "consistent.ttl")), format=ox.RdfFormat.N_TRIPLES).decode()
    report = reason(text)
    assert report.consistent, report.problems


@pytest.mark.java
def test_area_that_is_both_place_and_neighbourhood():
    report = reason(FIXTURES / "place_and_neighbourhood.ttl")
    sentence = only(report)
    assert "Sample Corby" in sentence and "area/sample-corby" in sentence
    assert "ics:Place" in sentence and "ics:Neighbourhood" in sentence
    assert "disjoint" in sentence


@pytest.mark.java
def test_area_with_two_levels():
    sentence = only(reason(FIXTURES / "two_levels.ttl"))
    assert "Sample Kettering" in sentence and "area/sample-kettering" in sentence
    assert "ics:level" in sentence
    assert "ics:PlaceLevel" in sentence and "ics:NeighbourhoodLevel" in sentence


@pytest.mark.java
def test_place_at_neighbourhood_level():
    sentence = only(reason(FIXTURES / "place_at_neighbourhood_level.ttl"))
    assert "Sample Wellingborough" in sentence
    assert "ics:Place" in sentence and "must be" in sentence
    assert "ics:PlaceLevel" in sentence and "ics:NeighbourhoodLevel" in sentence


@pytest.mark.java
def test_allocation_with_two_accountable_bodies_that_says_it_is_not_joint():
    sentence = only(reason(FIXTURES / "two_accountable_bodies.ttl"))
    assert "allocation/sample-chc" in sentence and "ics:accountableBody" in sentence
    assert "Sample ICB" in sentence and "Sample committee" in sentence
    assert "two accountable bodies" in sentence and "ics:JointAllocation" in sentence
    assert "it says joint false" in sentence and "joint: yes" in sentence


@pytest.mark.java
def test_two_bodies_of_one_kind_are_two_bodies():
    # OWL alone would take the two councils for one body (and find no contradiction);
    # distinct ids are distinct things, so two accountable bodies and joint false contradict.
    sentence = only(reason(FIXTURES / "two_councils_not_joint.ttl"))
    assert sentence.startswith("allocation/bcf-shire (Better Care Fund in Shire) has two accountable bodies")
    assert '"North Shire Council" (body/north-council)' in sentence
    assert '"West Shire Council" (body/west-council)' in sentence
    assert "make an allocation a Joint allocation (ics:JointAllocation)" in sentence
    assert "must be true, but it says joint false" in sentence


@pytest.mark.parametrize("joint", ["ics:joint true ;", ""])
@pytest.mark.java
def test_two_accountable_bodies_are_consistent_when_joint_or_silent(joint):
    # Silent: OWL does not assume false, and HermiT takes the allocation to be joint.
    text = (FIXTURES / "two_councils_not_joint.ttl").read_text(encoding="utf-8")
    report = reason(text.replace("ics:joint false ;", joint))
    assert report.consistent, report.problems
    assert report.without_standing == []  # councils are statutory bodies


@pytest.mark.java
def test_icb_whose_legal_form_is_given_as_a_partnership():
    sentence = only(reason(FIXTURES / "icb_as_partnership.ttl"))
    assert sentence.startswith('"NHS Shire ICB" (body/shire-icb) is an Integrated care board')
    assert "(ics:IntegratedCareBoard; type: icb)" in sentence
    assert "the law makes a Statutory body (ics:StatutoryBody)" in sentence
    assert "Partnership (ics:Partnership; legal_form: partnership)" in sentence
    assert "Leave legal_form out" in sentence


@pytest.mark.java
def test_icb_written_as_a_partnership_in_yaml_exits_1(tmp_path):
    (tmp_path / "m.yaml").write_text(
        "bodies:\n  - {id: shire-icb, name: NHS Shire ICB, type: icb, legal_form: partnership}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["reason", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Inconsistent:\n")
    assert '"NHS Shire ICB" (body/shire-icb) is an Integrated care board' in result.output
    assert "legal_form: partnership" in result.output


@pytest.mark.java
def test_delegator_stays_accountable():
    report = reason(PREFIXES + f"<{ID}delegation/d> a ics:Delegation ; ics:delegatorRemainsAccountable false .")
    sentence = only(report)
    assert "delegation/d" in sentence and "ics:delegatorRemainsAccountable" in sentence
    assert "must be true, but it is false" in sentence


@pytest.mark.java
def test_allocations_without_legal_standing_are_listed_and_the_exit_stays_0():
    mapping = FIXTURES / "legal_standing"
    result = CliRunner().invoke(main, ["reason", str(mapping)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Consistent:")
    assert lines[1] == "HermiT classifies 1 allocation as without legal standing (ics:AllocationWithoutLegalStanding):"
    assert lines[2:] == [
        "  - allocation/phm--north--north-partnership--always (Population health management in North Shire): "
        'its accountable body "North Shire Partnership" (body/north-partnership) is a partnership '
        "(ics:Partnership), not a statutory body, so cannot hold the function in law."
    ]
    assert "shire-icb" not in result.output  # the ICB is a statutory body

    data = json.loads(CliRunner().invoke(main, ["reason", str(mapping), "--format", "json"]).output)
    assert data["consistent"] is True and data["problems"] == []
    (listed,) = data["without_legal_standing"]
    assert listed["allocation"] == "allocation/phm--north--north-partnership--always"
    assert (listed["function"], listed["area"]) == ("Population health management", "North Shire")
    assert listed["bodies"] == [
        {"id": "body/north-partnership", "label": "North Shire Partnership", "legal_form": "partnership"}
    ]


@pytest.mark.java
def test_allocations_without_legal_standing_from_hermit_in_turtle():
    # No loader here: the bodies' legal forms are what the ontology says of their types
    # (a place committee is a committee; an ICB a statutory body).
    text = (
        PREFIXES
        + f"""
        <{ID}allocation/a> a ics:Allocation ; ics:accountableBody <{ID}body/committee> ;
            ics:function <{ID}function/chc> .
        <{ID}allocation/b> a ics:Allocation ; ics:accountableBody <{ID}body/icb> .
        <{ID}function/chc> a ics:Function ; rdfs:label "NHS continuing healthcare" .
        <{ID}body/committee> a ics:PlaceCommittee ; rdfs:label "North committee" .
        <{ID}body/icb> a ics:IntegratedCareBoard ; rdfs:label "Shire ICB" ."""
    )
    report = reason(text)
    assert report.consistent, report.problems
    (listed,) = report.without_standing
    assert listed.id == "allocation/a" and listed.function == "NHS continuing healthcare"
    assert [(b.id, b.legal_form) for b in listed.bodies] == [("body/committee", "committee")]
    assert "without legal standing" in str(report)
    assert [a.id for a in reason(text, classify=True).without_standing] == ["allocation/a"]  # owlready2's way
    assert reason(FIXTURES / "consistent.ttl", list_without_standing=False).without_standing == []


@pytest.mark.java
def test_body_used_as_an_area_is_caught_through_the_range():
    report = reason(
        PREFIXES
        + f"""
        <{ID}allocation/a> a ics:Allocation ; ics:area <{ID}body/x> .
        <{ID}body/x> a ics:IntegratedCareBoard ; rdfs:label "Sample ICB" ."""
    )
    sentence = only(report)
    assert "Sample ICB" in sentence and "ics:IntegratedCareBoard" in sentence and "ics:Area" in sentence
    assert "ics:area" in sentence and "allocation/a" in sentence


@pytest.mark.parametrize(
    "value, expected",
    [
        ("9", "from 1 to 5"),  # out of range
        ('"x"^^xsd:integer', "not a valid"),  # ill-typed: never reaches HermiT, still reported
    ],
)
@pytest.mark.java
def test_bad_risk_impact(value, expected):
    report = reason(PREFIXES + f'<{ID}risk/r> a ics:Risk ; rdfs:label "Late strategy" ; ics:impact {value} .')
    sentence = only(report)
    assert "ics:impact" in sentence and expected in sentence


@pytest.mark.java
def test_text_with_a_language_tag_is_not_an_xsd_string():
    report = reason(PREFIXES + f'<{ID}allocation/a> a ics:Allocation ; ics:rationale "scale"@en .')
    assert "language tag" in only(report)


@pytest.mark.java
def test_no_files_left_behind(tmp_path, monkeypatch):
    """owlready2 and HermiT write only inside a private temporary folder, removed afterwards,
    even when HermiT reports an inconsistency (owlready2 then leaves its hand-over file)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert not reason(FIXTURES / "place_and_neighbourhood.ttl").consistent
    assert reason(FIXTURES / "place_and_neighbourhood.ttl", classify=True).consistent is False
    assert list(tmp_path.iterdir()) == []
    assert tempfile.tempdir == str(tmp_path)


def test_importing_the_module_does_not_load_owlready2():
    code = "import sys, ics_graph.reasoning.hermit; print('owlready2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.java
def test_report_prints_a_summary():
    report = reason(FIXTURES / "two_levels.ttl")
    text = str(report)
    assert "INCONSISTENT" in text and "Sample Kettering" in text


@pytest.mark.java
def test_hermit_infers_what_the_data_does_not_say():
    # A body of no stated legal form that is a committee of another is a committee or a
    # joint committee (the domain of ics:committeeOf): not a statutory body. Two allocations
    # alike (the same types and body) are both listed, though HermiT realises one of them.
    report = reason(
        PREFIXES
        + f"""
        <{ID}allocation/a> a ics:Allocation ; ics:accountableBody <{ID}body/x> .
        <{ID}allocation/c> a ics:Allocation ; ics:accountableBody <{ID}body/x> .
        <{ID}allocation/d> a ics:Allocation ; ics:accountableBody <{ID}body/icb> .
        <{ID}body/x> a ics:OtherBody ; rdfs:label "X board" ; ics:committeeOf <{ID}body/icb> .
        <{ID}body/icb> a ics:IntegratedCareBoard ; rdfs:label "Shire ICB" ."""
    )
    assert report.consistent, report.problems
    assert [a.id for a in report.without_standing] == ["allocation/a", "allocation/c"]
    assert str(report.without_standing[0]) == (
        'allocation/a: its accountable body "X board" (body/x) is not a statutory body, '
        "so cannot hold the function in law."
    )
