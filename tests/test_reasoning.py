"""HermiT reasoning over small sample graphs, and the sentences that explain an
inconsistency. These run the real reasoner: Java 17 or later (marker ``java``; `make test`
installs it, CI fails without it, elsewhere these tests are skipped without it)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest

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
    assert report.problems == []
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
def test_allocation_with_two_accountable_bodies():
    # OWL alone would merge the two bodies; distinct ids are treated as distinct things.
    sentence = only(reason(FIXTURES / "two_accountable_bodies.ttl"))
    assert "allocation/sample-chc" in sentence and "ics:accountableBody" in sentence
    assert "Sample ICB" in sentence and "Sample committee" in sentence


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
