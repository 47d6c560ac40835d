"""What a function touches, and what would change if it moved: ``ics-graph impact``.

Transition leads ask two questions about a function before they move it:

- *What is connected to it?* The functions it depends on (upstream) and the functions
  that depend on it (downstream), each with how many steps away it is; the areas where
  it is allocated or delegated; the bodies accountable for it, delivering it,
  delegating it or receiving it.
- *What would a move break or fix?* A dry run: a modified copy of the mapping in which
  the function's allocations are replaced by allocations at another level, checked
  before and after with the same rules; the report lists the findings that would
  appear and those that would disappear. The mapping given is never changed.

Dependencies are fetched with one query (a projection of ``ics:dependsOn`` between
functions) and walked breadth-first in Python, so cycles cannot loop.
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ics_graph.model import vocabulary as v
from ics_graph.model.findings import Finding
from ics_graph.model.graph import Mapping
from ics_graph.model.sparql import IRI
from ics_graph.model.timeline import overlap
from ics_graph.queries.areas import AreaTree
from ics_graph.util.errors import UsageError

__all__ = [
    "DRY_RUN_GRAPH",
    "FindingChange",
    "ImpactReport",
    "MoveResult",
    "MovedAllocation",
    "RelatedFunction",
    "TouchedArea",
    "TouchedBody",
    "impact",
    "moved_allocation_iri",
    "moved_copy",
]

#: The named graph that holds the allocations a dry run adds (in the modified copy only).
DRY_RUN_GRAPH = "urn:ics-graph:dry-run"


_EDGES = """
SELECT DISTINCT ?from ?to WHERE {
  ?from ics:dependsOn ?to .
  ?from a ics:Function .
  ?to a ics:Function .
}
"""

# Live (not retired) allocations and delegations of ?f, with the area, its level and
# every body involved in a role.
_TOUCHES = """
SELECT DISTINCT ?entity ?kind ?area ?level ?body ?role WHERE {
  {
    ?entity a ics:Allocation ; ics:function ?f ; ics:area ?area . BIND("allocation" AS ?kind)
    OPTIONAL {
      { ?entity ics:accountableBody ?body . BIND("accountable" AS ?role) }
      UNION { ?entity ics:deliveredBy ?body . BIND("delivers" AS ?role) }
    }
  }
  UNION
  {
    ?entity a ics:Delegation ; ics:function ?f ; ics:area ?area . BIND("delegation" AS ?kind)
    OPTIONAL {
      { ?entity ics:delegator ?body . BIND("delegates" AS ?role) }
      UNION { ?entity ics:delegate ?body . BIND("receives" AS ?role) }
    }
  }
  FILTER NOT EXISTS { ?entity ics:status ics:StatusRetired }
  OPTIONAL { ?area ics:level ?level }
}
"""

# Every area with its level (from ics:level), its class among the five level classes
# (sub-ICB locations have none) and what it is part of.
_AREAS = """
SELECT DISTINCT ?area ?level ?cls ?parent WHERE {
  { SELECT DISTINCT ?area WHERE { ?area a ?type . ?type rdfs:subClassOf* ics:Area } }
  OPTIONAL { ?area ics:level ?level }
  OPTIONAL { ?area a ?cls . VALUES ?cls { ics:Nation ics:Region ics:System ics:Place ics:Neighbourhood } }
  OPTIONAL { ?area ics:partOf ?parent }
}
"""

_ALLOCATIONS = """
SELECT DISTINCT ?allocation ?area WHERE {
  ?allocation a ics:Allocation ; ics:function ?f ; ics:area ?area .
  FILTER NOT EXISTS { ?allocation ics:status ics:StatusRetired }
}
"""

_IS_FUNCTION = "ASK WHERE { ?f a ?type . ?type rdfs:subClassOf* ics:Function }"


# -- the report -------------------------------------------------------------------------

_short = v.short_id


@dataclass(frozen=True)
class RelatedFunction:
    iri: str
    label: str
    depth: int  # 1 = a direct dependency

    def as_dict(self) -> dict:
        return {"iri": self.iri, "id": _short(self.iri), "label": self.label, "depth": self.depth}


@dataclass(frozen=True)
class TouchedArea:
    iri: str
    label: str
    level: str | None  # level keyword (system, place ...), None if unknown
    via: tuple[str, ...]  # "allocation" and/or "delegation"

    def as_dict(self) -> dict:
        return {
            "iri": self.iri,
            "id": _short(self.iri),
            "label": self.label,
            "level": self.level,
            "via": list(self.via),
        }


@dataclass(frozen=True)
class TouchedBody:
    iri: str
    label: str
    roles: tuple[str, ...]  # accountable, delivers, delegates, receives

    def as_dict(self) -> dict:
        return {"iri": self.iri, "id": _short(self.iri), "label": self.label, "roles": list(self.roles)}


@dataclass(frozen=True)
class MovedAllocation:
    """An allocation the dry run adds."""

    iri: str
    area: str
    area_label: str
    accountable: tuple[str, ...]
    accountable_labels: tuple[str, ...]
    joint: bool = False  # several bodies answering as one

    def as_dict(self) -> dict:
        return {
            "iri": self.iri,
            "id": _short(self.iri),
            "area": self.area,
            "area_label": self.area_label,
            "accountable": list(self.accountable),
            "accountable_labels": list(self.accountable_labels),
            "joint": self.joint,
        }

    def accountable_text(self) -> str:
        """', accountable: A', 'A and B (jointly)' or 'A and B (not joint)', or ', no accountable body'."""
        labels = sorted(self.accountable_labels)
        if not labels:
            return ", no accountable body"
        if len(labels) == 1:
            return f", accountable: {labels[0]}"
        return f", accountable: {', '.join(labels[:-1])} and {labels[-1]} ({'jointly' if self.joint else 'not joint'})"


@dataclass(frozen=True)
class FindingChange:
    rule: str
    severity: str
    message: str
    focus: str
    fingerprint: str

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "focus": _short(self.focus),
            "fingerprint": self.fingerprint,
        }


@dataclass
class MoveResult:
    level: str  # the target level keyword
    area: str | None  # the one target area, when given
    removed: list[str] = field(default_factory=list)  # allocation IRIs removed
    added: list[MovedAllocation] = field(default_factory=list)
    appear: list[FindingChange] = field(default_factory=list)
    disappear: list[FindingChange] = field(default_factory=list)
    changed: list[FindingChange] = field(default_factory=list)  # same finding, new wording (as it would read)

    def as_dict(self) -> dict:
        return {
            "level": self.level,
            "area": self.area,
            "removed": [{"iri": iri, "id": _short(iri)} for iri in self.removed],
            "added": [a.as_dict() for a in self.added],
            "appear": [f.as_dict() for f in self.appear],
            "disappear": [f.as_dict() for f in self.disappear],
            "changed": [f.as_dict() for f in self.changed],
        }


@dataclass
class ImpactReport:
    function: str
    label: str
    upstream: list[RelatedFunction] = field(default_factory=list)
    downstream: list[RelatedFunction] = field(default_factory=list)
    in_cycle: bool = False  # the function reaches itself through its dependencies
    areas: list[TouchedArea] = field(default_factory=list)
    bodies: list[TouchedBody] = field(default_factory=list)
    move: MoveResult | None = None

    def as_dict(self) -> dict:
        return {
            "function": {"iri": self.function, "id": _short(self.function), "label": self.label},
            "upstream": [f.as_dict() for f in self.upstream],
            "downstream": [f.as_dict() for f in self.downstream],
            "in_cycle": self.in_cycle,
            "areas": [a.as_dict() for a in self.areas],
            "bodies": [b.as_dict() for b in self.bodies],
            "move": self.move.as_dict() if self.move else None,
        }

    def render_text(self) -> str:
        out = [f"{self.label} ({_short(self.function)})", ""]
        if self.in_cycle:
            out += ["Note: this function is part of a dependency cycle (see the dependency-cycle rule).", ""]

        def functions(title: str, items: list[RelatedFunction]) -> None:
            out.append(f"{title} ({len(items)}):" if items else f"{title}: none")
            for item in items:
                out.append(f"  depth {item.depth}  {item.label} ({_short(item.iri)})")

        functions("Upstream, what it depends on", self.upstream)
        functions("Downstream, what depends on it", self.downstream)
        out.append("")
        out.append(f"Areas ({len(self.areas)}):" if self.areas else "Areas: none (no live allocation or delegation)")
        for area in self.areas:
            out.append(f"  {area.level or '?':<13} {area.label} ({_short(area.iri)}): {', '.join(area.via)}")
        out.append(f"Bodies ({len(self.bodies)}):" if self.bodies else "Bodies: none")
        for body in self.bodies:
            out.append(f"  {body.label} ({_short(body.iri)}): {', '.join(body.roles)}")
        if self.move is not None:
            move = self.move
            where = f" in {_short(move.area)}" if move.area else ""
            out += ["", f"Dry run: move to {move.level} level{where} (nothing is changed)"]
            out.append(f"  Removes {len(move.removed)} allocation(s)" + (":" if move.removed else ""))
            out += [f"    - {_short(iri)}" for iri in move.removed]
            out.append(f"  Adds {len(move.added)} allocation(s)" + (":" if move.added else ""))
            for added in move.added:
                out.append(f"    + {added.area_label} ({_short(added.area)}){added.accountable_text()}")

            def changes(title: str, mark: str, items: list[FindingChange]) -> None:
                out.append(f"  {title} ({len(items)}):" if items else f"  {title}: none")
                for item in items:
                    out.append(f"    {mark} {item.rule}  {item.severity}  {item.message}")

            changes("Findings that would appear", "+", move.appear)
            changes("Findings that would disappear", "-", move.disappear)
            if move.changed:
                changes("Findings that would stay, reworded", "~", move.changed)
        return "\n".join(out) + "\n"


# -- helpers ----------------------------------------------------------------------------


def moved_allocation_iri(function_iri: str, area_iri: str, era: str = "") -> str:
    """The deterministic IRI of an allocation a dry run adds (``era``, when the move adds
    several to one area, one per system the area was part of in turn: that system's IRI)."""
    tail = f"--in--{_tail(era)}" if era else ""
    return v.entity_iri("allocation", f"{_tail(function_iri)}--moved--{_tail(area_iri)}{tail}")


def _tail(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _bfs(start: str, edges: dict[str, set[str]]) -> tuple[dict[str, int], bool]:
    """Depth of every node reachable from ``start`` (1 = a neighbour), and whether
    ``start`` reaches itself. Iterative; each node is visited once, so cycles end."""
    depth: dict[str, int] = {}
    queue = deque([(start, 0)])
    seen = {start}
    cyclic = False
    while queue:
        node, d = queue.popleft()
        for nxt in sorted(edges.get(node, ())):
            if nxt == start:
                cyclic = True
            if nxt in seen:
                continue
            seen.add(nxt)
            depth[nxt] = d + 1
            queue.append((nxt, d + 1))
    return depth, cyclic


# -- the analysis -----------------------------------------------------------------------


def impact(mapping: Mapping, function_iri: str) -> ImpactReport:
    """The impact of function ``function_iri`` in ``mapping``: what it depends on and
    what depends on it, and the areas and bodies that hold or deliver it. A dry run of
    moving it (:attr:`ImpactReport.move`) is added by :func:`ics_graph.app.impact.impact`,
    which checks the mapping before and after (see :func:`moved_copy` and
    :func:`move_result`). Raises :class:`UsageError` for an unknown function."""
    if not mapping.ask(_IS_FUNCTION, {"f": IRI(function_iri)}):
        raise UsageError(f"'{_short(function_iri)}' is not a function in this mapping")

    # Dependencies: one projection, walked both ways.
    forward: dict[str, set[str]] = {}
    backward: dict[str, set[str]] = {}
    for row in mapping.select(_EDGES):
        forward.setdefault(row["from"], set()).add(row["to"])
        backward.setdefault(row["to"], set()).add(row["from"])
    up, cyclic = _bfs(function_iri, forward)
    down, _ = _bfs(function_iri, backward)

    # Areas and bodies touched by live allocations and delegations.
    areas: dict[str, tuple[str | None, set[str]]] = {}
    bodies: dict[str, set[str]] = {}
    for row in mapping.select(_TOUCHES, {"f": IRI(function_iri)}):
        level = v.LEVEL_BY_IRI.get(row.get("level", ""))
        known_level, via = areas.setdefault(row["area"], (level.key if level else None, set()))
        if known_level is None and level is not None:
            areas[row["area"]] = (level.key, via)
        via.add(row["kind"])
        if "body" in row:
            bodies.setdefault(row["body"], set()).add(row["role"])

    labels = mapping.labels([function_iri, *up, *down, *areas, *bodies])
    order = {"accountable": 0, "delivers": 1, "delegates": 2, "receives": 3}.__getitem__
    report = ImpactReport(
        function=function_iri,
        label=labels[function_iri],
        in_cycle=cyclic,
        upstream=sorted(
            (RelatedFunction(i, labels[i], d) for i, d in up.items() if i != function_iri),
            key=lambda f: (f.depth, f.label, f.iri),
        ),
        downstream=sorted(
            (RelatedFunction(i, labels[i], d) for i, d in down.items() if i != function_iri),
            key=lambda f: (f.depth, f.label, f.iri),
        ),
        areas=sorted(
            (TouchedArea(i, labels[i], lvl, tuple(sorted(via))) for i, (lvl, via) in areas.items()),
            key=lambda a: (v.level_rank(a.level), a.label, a.iri),
        ),
        bodies=sorted(
            (TouchedBody(i, labels[i], tuple(sorted(roles, key=order))) for i, roles in bodies.items()),
            key=lambda b: (b.label, b.iri),
        ),
    )
    return report


@dataclass
class _Areas:
    tree: AreaTree  # what each area is part of
    level: dict[str, str]  # area -> level keyword
    of_class: dict[str, set[str]]  # level keyword -> areas typed with that level's class

    def ancestors(self, area: str) -> set[str]:
        """``area`` and everything it is (transitively) part of."""
        return set(self.tree.ancestors(area))

    def inside(self, area: str) -> set[str]:
        """``area`` and everything (transitively) part of it."""
        return self.tree.inside(area)

    def systems_of(self, area: str) -> set[str]:
        return self.ancestors(area) & self.of_class["system"]

    def parts(self, areas: set[str], key: str) -> set[str]:
        """The direct parts of ``areas`` typed at level ``key``."""
        return {c for a in areas for c in self.tree.children.get(a, ()) if c in self.of_class[key]}


def _area_table(mapping: Mapping) -> _Areas:
    rows = mapping.select(_AREAS)
    table = _Areas(
        AreaTree((row["area"], row["parent"]) for row in rows if "parent" in row), {}, {key: set() for key in v.LEVELS}
    )
    for row in rows:
        area = row["area"]
        level = v.LEVEL_BY_IRI.get(row.get("level", "")) or v.LEVEL_BY_CLASS.get(row.get("cls", ""))
        if level is not None:
            table.level.setdefault(area, level.key)
        if "cls" in row and row["cls"] in v.LEVEL_BY_CLASS:
            table.of_class[v.LEVEL_BY_CLASS[row["cls"]].key].add(area)
    return table


def _targets(table: _Areas, live: dict[str, str], key: str, function_label: str) -> set[str]:
    """Where the function would go at level ``key``, from its live allocations (IRI -> area)."""
    systems = set().union(*(table.systems_of(a) for a in live.values())) if live else set()
    if key == "system":
        found = systems
    elif key == "place":
        found = table.parts(systems, "place")
    elif key == "neighbourhood":
        found = table.parts(table.parts(systems, "place"), "neighbourhood")
    else:  # regional or national: the areas at that level containing where it is now
        found = {x for a in live.values() for x in table.ancestors(a) if x in table.of_class[key]}
    if not found:
        if not live:
            raise UsageError(f"{function_label} has no live allocation to move; give an area to move it to")
        if key in ("system", "place", "neighbourhood") and not systems:
            raise UsageError(
                f"{function_label} is not allocated in or inside any system, so there is no system to "
                f"move it within; give an area to move it to"
            )
        raise UsageError(
            f"no {key}-level area is mapped where {function_label} is allocated; give an area to move it to"
        )
    return found


def moved_copy(
    mapping: Mapping, function_iri: str, move_to: str, area_iri: str | None = None
) -> tuple[Mapping, list[str], list[tuple[str, str, tuple[str, ...], bool]]]:
    """The modified copy a dry run checks: a new :class:`~ics_graph.model.graph.Mapping` in which
    the live allocations of ``function_iri`` (all of them, or with ``area_iri`` those in
    that area's system) are replaced by allocations at level ``move_to``. Returns
    ``(copy, removed, added)``: the allocation IRIs removed, and ``(iri, area, accountable
    bodies, joint)`` of each allocation added. ``mapping`` is not changed.

    A new allocation is accountable to every body accountable in the removed allocations
    it replaces (those in its system, or inside it above system level), jointly when any of
    them was joint: moving two place allocations, each the ICB's jointly with its council,
    to system gives one allocation of the ICB and both councils, jointly. Two bodies that
    were not joint are not made so: the check after the move reports them
    (multiple-accountable), as someone has to decide. An area part of two systems in turn
    (a CCG's footprint until 30 June 2022, an ICB's from 1 July) gets one new allocation per
    system, from the allocations in force while it was in that system: the eras are not
    merged. Status and dates are the first one's."""
    import pyoxigraph as ox

    key = v.parse_level(move_to)
    table = _area_table(mapping)
    function_label = mapping.label(function_iri)
    live = {row["allocation"]: row["area"] for row in mapping.select(_ALLOCATIONS, {"f": IRI(function_iri)})}

    if area_iri is not None:
        if area_iri not in table.level:
            raise UsageError(f"'{_short(area_iri)}' is not an area in this mapping")
        if table.level[area_iri] != key:
            raise UsageError(
                f"cannot move {function_label} to {key} level in {mapping.label(area_iri)}: "
                f"that area is at {table.level[area_iri]} level; give a {key}-level area, "
                f"or move it to {table.level[area_iri]} level"
            )
        scope = table.systems_of(area_iri) or {area_iri}
        covered = set().union(*(table.inside(s) for s in scope))
        removed = sorted(a for a, where in live.items() if where in covered)
        targets = {area_iri}
    else:
        removed = sorted(live)
        targets = _targets(table, live, key, function_label)

    ics = v.ICS

    # The templates of each new allocation: the removed allocations in the target's system
    # while they are in force (or, above system level, inside the target); else the first
    # removed one; else the first live one; else none.
    @functools.cache
    def dates(node: str, start: str, end: str) -> tuple[str, str]:
        """A node's first ``start`` and ``end`` dates ("" where it has none), read once."""
        found = []
        for predicate in (start, end):
            values = [
                q.object.value
                for q in mapping.store.quads_for_pattern(ox.NamedNode(node), ox.NamedNode(predicate), None, None)
            ]
            found.append(min(values) if values else "")
        return found[0], found[1]

    def in_force_in(allocation: str, system: str) -> bool:
        """Whether ``allocation`` is inside ``system`` and in force while it exists."""
        if system not in table.systems_of(live[allocation]):
            return False
        return overlap(
            dates(allocation, ics + "effectiveFrom", ics + "effectiveTo"),
            dates(system, ics + "validFrom", ics + "validTo"),
        )

    def templates(target: str) -> list[tuple[str, list[str]]]:
        """The allocations each new one at ``target`` takes its bodies from, by era: one
        group (named "") unless the target was part of several systems in turn."""
        systems = sorted(table.systems_of(target))
        if systems:
            eras = [(s, [a for a in removed if in_force_in(a, s)]) for s in systems]
            eras = [(s, group) for s, group in eras if group]
            if len(eras) > 1:
                return eras
            near = eras[0][1] if eras else []
        else:
            near = [a for a in removed if target in table.ancestors(live[a])]
        for group in (near, removed[:1], sorted(live)[:1]):
            if group:
                return [("", group)]
        return [("", [])]

    store = ox.Store()
    store.extend(mapping.store)
    for allocation in removed:
        node = ox.NamedNode(allocation)
        for quad in list(store.quads_for_pattern(node, None, None, None)):
            store.remove(quad)
        for quad in list(store.quads_for_pattern(None, None, node, None)):
            store.remove(quad)

    graph = ox.NamedNode(DRY_RUN_GRAPH)
    # every accountable body of a joint allocation moves with it, and so does 'joint'
    copied = [ics + "accountableBody", ics + "joint", ics + "status", ics + "effectiveFrom", ics + "effectiveTo"]
    added_info: list[tuple[str, str, tuple[str, ...], bool]] = []

    for target, (era, from_allocations) in ((t, group) for t in sorted(targets) for group in templates(t)):
        new = ox.NamedNode(moved_allocation_iri(function_iri, target, era))
        quads = [
            ox.Quad(new, ox.NamedNode(v.PREFIXES["rdf"] + "type"), ox.NamedNode(ics + "Allocation"), graph),
            ox.Quad(new, ox.NamedNode(ics + "function"), ox.NamedNode(function_iri), graph),
            ox.Quad(new, ox.NamedNode(ics + "area"), ox.NamedNode(target), graph),
            ox.Quad(new, ox.NamedNode(ics + "level"), ox.NamedNode(v.LEVELS[key].iri), graph),
        ]
        values: dict[str, list[Any]] = {}
        for n, source in enumerate(from_allocations):
            # Read from the original mapping (the copy no longer holds removed allocations):
            # the accountable bodies of every template, the rest from the first.
            for quad in mapping.store.quads_for_pattern(ox.NamedNode(source), None, None, None):
                predicate = quad.predicate.value
                if predicate not in copied or (n and predicate not in (ics + "accountableBody", ics + "joint")):
                    continue
                if quad.object not in values.setdefault(predicate, []):
                    values[predicate].append(quad.object)
        if not values.get(ics + "status"):
            values[ics + "status"] = [ox.NamedNode(ics + "StatusCurrent")]
        if len(values.get(ics + "joint", [])) > 1:  # joint when any of those it replaces was
            values[ics + "joint"] = [value for value in values[ics + "joint"] if value.value == "true"]
        for predicate in copied:
            for value in sorted(values.get(predicate, []), key=str):
                quads.append(ox.Quad(new, ox.NamedNode(predicate), value, graph))
        store.extend(quads)
        accountable = tuple(sorted(body.value for body in values.get(ics + "accountableBody", [])))
        joint = any(value.value == "true" for value in values.get(ics + "joint", []))
        added_info.append((new.value, target, accountable, joint))

    gone = set(removed)
    sources = (
        None
        if mapping.sources is None
        else {
            graph: {k: loc for k, loc in written.items() if k not in gone} for graph, written in mapping.sources.items()
        }
    )
    after = Mapping(
        store=store,
        locations={k: loc for k, loc in mapping.locations.items() if k not in gone},
        files=list(mapping.files),
        sources=sources,
    )
    return after, removed, added_info


def move_result(
    mapping: Mapping,
    key: str,
    area_iri: str | None,
    moved: tuple[list[str], list[tuple[str, str, tuple[str, ...], bool]]],
    before: list[Finding],
    after: list[Finding],
) -> MoveResult:
    """What a move did (``moved``: the allocations removed and added, as
    :func:`moved_copy` gives them) and the findings that appear, disappear or change,
    matched by fingerprint, between checks ``before`` and ``after`` it."""
    removed, added_info = moved
    before_found = {f.fingerprint: f for f in before}
    after_found = {f.fingerprint: f for f in after}

    def changes(found: dict[str, Finding], other: dict[str, Finding]) -> list[FindingChange]:
        items = [
            FindingChange(f.rule, f.severity.word, f.message, f.focus, fp) for fp, f in found.items() if fp not in other
        ]
        return sorted(items, key=lambda c: (c.rule, c.message, c.fingerprint))

    labels = mapping.labels([t for _, t, _, _ in added_info] + [b for _, _, bodies, _ in added_info for b in bodies])
    return MoveResult(
        level=key,
        area=area_iri,
        removed=removed,
        added=[
            MovedAllocation(iri, target, labels[target], bodies, tuple(labels[b] for b in bodies), joint)
            for iri, target, bodies, joint in added_info
        ],
        appear=changes(after_found, before_found),
        disappear=changes(before_found, after_found),
        changed=sorted(
            (
                FindingChange(f.rule, f.severity.word, f.message, f.focus, fp)
                for fp, f in after_found.items()
                if fp in before_found
                and (before_found[fp].message, before_found[fp].severity) != (f.message, f.severity)
            ),
            key=lambda c: (c.rule, c.message, c.fingerprint),
        ),
    )
