"""The property graph of a mapping: functions, bodies, areas and collaboratives as nodes,
and the links between them as edges. One projection, drawn by the exports (GraphML,
DOT, Mermaid) and by the interactive page."""

from __future__ import annotations

from dataclasses import dataclass

from ics_graph.model import vocabulary as v
from ics_graph.model.graph import Mapping

__all__ = ["EDGE_KINDS", "NODE_KINDS", "Edge", "Node", "PropertyGraph", "project"]

NODE_KINDS = ("function", "body", "area", "collaborative")
EDGE_KINDS = ("accountable", "delivers", "delegates", "depends-on", "part-of", "member-of", "operates-in")
_RETIRED = v.ICS + "StatusRetired"


@dataclass(frozen=True)
class Node:
    id: str  # kind/id
    label: str
    kind: str  # function | body | area | collaborative
    level: str  # national ... neighbourhood, or "" when not known
    type: str  # area or body class, function category, collaboration model; or ""


@dataclass(frozen=True)
class Edge:
    id: str  # stable: derived from the allocation, delegation or the two ends
    source: str
    target: str
    kind: str  # one of EDGE_KINDS
    label: str


@dataclass
class PropertyGraph:
    nodes: list[Node]
    edges: list[Edge]


# -- the projection ------------------------------------------------------------------------

_FUNCTIONS = """
SELECT ?e ?label ?type WHERE { ?e a ics:Function .
  OPTIONAL { ?e rdfs:label ?label } OPTIONAL { ?e ics:category/rdfs:label ?type } }
"""
_AREAS = """
SELECT ?e ?label ?level ?rank ?type WHERE { ?e a ?cls . ?cls rdfs:subClassOf* ics:Area .
  OPTIONAL { ?e rdfs:label ?label }
  OPTIONAL { ?e ics:level ?lv . ?lv rdfs:label ?level ; ics:rank ?rank }
  OPTIONAL { ?cls rdfs:label ?type FILTER(?cls != ics:Area) } }
"""
_BODIES = """
SELECT ?e ?label ?type WHERE { ?e a ?cls . ?cls rdfs:subClassOf* ics:Body .
  OPTIONAL { ?e rdfs:label ?label } OPTIONAL { ?cls rdfs:label ?type FILTER(?cls != ics:Body) } }
"""
_COLLABORATIVES = """
SELECT ?e ?label ?type WHERE { ?e a ics:ProviderCollaborative .
  OPTIONAL { ?e rdfs:label ?label } OPTIONAL { ?e ics:collaborationModel/rdfs:label ?type } }
"""
_ACCOUNTABLE = """
SELECT ?a ?from ?to ?area WHERE { ?a a ics:Allocation ; ics:function ?to ; ics:accountableBody ?from ; ics:area ?area .
  FILTER NOT EXISTS { ?a ics:status ics:StatusRetired } }
"""
_DELIVERS = """
SELECT ?a ?from ?to ?area WHERE { ?a a ics:Allocation ; ics:function ?to ; ics:deliveredBy ?from ; ics:area ?area .
  FILTER NOT EXISTS { ?a ics:status ics:StatusRetired } }
"""
_DELEGATES = """
SELECT ?d ?from ?to ?function ?instrument WHERE { ?d a ics:Delegation ; ics:function ?function ;
  ics:delegator ?from ; ics:delegate ?to .
  OPTIONAL { ?d ics:instrument/rdfs:label ?instrument }
  FILTER NOT EXISTS { ?d ics:status ics:StatusRetired } }
"""
_DEPENDS = "SELECT ?from ?to WHERE { ?from ics:dependsOn ?to . ?from a ics:Function . ?to a ics:Function }"
_PART_OF = """
SELECT ?from ?to WHERE { ?from ics:partOf ?to . ?from a/rdfs:subClassOf* ics:Area . ?to a/rdfs:subClassOf* ics:Area }
"""
_MEMBER_OF = "SELECT ?from ?to WHERE { ?to a ics:ProviderCollaborative ; org:hasMember ?from }"
_OPERATES_IN = "SELECT ?from ?to WHERE { ?from ics:operatesIn ?to }"
_BODY_LEVELS = """
SELECT ?e ?level ?rank WHERE { ?e ics:operatesIn ?a . ?a ics:level ?lv . ?lv rdfs:label ?level ; ics:rank ?rank }
"""
_MEMBER_LEVELS = """
SELECT ?e ?level ?rank WHERE { ?e a ics:ProviderCollaborative ; org:hasMember ?b . ?b ics:operatesIn ?a .
  ?a ics:level ?lv . ?lv rdfs:label ?level ; ics:rank ?rank }
"""


_short = v.short_id


def _kind_of(iri: str) -> str:
    short = _short(iri)
    kind = short.split("/", 1)[0] if short != iri else ""
    return kind if kind in NODE_KINDS else "other"


def _highest(rows) -> dict[str, str]:
    """entity -> its highest level (lowest rank; ties by label)."""
    best: dict[str, tuple[int, str]] = {}
    for row in rows:
        key = (int(row["rank"]), row["level"])
        if row["e"] not in best or key < best[row["e"]]:
            best[row["e"]] = key
    return {e: level for e, (_rank, level) in best.items()}


def project(mapping: Mapping) -> PropertyGraph:
    """The property-graph projection of ``mapping`` (see the module docstring)."""
    found: dict[str, dict] = {}

    def note(rows, kind, levels=None):
        for row in rows:
            entry = found.setdefault(row["e"], {"kind": kind, "labels": set(), "types": set(), "levels": set()})
            if row.get("label") is not None:
                entry["labels"].add(str(row["label"]))
            if row.get("type") is not None:
                entry["types"].add(str(row["type"]))
            if row.get("level") is not None:
                entry["levels"].add((int(row["rank"]), row["level"]))
            if levels and row["e"] in levels:
                entry["levels"].add((0, levels[row["e"]]))

    note(mapping.select(_FUNCTIONS), "function")
    note(mapping.select(_AREAS), "area")
    note(mapping.select(_BODIES), "body", _highest(mapping.select(_BODY_LEVELS)))
    note(mapping.select(_COLLABORATIVES), "collaborative", _highest(mapping.select(_MEMBER_LEVELS)))

    edges: dict[str, Edge] = {}
    labels: dict[str, str] = {
        iri: min(e["labels"]) if e["labels"] else _short(iri).rsplit("/", 1)[-1] for iri, e in found.items()
    }

    def label_of(iri: str) -> str:
        return labels.get(iri) or mapping.label(iri)

    def add(edge_id: str, source: str, target: str, kind: str, label: str = "") -> None:
        for end in (source, target):
            if end not in found:  # referred to but not typed: still drawn, with what is known
                found[end] = {"kind": _kind_of(end), "labels": set(), "types": set(), "levels": set()}
                labels[end] = mapping.label(end)
        edge = Edge(id=edge_id, source=_short(source), target=_short(target), kind=kind, label=label)
        edges.setdefault(edge_id, edge)

    for row in mapping.select(_ACCOUNTABLE):
        # one edge for each accountable body: a joint allocation has several
        add(
            f"accountable/{_short(row['a'])}/{_short(row['from'])}",
            row["from"],
            row["to"],
            "accountable",
            label_of(row["area"]),
        )
    for row in mapping.select(_DELIVERS):
        add(
            f"delivers/{_short(row['a'])}/{_short(row['from'])}",
            row["from"],
            row["to"],
            "delivers",
            label_of(row["area"]),
        )
    for row in mapping.select(_DELEGATES):
        label = label_of(row["function"]) + (f": {row['instrument']}" if row.get("instrument") else "")
        add(f"delegates/{_short(row['d'])}/{_short(row['to'])}", row["from"], row["to"], "delegates", label)
    for kind, query in (
        ("depends-on", _DEPENDS),
        ("part-of", _PART_OF),
        ("member-of", _MEMBER_OF),
        ("operates-in", _OPERATES_IN),
    ):
        for row in mapping.select(query):
            add(f"{kind}/{_short(row['from'])}/{_short(row['to'])}", row["from"], row["to"], kind)

    nodes = []
    for iri, entry in found.items():
        level = min(entry["levels"])[1] if entry["levels"] else ""
        nodes.append(
            Node(
                id=_short(iri),
                label=labels[iri],
                kind=entry["kind"],
                level=level,
                type=min(entry["types"]) if entry["types"] else "",
            )
        )
    nodes.sort(key=lambda n: (n.id, n.kind))
    ordered = sorted(edges.values(), key=lambda e: (e.kind, e.source, e.target, e.label, e.id))
    return PropertyGraph(nodes=nodes, edges=ordered)
