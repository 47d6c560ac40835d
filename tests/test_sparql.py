"""``run_sparql``: read-only SPARQL over a mapping, with the project's prefixes, as a
table, JSON or CSV; updates refused, syntax errors placed."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, ROOT

from ics_graph.inputs.loader import load_mapping
from ics_graph.queries.sparql import run_sparql, shorten
from ics_graph.util.errors import QueryError

CLEAN = FIXTURES / "clean"
NORTH = "https://w3id.org/ics-graph/id/area/north"
SOUTH = "https://w3id.org/ics-graph/id/area/south"
SHIRE = "https://w3id.org/ics-graph/id/area/shire"


@pytest.fixture(scope="module")
def clean():
    return load_mapping([CLEAN])


def quads(mapping) -> list[str]:
    return sorted(str(q) for q in mapping.store)


PLACES = """
SELECT ?place ?name ?code WHERE {
  ?place a ics:Place ; rdfs:label ?name .
  OPTIONAL { ?place ics:onsCode ?code }
} ORDER BY DESC(?name)
"""


def test_select_with_predeclared_prefixes(clean):
    result = run_sparql(clean, PLACES)
    assert result.kind == "select"
    assert result.columns == ["place", "name", "code"]
    assert result.rows == [[SOUTH, "South Shire", None], [NORTH, "North Shire", None]]  # ORDER BY kept
    assert result.boolean is None


def test_select_without_order_by_is_sorted(clean):
    result = run_sparql(clean, "SELECT ?a WHERE { ?a ics:partOf id:area\\/shire }")
    assert result.rows == [[NORTH], [SOUTH]]


def test_plain_values_in_json(clean):
    result = run_sparql(
        clean,
        """
        SELECT ?label (COUNT(?x) AS ?n) (true AS ?flag) WHERE { ?f a ics:Function ; rdfs:label ?label . OPTIONAL { ?x ics:function ?f } }
        GROUP BY ?label ORDER BY ?label""",
    )
    data = json.loads(json.dumps(result.as_dict()))
    assert data["kind"] == "select" and data["columns"] == ["label", "n", "flag"]
    assert data["rows"][0] == {"label": "Continuing healthcare", "n": 3, "flag": True}
    assert [r["label"] for r in data["rows"]] == [
        "Continuing healthcare",
        "Emergency preparedness",
        "ICB performance assessment",
        "Primary medical services",
    ]


def test_csv_output_is_exact(clean):
    result = run_sparql(clean, PLACES)
    assert result.to_csv() == (
        "place,name,code\n"
        "https://w3id.org/ics-graph/id/area/south,South Shire,\n"
        "https://w3id.org/ics-graph/id/area/north,North Shire,\n"
    )


def test_csv_quotes_and_booleans(clean):
    result = run_sparql(clean, 'SELECT ?text ?yes WHERE { VALUES (?text ?yes) { ("a, \\"b\\"" false) } }')
    assert result.to_csv() == 'text,yes\n"a, ""b""",false\n'


def test_text_table_is_aligned_with_prefixed_names(clean):
    text = run_sparql(clean, PLACES).render_text()
    assert text == (
        "place          name         code\n"
        "-------------  -----------  ----\n"
        "id:area/south  South Shire\n"
        "id:area/north  North Shire\n"
        "(2 rows)\n"
    )


def test_shorten():
    assert shorten("https://w3id.org/ics-graph/ontology#Place") == "ics:Place"
    assert shorten("http://www.w3.org/2000/01/rdf-schema#label") == "rdfs:label"
    assert shorten("https://example.org/x") == "<https://example.org/x>"


def test_booleans_in_every_lexical_form():
    """xsd:boolean is written true/false or 1/0 (Virtuoso answers with 1 and 0)."""
    import pyoxigraph as ox

    from ics_graph.model.sparql import term_value

    boolean = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")
    assert [term_value(ox.Literal(word, datatype=boolean)) for word in ("true", "1", "false", "0")] == [
        True,
        True,
        False,
        False,
    ]


def test_ask(clean):
    yes = run_sparql(clean, "ASK { ?p a ics:Place ; ics:partOf ?s . ?s a ics:System }")
    assert (yes.kind, yes.boolean, yes.columns, yes.rows) == ("ask", True, ["ask"], [[True]])
    assert yes.render_text() == "true\n"
    assert yes.to_csv() == "ask\ntrue\n"
    assert yes.as_dict() == {"kind": "ask", "columns": ["ask"], "rows": [{"ask": True}], "boolean": True}
    no = run_sparql(clean, "ASK { ?p a ics:Neighbourhood ; ics:partOf ?s . ?s a ics:System }")
    assert no.boolean is False and no.render_text() == "false\n"


def test_construct_is_sorted(clean):
    result = run_sparql(clean, "CONSTRUCT { ?s ics:partOf ?p } WHERE { ?s a ics:Place ; ics:partOf ?p }")
    assert result.kind == "construct"
    assert result.columns == ["subject", "predicate", "object"]
    part_of = "https://w3id.org/ics-graph/ontology#partOf"
    assert result.rows == [[NORTH, part_of, SHIRE], [SOUTH, part_of, SHIRE]]
    assert result.to_csv().splitlines()[1] == f"{NORTH},{part_of},{SHIRE}"
    assert "id:area/north  ics:partOf  id:area/shire" in result.render_text()
    assert result.render_text().endswith("(2 triples)\n")


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <urn:x> <urn:y> <urn:z> }",
        "PREFIX ex: <http://example.org/>\n# a comment\nDELETE WHERE { ?s ?p ?o }",
        "  clear all",
        "DROP GRAPH <urn:ics-graph:sources>",
    ],
)
def test_updates_are_refused(clean, update):
    before = quads(clean)
    with pytest.raises(QueryError, match=r"SPARQL UPDATE \(\w+\) is not allowed"):
        run_sparql(clean, update)
    assert quads(clean) == before


def test_a_syntax_error_is_placed(clean):
    with pytest.raises(QueryError, match=r"^SPARQL syntax error at line 4, column 2: expected one of "):
        run_sparql(clean, "SELECT ?x WHERE {\n  ?x ?y ?z .\n  FILTER(\n}")
    with pytest.raises(QueryError, match=r"^SPARQL syntax error at line 2, column 26: expected one of "):
        run_sparql(clean, "SELECT ?x\nWHERE { ?x ?y ?z } LIMIT x")
    with pytest.raises(
        QueryError,
        match=r"^SPARQL syntax error at line 1, column \d+: unknown prefix; the predeclared "
        r"ones are ics:, id:, rdf:",
    ):
        run_sparql(clean, "SELECT ?x WHERE { ?x nope:thing ?z }")


def test_the_northamptonshire_places(tmp_path):
    mapping = load_mapping([ROOT / "data" / "northamptonshire"])
    result = run_sparql(
        mapping,
        """
        SELECT ?place ?ons WHERE { ?place a ics:Place ; ics:partOf id:area\\/northamptonshire ; ics:onsCode ?ons }""",
    )
    assert result.to_csv() == (
        "place,ons\n"
        "https://w3id.org/ics-graph/id/area/nhn-north,E06000061\n"
        "https://w3id.org/ics-graph/id/area/nhn-west,E06000062\n"
    )
