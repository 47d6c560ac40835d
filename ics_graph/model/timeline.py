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
from collections.abc import Callable, Iterable, Sequence

from ics_graph.model.graph import Mapping
from ics_graph.util.errors import UsageError

__all__ = ["TODAY_VARIABLE", "as_of", "era", "era_of", "overlap", "parse_date", "today"]

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


# Every date the mapping states (periods, function in force, decisions ...): the days on
# which what is in force, or what a rule judging one day compares, can change.
_DATES = """
SELECT DISTINCT ?d WHERE { ?s ?p ?d FILTER(DATATYPE(?d) = xsd:date) }
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


def era(mapping: Mapping, day: _dt.date) -> tuple[_dt.date | None, _dt.date | None]:
    """The first and last day (None: unbounded) of the span around ``day`` in which the
    mapping as of any day is the mapping as of ``day``, and so are its findings.

    What is in force on a day, and what the rules that judge one day compare it with,
    depend on the day only through ``from <= day`` and ``day <= to`` for dates the
    mapping states; so they can change only on such a date or the day after one. A
    store keeps the findings as of the day it was loaded for this span, and a question
    as of any day in it reuses them instead of checking a national graph again. (Each
    stated date and the day after it both bound a span: finer than needed for a date
    that only starts or only ends something, never coarser.)
    """
    days = set()
    for row in mapping.select(_DATES):
        try:
            stated = _dt.date.fromisoformat(str(row["d"]))
        except ValueError:  # not a date the calendar has (the loader refuses them; RDF may hold one)
            continue
        days.add(stated)
        if stated < _dt.date.max:
            days.add(stated + _dt.timedelta(days=1))
    first = max((d for d in days if d <= day), default=None)
    after = min((d for d in days if d > day), default=None)
    return first, (None if after is None else after - _dt.timedelta(days=1))


def as_of(mapping: Mapping, day: _dt.date) -> Mapping:
    """A new :class:`~ics_graph.model.graph.Mapping` holding only what is in force on ``day``.

    Dropped: allocations, delegations, areas, bodies and collaboratives whose period
    does not include ``day``; then allocations and delegations that refer to a dropped
    function, area or body; and every statement about or pointing to a dropped entity.
    Source locations are kept, so findings still point at the files. When everything
    is in force on ``day`` the view shares the mapping's store and nothing is copied: a
    query as of today on a large store with no history stays an index lookup (and a store
    that knows it for ``day``, ``Mapping.whole_on``, is not asked what has ended). The view
    knows its day (``as_of``), so rules that judge a timeline judge that day alone, and
    findings a store kept from a whole-timeline check are not reused for it; those it
    kept as of a day of the same :func:`era` are.
    """
    import pyoxigraph as ox

    literal = ox.Literal(day.isoformat(), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))
    if mapping.whole_on is not None and mapping.whole_on(day):
        gone: set[str] = set()  # a store that knows: every date of a national graph is not read again
    else:
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
            findings_at_load=_findings_on(mapping, day),
            keep_findings=_keep_findings_on(mapping, day),
            findings_about=_findings_on_about(mapping, day),
            findings_kept=mapping.findings_kept,
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
    return Mapping(
        store=store,
        locations=mapping.locations,
        files=mapping.files,
        sources=sources,
        as_of=day,
        findings_at_load=_findings_on(mapping, day),
        keep_findings=_keep_findings_on(mapping, day),
        findings_about=_findings_on_about(mapping, day),
        findings_kept=mapping.findings_kept,
    )


def _findings_on(mapping: Mapping, day: _dt.date) -> Callable[[], list | None] | None:
    """The view's findings as the store kept them for ``day``'s era, if it did."""
    found = mapping.findings_on
    return None if found is None else (lambda: found(day))


def _findings_on_about(mapping: Mapping, day: _dt.date) -> Callable[[Iterable[str]], list | None] | None:
    """Those of the view's kept findings about some entities, if the store reads just those."""
    found = mapping.findings_on_about
    return None if found is None else (lambda entities: found(day, entities))


def _keep_findings_on(mapping: Mapping, day: _dt.date) -> Callable[[list], None] | None:
    """Where the view's findings go once computed: to the mapping's store (the load
    cache keeps them for ``day``'s era), if it keeps them."""
    keep = mapping.keep_findings_on
    return None if keep is None else (lambda found: keep(day, found))
