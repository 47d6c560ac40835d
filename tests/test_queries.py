"""Queries for transition leads: matching names, --as-of, where, at, body."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, ROOT

from ics_graph.cli import main
from ics_graph.engine.checking import check
from ics_graph.inputs.loader import load_mapping
from ics_graph.model.timeline import as_of
from ics_graph.model.vocabulary import ID
from ics_graph.queries.matching import Ambiguous, NoMatch, resolve
from ics_graph.queries.where import body_report, projections, what_sits_at, where_is
from ics_graph.util.errors import QueryError

NORTHANTS = ROOT / "data" / "northamptonshire"
CHAIN = """
bodies:
  - {id: north-pcn, name: North PCN, type: pcn, operates_in: north-1}
delegations:
  - {function: chc, from: north-committee, to: north-pcn, area: north-1, instrument: lead-provider-contract, effective_from: 2023-04-01}
allocations:
  - {id: chc-north-old, function: chc, area: north, accountable: north-council, effective_to: 2022-06-30, rationale: CCG era}
"""


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def northants():
    return load_mapping([NORTHANTS])


@pytest.fixture
def shire(tmp_path):
    folder = tmp_path / "shire"
    shutil.copytree(FIXTURES / "clean", folder)
    (folder / "chain.yaml").write_text(CHAIN, encoding="utf-8")
    return folder


# -- matching -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["continuing healthcare", "CHC", "chc", "Continuing Helthcare", "continuing-healthcare"]
)
def test_function_names_codes_synonyms_and_typos(northants, text):
    assert resolve(northants, "function", text).iri == ID + "function/continuing-healthcare"


def test_area_by_abbreviation_and_ons_code(northants):
    assert resolve(northants, "area", "west northants").iri == ID + "area/nhn-west"
    assert resolve(northants, "area", "E06000062").iri == ID + "area/nhn-west"


def test_ambiguous_and_unknown_names(northants):
    with pytest.raises(Ambiguous) as caught:
        resolve(northants, "function", "safeguarding")
    assert {c.ident for c in caught.value.candidates} == {"safeguarding-adults", "safeguarding-children"}
    with pytest.raises(NoMatch):  # merged into NHS Northamptonshire CCG in 2020: not a body of the mapping
        resolve(northants, "body", "Corby CCG")


# -- as of --------------------------------------------------------------------------------


def test_as_of_keeps_what_is_in_force(northants):
    icbs = "SELECT (COUNT(*) AS ?n) WHERE { ?b a ics:IntegratedCareBoard }"
    assert as_of(northants, dt.date(2021, 6, 1)).select(icbs)[0]["n"] == 0
    assert as_of(northants, dt.date(2022, 7, 1)).select(icbs)[0]["n"] == 42
    assert as_of(northants, dt.date(2026, 5, 1)).select(icbs)[0]["n"] == 36  # mergers of April 2026
    delegations = (
        f"SELECT (COUNT(*) AS ?n) WHERE {{ ?d a ics:Delegation ; ics:function <{ID}function/dental-services> }}"
    )
    assert as_of(northants, dt.date(2022, 7, 1)).select(delegations)[0]["n"] == 0  # dental from April 2023
    assert as_of(northants, dt.date(2023, 4, 1)).select(delegations)[0]["n"] == 1
    assert len(as_of(northants, dt.date(2023, 4, 1))) < len(northants)  # the original is untouched
    assert northants.select(icbs)[0]["n"] == 48


# -- where --------------------------------------------------------------------------------


def test_where_follows_the_chain_from_the_holder_down(shire):
    mapping = load_mapping([shire])
    report = where_is(mapping, ID + "function/chc", findings=check(mapping).findings).as_dict()
    (system,) = report["systems"]
    assert system["area"] == "Shire" and system["holdings"] == []  # chc sits at place, not at system
    north = next(p for p in system["places"] if p["area"] == "North Shire")
    current = [h for h in north["holdings"] if h["allocation"] == "allocation/chc--north--shire-icb--2022-07-01"]
    (holding,) = current
    assert holding["accountable"] == "NHS Shire ICB" and not holding["covers_from_above"]
    assert [(s["from_body"], s["to_body"], s["instrument"]) for s in holding["chain"]] == [
        ("NHS Shire ICB", "North Shire committee", "committee of the board")
    ]
    hood = north["places"][0] if north["places"] else None
    assert hood is None  # no neighbourhood allocation of its own
    south = next(p for p in system["places"] if p["area"] == "South Shire")
    assert [h["accountable"] for h in south["holdings"]] == ["NHS Shire ICB"]


def test_where_as_of_a_date_shows_that_days_arrangement(shire):
    mapping = as_of(load_mapping([shire]), dt.date(2022, 1, 1))
    # Before the ICB existed (undated here) only the council's old allocation covered North Shire.
    report = where_is(mapping, ID + "function/chc").as_dict()
    north = next(p for p in report["systems"][0]["places"] if p["area"] == "North Shire")
    assert [h["accountable"] for h in north["holdings"]] == ["North Shire Council"]


def test_where_on_the_real_pack_shows_nhs_england_delegating(northants):
    # the pack spans two eras: as of 2023 the ICB's footprint, where NHS England delegates to the ICB
    report = where_is(as_of(northants, dt.date(2023, 1, 1)), ID + "function/primary-medical-services").as_dict()
    (system,) = report["systems"]
    (holding,) = system["holdings"]
    assert holding["accountable"] == "NHS England" and holding["covers_from_above"]
    assert [(s["to_body"], s["instrument"], s["start"]) for s in holding["chain"]] == [
        ("NHS Northamptonshire Integrated Care Board", "s65Z5 delegation", "2022-07-01")
    ]
    assert [p["area"] for p in system["places"]] == ["North Northamptonshire", "West Northamptonshire"]
    # in 2021-22, the CCG's footprint: NHS England held it and delegated nothing (s65Z5 began on 1 July 2022)
    report = where_is(as_of(northants, dt.date(2022, 2, 1)), ID + "function/primary-medical-services").as_dict()
    (system,) = report["systems"]
    (holding,) = system["holdings"]
    assert system["area"] == "Northamptonshire STP/ICS footprint (2021-22)"
    assert holding["accountable"] == "NHS England" and holding["covers_from_above"] and holding["chain"] == []
    assert [p["area"] for p in system["places"]] == ["North Northamptonshire", "West Northamptonshire"]


def test_where_attaches_findings(tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(FIXTURES / "clean", folder)
    (folder / "x.yaml").write_text(
        "allocations:\n  - {id: eprr-north, function: eprr, area: north, accountable: shire-icb}\n"
    )
    mapping = load_mapping([folder])
    report = where_is(mapping, ID + "function/eprr", findings=check(mapping).findings).as_dict()
    north = next(p for p in report["systems"][0]["places"] if p["area"] == "North Shire")
    assert any(f["rule"] == "subsidiarity-below-required-scale" for f in north["findings"])
    assert any(f["rule"] == "place-coverage-gap" for f in report["systems"][0]["findings"])


def test_where_cli_formats(shire):
    text = run("where", "continuing healthcare", shire)
    assert text.exit_code == 0
    assert (
        "delegation chain: NHS Shire ICB [committee of the board, current, from 2022-07-01] -> North Shire committee"
        in text.output
    )
    data = json.loads(run("where", "chc", shire, "--format", "json").output)
    assert data["function"]["id"] == "function/chc"
    csv_text = run("where", "chc", shire, "--format", "csv").output
    assert csv_text.splitlines()[0].startswith("function,system,area,area_level")
    assert run("where", "chc", shire, "--format", "csv").output == csv_text  # deterministic


def test_where_ambiguous_exits_2_listing_candidates():
    result = CliRunner().invoke(main, ["where", "safeguarding", str(NORTHANTS)])
    assert result.exit_code == 2
    assert "Safeguarding adults (safeguarding-adults)" in result.stderr and "Safeguarding children" in result.stderr


def test_bad_as_of_date_exits_2(shire):
    result = CliRunner().invoke(main, ["where", "chc", str(shire), "--as-of", "2022-13-01"])
    assert result.exit_code == 2 and "is not a date" in result.stderr


# -- at ------------------------------------------------------------------------------------


def test_at_groups_by_level_and_includes_what_covers_from_above(shire):
    mapping = load_mapping([shire])
    report = what_sits_at(mapping, ID + "area/north").as_dict()
    levels = [g["level"] for g in report["groups"]]
    assert levels == ["national", "system", "place"]
    place_items = [i for c in report["groups"][2]["categories"] for i in c["items"]]
    assert {i["function"] for i in place_items} == {"Continuing healthcare"}
    national = [i for c in report["groups"][0]["categories"] for i in c["items"]]
    assert {i["relation"] for i in national} == {"covers it from above"}
    only_place = what_sits_at(mapping, ID + "area/north", level="place").as_dict()
    assert [g["level"] for g in only_place["groups"]] == ["place"]


def test_at_real_place(northants):
    report = what_sits_at(northants, ID + "area/nhn-west", level="place").as_dict()
    functions = {i["function"] for c in report["groups"][0]["categories"] for i in c["items"]}
    assert "Better Care Fund" in functions and "Joint strategic needs assessment" in functions


def test_at_cli(shire):
    result = run("at", "North Shire", shire, "--level", "place")
    assert result.exit_code == 0 and "Continuing healthcare: sits here (North Shire)" in result.output


# -- body -----------------------------------------------------------------------------------


def test_body_report(shire):
    mapping = load_mapping([shire])
    report = body_report(mapping, ID + "body/shire-icb").as_dict()
    assert {(i["function"], i["area"]) for i in report["accountable_for"]} >= {
        ("Continuing healthcare", "North Shire"),
        ("Emergency preparedness", "Shire"),
    }
    assert [(i["function"], i["to"]) for i in report["delegated"]] == [
        ("Continuing healthcare", "North Shire committee")
    ]
    assert [(i["function"], i["from"]) for i in report["received"]] == [("Primary medical services", "NHS England")]
    trust = body_report(mapping, ID + "body/shire-acute").as_dict()
    assert trust["member_of"] == [
        {
            "collaborative": "Shire collaborative",
            "id": "collaborative/shire-collab",
            "model": "lead provider",
            "lead": True,
        }
    ]


def test_body_cli(shire):
    result = run("body", "NHS Shire ICB", shire)
    assert result.exit_code == 0
    assert "Has delegated (1):" in result.output and "Has received (1):" in result.output


# -- offline: no federated queries ------------------------------------------------------------


def test_service_clauses_are_refused_everywhere(shire, tmp_path):
    mapping = load_mapping([shire])
    with pytest.raises(QueryError, match="SERVICE"):
        mapping.select("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    assert mapping.select("SELECT ?service WHERE { ?service a ics:Place } LIMIT 1")  # a variable named service is fine
    result = CliRunner().invoke(
        main, ["sparql", "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/> { ?s ?p ?o } }", str(shire)]
    )
    assert result.exit_code == 2 and "SERVICE" in result.stderr
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "fed.rq").write_text(
        "# ---\n# slug: fed\n# severity: info\n# title: t\n# message: m\n# rationale: r\n# fix: f\n# sources: [s]\n# ---\n"
        "SELECT ?focus WHERE { SERVICE <http://127.0.0.1:9/> { ?focus ?p ?o } }\n"
    )
    result = CliRunner().invoke(main, ["check", str(shire), "--rules", str(rules)])
    assert result.exit_code == 2 and "fed.rq:1:1: rules run offline" in result.stderr


def test_impact_csv_lists_the_dry_run():
    result = run("impact", "better care fund", NORTHANTS, "--move-to", "system", "--format", "csv")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "kind,id,label,depth,detail"
    assert "removed allocation,allocation/nhn-alloc-bcf-north,,," in lines
    assert any(line.startswith("finding would appear,subsidiarity-above-lowest-level,") for line in lines)


def test_answers_from_shared_projections_are_the_answers(northants):
    """A site answers every function, area and body from projections fetched once; each
    answer is the one fetched on its own."""
    shared = projections(northants)
    findings = check(northants).findings
    for function in ("continuing-healthcare", "better-care-fund", "primary-medical-services"):
        iri = ID + "function/" + function
        alone = where_is(northants, iri, findings=findings).as_dict()
        assert where_is(northants, iri, findings=findings, context=shared).as_dict() == alone
    for area in ("nhn-north", "nhn-west", "northamptonshire", "nhn-system-2021"):
        iri = ID + "area/" + area
        assert what_sits_at(northants, iri, context=shared).as_dict() == what_sits_at(northants, iri).as_dict()
    for body in ("northamptonshire-icb", "ccg-78h", "nhn-nnc"):
        iri = ID + "body/" + body
        assert body_report(northants, iri, context=shared).as_dict() == body_report(northants, iri).as_dict()
