"""What a change to a mapping changes: ``ics-graph diff``.

Two versions of a mapping are each read into a :class:`Snapshot` (allocations,
delegations, bodies, areas, collaboratives and dependencies, by IRI) and compared
entity by entity, never file by file: a file reordered or split in two is no change.

Entities with an id of their own (bodies, areas, collaboratives) are matched by it.
Allocations and delegations are matched by IRI first; an allocation or delegation
without an explicit id has one made from what identifies it (function, area,
accountable body, start), so an edit to one of those makes a new IRI. What is left
unmatched is paired by meaning: an allocation with one of the same function in the same
area (its accountability or dates changed), a delegation with one of the same function,
area and delegator (its delegate, instrument or dates changed). Allocations of a
function still unmatched in one system on both sides have *moved* (to another area or
level); the rest were added or removed.

Functions, bodies, areas and collaboratives are also compared by name: one whose label
changed is *renamed*.

Findings are compared by fingerprint, as a baseline matches them: those that appear and
those resolved.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ics_graph.model import vocabulary as v
from ics_graph.model.findings import Finding, Severity
from ics_graph.model.graph import Mapping
from ics_graph.model.timeline import era_of
from ics_graph.queries.areas import AreaTree

__all__ = [
    "ENTITY_KINDS",
    "AccountabilityChange",
    "AllocationChange",
    "AllocationItem",
    "DelegationChange",
    "DelegationEnd",
    "DelegationItem",
    "EntityItem",
    "FieldChange",
    "FindingItem",
    "MappingDiff",
    "Move",
    "Placement",
    "Rename",
    "Snapshot",
    "compare",
    "finding_items",
    "snapshot",
]

_ALLOCATIONS = """
SELECT ?a ?function ?area ?level ?body ?delivered ?joint ?status ?start ?end WHERE {
  ?a a ics:Allocation ; ics:function ?function ; ics:area ?area .
  OPTIONAL { ?a ics:level ?level }
  OPTIONAL { ?a ics:accountableBody ?body }
  OPTIONAL { ?a ics:deliveredBy ?delivered }
  OPTIONAL { ?a ics:joint ?joint }
  OPTIONAL { ?a ics:status ?status }
  OPTIONAL { ?a ics:effectiveFrom ?start }
  OPTIONAL { ?a ics:effectiveTo ?end }
}
"""

_DELEGATIONS = """
SELECT ?d ?function ?area ?delegator ?delegate ?instrument ?status ?start ?end WHERE {
  ?d a ics:Delegation ; ics:function ?function ; ics:area ?area .
  OPTIONAL { ?d ics:delegator ?delegator }
  OPTIONAL { ?d ics:delegate ?delegate }
  OPTIONAL { ?d ics:instrument ?instrument }
  OPTIONAL { ?d ics:status ?status }
  OPTIONAL { ?d ics:effectiveFrom ?start }
  OPTIONAL { ?d ics:effectiveTo ?end }
}
"""

#: The kinds whose entities are added, ended and renamed.
ENTITY_KINDS = ("function", "body", "area", "collaborative")

_ENTITIES = (
    "SELECT DISTINCT ?e ?start ?end WHERE { ?e a ?type . FILTER("
    + " || ".join(f'STRSTARTS(STR(?e), "{v.entity_iri(kind, "")}")' for kind in ENTITY_KINDS)
    + ") OPTIONAL { ?e ics:validFrom ?start } OPTIONAL { ?e ics:validTo ?end } }"
)

_NAMES = (
    "SELECT ?e ?label WHERE { ?e rdfs:label ?label . FILTER("
    + " || ".join(f'STRSTARTS(STR(?e), "{v.entity_iri(kind, "")}")' for kind in ENTITY_KINDS)
    + ") }"
)

_AREA_LEVELS = "SELECT ?area ?level WHERE { ?area ics:level ?level . ?area a ?type . ?type rdfs:subClassOf* ics:Area }"
_SYSTEMS = "SELECT DISTINCT ?s WHERE { ?s a ics:System }"
_DEPENDENCIES = "SELECT DISTINCT ?from ?to WHERE { ?from ics:dependsOn ?to }"

_FUNCTION = v.entity_iri("function", "")
_STATUS_WORDS = {v.ICS + local: word for word, local in v.STATUSES.items()}
_INSTRUMENT_WORDS = {v.ICS + local: word for word, local in v.INSTRUMENTS.items()}


def _kind(iri: str) -> str:
    return v.short_id(iri).split("/", 1)[0]


# -- the two versions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Allocation:
    iri: str
    function: str
    area: str
    level: str | None  # level keyword: the allocation's own, else its area's
    accountable: tuple[str, ...]
    joint: bool
    status: str | None
    start: str | None
    end: str | None
    delivered_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delegation:
    iri: str
    function: str
    area: str
    delegator: str | None
    delegate: str | None
    instrument: str | None  # keyword (s65z5-delegation ...)
    status: str | None
    start: str | None
    end: str | None


@dataclass
class Snapshot:
    """One version of a mapping, as the comparison needs it."""

    mapping: Mapping
    allocations: dict[str, Allocation] = field(default_factory=dict)
    delegations: dict[str, Delegation] = field(default_factory=dict)
    entities: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # IRI -> (valid from, to)
    dependencies: set[tuple[str, str]] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)  # IRI -> label, for the ENTITY_KINDS
    systems_of: dict[str, list[str]] = field(default_factory=dict)  # area -> the systems it is in, nearest first

    def group_of(self, allocation: Allocation) -> str:
        """The system an allocation's area is in while the allocation is in force (an area
        part of two systems in turn is in the one of its era), or the area itself above
        system level."""

        def exists(system: str) -> tuple[str, str]:
            start, end = self.entities.get(system, (None, None))
            return start or "", end or ""

        found = era_of(self.systems_of.get(allocation.area, []), (allocation.start or "", allocation.end or ""), exists)
        return found or allocation.area


def _one(values: set[Any]) -> Any:
    """The least of several values (a mapping should give one), or None."""
    return min(values, key=str) if values else None


def snapshot(mapping: Mapping) -> Snapshot:
    """What the comparison reads of ``mapping``: eight queries, aggregated here."""
    snap = Snapshot(mapping)
    levels = {
        row["area"]: v.LEVEL_BY_IRI[row["level"]].key
        for row in mapping.select(_AREA_LEVELS)
        if row["level"] in v.LEVEL_BY_IRI
    }

    rows: dict[str, dict[str, set[Any]]] = defaultdict(lambda: defaultdict(set))
    for row in mapping.select(_ALLOCATIONS):
        for name, value in row.items():
            rows[row["a"]][name].add(value)
    for iri, values in rows.items():
        own = v.LEVEL_BY_IRI.get(str(_one(values["level"]) or ""))
        area = _one(values["area"])
        snap.allocations[iri] = Allocation(
            iri=iri,
            function=_one(values["function"]),
            area=area,
            level=own.key if own else levels.get(area),
            accountable=tuple(sorted(values["body"])),
            joint=any(value is True or str(value).lower() == "true" for value in values["joint"]),
            status=_STATUS_WORDS.get(str(_one(values["status"]))),
            start=_text(_one(values["start"])),
            end=_text(_one(values["end"])),
            delivered_by=tuple(sorted(values["delivered"])),
        )

    rows = defaultdict(lambda: defaultdict(set))
    for row in mapping.select(_DELEGATIONS):
        for name, value in row.items():
            rows[row["d"]][name].add(value)
    for iri, values in rows.items():
        instrument = _one(values["instrument"])
        snap.delegations[iri] = Delegation(
            iri=iri,
            function=_one(values["function"]),
            area=_one(values["area"]),
            delegator=_one(values["delegator"]),
            delegate=_one(values["delegate"]),
            instrument=_INSTRUMENT_WORDS.get(str(instrument), None if instrument is None else v.short_id(instrument)),
            status=_STATUS_WORDS.get(str(_one(values["status"]))),
            start=_text(_one(values["start"])),
            end=_text(_one(values["end"])),
        )

    dates: dict[str, tuple[set[Any], set[Any]]] = defaultdict(lambda: (set(), set()))
    for row in mapping.select(_ENTITIES):
        starts, ends = dates[row["e"]]
        starts.update([row["start"]] if "start" in row else [])
        ends.update([row["end"]] if "end" in row else [])
    snap.entities = {iri: (_text(_one(starts)), _text(_one(ends))) for iri, (starts, ends) in dates.items()}
    names: dict[str, set[Any]] = defaultdict(set)
    for row in mapping.select(_NAMES):
        names[row["e"]].add(row["label"])
    snap.names = {iri: str(_one(labels)) for iri, labels in names.items()}

    snap.dependencies = {
        (row["from"], row["to"])
        for row in mapping.select(_DEPENDENCIES)
        if row["from"].startswith(_FUNCTION) and row["to"].startswith(_FUNCTION)
    }

    tree = AreaTree.of(mapping)
    systems = {row["s"] for row in mapping.select(_SYSTEMS)}
    for area in {a.area for a in snap.allocations.values()}:
        found = [up for up in tree.ancestors(area) if up in systems]
        if found:
            snap.systems_of[area] = found
    return snap


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


# -- the differences ----------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Where an allocation sits: an area, at a level."""

    area: str
    level: str | None


@dataclass(frozen=True)
class Move:
    """A function's allocations in one system (or above system level, one area) that
    are elsewhere now: another area, or another level."""

    function: str
    system: str  # the system the allocations were in (or the area, above system level)
    before: tuple[Placement, ...]
    after: tuple[Placement, ...]


@dataclass(frozen=True)
class AllocationItem:
    iri: str
    function: str
    area: str
    level: str | None
    accountable: tuple[str, ...]
    joint: bool


@dataclass(frozen=True)
class AccountabilityChange:
    allocation: str  # the allocation as it is now
    function: str
    area: str
    before: tuple[str, ...]
    before_joint: bool
    after: tuple[str, ...]
    after_joint: bool


@dataclass(frozen=True)
class FieldChange:
    """One value of an allocation or delegation, before and after (None: not given).
    ``field`` is the YAML key (``to``, ``instrument``, ``effective_from`` ...); a body
    (``to``) is an IRI, and bodies (``delivered_by``) a tuple of IRIs."""

    field: str
    before: str | tuple[str, ...] | None
    after: str | tuple[str, ...] | None


@dataclass(frozen=True)
class AllocationChange:
    """An allocation whose status, dates or delivering bodies changed (its
    accountability: see :class:`AccountabilityChange`)."""

    allocation: str
    function: str
    area: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class DelegationItem:
    iri: str
    function: str
    area: str
    delegator: str | None
    delegate: str | None
    instrument: str | None
    start: str | None
    end: str | None


@dataclass(frozen=True)
class DelegationEnd:
    delegation: DelegationItem
    how: str  # "removed", "ends" (an effective_to was added) or "retired"
    end: str | None  # the effective_to added


@dataclass(frozen=True)
class DelegationChange:
    delegation: DelegationItem  # as it is now
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class EntityItem:
    iri: str
    kind: str  # body, area, collaborative
    how: str  # "added", "removed" or "ends" (a valid_to was added)
    end: str | None = None


@dataclass(frozen=True)
class Rename:
    iri: str
    kind: str  # function, body, area, collaborative
    before: str
    after: str


@dataclass(frozen=True)
class FindingItem:
    rule: str
    severity: str
    message: str
    focus: str
    fingerprint: str
    file: str | None
    line: int | None


@dataclass
class MappingDiff:
    """Everything that differs between two versions of a mapping, each list sorted."""

    moved: list[Move] = field(default_factory=list)
    accountability: list[AccountabilityChange] = field(default_factory=list)
    allocations_added: list[AllocationItem] = field(default_factory=list)
    allocations_removed: list[AllocationItem] = field(default_factory=list)
    allocations_changed: list[AllocationChange] = field(default_factory=list)
    delegations_added: list[DelegationItem] = field(default_factory=list)
    delegations_ended: list[DelegationEnd] = field(default_factory=list)
    delegations_changed: list[DelegationChange] = field(default_factory=list)
    entities_added: list[EntityItem] = field(default_factory=list)
    entities_ended: list[EntityItem] = field(default_factory=list)
    renamed: list[Rename] = field(default_factory=list)
    dependencies_added: list[tuple[str, str]] = field(default_factory=list)
    dependencies_removed: list[tuple[str, str]] = field(default_factory=list)
    appear: list[FindingItem] = field(default_factory=list)
    resolved: list[FindingItem] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # every IRI above -> its label (now, else before)

    def change_count(self) -> int:
        """How many changes to the mapping (findings not counted)."""
        return sum(
            len(group)
            for group in (
                self.moved,
                self.accountability,
                self.allocations_added,
                self.allocations_removed,
                self.allocations_changed,
                self.delegations_added,
                self.delegations_ended,
                self.delegations_changed,
                self.entities_added,
                self.entities_ended,
                self.renamed,
                self.dependencies_added,
                self.dependencies_removed,
            )
        )

    def failing(self, level: Severity | None) -> list[FindingItem]:
        """The findings that appear at or above ``level`` (None: none fail)."""
        if level is None:
            return []
        return [f for f in self.appear if Severity.parse(f.severity) >= level]


def _pair(before: list[Any], after: list[Any], key, order) -> tuple[list[tuple[Any, Any]], list[Any], list[Any]]:
    """Pairs of items with the same ``key`` (in ``order`` within a key), and those left on each side."""
    groups_before: dict[Any, list[Any]] = defaultdict(list)
    groups_after: dict[Any, list[Any]] = defaultdict(list)
    for item in before:
        groups_before[key(item)].append(item)
    for item in after:
        groups_after[key(item)].append(item)
    pairs, left_before, left_after = [], [], []
    for group in sorted(set(groups_before) | set(groups_after), key=str):
        old = sorted(groups_before.get(group, []), key=order)
        new = sorted(groups_after.get(group, []), key=order)
        pairs += list(zip(old, new, strict=False))
        left_before += old[len(new) :]
        left_after += new[len(old) :]
    return pairs, left_before, left_after


def _allocation_item(a: Allocation) -> AllocationItem:
    return AllocationItem(a.iri, a.function, a.area, a.level, a.accountable, a.joint)


def _delegation_item(d: Delegation) -> DelegationItem:
    return DelegationItem(d.iri, d.function, d.area, d.delegator, d.delegate, d.instrument, d.start, d.end)


def _changes(old: Any, new: Any, fields: dict[str, str]) -> list[FieldChange]:
    return [
        FieldChange(key, getattr(old, name), getattr(new, name))
        for key, name in fields.items()
        if getattr(old, name) != getattr(new, name)
    ]


_ALLOCATION_FIELDS = {
    "delivered_by": "delivered_by",
    "status": "status",
    "effective_from": "start",
    "effective_to": "end",
}
_DELEGATION_FIELDS = {
    "to": "delegate",
    "instrument": "instrument",
    "status": "status",
    "effective_from": "start",
    "effective_to": "end",
}


def _compare_allocations(base: Snapshot, head: Snapshot, diff: MappingDiff) -> None:
    # the same allocation: the same IRI, function and area (an id kept while the area
    # changed is a move, as is a new id)
    same = lambda iri: (
        iri in base.allocations
        and iri in head.allocations
        and (
            (base.allocations[iri].function, base.allocations[iri].area)
            == (head.allocations[iri].function, head.allocations[iri].area)
        )
    )
    pairs = [(base.allocations[iri], head.allocations[iri]) for iri in sorted(base.allocations) if same(iri)]
    more, gone, new = _pair(
        [a for iri, a in base.allocations.items() if not same(iri)],
        [a for iri, a in head.allocations.items() if not same(iri)],
        key=lambda a: (a.function, a.area),
        order=lambda a: (a.start or "", a.end or "", a.iri),
    )
    for old, now in pairs + more:
        if (old.accountable, old.joint) != (now.accountable, now.joint):
            diff.accountability.append(
                AccountabilityChange(
                    now.iri, now.function, now.area, old.accountable, old.joint, now.accountable, now.joint
                )
            )
        if old.level != now.level:
            diff.moved.append(
                Move(
                    now.function,
                    head.group_of(now),
                    (Placement(old.area, old.level),),
                    (Placement(now.area, now.level),),
                )
            )
        changes = _changes(old, now, _ALLOCATION_FIELDS)
        if changes:
            diff.allocations_changed.append(AllocationChange(now.iri, now.function, now.area, tuple(changes)))
    # what is left of a function in one system on both sides has moved
    removed: dict[tuple[str, str], list[Allocation]] = defaultdict(list)
    added: dict[tuple[str, str], list[Allocation]] = defaultdict(list)
    for a in gone:
        removed[(a.function, base.group_of(a))].append(a)
    for a in new:
        added[(a.function, head.group_of(a))].append(a)
    for key in sorted(set(removed) | set(added)):
        if key in removed and key in added:
            diff.moved.append(
                Move(
                    key[0],
                    key[1],
                    tuple(sorted({Placement(a.area, a.level) for a in removed[key]}, key=_placement_order)),
                    tuple(sorted({Placement(a.area, a.level) for a in added[key]}, key=_placement_order)),
                )
            )
        else:
            diff.allocations_removed += [_allocation_item(a) for a in removed.get(key, [])]
            diff.allocations_added += [_allocation_item(a) for a in added.get(key, [])]


def _placement_order(p: Placement) -> tuple:
    return (v.level_rank(p.level), p.area)


def _compare_delegations(base: Snapshot, head: Snapshot, diff: MappingDiff) -> None:
    common = sorted(set(base.delegations) & set(head.delegations))
    pairs = [(base.delegations[iri], head.delegations[iri]) for iri in common]
    more, gone, new = _pair(
        [d for iri, d in base.delegations.items() if iri not in head.delegations],
        [d for iri, d in head.delegations.items() if iri not in base.delegations],
        key=lambda d: (d.function, d.area, d.delegator or ""),
        order=lambda d: (d.start or "", d.end or "", d.iri),
    )
    for old, now in pairs + more:
        changes = _changes(old, now, _DELEGATION_FIELDS)
        if old.end is None and now.end is not None:
            diff.delegations_ended.append(DelegationEnd(_delegation_item(now), "ends", now.end))
            changes = [c for c in changes if c.field != "effective_to"]
        elif old.status != "retired" and now.status == "retired":
            diff.delegations_ended.append(DelegationEnd(_delegation_item(now), "retired", None))
            changes = [c for c in changes if c.field != "status"]
        if changes:
            diff.delegations_changed.append(DelegationChange(_delegation_item(now), tuple(changes)))
    diff.delegations_ended += [DelegationEnd(_delegation_item(d), "removed", None) for d in gone]
    diff.delegations_added += [_delegation_item(d) for d in new]


def _compare_entities(base: Snapshot, head: Snapshot, diff: MappingDiff) -> None:
    for iri in sorted(set(base.entities) | set(head.entities)):
        if iri not in base.entities:
            diff.entities_added.append(EntityItem(iri, _kind(iri), "added"))
        elif iri not in head.entities:
            diff.entities_ended.append(EntityItem(iri, _kind(iri), "removed"))
        elif base.entities[iri][1] is None and head.entities[iri][1] is not None:
            diff.entities_ended.append(EntityItem(iri, _kind(iri), "ends", head.entities[iri][1]))
    for iri in sorted(set(base.names) & set(head.names)):
        if base.names[iri] != head.names[iri]:
            diff.renamed.append(Rename(iri, _kind(iri), base.names[iri], head.names[iri]))


def finding_items(findings: list[Finding], shown=lambda file: file) -> dict[str, FindingItem]:
    """Findings by fingerprint, as the diff reports them; ``shown`` gives the file name
    to report for the file a finding's location names."""
    items = {}
    for f in findings:
        loc = f.location
        items[f.fingerprint] = FindingItem(
            f.rule,
            f.severity.word,
            f.message,
            f.focus,
            f.fingerprint,
            shown(loc.file) if loc and loc.file else None,
            loc.line if loc and loc.line else None,
        )
    return items


def compare(
    base: Snapshot, head: Snapshot, base_findings: dict[str, FindingItem], head_findings: dict[str, FindingItem]
) -> MappingDiff:
    """Everything that differs between ``base`` and ``head``, and the findings (by
    fingerprint, see :func:`finding_items`) that appear and are resolved."""
    diff = MappingDiff()
    _compare_allocations(base, head, diff)
    _compare_delegations(base, head, diff)
    _compare_entities(base, head, diff)
    diff.dependencies_added = sorted(head.dependencies - base.dependencies)
    diff.dependencies_removed = sorted(base.dependencies - head.dependencies)
    diff.appear = [f for fp, f in head_findings.items() if fp not in base_findings]
    diff.resolved = [f for fp, f in base_findings.items() if fp not in head_findings]

    # labels: as the entity is called now, else as it was
    wanted: set[str] = set()
    for item in [
        *diff.moved,
        *diff.accountability,
        *diff.allocations_added,
        *diff.allocations_removed,
        *diff.allocations_changed,
        *diff.delegations_added,
        *diff.delegations_changed,
        *diff.delegations_ended,
        *diff.entities_added,
        *diff.entities_ended,
        *diff.renamed,
    ]:
        wanted.update(_iris(item))
    wanted.update(iri for pair in [*diff.dependencies_added, *diff.dependencies_removed] for iri in pair)
    before, now = base.mapping.labels(wanted), head.mapping.labels(wanted)
    diff.labels = {iri: now[iri] if now[iri] != _tail(iri) else before[iri] for iri in wanted}
    _sort(diff)
    return diff


def _tail(iri: str) -> str:
    """What :meth:`Mapping.labels` shows for an entity without a label."""
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _iris(item: Any) -> set[str]:
    """Every entity IRI an item names."""
    found: set[str] = set()
    for value in item.__dict__.values():
        if isinstance(value, str) and value.startswith(v.ID):
            found.add(value)
        elif isinstance(value, tuple | list):
            for one in value:
                if isinstance(one, str) and one.startswith(v.ID):
                    found.add(one)
                elif hasattr(one, "__dict__"):
                    found |= _iris(one)
        elif hasattr(value, "__dict__"):
            found |= _iris(value)
    return found


def _sort(diff: MappingDiff) -> None:
    label = lambda iri: (diff.labels.get(iri or "", iri or ""), iri or "")
    diff.moved.sort(key=lambda m: (label(m.function), label(m.system), [(p.area, p.level or "") for p in m.before]))
    diff.accountability.sort(key=lambda c: (label(c.function), label(c.area), c.allocation))
    for items in (diff.allocations_added, diff.allocations_removed):
        items.sort(key=lambda a: (label(a.function), label(a.area), a.iri))
    diff.allocations_changed.sort(key=lambda c: (label(c.function), label(c.area), c.allocation))
    diff.delegations_added.sort(key=lambda d: (label(d.function), label(d.area), d.iri))
    diff.delegations_ended.sort(
        key=lambda e: (label(e.delegation.function), label(e.delegation.area), e.delegation.iri)
    )
    diff.delegations_changed.sort(
        key=lambda c: (label(c.delegation.function), label(c.delegation.area), c.delegation.iri)
    )
    kind_order = lambda kind: ENTITY_KINDS.index(kind) if kind in ENTITY_KINDS else 9
    for entities in (diff.entities_added, diff.entities_ended):
        entities.sort(key=lambda e: (kind_order(e.kind), label(e.iri)))
    diff.renamed.sort(key=lambda r: (kind_order(r.kind), r.after, r.iri))
    for deps in (diff.dependencies_added, diff.dependencies_removed):
        deps.sort(key=lambda d: (label(d[0]), label(d[1])))
    for findings in (diff.appear, diff.resolved):
        findings.sort(key=lambda f: (-Severity.parse(f.severity), f.rule, f.message, f.fingerprint))
