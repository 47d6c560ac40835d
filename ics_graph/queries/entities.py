"""What a reader of a mapping looks things up by: every function, area, body and
collaborative with its names (synonyms and codes), the documents it was taken from, and
the dates things come into force or end (the static site, ``ics-graph site``).

The entities themselves are the property-graph projection's nodes
(:func:`ics_graph.queries.projection.project`); this module adds what the projection
does not carry. Everything is returned sorted, so what is built from it is stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ics_graph.model.vocabulary import ID, short_id
from ics_graph.queries.projection import PropertyGraph, project

__all__ = ["Entity", "entity_index", "key_dates", "records", "sources_of"]

KINDS = ("function", "area", "body", "collaborative")

_NAMES = """
SELECT ?e ?name WHERE {
  { ?e skos:altLabel ?name } UNION { ?e skos:notation ?name } UNION { ?e ics:onsCode ?name }
  UNION { ?e ics:odsCode ?name }
}
"""
_SOURCES = """
SELECT ?e ?src ?title ?url ?publisher ?date ?locator WHERE {
  ?e dcterms:source ?src .
  OPTIONAL { ?src dcterms:title ?title } OPTIONAL { ?src rdfs:seeAlso ?url }
  OPTIONAL { ?src dcterms:publisher ?publisher } OPTIONAL { ?src dcterms:date ?date }
  OPTIONAL { ?e prov:qualifiedDerivation ?d . ?d prov:entity ?src ; ics:locator ?locator }
}
"""
_RECORDS = """
SELECT ?x ?f ?a WHERE { { ?x a ics:Allocation } UNION { ?x a ics:Delegation } ?x ics:function ?f .
  OPTIONAL { ?x ics:area ?a } }
"""
_ALLOCATION_DATES = """
SELECT ?x ?p ?day ?f ?function ?area WHERE {
  VALUES ?p { ics:effectiveFrom ics:effectiveTo }
  ?x a ics:Allocation ; ?p ?day ; ics:function ?f ; ics:area ?a .
  OPTIONAL { ?f rdfs:label ?function } OPTIONAL { ?a rdfs:label ?area }
}
"""
_DELEGATION_DATES = """
SELECT ?x ?p ?day ?f ?function ?from ?to WHERE {
  VALUES ?p { ics:effectiveFrom ics:effectiveTo }
  ?x a ics:Delegation ; ?p ?day ; ics:function ?f .
  OPTIONAL { ?f rdfs:label ?function }
  OPTIONAL { ?x ics:delegator/rdfs:label ?from } OPTIONAL { ?x ics:delegate/rdfs:label ?to }
}
"""
_BODY_DATES = """
SELECT ?x ?p ?day ?label WHERE {
  VALUES ?p { ics:validFrom ics:validTo }
  ?x ?p ?day ; a ?cls . ?cls rdfs:subClassOf* ics:Body . OPTIONAL { ?x rdfs:label ?label }
}
"""
_STARTS = ("effectiveFrom", "validFrom")


@dataclass
class Entity:
    """A function, area, body or collaborative, as a reader looks it up."""

    iri: str
    id: str  # kind/id
    kind: str
    label: str
    level: str
    type: str
    names: list[str] = field(default_factory=list)  # synonyms and codes
    source: str = ""  # where it is written (file:line)


def entity_index(mapping, graph: PropertyGraph | None = None) -> list[Entity]:
    """Every function, area, body and collaborative, sorted by kind, label and id
    (``graph``: the mapping's projection, if made already)."""
    names: dict[str, set[str]] = {}
    for row in mapping.select(_NAMES):
        names.setdefault(row["e"], set()).add(str(row["name"]))
    nodes = [n for n in (graph or project(mapping)).nodes if n.kind in KINDS]
    iris = {n.id: n.id if "://" in n.id else ID + n.id for n in nodes}
    mapping.prefetch_locations(iris.values())
    found = []
    for node in nodes:
        iri = iris[node.id]
        location = mapping.location(iri)
        found.append(
            Entity(
                iri=iri,
                id=node.id,
                kind=node.kind,
                label=node.label,
                level=node.level,
                type=node.type,
                names=sorted(names.get(iri, set()) - {node.label}),
                source=str(location) if location else "",
            )
        )
    return sorted(found, key=lambda e: (KINDS.index(e.kind), e.label.casefold(), e.id))


def records(mapping) -> dict[str, dict[str, str]]:
    """Each allocation and delegation (IRI) with the ``function`` and ``area`` (IRIs,
    ``area`` may be missing) it is about: what a finding on the record is a finding on."""
    found: dict[str, dict[str, str]] = {}
    for row in sorted(mapping.select(_RECORDS), key=lambda r: (r["x"], r["f"], r.get("a", ""))):
        found.setdefault(row["x"], {"function": row["f"], **({"area": row["a"]} if row.get("a") else {})})
    return found


def sources_of(mapping) -> dict[str, list[dict]]:
    """The documents each entity was taken from, with their locators; a function also
    gets those of its allocations and delegations (``for`` says which)."""
    by_entity: dict[str, list[dict]] = {}
    for row in mapping.select(_SOURCES):
        by_entity.setdefault(row["e"], []).append(
            {
                "source": short_id(row["src"]).rsplit("/", 1)[-1],
                "title": str(row.get("title", "")),
                "url": str(row.get("url", "")),
                "publisher": str(row.get("publisher", "")),
                "date": str(row.get("date", "")),
                "locator": str(row.get("locator", "")),
                "for": "",
            }
        )
    for record, about in records(mapping).items():
        for item in by_entity.get(record, []):
            by_entity.setdefault(about["function"], []).append({**item, "for": short_id(record)})
    order = lambda s: (s["for"], s["title"], s["source"], s["locator"], s["url"])
    return {iri: sorted({order(s): s for s in items}.values(), key=order) for iri, items in by_entity.items()}


def key_dates(mapping) -> list[dict]:
    """Allocations and delegations coming into force or ending, and bodies starting or
    ending: ``{"date", "event" ("starts" or "ends"), "kind", "text", "link"}`` with
    ``link`` the ``kind/id`` of the entity whose page tells more; oldest first."""
    found = []
    for row in mapping.select(_ALLOCATION_DATES):
        function = row.get("function") or short_id(row["f"])
        found.append(
            {
                "date": str(row["day"]),
                "event": "starts" if row["p"].endswith(_STARTS) else "ends",
                "kind": "allocation",
                "text": f"{function} in {row.get('area') or '?'}",
                "link": short_id(row["f"]),
                "id": short_id(row["x"]),
            }
        )
    for row in mapping.select(_DELEGATION_DATES):
        function = row.get("function") or short_id(row["f"])
        found.append(
            {
                "date": str(row["day"]),
                "event": "starts" if row["p"].endswith(_STARTS) else "ends",
                "kind": "delegation",
                "text": f"{function}, from {row.get('from') or '?'} to {row.get('to') or '?'}",
                "link": short_id(row["f"]),
                "id": short_id(row["x"]),
            }
        )
    for row in mapping.select(_BODY_DATES):
        found.append(
            {
                "date": str(row["day"]),
                "event": "starts" if row["p"].endswith(_STARTS) else "ends",
                "kind": "body",
                "text": str(row.get("label") or short_id(row["x"])),
                "link": short_id(row["x"]),
                "id": short_id(row["x"]),
            }
        )
    unique = {(d["date"], d["kind"], d["event"], d["text"], d["id"]): d for d in found}
    return [unique[key] for key in sorted(unique)]
