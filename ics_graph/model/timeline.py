"""The mapping as it stood, or will stand, on a date (``--as-of``).

Footprints and arrangements are dated: CCGs ended on 30 June 2022, ICBs began on
1 July 2022, pharmacy, optometry and dental were delegated from April 2023, some ICBs
merged in April 2026. ``as_of(mapping, date)`` keeps only what is in force on that
date, so every query and check answers for that day. Dates are inclusive; an entity
with no dates is always in force.

``where``, ``at``, ``body`` and ``impact`` answer as of :func:`today` unless told
otherwise; ``today`` is the ``ICS_GRAPH_TODAY`` environment variable when it is set
(YYYY-MM-DD), so that tests and reruns of a report give the same answer on any day.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable, Sequence

from ics_graph.model.graph import Mapping
from ics_graph.util.errors import UsageError

__all__ = ["TODAY_VARIABLE", "as_of", "era_of", "overlap", "parse_date", "today"]

#: The environment variable that overrides the system's date as "today".
TODAY_VARIABLE = "ICS_GRAPH_TODAY"

_NOT_IN_FORCE = """
SELECT DISTINCT ?e WHERE {
  { ?e ics:effectiveFrom ?from FILTER(?from > ?day) } UNION { ?e ics:effectiveTo ?to FILTER(?to < ?day) }
  UNION { ?e ics:validFrom ?from FILTER(?from > ?day) } UNION { ?e ics:validTo ?to FILTER(?to < ?day) }
}
"""
# Allocations and delegations that rest on something no longer (or not yet) there.
_DEPENDENT = """
SELECT DISTINCT ?e WHERE {
  VALUES ?p { ics:function ics:area ics:accountableBody ics:delegator ics:delegate }
  { ?e a ics:Allocation } UNION { ?e a ics:Delegation }
  ?e ?p ?gone .
  VALUES ?gone { %s }
}
"""


def parse_date(text: str) -> _dt.date:
    """An ISO date (YYYY-MM-DD), with a clear error otherwise."""
    try:
        return _dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"'{text}' is not a date: write YYYY-MM-DD, for example 2022-07-01") from None


def overlap(first: tuple[str, str], second: tuple[str, str]) -> bool:
    """Whether two periods ``(from, to)`` share a day: ISO dates, inclusive, "" where a
    period has no start (always was) or no end (still is). An allocation and the
    footprint it is in, or the two systems an area was part of in turn, are compared so
    (the rule area-hierarchy says the same in SPARQL).

    >>> overlap(("", "2022-06-30"), ("2022-07-01", ""))
    False
    >>> overlap(("2021-04-01", ""), ("", "2021-04-01"))
    True
    """
    (first_from, first_to), (second_from, second_to) = first, second
    return (not first_from or not second_to or first_from <= second_to) and (
        not second_from or not first_to or second_from <= first_to
    )


def era_of(candidates: Sequence[str], period: tuple[str, str], exists: Callable[[str], tuple[str, str]]) -> str | None:
    """The first of ``candidates`` (the systems an area is part of, nearest first) that
    exists on some day of ``period``: an area part of two systems in turn is in the one of
    that era. The first candidate when none does (dates that contradict each other, which
    date-inconsistency reports); None when there is none.

    >>> eras = {"stp": ("", "2022-06-30"), "icb": ("2022-07-01", "")}
    >>> era_of(["icb", "stp"], ("", "2022-06-30"), eras.__getitem__)
    'stp'
    """
    return next((c for c in candidates if overlap(period, exists(c))), candidates[0] if candidates else None)


def today() -> _dt.date:
    """The date queries answer for by default: ``ICS_GRAPH_TODAY`` if set, else the
    system's date."""
    fixed = os.environ.get(TODAY_VARIABLE, "").strip()
    if not fixed:
        return _dt.date.today()
    try:
        return parse_date(fixed)
    except UsageError as exc:
        raise UsageError(f"{TODAY_VARIABLE}: {exc}") from None


def as_of(mapping: Mapping, day: _dt.date) -> Mapping:
    """A new :class:`~ics_graph.model.graph.Mapping` holding only what is in force on ``day``.

    Dropped: allocations, delegations, areas, bodies and collaboratives whose period
    does not include ``day``; then allocations and delegations that refer to a dropped
    function, area or body; and every statement about or pointing to a dropped entity.
    Source locations are kept, so findings still point at the files. When everything
    is in force on ``day`` the view shares the mapping's store and nothing is copied: a
    query as of today on a large store with no history stays an index lookup. The view
    knows its day (``as_of``), so rules that judge a timeline judge that day alone, and
    findings a store kept from a whole-timeline check are not reused for it.
    """
    import pyoxigraph as ox

    literal = ox.Literal(day.isoformat(), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))
    gone = {row["e"] for row in mapping.select(_NOT_IN_FORCE.replace("?day", str(literal)))}
    frontier = set(gone)
    while frontier:
        values = " ".join(f"<{iri}>" for iri in sorted(frontier))
        frontier = {row["e"] for row in mapping.select(_DEPENDENT % values)} - gone
        gone |= frontier
    if not gone:  # the same store, nothing copied; the view only knows its day
        return Mapping(
            store=mapping.store,
            locations=mapping.locations,
            files=mapping.files,
            expansions=mapping.expansions,
            sources=mapping.sources,
            as_of=day,
        )
    store = ox.Store()
    store.extend(
        q
        for q in mapping.store
        if q.subject.value not in gone and not (isinstance(q.object, ox.NamedNode) and q.object.value in gone)
    )
    sources = (
        None
        if mapping.sources is None
        else {
            graph: {k: loc for k, loc in written.items() if k not in gone} for graph, written in mapping.sources.items()
        }
    )
    return Mapping(store=store, locations=mapping.locations, files=mapping.files, sources=sources, as_of=day)
