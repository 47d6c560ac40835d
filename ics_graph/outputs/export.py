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

from ics_graph.model import vocabulary as v
from ics_graph.model.turtle import PREFIXES, to_ntriples, to_turtle
from ics_graph.queries.projection import PropertyGraph, project
from ics_graph.util.errors import UsageError

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "MERMAID_MAX_TEXT",
    "export",
    "mermaid_ids",
    "to_dot",
    "to_graphml",
    "to_jsonld",
    "to_mermaid",
]

FORMATS = ("graphml", "dot", "mermaid", "jsonld", "ttl")
#: File extensions that imply a format (for the CLI's ``-o``).
EXTENSIONS = {
    ".graphml": "graphml",
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".jsonld": "jsonld",
    ".json": "jsonld",
    ".ttl": "ttl",
}
# -- shared text helpers ---------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _clean(text: str) -> str:
    """Newlines normalised to \\n, and characters no XML/DOT/Mermaid text may hold dropped."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


# -- GraphML -------------------------------------------------------------------------------

_NODE_KEYS = ("label", "kind", "level", "type")
_EDGE_KEYS = ("label", "kind")


def _xml(text: str) -> str:
    return (
        _clean(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\t", "&#9;")
    )


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
    for level in sorted(by_level, key=lambda lv: (v.level_rank(lv), lv)):
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

_MERMAID_SHAPES = {
    "function": ('("', '")'),
    "body": ('["', '"]'),
    "area": ('[["', '"]]'),
    "collaborative": ('{{"', '"}}'),
}
_MERMAID_ARROWS = {"delegates": "==>", "part-of": "-.->", "operates-in": "-.->", "member-of": "-.->"}
_MERMAID_CLASSES = {
    "function": "fill:#fff4dd,stroke:#b8860b",
    "body": "fill:#e3efff,stroke:#1f4e9c",
    "area": "fill:#e8f5e9,stroke:#2e7d32",
    "collaborative": "fill:#f3e5f5,stroke:#6a1b9a",
    "other": "fill:#eeeeee,stroke:#616161",
}
# '#' first: Mermaid reads #...; as an entity code. Numeric codes render everywhere.
_MERMAID_ESCAPES = [
    ("#", "#35;"),
    ("\\", "#92;"),
    ('"', "#quot;"),
    ("&", "#38;"),
    ("<", "#60;"),
    (">", "#62;"),
    ("|", "#124;"),
    ("`", "#96;"),
    ("[", "#91;"),
    ("]", "#93;"),
    ("{", "#123;"),
    ("}", "#125;"),
]


# Mermaid's default maxTextSize: a longer diagram is not drawn (GitHub keeps the default).
MERMAID_MAX_TEXT = 50_000


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
        return to_turtle(mapping.data_triples())
    if fmt == "jsonld":
        return to_jsonld(mapping)
    renderers = {"graphml": to_graphml, "dot": to_dot, "mermaid": to_mermaid}
    if fmt not in renderers:
        raise UsageError(f"unknown export format '{fmt}'; allowed: {', '.join(FORMATS)}")
    return renderers[fmt](project(mapping))
