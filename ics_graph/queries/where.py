"""Answers for transition leads: where a function sits, what sits in an area, what a
body does.

Each query is a function of the library that returns plain data (dataclasses with
``as_dict()``); the CLI only renders it. Data is fetched with a few SPARQL queries over
small projections (the function's allocations and delegations, the area tree), with
user-chosen entities bound safely, never spliced into query text; chains are then
followed in Python.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ics_graph.model.sparql import IRI, iri_terms
from ics_graph.model.vocabulary import short_id
from ics_graph.queries.areas import AreaTree

__all__ = ["AreaReport", "BodyReport", "WhereReport", "body_report", "projections", "what_sits_at", "where_is"]


def _short(iri: str | None) -> str:

    return short_id(iri) if iri else ""


def _loc(mapping, iri: str) -> str:
    location = mapping.location(iri)
    return str(location) if location else ""


# -- shared projections ----------------------------------------------------------------

_ALLOCATIONS = """
SELECT ?a ?function ?area ?area_label ?level ?rank ?accountable ?accountable_label ?status ?from ?to ?rationale
       ?arrangement ?wte WHERE {
  %s
  ?a a ics:Allocation ; ics:function ?function ; ics:area ?area .
  ?area rdfs:label ?area_label ; ics:level ?lv . ?lv rdfs:label ?level ; ics:rank ?rank .
  OPTIONAL { ?a ics:accountableBody ?accountable . ?accountable rdfs:label ?accountable_label }
  OPTIONAL { ?a ics:status/rdfs:label ?status }
  OPTIONAL { ?a ics:effectiveFrom ?from } OPTIONAL { ?a ics:effectiveTo ?to }
  OPTIONAL { ?a ics:rationale ?rationale }
  OPTIONAL { ?a ics:currentArrangement/rdfs:label ?arrangement }
  OPTIONAL { ?a ics:wte ?wte }
}
"""
_DELIVERERS = """
SELECT ?a ?who ?label WHERE { ?a a ics:Allocation ; ics:deliveredBy ?who . ?who rdfs:label ?label . %s }
"""
# Some delegations (those in some areas, or made or received by one body): found first,
# on their own, then looked up, the optional values before the labels. Oxigraph 0.5 plans
# the same patterns in the order of _DELEGATIONS, on a million triples, in 1 s (270 s
# without the subquery); this way 0.09 s.
_DELEGATIONS_IN = """
SELECT ?d ?function ?from ?from_label ?to ?to_label ?area ?area_label ?instrument ?status ?start ?end ?rationale WHERE {
  { SELECT ?d ?area WHERE { %s ?d ics:area ?area . ?d a ics:Delegation } }
  ?d ics:function ?function ; ics:delegator ?from ; ics:delegate ?to .
  OPTIONAL { ?d ics:instrument/rdfs:label ?instrument }
  OPTIONAL { ?d ics:status/rdfs:label ?status }
  OPTIONAL { ?d ics:effectiveFrom ?start } OPTIONAL { ?d ics:effectiveTo ?end }
  OPTIONAL { ?d ics:rationale ?rationale }
  ?from rdfs:label ?from_label . ?to rdfs:label ?to_label . ?area rdfs:label ?area_label .
}
"""
_DELIVERERS_IN = """
SELECT ?a ?who ?label WHERE { %s ?a a ics:Allocation ; ics:deliveredBy ?who . ?who rdfs:label ?label }
"""
# The allocations a body is accountable for or delivers (in a subquery: Oxigraph 0.5 does
# not start from a VALUES of them, 22 s at a million triples), and the delegations it made
# or received.
_OF_BODY = "{ SELECT DISTINCT ?a WHERE { { ?a ics:accountableBody ?body } UNION { ?a ics:deliveredBy ?body } } }"
_DELEGATIONS_OF_BODY = "{ ?d ics:delegator ?body } UNION { ?d ics:delegate ?body }"
#: An answer about this many areas or fewer fetches only the allocations and delegations
#: in them; about more, everything at once.
_MOST_AREAS_FETCHED_ALONE = 5000
_DELEGATIONS = """
SELECT ?d ?function ?from ?from_label ?to ?to_label ?area ?area_label ?instrument ?status ?start ?end ?rationale WHERE {
  %s
  ?d a ics:Delegation ; ics:function ?function ; ics:delegator ?from ; ics:delegate ?to ; ics:area ?area .
  ?from rdfs:label ?from_label . ?to rdfs:label ?to_label . ?area rdfs:label ?area_label .
  OPTIONAL { ?d ics:instrument/rdfs:label ?instrument }
  OPTIONAL { ?d ics:status/rdfs:label ?status }
  OPTIONAL { ?d ics:effectiveFrom ?start } OPTIONAL { ?d ics:effectiveTo ?end }
  OPTIONAL { ?d ics:rationale ?rationale }
}
"""
_STATUS_RETIRED = "retired"


@dataclass
class Step:
    """One delegation in a chain."""

    delegation: str
    from_body: str
    to_body: str
    instrument: str
    status: str
    start: str
    end: str
    area: str
    source: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Holding:
    """An allocation as seen from one area: where it sits, who answers for it, who
    delivers it, and the delegations that pass it down towards the area."""

    allocation: str
    area: str
    level: str
    accountable: str
    delivered_by: list[str]
    status: str
    start: str
    end: str
    rationale: str
    arrangement: str
    wte: str
    source: str
    covers_from_above: bool
    chain: list[Step] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = dict(self.__dict__)
        data["chain"] = [s.as_dict() for s in self.chain]
        return data


def _one_row_each(rows: list[dict]) -> list[dict]:
    """One row per allocation: a joint allocation comes back once per accountable body,
    and keeps them all, sorted by label (``accountables``, ``accountable_labels``)."""
    merged: dict[str, dict] = {}
    for row in rows:
        first = merged.setdefault(row["a"], {**row, "accountables": [], "accountable_labels": []})
        if row.get("accountable") and row["accountable"] not in first["accountables"]:
            first["accountables"].append(row["accountable"])
            first["accountable_labels"].append(row.get("accountable_label", _short(row["accountable"])))
    for row in merged.values():
        pairs = sorted(zip(row["accountable_labels"], row["accountables"], strict=True))
        row["accountable_labels"] = [label for label, _ in pairs]
        row["accountables"] = [iri for _, iri in pairs]
    return [merged[a] for a in sorted(merged)]


def accountable_text(row: dict) -> str:
    """The accountable body as a person reads it: one name, or several held jointly."""
    labels = row["accountable_labels"]
    if not labels:
        return "(no accountable body)"
    return labels[0] if len(labels) == 1 else " and ".join([", ".join(labels[:-1]), labels[-1]]) + " (jointly)"


class _Context:
    """The projections one query needs, fetched once."""

    def __init__(
        self,
        mapping,
        *,
        function: str | None = None,
        areas: set[str] | None = None,
        body: str | None = None,
        tree: AreaTree | None = None,
        also: Iterable[str] = (),
    ):
        """``function``: only its allocations and delegations; ``areas``: only the
        allocations and delegations in those areas (an answer about an area needs no
        more: a chain to an area passes through the areas containing it); ``body``:
        only the allocations it is accountable for or delivers and the delegations it
        made or received. Either way a national store's every allocation is not read.
        ``also``: queries the answer will ask too (see :meth:`rows`), fetched with the
        projections, all at once (see :meth:`Mapping.select_many`)."""
        self.mapping = mapping
        # The restriction comes first in the query, so that Oxigraph starts from it
        # rather than filtering every allocation of a national store at the end.
        term = " ".join(iri_terms([function])) if function else ""  # a valid IRI, escaped, or nothing
        restrict = f"VALUES ?function {{ {term} }}" if term else ""
        queries: dict[str, str] = {}
        by_areas = areas is not None and not function
        if by_areas:
            if areas:
                # from the areas to what is in them first: Oxigraph then looks up the rest
                values = f"VALUES ?area {{ {' '.join(iri_terms(sorted(areas)))} }}"
                allocations = f"{values} ?a ics:area ?area ."
                queries["allocations"] = _ALLOCATIONS % allocations
                queries["delegations"] = _DELEGATIONS_IN % values
                queries["deliverers"] = _DELIVERERS_IN % allocations
        elif body is not None and not function:
            term = " ".join(iri_terms([body]))  # a valid IRI, escaped
            allocations = _OF_BODY.replace("?body", term)
            queries["allocations"] = _ALLOCATIONS % allocations
            queries["delegations"] = _DELEGATIONS_IN % _DELEGATIONS_OF_BODY.replace("?body", term)
            queries["deliverers"] = _DELIVERERS_IN % allocations
        else:
            queries["allocations"] = _ALLOCATIONS % restrict
            queries["delegations"] = _DELEGATIONS % restrict
            queries["deliverers"] = _DELIVERERS % (f"?a ics:function {term} ." if term else "")
        also = [query for query in dict.fromkeys(also) if query not in queries.values()]
        if tree is None:
            also.append(AreaTree.QUERY)
        named = list(queries)
        fetched = mapping.select_many([*queries.values(), *also])
        found = dict(zip(named, fetched, strict=False))
        self.allocations = _one_row_each(found.get("allocations", []))
        # an answer about areas shows delegations only along the chains of their allocations
        self.delegations = found.get("delegations", []) if self.allocations or not by_areas else []
        deliverers = found.get("deliverers", [])
        # What mapped() and findings_by_entity() found, the same for every function, and
        # the rows of rows(): shared with the restricted views.
        self._shared: dict[str, Any] = {"rows": dict(zip(also, fetched[len(named) :], strict=True))}
        self.delivered_by: dict[str, list[str]] = {}
        for row in sorted(deliverers, key=lambda r: r["label"]):
            self.delivered_by.setdefault(row["a"], []).append(row["label"])
        self.tree = tree if tree is not None else AreaTree.from_rows(self._shared["rows"][AreaTree.QUERY])
        # Answers show where each allocation and delegation was written: a store reads
        # those locations for all of them at once, not one lookup at a time.
        mapping.prefetch_locations([*(r["a"] for r in self.allocations), *(d["d"] for d in self.delegations)])
        self._onward: dict | None = None
        # holding_key() -> the holding (see holding()): an allocation's holding
        # for an area is the same in every answer that shows it (a site shows each in
        # many area pages). Shared with the restricted views, whose chains for that
        # allocation are the same.
        self._holdings: dict[tuple, Holding] = {}
        #: made by :func:`projections` for many answers: each entity's details are then
        #: fetched for every entity at once (see :meth:`details`)
        self.many = False
        self._by_area: dict[str, list[dict]] | None = None
        #: the items of area answers, by holding and relation (see what_sits_at)
        self.items: dict[tuple, dict] = {}
        #: allocation -> whether its accountable bodies delegate its function (see holding_key)
        self._delegated: dict[str, bool] = {}
        self._delegated_in: dict[str, set[str]] | None = None
        self._details: dict[str, dict[str, list[dict]]] = {}
        self._by_function: dict[tuple[str, str], list[dict]] | None = None  # see restricted()
        self._by_body: dict[str, dict[str, list[dict]]] | None = None  # see by_body()
        self._live: dict[str, list[dict]] | None = None  # see live()

    def restricted(self, function: str) -> _Context:
        """This context with ``function``'s allocations and delegations only (the area
        tree and the rest shared): what ``_Context(mapping, function=function)`` fetches,
        taken from projections fetched once for many functions."""
        if self._by_function is None:
            self._by_function = {}
            for key, rows in (("allocations", self.allocations), ("delegations", self.delegations)):
                for row in rows:
                    self._by_function.setdefault((key, row["function"]), []).append(row)
        view = copy.copy(self)
        view.allocations = list(self._by_function.get(("allocations", function), ()))
        view.delegations = list(self._by_function.get(("delegations", function), ()))
        view._onward = None
        view._by_area = None
        view._delegated_in = None
        view._by_body = view._live = None
        return view

    def rows(self, query: str) -> list[dict]:
        """The rows of ``query``, one that every answer asks the same way: fetched with
        the projections when named in ``also``, else now, and kept for the other answers
        (a site answers every function)."""
        kept = self._shared["rows"]
        if query not in kept:
            kept[query] = self.mapping.select(query)
        return kept[query]

    def mapped(self) -> set[str]:
        """The areas with an allocation or delegation (of any function) in or inside them."""
        if "mapped" not in self._shared:
            rows = self.rows(_MAPPED_AREAS)
            self._shared["mapped"] = self.tree.containing(row["in"] for row in rows)
        return self._shared["mapped"]

    def findings_by_entity(self, findings: list) -> dict[str, list]:
        """``findings`` by each entity they are about (their focus and related entities),
        indexed once for the answers that show the same findings."""
        known = self._shared.get("findings")
        if known is None or known[0] is not findings:  # held, so never another list at its address
            index: dict[str, list] = {}
            for finding in findings:
                for iri in {finding.focus, *finding.related}:
                    index.setdefault(iri, []).append(finding)
            known = self._shared["findings"] = (findings, index)
        return known[1]

    def by_body(self) -> dict[str, dict[str, list[dict]]]:
        """For each body, the live allocations it is accountable for ("accountable"), and
        the delegations it made ("delegated") and received ("received")."""
        if self._by_body is None:
            index: dict[str, dict[str, list[dict]]] = {}
            for row in self.allocations:
                if row.get("status") != _STATUS_RETIRED:
                    for body in set(row["accountables"]):
                        index.setdefault(body, {}).setdefault("accountable", []).append(row)
            for row in self.delegations:
                index.setdefault(row["from"], {}).setdefault("delegated", []).append(row)
                index.setdefault(row["to"], {}).setdefault("received", []).append(row)
            self._by_body = index
        return self._by_body

    def live(self, allocation: str) -> list[dict]:
        """The allocation's row, unless it is retired (then none)."""
        if self._live is None:
            self._live = {r["a"]: [r] for r in self.allocations if r.get("status") != _STATUS_RETIRED}
        return self._live.get(allocation, [])

    def details(self, query: str, var: str, iri: str) -> list[dict]:
        """The rows of ``query`` with ``?var`` bound to ``iri`` (one entity's own
        details), in no particular order. For many answers the query runs once, unbound,
        for every entity (it projects ``?var``), instead of once for each."""
        if not self.many:
            return self.mapping.select(query, {var: IRI(iri)})
        if query not in self._details:
            index: dict[str, list[dict]] = {}
            for row in self.mapping.select(query):
                index.setdefault(row[var], []).append(row)
            self._details[query] = index
        return [dict(row) for row in self._details[query].get(iri, ())]

    def ancestors(self, area: str) -> list[str]:
        """The area and the areas containing it, nearest first."""
        return self.tree.ancestors(area)

    def allocations_in(self, areas) -> list[dict]:
        """The allocations in any of ``areas``, in no particular order."""
        if self._by_area is None:
            self._by_area = {}
            for row in self.allocations:
                self._by_area.setdefault(row["area"], []).append(row)
        return [row for area in areas for row in self._by_area.get(area, ())]

    def onward(self) -> dict[tuple[str, str], list[dict]]:
        """The delegations by (function, delegator): a long chain stays linear."""
        if self._onward is None:
            self._onward = {}
            for d in self.delegations:
                self._onward.setdefault((d["function"], d["from"]), []).append(d)
        return self._onward

    def holding_key(self, row: dict, target: str) -> tuple:
        """What the holding of ``row`` for ``target`` depends on: whether it covers the
        target from above, and, where the accountable bodies delegate the function, which
        of the areas it is delegated in contain the target, nearest first (the chain is
        chosen from those alone: see :meth:`chain`)."""
        delegated = self._delegated.get(row["a"])
        if delegated is None:
            onward = self.onward()
            delegated = self._delegated[row["a"]] = any(
                (row["function"], body) in onward for body in row["accountables"]
            )
        if not delegated:
            return (row["a"], row["area"] != target)
        areas = self.delegated_in().get(row["function"], ())
        return (row["a"], row["area"] != target, tuple(a for a in self.ancestors(target) if a in areas))

    def delegated_in(self) -> dict[str, set[str]]:
        """The areas each function is delegated in."""
        if self._delegated_in is None:
            self._delegated_in = {}
            for d in self.delegations:
                self._delegated_in.setdefault(d["function"], set()).add(d["area"])
        return self._delegated_in

    def holding(self, row: dict, target: str) -> Holding:
        """The allocation in ``row`` as it holds for ``target``. Without a delegation
        from its accountable bodies, it is the same for every target it covers from
        above, and is made once for all of them."""
        key = self.holding_key(row, target)
        known = self._holdings.get(key)
        if known is not None:
            return known
        holding = Holding(
            allocation=_short(row["a"]),
            area=row["area_label"],
            level=row["level"],
            accountable=accountable_text(row),
            delivered_by=self.delivered_by.get(row["a"], []),
            status=row.get("status", ""),
            start=row.get("from", ""),
            end=row.get("to", ""),
            rationale=row.get("rationale", ""),
            arrangement=row.get("arrangement", ""),
            wte=str(row.get("wte", "")),
            source=_loc(self.mapping, row["a"]),
            covers_from_above=row["area"] != target,
        )
        for body in row["accountables"]:  # a joint allocation: each holder's own delegations
            holding.chain += self.chain(row["function"], body, target)
        self._holdings[key] = holding
        return holding

    def chain(self, function: str, start_body: str, target: str) -> list[Step]:
        """Follow delegations of ``function`` from ``start_body`` down to ``target``:
        at each body, the live delegation whose area covers the target (the nearest
        area first). Stops at a body already visited, so a circular chain ends."""
        covering = self.ancestors(target)
        onward = self.onward()
        steps: list[Step] = []
        body, seen = start_body, {start_body}
        while True:
            options = [
                d
                for d in onward.get((function, body), ())
                if d["area"] in covering and d.get("status") != _STATUS_RETIRED and d["to"] not in seen
            ]
            if not options:
                return steps
            best = min(options, key=lambda d: (covering.index(d["area"]), d["d"]))
            steps.append(
                Step(
                    delegation=_short(best["d"]),
                    from_body=best["from_label"],
                    to_body=best["to_label"],
                    instrument=best.get("instrument", ""),
                    status=best.get("status", ""),
                    start=best.get("start", ""),
                    end=best.get("end", ""),
                    area=best["area_label"],
                    source=_loc(self.mapping, best["d"]),
                )
            )
            body = best["to"]
            seen.add(body)

    def holdings_for(self, function: str, target: str) -> list[Holding]:
        """The live allocations of ``function`` that cover ``target``, nearest first."""
        rows = []
        for area in self.ancestors(target):
            found = [r for r in self.allocations_in([area]) if r["function"] == function]
            rows += sorted((r for r in found if r.get("status") != _STATUS_RETIRED), key=lambda r: r["a"])
        return [self.holding(r, target) for r in rows]


def _first(rows: list[dict], *order: str) -> dict | None:
    """The first of ``rows`` by the values of ``order`` (then all of them): one row where
    an entity has several (two codes, two classes), the same one on every run."""
    if not rows:
        return None
    return min(rows, key=lambda r: ([str(r.get(k, "")) for k in order], sorted((k, str(x)) for k, x in r.items())))


def _finding_dict(finding) -> dict:
    return {
        "rule": finding.rule,
        "severity": finding.severity.word,
        "message": finding.message,
        "source": str(finding.location) if finding.location else "",
    }


# -- where ------------------------------------------------------------------------------


@dataclass
class AreaAnswer:
    area: str
    area_id: str
    level: str
    holdings: list[Holding]
    findings: list[dict]
    places: list[AreaAnswer] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "area": self.area,
            "id": self.area_id,
            "level": self.level,
            "holdings": [h.as_dict() for h in self.holdings],
            "findings": self.findings,
            "places": [p.as_dict() for p in self.places],
        }


@dataclass
class WhereReport:
    function: dict
    systems: list[AreaAnswer]

    def as_dict(self) -> dict:
        return {"function": self.function, "systems": [s.as_dict() for s in self.systems]}


_FUNCTION = """
SELECT ?f ?label ?code ?category ?holder ?reserved ?lowest ?minimum ?icb_from WHERE {
  ?f rdfs:label ?label .
  OPTIONAL { ?f skos:notation ?code } OPTIONAL { ?f ics:category/rdfs:label ?category }
  OPTIONAL { SELECT ?f (GROUP_CONCAT(?one; separator=" and ") AS ?holder) WHERE {
    SELECT ?f ?one WHERE { ?f ics:statutoryHolder/rdfs:label ?one } ORDER BY ?one } GROUP BY ?f }
  OPTIONAL { ?f ics:reserved ?reserved }
  OPTIONAL { ?f ics:lowestLevel/rdfs:label ?lowest } OPTIONAL { ?f ics:minimumLevel/rdfs:label ?minimum }
  OPTIONAL { ?f ics:icbFrom ?icb_from }
}
"""
# Areas with an allocation or a delegation (the walk up to their systems is done in
# Python, on the area tree). ics:area belongs to allocations and delegations only; one
# predicate's distinct objects are cheap where typing every record of a national store,
# or an anti-join with the delegations, is not.
_MAPPED_AREAS = "SELECT DISTINCT ?in WHERE { ?any ics:area ?in }"
_SYSTEMS = "SELECT ?system ?label WHERE { ?system a ics:System ; rdfs:label ?label } ORDER BY ?label"
# Places (not sub-ICB locations) with the system they are part of; sorted in Python (an
# ORDER BY here cost more than the query). Neighbourhoods are shown only where the
# function is allocated, and those come with its allocations: reading every
# neighbourhood's name and level was a third of a national `where`.
_PLACES = """
SELECT ?part ?whole ?label ?lv WHERE { ?part a ics:Place ; ics:partOf ?whole ; rdfs:label ?label ; ics:level ?lv }
"""
_LEVEL_LABELS = "SELECT ?lv ?level WHERE { ?lv a ics:SpatialLevel ; rdfs:label ?level }"


def where_is(mapping, function: str, *, findings=None, context: _Context | None = None) -> WhereReport:
    """Where ``function`` (an IRI) sits in every system that is mapped, and in each of
    its places (and neighbourhoods that have their own allocation): the allocation that
    covers it, the accountable and delivering bodies, the delegation chain from the
    accountable (statutory) holder down, rationale, source line and findings.

    ``findings`` are the check findings to attach (run ``check`` once and pass them),
    or a function giving those about a set of entities (all of them will do: only those
    about the function, its allocations and delegations are shown); without them none
    are shown. ``context``, from :func:`projections`, saves fetching
    the function's allocations and delegations again.
    """
    if context is not None:
        context = context.restricted(function)
    else:
        context = _Context(mapping, function=function, also=(_MAPPED_AREAS, _PLACES, _SYSTEMS, _LEVEL_LABELS))
    info = _first(context.details(_FUNCTION, "f", function), "label", "code")
    details = {"id": _short(function), "iri": function, **(info or {"label": _short(function)})}
    details.pop("f", None)
    details["source"] = _loc(mapping, function)
    relevant = {function, *(r["a"] for r in context.allocations), *(d["d"] for d in context.delegations)}
    if callable(findings):
        findings = findings(relevant)
    by_entity = context.findings_by_entity(findings or [])
    delegated: dict[str, set[str]] = {}  # area -> the delegations in it
    for d in context.delegations:
        delegated.setdefault(d["area"], set()).add(d["d"])

    def answer(area: str, label: str, level: str) -> AreaAnswer:
        holdings = context.holdings_for(function, area)
        allocated = {r["a"] for r in context.allocations_in([area])}
        entities = ({area} if allocated else set()) | allocated | delegated.get(area, set())
        shown: list[dict] = []
        seen: set[tuple] = set()
        for iri in sorted(entities):
            for f in by_entity.get(iri, []):
                if f.focus in relevant or set(f.related) & relevant:
                    row = _finding_dict(f)
                    key = tuple(row.values())
                    if key not in seen:
                        seen.add(key)
                        shown.append(row)
        return AreaAnswer(area=label, area_id=_short(area), level=level, holdings=holdings, findings=shown)

    # Mapped systems: those with an allocation or delegation (of any function) in or inside them.
    mapped = context.mapped()
    level_label = {row["lv"]: row["level"] for row in context.rows(_LEVEL_LABELS)}
    parts: dict[str, list[dict]] = {}
    for row in context.rows(_PLACES):
        part = {**row, "level": level_label.get(row["lv"], _short(row["lv"]))}
        parts.setdefault(part["whole"], []).append(part)
    places = {part["part"] for listed in parts.values() for part in listed}
    hoods: dict[str, dict] = {}
    for row in context.allocations:  # neighbourhoods (parts of places) where the function is allocated
        parent = context.tree.parent(row["area"])
        if parent in places:
            hoods[row["area"]] = {
                "part": row["area"],
                "whole": parent,
                "label": row["area_label"],
                "level": row["level"],
            }
    for hood in hoods.values():
        parts.setdefault(hood["whole"], []).append(hood)
    for listed in parts.values():
        listed.sort(key=lambda r: (r["label"], r["part"]))
    systems = []
    for row in context.rows(_SYSTEMS):
        if row["system"] not in mapped:
            continue
        system = answer(row["system"], row["label"], "system")
        for f in by_entity.get(function, []):  # function-level findings about this system
            if row["system"] in f.related and _finding_dict(f) not in system.findings:
                system.findings.append(_finding_dict(f))
        for part in parts.get(row["system"], []):
            place = answer(part["part"], part["label"], part["level"])
            for hood in parts.get(part["part"], []):
                place.places.append(answer(hood["part"], hood["label"], hood["level"]))
            system.places.append(place)
        systems.append(system)
    return WhereReport(function=details, systems=systems)


# -- at -----------------------------------------------------------------------------------


@dataclass
class AreaReport:
    area: dict
    groups: list[dict]  # [{"level": ..., "categories": [{"category": ..., "items": [...]}]}]

    def as_dict(self) -> dict:
        return {"area": self.area, "groups": self.groups}


_AREA = """
SELECT ?a ?label ?level ?rank ?code WHERE { ?a rdfs:label ?label ; ics:level ?lv . ?lv rdfs:label ?level ; ics:rank ?rank .
  OPTIONAL { ?a ics:onsCode ?code } }
"""
_CATEGORIES = "SELECT ?f ?label ?category WHERE { ?f a ics:Function ; rdfs:label ?label . OPTIONAL { ?f ics:category/rdfs:label ?category } }"


def projections(mapping) -> _Context:
    """The projections of the whole mapping that :func:`what_sits_at` and
    :func:`body_report` read (allocations, delegations, deliverers, the area tree),
    fetched once: given to them, many areas and bodies are answered without fetching them
    again (a site answers every one)."""
    context = _Context(mapping)
    context.many = True
    return context


def what_sits_at(mapping, area: str, *, level: str | None = None, context: _Context | None = None) -> AreaReport:
    """Everything that sits in ``area`` (an IRI): allocations in the area itself, those
    held above it that cover it, and those in areas inside it; grouped by level (highest
    first) and by function category. ``level`` keeps one level only; ``context``, from
    :func:`projections`, saves fetching the mapping's projections again."""
    if context is None:  # only what this area's answer needs
        tree = AreaTree.of(mapping)
        around = set(tree.ancestors(area)) | tree.inside(area)
        fetched_alone = around if len(around) <= _MOST_AREAS_FETCHED_ALONE else None
        context = _Context(mapping, areas=fetched_alone, tree=tree, also=(_CATEGORIES,))
    info = _first(context.details(_AREA, "a", area), "label", "rank", "code")
    details = {"id": _short(area), "iri": area, **(info or {"label": _short(area)})}
    details.pop("a", None)
    details["source"] = _loc(mapping, area)
    covering = set(context.ancestors(area))
    inside = context.tree.inside(area)
    functions = {r["f"]: r for r in context.rows(_CATEGORIES)}
    by_level: dict[tuple[int, str], dict[str, list]] = {}
    for row in context.allocations_in(covering | inside):
        if row.get("status") == _STATUS_RETIRED:
            continue
        if level and row["level"] != level:
            continue
        target = row["area"] if row["area"] in inside else area
        relation = (
            "covers it from above"
            if row["area"] in covering and row["area"] != area
            else "sits here"
            if row["area"] == area
            else "sits inside it"
        )
        function = functions.get(row["function"]) or {"label": _short(row["function"])}
        # The same allocation is an item of many areas' answers (a site answers them all).
        key = (context.holding_key(row, target), relation)
        item = context.items.get(key)
        if item is None:
            item = context.items[key] = {
                "function": function["label"],
                "function_id": _short(row["function"]),
                **context.holding(row, target).as_dict(),
                "relation": relation,
            }
        item = dict(item)
        category = function.get("category", "(no category)")
        by_level.setdefault((row["rank"], row["level"]), {}).setdefault(category, []).append(item)
    groups = []
    for (_rank, level_label), categories in sorted(by_level.items()):
        groups.append(
            {
                "level": level_label,
                "categories": [
                    {
                        "category": name,
                        "items": sorted(items, key=lambda i: (i["function"], i["area"], i["allocation"])),
                    }
                    for name, items in sorted(categories.items())
                ],
            }
        )
    return AreaReport(area=details, groups=groups)


# -- body -----------------------------------------------------------------------------------


@dataclass
class BodyReport:
    body: dict
    accountable_for: list[dict]
    delivers: list[dict]
    delegated: list[dict]
    received: list[dict]
    member_of: list[dict]

    def as_dict(self) -> dict:
        return dict(self.__dict__)


_BODY = """
SELECT ?b ?label ?type ?code WHERE { ?b rdfs:label ?label ; a ?cls . ?cls rdfs:label ?type . ?cls rdfs:subClassOf* ics:Body .
  OPTIONAL { ?b ics:odsCode ?code } }
"""
_MEMBER_OF = """
SELECT ?b ?c ?label ?model ?lead WHERE { ?c org:hasMember ?b ; rdfs:label ?label .
  OPTIONAL { ?c ics:collaborationModel/rdfs:label ?model } OPTIONAL { ?c ics:leadProvider ?lead } }
"""
_DELIVERS = "SELECT ?b ?a WHERE { ?a a ics:Allocation ; ics:deliveredBy ?b }"


def body_report(mapping, body: str, *, context: _Context | None = None) -> BodyReport:
    """What ``body`` (an IRI) is accountable for, delivers, has delegated, has received,
    and which collaboratives it is a member of. ``context``, from :func:`projections`,
    saves fetching the mapping's projections again."""
    context = context or _Context(mapping, body=body, also=(_CATEGORIES,))  # only what this body's answer needs
    info = _first(context.details(_BODY, "b", body), "type", "label", "code")
    details = {"id": _short(body), "iri": body, **(info or {"label": _short(body)})}
    details.pop("b", None)
    details["source"] = _loc(mapping, body)
    functions = {r["f"]: r["label"] for r in context.rows(_CATEGORIES)}
    own = context.by_body().get(body, {})
    delivered = {r["a"] for r in context.details(_DELIVERS, "b", body)}

    def allocation(row):
        return {
            "function": functions.get(row["function"], _short(row["function"])),
            "area": row["area_label"],
            "level": row["level"],
            "status": row.get("status", ""),
            "start": row.get("from", ""),
            "end": row.get("to", ""),
            "allocation": _short(row["a"]),
            "source": _loc(mapping, row["a"]),
        }

    def delegation(row):
        return {
            "function": functions.get(row["function"], _short(row["function"])),
            "from": row["from_label"],
            "to": row["to_label"],
            "area": row["area_label"],
            "instrument": row.get("instrument", ""),
            "status": row.get("status", ""),
            "start": row.get("start", ""),
            "end": row.get("end", ""),
            "delegation": _short(row["d"]),
            "source": _loc(mapping, row["d"]),
        }

    order = lambda item: (item["function"], item["area"], item.get("allocation", item.get("delegation", "")))
    member_of = [
        {"collaborative": r["label"], "id": _short(r["c"]), "model": r.get("model", ""), "lead": r.get("lead") == body}
        for r in sorted(context.details(_MEMBER_OF, "b", body), key=lambda r: (r["label"], r["c"]))
    ]
    return BodyReport(
        body=details,
        accountable_for=sorted(map(allocation, own.get("accountable", ())), key=order),
        delivers=sorted((allocation(r) for a in sorted(delivered) for r in context.live(a)), key=order),
        delegated=sorted(map(delegation, own.get("delegated", ())), key=order),
        received=sorted(map(delegation, own.get("received", ())), key=order),
        member_of=member_of,
    )
