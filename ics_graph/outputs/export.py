"""Exports of a mapping for other tools: GraphML, DOT, Mermaid, JSON-LD and Turtle.

GraphML (Gephi, yEd), DOT (Graphviz) and Mermaid (GitHub) draw a *property-graph
projection* of the mapping (:func:`project`):

- nodes: functions, bodies, areas and provider collaboratives, each with an id
  ``kind/id``, a label, its kind, its level where known (an area's level; a body's
  highest level among the areas it operates in; a collaborative's highest level among
  its members) and its type (area or body class, function category, collaboration
  model);
- edges: ``accountable`` (body -> function, labelled with the area), ``delivers``
  (body -> function, labelled with the area), ``delegates`` (delegator -> delegate,
  labelled ``<function>: <instrument>``), ``depends-on`` (function -> function),
  ``part-of`` (area -> area), ``member-of`` (body -> collaborative) and ``operates-in``
  (body -> area).

Allocations and delegations with status ``retired`` are left out, as the rules ignore
them; use ``--as-of`` (``timeline.as_of``) to draw the mapping on a date.

JSON-LD and Turtle carry the full data graph instead. Every format is deterministic:
nodes and edges sorted, ids derived from the mapping's own ids, no timestamps, so the
same input gives byte-identical output.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ics_graph.model import vocabulary as v

__all__ = ["FORMATS", "EXTENSIONS", "Node", "Edge", "PropertyGraph", "project", "export",
           "to_graphml", "to_dot", "to_mermaid", "to_jsonld"]

FORMATS = ("graphml", "dot", "mermaid", "jsonld", "ttl")
#: File extensions that imply a format (for the CLI's ``-o``).
EXTENSIONS = {".graphml": "graphml", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid",
              ".jsonld": "jsonld", ".json": "jsonld", ".ttl": "ttl"}
NODE_KINDS = ("function", "body", "area", "collaborative")
EDGE_KINDS = ("accountable", "delivers", "delegates", "depends-on", "part-of", "member-of", "operates-in")
_RETIRED = v.ICS + "StatusRetired"


@dataclass(frozen=True)
class Node:
    id: str       # kind/id
    label: str
    kind: str     # function | body | area | collaborative
    level: str    # national ... neighbourhood, or "" when not known
    type: str     # area or body class, function category, collaboration model; or ""


@dataclass(frozen=True)
class Edge:
    id: str       # stable: derived from the allocation, delegation or the two ends
    source: str
    target: str
    kind: str     # one of EDGE_KINDS
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


def project(mapping) -> PropertyGraph:
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
    labels: dict[str, str] = {iri: min(e["labels"]) if e["labels"] else _short(iri).rsplit("/", 1)[-1]
                              for iri, e in found.items()}

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
        add(f"accountable/{_short(row['a'])}", row["from"], row["to"], "accountable", label_of(row["area"]))
    for row in mapping.select(_DELIVERS):
        add(f"delivers/{_short(row['a'])}/{_short(row['from'])}", row["from"], row["to"], "delivers",
            label_of(row["area"]))
    for row in mapping.select(_DELEGATES):
        label = label_of(row["function"]) + (f": {row['instrument']}" if row.get("instrument") else "")
        add(f"delegates/{_short(row['d'])}", row["from"], row["to"], "delegates", label)
    for kind, query in (("depends-on", _DEPENDS), ("part-of", _PART_OF), ("member-of", _MEMBER_OF),
                        ("operates-in", _OPERATES_IN)):
        for row in mapping.select(query):
            add(f"{kind}/{_short(row['from'])}/{_short(row['to'])}", row["from"], row["to"], kind)

    nodes = []
    for iri, entry in found.items():
        level = min(entry["levels"])[1] if entry["levels"] else ""
        nodes.append(Node(id=_short(iri), label=labels[iri], kind=entry["kind"], level=level,
                          type=min(entry["types"]) if entry["types"] else ""))
    nodes.sort(key=lambda n: (n.id, n.kind))
    ordered = sorted(edges.values(), key=lambda e: (e.kind, e.source, e.target, e.label, e.id))
    return PropertyGraph(nodes=nodes, edges=ordered)


# -- shared text helpers ---------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _clean(text: str) -> str:
    """Newlines normalised to \\n, and characters no XML/DOT/Mermaid text may hold dropped."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _level_rank(level: str) -> int:
    found = v.LEVELS.get(level)
    return found.rank if found else 99


# -- GraphML -------------------------------------------------------------------------------

_NODE_KEYS = ("label", "kind", "level", "type")
_EDGE_KEYS = ("label", "kind")


def _xml(text: str) -> str:
    return (_clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;"))


def to_graphml(graph: PropertyGraph) -> str:
    """GraphML 1.0 (directed), with declared keys Gephi and yEd read: ``label``,
    ``kind``, ``level``, ``type`` on nodes and ``label``, ``kind`` on edges."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns'
        ' http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
    ]
    for key in _NODE_KEYS:
        lines.append(f'  <key id="{key}" for="node" attr.name="{key}" attr.type="string"/>')
    for key in _EDGE_KEYS:
        lines.append(f'  <key id="edge_{key}" for="edge" attr.name="{key}" attr.type="string"/>')
    lines.append('  <graph id="ics-graph" edgedefault="directed">')
    for node in graph.nodes:
        lines.append(f'    <node id="{_xml(node.id)}">')
        for key in _NODE_KEYS:
            value = getattr(node, key)
            if value:
                lines.append(f'      <data key="{key}">{_xml(value)}</data>')
        lines.append("    </node>")
    for edge in graph.edges:
        lines.append(f'    <edge id="{_xml(edge.id)}" source="{_xml(edge.source)}" target="{_xml(edge.target)}">')
        for key in _EDGE_KEYS:
            value = getattr(edge, key)
            if value:
                lines.append(f'      <data key="edge_{key}">{_xml(value)}</data>')
        lines.append("    </edge>")
    lines += ["  </graph>", "</graphml>"]
    return "\n".join(lines) + "\n"


# -- DOT -----------------------------------------------------------------------------------

_DOT_SHAPES = {"function": "ellipse", "body": "box", "area": "folder", "collaborative": "hexagon"}
_DOT_EDGE_STYLES = {"delegates": "bold", "part-of": "dashed", "operates-in": "dotted", "member-of": "dotted"}


def _dot(text: str) -> str:
    """A DOT double-quoted string: backslashes doubled (so Graphviz prints them, rather
    than reading an escape such as \\N), quotes escaped, newlines as \\n."""
    body = _clean(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{body}"'


def to_dot(graph: PropertyGraph) -> str:
    """Graphviz DOT: top to bottom, nodes of the same level on the same rank."""
    lines = [
        'digraph "ics-graph" {',
        "  graph [rankdir=TB];",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=8];',
    ]
    for node in graph.nodes:
        attrs = [f"label={_dot(node.label)}", f"shape={_DOT_SHAPES.get(node.kind, 'box')}", f"kind={_dot(node.kind)}"]
        if node.level:
            attrs.append(f"level={_dot(node.level)}")
        if node.type:
            attrs.append(f"type={_dot(node.type)}")
        lines.append(f"  {_dot(node.id)} [{', '.join(attrs)}];")
    by_level: dict[str, list[str]] = {}
    for node in graph.nodes:
        if node.level:
            by_level.setdefault(node.level, []).append(node.id)
    for level in sorted(by_level, key=lambda lv: (_level_rank(lv), lv)):
        members = " ".join(f"{_dot(n)};" for n in by_level[level])
        lines.append(f"  {{ rank=same; {members} }}  // {level}")
    for edge in graph.edges:
        attrs = [f"kind={_dot(edge.kind)}"]
        if edge.label:
            attrs.insert(0, f"label={_dot(edge.label)}")
        if edge.kind in _DOT_EDGE_STYLES:
            attrs.append(f"style={_DOT_EDGE_STYLES[edge.kind]}")
        lines.append(f"  {_dot(edge.source)} -> {_dot(edge.target)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- Mermaid -------------------------------------------------------------------------------

_MERMAID_SHAPES = {"function": ('("', '")'), "body": ('["', '"]'), "area": ('[["', '"]]'),
                   "collaborative": ('{{"', '"}}')}
_MERMAID_ARROWS = {"delegates": "==>", "part-of": "-.->", "operates-in": "-.->", "member-of": "-.->"}
_MERMAID_CLASSES = {
    "function": "fill:#fff4dd,stroke:#b8860b",
    "body": "fill:#e3efff,stroke:#1f4e9c",
    "area": "fill:#e8f5e9,stroke:#2e7d32",
    "collaborative": "fill:#f3e5f5,stroke:#6a1b9a",
    "other": "fill:#eeeeee,stroke:#616161",
}
# '#' first: Mermaid reads #...; as an entity code. Numeric codes render everywhere.
_MERMAID_ESCAPES = [("#", "#35;"), ("\\", "#92;"), ('"', "#quot;"), ("&", "#38;"), ("<", "#60;"), (">", "#62;"),
                    ("|", "#124;"), ("`", "#96;"), ("[", "#91;"), ("]", "#93;"), ("{", "#123;"), ("}", "#125;")]


def _mermaid_text(text: str) -> str:
    out = _clean(text)
    for char, code in _MERMAID_ESCAPES:
        out = out.replace(char, code)
    return out.replace("\n", "<br>")


def mermaid_ids(ids) -> dict[str, str]:
    """A Mermaid-safe id ([A-Za-z0-9_], starting with a letter) for each id, unique and
    stable: collisions after sanitising get a numeric suffix in sorted order."""
    result: dict[str, str] = {}
    taken: set[str] = set()
    for ident in sorted(set(ids)):
        base = re.sub(r"[^A-Za-z0-9_]", "_", ident)
        if not base or not base[0].isalpha():
            base = "n_" + base
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        taken.add(candidate)
        result[ident] = candidate
    return result


def to_mermaid(graph: PropertyGraph) -> str:
    """A Mermaid ``flowchart TB`` (GitHub renders it in a ```mermaid block)."""
    ids = mermaid_ids([n.id for n in graph.nodes] + [e.source for e in graph.edges] + [e.target for e in graph.edges])
    lines = ["flowchart TB"]
    by_kind: dict[str, list[str]] = {}
    for node in graph.nodes:
        opening, closing = _MERMAID_SHAPES.get(node.kind, ('["', '"]'))
        lines.append(f"  {ids[node.id]}{opening}{_mermaid_text(node.label)}{closing}")
        by_kind.setdefault(node.kind if node.kind in _MERMAID_CLASSES else "other", []).append(ids[node.id])
    for edge in graph.edges:
        arrow = _MERMAID_ARROWS.get(edge.kind, "-->")
        text = f"{edge.kind}: {edge.label}" if edge.label else edge.kind
        lines.append(f'  {ids[edge.source]} {arrow}|"{_mermaid_text(text)}"| {ids[edge.target]}')
    for kind in sorted(by_kind):
        lines.append(f"  classDef k_{kind.replace('-', '_')} {_MERMAID_CLASSES[kind]}")
        lines.append(f"  class {','.join(by_kind[kind])} k_{kind.replace('-', '_')}")
    return "\n".join(lines) + "\n"


# -- JSON-LD -------------------------------------------------------------------------------

class _KeepBlankNodeIds(dict):
    """A blank-node context for rdflib's N-Triples parser that keeps each label as it is
    (the loader already made them stable), instead of minting random ones."""

    def get(self, key, default=None):
        return key


def _sorted_json(value, *, ordered: bool = False):
    if isinstance(value, dict):
        return {k: _sorted_json(item, ordered=(k == "@list")) for k, item in value.items()}
    if isinstance(value, list):
        items = [_sorted_json(item) for item in value]
        return items if ordered else sorted(items, key=lambda i: json.dumps(i, sort_keys=True, ensure_ascii=False))
    return value


def to_jsonld(mapping) -> str:
    """The full data graph as compact JSON-LD, with an ``@context`` of the project's
    prefixes (``vocabulary.PREFIXES`` plus one per entity kind, ``area:`` and so on, as
    in the canonical Turtle); deterministic (keys and unordered arrays sorted)."""
    import rdflib

    from ics_graph.model.turtle import PREFIXES, to_ntriples

    graph = rdflib.Graph()
    graph.parse(data=to_ntriples(mapping.data_triples()), format="nt", bnode_context=_KeepBlankNodeIds())
    context = dict(sorted(PREFIXES.items()))
    document = json.loads(graph.serialize(format="json-ld", context=context))
    if isinstance(document, list):  # an empty graph
        document = {"@context": context, "@graph": document}
    return json.dumps(_sorted_json(document), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# -- entry point ---------------------------------------------------------------------------

def export(mapping, fmt: str) -> str:
    """``mapping`` in ``fmt``: graphml, dot, mermaid, jsonld or ttl."""
    if fmt == "ttl":
        from ics_graph.model.turtle import to_turtle

        return to_turtle(mapping.data_triples())
    if fmt == "jsonld":
        return to_jsonld(mapping)
    renderers = {"graphml": to_graphml, "dot": to_dot, "mermaid": to_mermaid}
    if fmt not in renderers:
        raise ValueError(f"unknown export format '{fmt}'; allowed: {', '.join(FORMATS)}")
    return renderers[fmt](project(mapping))
