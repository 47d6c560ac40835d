"""An interactive graph of a mapping: one self-contained, offline HTML page.

The page draws the property-graph projection of :func:`ics_graph.queries.projection.project`
(functions, bodies, areas and provider collaboratives, with their accountable,
delivers, delegates, depends-on, part-of, member-of and operates-in edges) with
vis-network, in a hierarchical layout by spatial level: national at the top,
neighbourhood at the bottom, each function one row below the highest level it is
allocated at. Nodes are coloured by level and shaped by kind; a legend is part of the
page. Check findings are overlaid: edges on a finding's cycle are red, unowned
functions, coverage gaps and other error findings get a red border (other findings an
amber one), and every finding's message is in the tooltip of the nodes and edges it is
about.

The node and edge records are the ones pyvis's ``Network`` builds (its options plus
id, label and shape, or from and to), written here: importing pyvis would pull in
IPython, networkx and jinja2, none of which the page needs.

The page makes no network request at all: vis-network's script and stylesheet are
inlined from the copy shipped inside the pyvis package, there are no fonts, images or
frameworks, and a Content-Security-Policy forbids any fetch and any script but the
page's own (pinned by hash). Every label and tooltip is data, never markup: the graph
is JSON inside ``<script type="application/json">`` with ``<``, ``>`` and ``&``
escaped, tooltips are DOM elements filled with ``textContent`` and the canvas draws
labels as text. Output is deterministic: nodes and edges sorted, ids taken from the
mapping, no timestamps and no random ids, so the same input gives the same bytes.

After the layout has settled (physics is switched off on
``stabilizationIterationsDone``) the page records what it drew in
``window.icsGraph`` and in the ``data-*`` attributes of ``#graph-status``
(``data-ready``, ``data-nodes``, ``data-edges``), which the browser test reads back.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ics_graph.model import vocabulary as v
from ics_graph.queries.areas import AreaTree
from ics_graph.queries.projection import Edge, Node, project
from ics_graph.util.errors import UsageError

__all__ = ["VIEWS", "VIEW_EDGES", "graph_data", "vis_network_assets", "visualise"]

#: Which edge kinds each view draws.
VIEW_EDGES: dict[str, tuple[str, ...]] = {
    "all": ("accountable", "delivers", "delegates", "depends-on", "part-of", "member-of", "operates-in"),
    "dependencies": ("depends-on",),
    "delegation": ("delegates",),
    "allocation": ("accountable", "delivers"),
}
VIEWS = tuple(VIEW_EDGES)
#: In a filtered view, nodes of these kinds are kept even without an edge when a finding is about them
#: (an unowned function has no allocation edge, but should still show, marked).
_VIEW_FLAGGED_KINDS = {"dependencies": {"function"}, "delegation": {"body"}, "allocation": {"function", "body"}}

LEVEL_COLOURS = {  # fill, border
    "national": ("#c6dbef", "#2b5d8c"),
    "regional": ("#c7e9c0", "#2f7d32"),
    "system": ("#fde0b2", "#b36b00"),
    "place": ("#f2c9e0", "#9c2a6b"),
    "neighbourhood": ("#dcd0f2", "#5b3a9c"),
    "": ("#e6e6e6", "#666666"),
}
KIND_SHAPES = {"function": "ellipse", "body": "box", "area": "database", "collaborative": "hexagon", "other": "dot"}
_KIND_SHAPE_WORDS = {"function": "ellipse", "body": "box", "area": "cylinder", "collaborative": "hexagon"}
EDGE_STYLES: dict[str, tuple[str, list[int] | bool, int, str]] = {  # colour, dashes, width, what the legend calls it
    "accountable": ("#333333", False, 2, "accountable for (body to function)"),
    "delivers": ("#1f6fb2", False, 1, "delivers (body to function)"),
    "delegates": ("#7b2d9c", False, 3, "delegates, labelled with the instrument"),
    "depends-on": ("#c06000", [8, 4], 2, "depends on (function to function)"),
    "part-of": ("#7a7a7a", [4, 4], 1, "part of (area to area)"),
    "member-of": ("#138a72", [2, 4], 1, "member of (body to collaborative)"),
    "operates-in": ("#b0b0b0", [2, 6], 1, "operates in (body to area)"),
}
CYCLE_COLOUR = "#d40000"
RED_BORDER = "#d40000"
AMBER_BORDER = "#e69500"
#: Rules whose focus gets a red border whatever their configured severity.
_RED_RULES = {"unowned-function", "place-coverage-gap"}
_NEIGHBOURHOODS = "neighbourhoods/"
#: At most this many nodes side by side; a wider level wraps onto further rows.
ROW_WIDTH = 12


# -- vis-network, inlined from pyvis -----------------------------------------------------------


@lru_cache(maxsize=1)
def vis_network_assets() -> tuple[str, str, str]:
    """(version, minified JS, CSS) of the newest vis-network shipped inside pyvis."""
    import importlib.util

    # Found without importing pyvis: its package imports IPython, networkx and jinja2,
    # none of which the page needs.
    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the pyvis package is not installed; install pyvis>=0.3.2")
    lib = Path(spec.submodule_search_locations[0]).resolve() / "lib"
    found = []
    for folder in lib.glob("vis-*"):
        js, css = folder / "vis-network.min.js", folder / "vis-network.css"
        if js.is_file() and css.is_file():
            number = tuple(int(p) if p.isdigit() else 0 for p in folder.name[4:].split("."))
            found.append((number, folder.name[4:], js, css))
    if not found:
        raise RuntimeError(f"vis-network is missing from the pyvis package ({lib}); reinstall pyvis>=0.3.2")
    _v, version, js, css = max(found)
    return version, js.read_text(encoding="utf-8"), css.read_text(encoding="utf-8")


# -- choosing what to draw ----------------------------------------------------------------------


@dataclass
class _Item:
    """A node or edge being prepared, with the findings attached to it."""

    notes: list[str] = field(default_factory=list)
    border: str = ""  # "", "amber" or "red"


_short = v.short_id


def _entity(text: str, kind: str) -> str:
    """``kind/id`` from an IRI, a ``kind/id`` or a bare id."""
    text = _short(str(text))
    return text if text.startswith(kind + "/") else f"{kind}/{text}"


_ALLOCATION_AREAS = """
SELECT ?a ?area ?f WHERE { ?a a ics:Allocation ; ics:area ?area ; ics:function ?f .
  FILTER NOT EXISTS { ?a ics:status ics:StatusRetired } }
"""
_DELEGATION_AREAS = """
SELECT ?d ?area ?f WHERE { ?d a ics:Delegation ; ics:function ?f . OPTIONAL { ?d ics:area ?area } }
"""


def _edge_facts(mapping) -> tuple[dict[str, str], dict[str, str], dict[str, list[str]]]:
    """edge id prefix -> area (``area/x``), -> function (``function/x``); function -> areas allocated in."""
    area_of: dict[str, str] = {}
    function_of: dict[str, str] = {}
    allocated: dict[str, list[str]] = {}
    for row in mapping.select(_ALLOCATION_AREAS):
        area_of[_short(row["a"])] = _short(row["area"])
        function_of[_short(row["a"])] = _short(row["f"])
        allocated.setdefault(_short(row["f"]), []).append(_short(row["area"]))
    for row in mapping.select(_DELEGATION_AREAS):
        if row.get("area"):
            area_of[_short(row["d"])] = _short(row["area"])
        function_of[_short(row["d"])] = _short(row["f"])
    return area_of, function_of, allocated


def _statement_of(edge: Edge) -> str:
    """The allocation or delegation an edge states (``allocation/x``), or ""."""
    parts = edge.id.split("/")
    if edge.kind in ("accountable", "delivers", "delegates") and len(parts) >= 3:
        return f"{parts[1]}/{parts[2]}"
    return ""


def _rank(level: str) -> int:
    """A level's row on the page, counting from 0 (national); unknown levels below all."""
    return v.level_rank(level) - 1


def _tree(edges: list[Edge]) -> AreaTree:
    """The area tree as the drawing's part-of edges state it."""
    return AreaTree((e.source, e.target) for e in edges if e.kind == "part-of")


def _footprint(nodes: dict[str, Node], edges: list[Edge], area: str, area_of: dict[str, str]):
    """The area, the areas inside it, and everything that touches them."""
    inside = _tree(edges).inside(area)
    core = set(inside)
    for e in edges:
        placed = area_of.get(_statement_of(e))
        if placed in inside:
            core.update((e.source, e.target))
        elif e.kind == "operates-in" and e.target in inside:
            core.add(e.source)
    kept = []
    for e in edges:
        placed = area_of.get(_statement_of(e))
        if placed is not None:
            if placed in inside:
                kept.append(e)
        elif e.source in core or e.target in core:
            kept.append(e)
    keep = core | {e.source for e in kept} | {e.target for e in kept}
    return {k: n for k, n in nodes.items() if k in keep}, kept


def _collapse(nodes: dict[str, Node], edges: list[Edge]):
    """Each place's neighbourhoods merged into one node ``neighbourhoods/<place id>``."""
    tree = _tree(edges)
    merged: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    for key, node in nodes.items():
        up = tree.parent(key)
        if node.kind == "area" and node.level == "neighbourhood" and up in nodes and nodes[up].level == "place":
            merged[key] = _NEIGHBOURHOODS + up
            members.setdefault(up, []).append(node.label)
    out = {k: n for k, n in nodes.items() if k not in merged}
    for place, names in members.items():
        key = _NEIGHBOURHOODS + place
        out[key] = Node(
            id=key,
            label=f"{nodes[place].label}: {len(names)} neighbourhood{'s' if len(names) != 1 else ''}",
            kind="area",
            level="neighbourhood",
            type="Neighbourhoods (collapsed)",
        )
    seen: dict[tuple, Edge] = {}
    for e in edges:
        source, target = merged.get(e.source, e.source), merged.get(e.target, e.target)
        if source == e.source and target == e.target:
            seen.setdefault((e.kind, source, target, e.label, e.id), e)
            continue
        merged_key = (e.kind, source, target, e.label)
        if merged_key not in seen:
            seen[merged_key] = Edge(
                id=f"{e.kind}/{source}/{target}/{e.label}" if e.label else f"{e.kind}/{source}/{target}",
                source=source,
                target=target,
                kind=e.kind,
                label=e.label,
            )
    return out, list(seen.values()), {p: sorted(n) for p, n in members.items()}, merged


def _neighbourhood(edges: list[Edge], start: str, depth: int) -> set[str]:
    adjacent: dict[str, set[str]] = {}
    for e in edges:
        adjacent.setdefault(e.source, set()).add(e.target)
        adjacent.setdefault(e.target, set()).add(e.source)
    reached, frontier = {start}, {start}
    for _ in range(max(depth, 0)):
        frontier = {n for f in frontier for n in adjacent.get(f, ())} - reached
        reached |= frontier
    return reached


def graph_data(
    mapping,
    findings=(),
    *,
    view: str = "all",
    system=None,
    area=None,
    function=None,
    depth: int = 2,
    collapse_neighbourhoods: bool = False,
) -> dict:
    """The nodes and edges :func:`visualise` draws, as plain vis-network data (sorted),
    plus the legend's entries. Raises ``ValueError`` for an unknown view or entity."""
    if view not in VIEW_EDGES:
        raise UsageError(f"unknown view '{view}'; allowed: {', '.join(VIEWS)}")
    if hasattr(findings, "findings"):  # a CheckResult
        findings = findings.findings
    findings = list(findings or ())
    graph = project(mapping)
    nodes = {n.id: n for n in graph.nodes}
    edges = list(graph.edges)
    area_of, function_of, allocated = _edge_facts(mapping)

    # Where functions sit: one row below the highest level they are allocated at.
    function_level = {}
    for fn, areas in allocated.items():
        levels = [nodes[a].level for a in areas if a in nodes and nodes[a].level]
        if levels:
            function_level[fn] = min(levels, key=_rank)

    # Footprint.
    for name, wanted in (("system", system), ("area", area)):
        if wanted is None:
            continue
        key = _entity(wanted, "area")
        if key not in nodes or nodes[key].kind != "area":
            raise UsageError(f"no area '{key[5:]}' in the mapping")
        if name == "system" and nodes[key].level != "system":
            raise UsageError(f"'{key[5:]}' is a {nodes[key].level or 'unknown'}-level area, not a system")
        nodes, edges = _footprint(nodes, edges, key, area_of)

    # Findings: notes and borders on nodes, notes and cycle colour on edges.
    node_items: dict[str, _Item] = {}
    edge_items: dict[str, _Item] = {}
    cycle_edges: set[str] = set()
    by_statement: dict[str, list[Edge]] = {}
    for e in graph.edges:
        by_statement.setdefault(_statement_of(e), []).append(e)
    for f in findings:
        note = f"[{f.severity.word}] {f.rule}: {f.message}"
        red = f.rule in _RED_RULES or f.severity.word == "error"
        focus = _short(f.focus)
        targets = [focus] if focus in nodes else []
        stated = by_statement.get(focus, []) if focus else []
        for e in stated:
            edge_items.setdefault(e.id, _Item()).notes.append(note)
            if focus.startswith("allocation/"):
                targets.append(e.target)
        if f.cycle:
            members = [_short(m) for m in f.cycle]
            pairs = set(itertools.pairwise(members))
            group = {_short(r) for r in f.related}
            for e in graph.edges:
                if (e.source, e.target) not in pairs or e.kind not in ("delegates", "depends-on"):
                    continue
                if e.kind == "delegates" and function_of.get(_statement_of(e)) not in group:
                    continue
                cycle_edges.add(e.id)
                edge_items.setdefault(e.id, _Item()).notes.append(note)
            targets += [m for m in members if m in nodes]
        for key in dict.fromkeys(targets):
            item = node_items.setdefault(key, _Item())
            if note not in item.notes:
                item.notes.append(note)
            if key == focus or key in (e.target for e in stated):
                item.border = "red" if red or item.border == "red" else "amber"
            elif not item.border:
                item.border = "amber"

    # Collapse neighbourhoods (after the footprint, which works on area ids).
    collapsed_members: dict[str, list[str]] = {}
    if collapse_neighbourhoods:
        nodes, edges, collapsed_members, merged = _collapse(nodes, edges)
        for old, new in merged.items():
            if old in node_items:
                item = node_items.setdefault(new, _Item())
                item.notes += [n for n in node_items[old].notes if n not in item.notes]
                if node_items[old].border == "red" or not item.border:
                    item.border = node_items[old].border

    # View.
    kinds = VIEW_EDGES[view]
    edges = [e for e in edges if e.kind in kinds]
    if view != "all":
        keep = {e.source for e in edges} | {e.target for e in edges}
        keep |= {
            k for k, n in nodes.items() if n.kind in _VIEW_FLAGGED_KINDS[view] and node_items.get(k, _Item()).border
        }
        nodes = {k: n for k, n in nodes.items() if k in keep}

    # Focus.
    if function is not None:
        key = _entity(function, "function")
        if key not in nodes:
            raise UsageError(
                f"no function '{key[9:]}' in the {view} view" + (" of that footprint" if system or area else "")
            )
        reached = _neighbourhood(edges, key, depth)
        nodes = {k: n for k, n in nodes.items() if k in reached}
        edges = [e for e in edges if e.source in reached and e.target in reached]

    edges = [e for e in edges if e.source in nodes and e.target in nodes]
    return _vis_data(nodes, edges, node_items, edge_items, cycle_edges, function_level, collapsed_members, view)


def _vis_level(node: Node, function_level: dict[str, str]) -> tuple[int, str]:
    """(row, level word) for the hierarchical layout: levels on even rows, functions on
    the odd row below the level they are allocated at, the unplaced at the bottom."""
    if node.kind == "function":
        level = function_level.get(node.id, "")
        return (2 * _rank(level) + 1 if level else 2 * len(v.LEVELS)), level
    return 2 * _rank(node.level), node.level


def _vis_data(nodes, edges, node_items, edge_items, cycle_edges, function_level, collapsed_members, view) -> dict:
    # Rows of the hierarchical layout: one band per level (and one for the functions
    # allocated at it), a wide band wrapped onto several rows of at most ROW_WIDTH nodes.
    bands: dict[int, list[str]] = {}
    for key in sorted(nodes):
        bands.setdefault(_vis_level(nodes[key], function_level)[0], []).append(key)
    rows: dict[str, int] = {}
    next_row = 0
    for band in sorted(bands):
        for start in range(0, len(bands[band]), ROW_WIDTH):
            for key in bands[band][start : start + ROW_WIDTH]:
                rows[key] = next_row
            next_row += 1

    # The vis-network node and edge records, as pyvis's Network.add_node and add_edge
    # (directed) build them: the options given, plus id/label/shape and from/to.
    node_records: list[dict] = []
    edge_records: list[dict] = []
    for key in sorted(nodes):
        node = nodes[key]
        _band, level = _vis_level(node, function_level)
        row = rows[key]
        fill, border = LEVEL_COLOURS.get(level, LEVEL_COLOURS[""])
        item = node_items.get(key, _Item())
        width = 1
        if item.border:
            border, width = (RED_BORDER if item.border == "red" else AMBER_BORDER), 4
        lines = [node.label, f"{node.kind}" + (f" ({node.type})" if node.type else ""), f"id: {node.id}"]
        if node.kind == "function":
            lines.append(f"allocated at: {level} level" if level else "allocated at: nowhere in this mapping")
        elif level:
            lines.append(f"level: {level}")
        if key.startswith(_NEIGHBOURHOODS):
            names = collapsed_members.get(key[len(_NEIGHBOURHOODS) :], [])
            lines.append("merged: " + ", ".join(names[:30]) + (", ..." if len(names) > 30 else ""))
        if item.notes:
            lines += ["", "Findings:"] + [f"- {n}" for n in item.notes]
        node_records.append(
            {
                "id": key,
                "label": node.label or key,
                "shape": KIND_SHAPES.get(node.kind, "dot"),
                "color": {
                    "background": fill,
                    "border": border,
                    "highlight": {"background": fill, "border": border},
                    "hover": {"background": fill, "border": border},
                },
                "borderWidth": width,
                "borderWidthSelected": width + 1,
                "level": row,
                "kind": node.kind,
                "levelName": level,
                "flagged": item.border,
                "tooltip": "\n".join(lines),
            }
        )
    ordered = sorted(edges, key=lambda e: (e.kind, e.source, e.target, e.label, e.id))
    for e in ordered:
        colour, dashes, width, _words = EDGE_STYLES.get(e.kind, ("#999999", False, 1, e.kind))
        item = edge_items.get(e.id, _Item())
        in_cycle = e.id in cycle_edges
        describe = {"accountable": "accountable in", "delivers": "delivers in", "delegates": "delegates"}
        lines = [f"{nodes[e.source].label} {e.kind} {nodes[e.target].label}"]
        if e.label:
            lines.append(f"{describe.get(e.kind, e.kind)}: {e.label}")
        if in_cycle:
            lines.append("on a cycle")
        if item.notes:
            lines += ["", "Findings:"] + [f"- {n}" for n in item.notes]
        options = {
            "id": e.id,
            "kind": e.kind,
            "cycle": in_cycle,
            "tooltip": "\n".join(lines),
            "color": {"color": CYCLE_COLOUR if in_cycle else colour, "highlight": CYCLE_COLOUR if in_cycle else colour},
            "dashes": dashes,
            "width": 4 if in_cycle else width,
            "arrows": "to",
        }
        if e.kind == "delegates" and e.label:
            options["label"] = e.label
        edge_records.append({**options, "from": e.source, "to": e.target})
    kinds_present = sorted({n.kind for n in nodes.values()}, key=lambda k: list(KIND_SHAPES).index(k))
    levels_present = sorted({_vis_level(n, function_level)[1] for n in nodes.values()}, key=_rank)
    return {
        "view": view,
        "nodes": [_plain(r) for r in node_records],
        "edges": [_plain(r) for r in edge_records],
        "legend": {
            "levels": levels_present,
            "kinds": kinds_present,
            "edges": [k for k in VIEW_EDGES[view] if any(e.kind == k for e in ordered)],
            "cycles": bool(cycle_edges),
            "flags": sorted({i.border for k, i in node_items.items() if k in nodes and i.border}),
        },
    }


def _plain(record: dict) -> dict:
    return {k: record[k] for k in sorted(record)}


# -- the page -------------------------------------------------------------------------------

_OPTIONS = {
    "autoResize": True,
    "layout": {
        "randomSeed": 1,
        "improvedLayout": False,
        "hierarchical": {
            "enabled": True,
            "direction": "UD",
            "sortMethod": "directed",
            "levelSeparation": 110,
            "nodeSpacing": 190,
            "treeSpacing": 160,
            "blockShifting": False,
            "edgeMinimization": False,
            "parentCentralization": True,
        },
    },
    # The hierarchical layout places every node by level; a physics simulation on top
    # would only jiggle it (and keep a large page busy before it settles), so the
    # layout is final as soon as it is drawn: "physics stops once the layout settles"
    # holds from the first frame.
    "physics": {"enabled": False},
    "interaction": {"hover": True, "tooltipDelay": 150, "navigationButtons": False, "keyboard": False},
    "nodes": {
        "font": {"face": "sans-serif", "size": 14, "color": "#1a1a1a"},
        "margin": 8,
        "widthConstraint": {"maximum": 200},
    },
    "edges": {
        "font": {"face": "sans-serif", "size": 11, "align": "middle", "strokeWidth": 3},
        "smooth": {"enabled": True, "type": "cubicBezier", "forceDirection": "vertical", "roundness": 0.4},
    },
}

_SCRIPT = r"""
(function () {
  "use strict";
  var status = document.getElementById("graph-status");
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var options = JSON.parse(document.getElementById("graph-options").textContent);
  function tip(text) {
    var box = document.createElement("div");
    box.className = "tip";
    box.textContent = text;
    return box;
  }
  var nodes = data.nodes.map(function (n) {
    var copy = {};
    Object.keys(n).forEach(function (k) { if (k !== "tooltip") { copy[k] = n[k]; } });
    copy.title = tip(n.tooltip);
    return copy;
  });
  var edges = data.edges.map(function (e) {
    var copy = {};
    Object.keys(e).forEach(function (k) { if (k !== "tooltip") { copy[k] = e[k]; } });
    copy.title = tip(e.tooltip);
    return copy;
  });
  var container = document.getElementById("graph");
  var network = new vis.Network(container, {nodes: new vis.DataSet(nodes), edges: new vis.DataSet(edges)}, options);
  var state = {ready: false, nodes: 0, edges: 0, network: network};
  window.icsGraph = state;
  function settled() {
    if (state.ready) { return; }
    network.setOptions({physics: false});
    network.fit();
    state.nodes = network.body.data.nodes.length;
    state.edges = network.body.data.edges.length;
    state.ready = true;
    status.setAttribute("data-nodes", String(state.nodes));
    status.setAttribute("data-edges", String(state.edges));
    status.setAttribute("data-ready", "true");
    status.textContent = state.nodes + " nodes, " + state.edges + " edges";
  }
  network.once("afterDrawing", settled);
  if (nodes.length === 0) { settled(); }
})();
"""

_CSS = """
html, body { margin: 0; padding: 0; height: 100%; font-family: sans-serif; color: #1a1a1a; background: #fff; }
header { padding: 6px 12px; border-bottom: 1px solid #ccc; display: flex; gap: 16px; align-items: baseline; }
header h1 { font-size: 16px; margin: 0; }
#graph-status { font-size: 13px; color: #555; }
#graph { position: absolute; top: 36px; left: 0; right: 0; bottom: 0; }
#legend { position: absolute; top: 44px; right: 8px; z-index: 5; background: rgba(255,255,255,0.93);
  border: 1px solid #bbb; border-radius: 4px; padding: 6px 10px; font-size: 12px; max-width: 270px; }
#legend h2 { font-size: 12px; margin: 6px 0 2px; }
#legend p { margin: 0 0 2px; color: #444; }
#legend ul { list-style: none; margin: 0; padding: 0; }
#legend li { margin: 2px 0; display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 14px; height: 10px; border: 2px solid; }
.line { display: inline-block; width: 26px; height: 0; border-top-width: 3px; }
div.vis-tooltip { white-space: pre-wrap; max-width: 420px; font-size: 12px; font-family: sans-serif; }
"""


def _json_for_script(value) -> str:
    """JSON that is safe inside a <script> element: ``<``, ``>`` and ``&`` as \\u escapes
    (so no ``</script>`` or ``<!--`` can appear), and the line separators JS dislikes."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, code in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, code)
    return text


def _legend(legend: dict) -> str:
    e = html.escape
    parts = [
        '<aside id="legend" aria-label="Legend">',
        "<h2>Level (colour; top to bottom)</h2>",
        "<p>A function takes the colour of the highest level it is allocated at, in the row below that level.</p><ul>",
    ]
    for level in legend["levels"]:
        fill, border = LEVEL_COLOURS.get(level, LEVEL_COLOURS[""])
        word = level or "no level / not allocated"
        parts.append(f'<li><span class="swatch" style="background:{fill};border-color:{border}"></span>{e(word)}</li>')
    parts.append("</ul><h2>Kind (shape)</h2><ul>")
    for kind in legend["kinds"]:
        parts.append(f"<li>{e(kind)}: {e(_KIND_SHAPE_WORDS.get(kind, 'dot'))}</li>")
    parts.append("</ul><h2>Edges</h2><ul>")
    for kind in legend["edges"]:
        colour, dashes, width, words = EDGE_STYLES[kind]
        style = "dashed" if isinstance(dashes, list) and dashes[0] > 3 else ("dotted" if dashes else "solid")
        parts.append(
            f'<li><span class="line" style="border-top:{max(width, 2)}px {style} {colour}"></span>{e(words)}</li>'
        )
    parts.append("</ul><h2>Findings</h2><ul>")
    parts.append(f'<li><span class="line" style="border-top:4px solid {CYCLE_COLOUR}"></span>edge on a cycle</li>')
    parts.append(
        f'<li><span class="swatch" style="background:#fff;border-color:{RED_BORDER}"></span>'
        "unowned function, coverage gap or error</li>"
    )
    parts.append(
        f'<li><span class="swatch" style="background:#fff;border-color:{AMBER_BORDER}"></span>'
        "other finding (see the tooltip)</li>"
    )
    parts.append("</ul></aside>")
    return "".join(parts)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def visualise(
    mapping,
    findings=(),
    *,
    view: str = "all",
    system=None,
    area=None,
    function=None,
    depth: int = 2,
    collapse_neighbourhoods: bool = False,
    title: str = "ics-graph",
) -> str:
    """One self-contained HTML page drawing ``mapping`` with ``findings`` overlaid.

    ``findings``: :class:`~ics_graph.model.findings.Finding` objects (or a ``CheckResult``).
    ``view``: ``all``, ``dependencies`` (depends-on), ``delegation`` (delegates) or
    ``allocation`` (accountable and delivers). ``system`` / ``area`` (an id, ``area/id``
    or IRI) restrict the drawing to that footprint: the area, the areas inside it and
    what touches them. ``function`` with ``depth`` keeps only what is within ``depth``
    hops of that function. ``collapse_neighbourhoods`` merges each place's
    neighbourhoods into one node. Raises ``ValueError`` for an unknown view or entity.
    """
    data = graph_data(
        mapping,
        findings,
        view=view,
        system=system,
        area=area,
        function=function,
        depth=depth,
        collapse_neighbourhoods=collapse_neighbourhoods,
    )
    legend = data.pop("legend")
    version, vis_js, vis_css = vis_network_assets()
    script = _SCRIPT.strip("\n")
    heading = f"{title}: {view} view"
    policy = (
        "default-src 'none'; base-uri 'none'; form-action 'none'; frame-src 'none'; connect-src 'none'; "
        f"img-src data:; font-src 'none'; style-src 'unsafe-inline'; script-src {_sha256(vis_js)} {_sha256(script)}"
    )
    page = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy, quote=False)}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(heading)}</title>",
        f"<!-- vis-network {html.escape(version)} (Apache-2.0 or MIT), inlined from the pyvis package -->",
        f"<style>{vis_css}</style>",
        f"<style>{_CSS.strip()}</style>",
        "</head>",
        "<body>",
        f'<header><h1>{html.escape(heading)}</h1><span id="graph-status" data-ready="false" '
        f'data-nodes="" data-edges="">{len(data["nodes"])} nodes, {len(data["edges"])} edges (drawing...)</span></header>',
        _legend(legend),
        '<div id="graph" role="img" aria-label="Graph of the mapping"></div>',
        f'<script type="application/json" id="graph-data">{_json_for_script(data)}</script>',
        f'<script type="application/json" id="graph-options">{_json_for_script(_OPTIONS)}</script>',
        f"<script>{vis_js}</script>",
        f"<script>{script}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(page) + "\n"
