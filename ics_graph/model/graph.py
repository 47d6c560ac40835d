"""The loaded mapping: an RDF dataset plus where each entity was written.

Everything downstream (rules, queries, views, renderers) talks to :class:`Mapping`,
never to files. Queries run with the union of all data graphs as the default graph
and the project's prefixes predeclared; user values are passed as bindings, never
spliced into query text (see :mod:`ics_graph.model.sparql`).
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from ics_graph.model import vocabulary as v
from ics_graph.model.sources import write_sources
from ics_graph.model.sparql import IRI, bind, iri_terms, plain_rows, rdf_term, refuse_federation
from ics_graph.util.errors import Location
from ics_graph.util.threads import bounded, cores, in_order

__all__ = ["IRI", "Locations", "Mapping"]


class Locations(Protocol):
    """Where entities were written: a dict of IRI -> :class:`Location`, or anything that
    answers like one (a persistent store reads them on demand)."""

    def get(self, iri: str, default: Any = None, /) -> Any: ...

    def items(self) -> Iterable[tuple[str, Location]]: ...


class Mapping:
    """A loaded mapping: data plus queries over it.

    ``store`` is a pyoxigraph Store (or a SPARQL endpoint that answers like one);
    ``locations`` maps entity IRIs to where they were written; ``files`` lists the files
    loaded, in load order; ``expansions`` each path given or imported and the files it
    named (a folder's files), which the load cache compares again so that a file added
    to an imported folder is noticed.

    ``sources`` are where each file's entities were written, not yet in the store: the
    loader leaves them here, because the built-in rules never read them and a check of
    a national graph need not write a quarter of a million quads. Whoever needs them in
    the store (a user's query or rule, a persistent store, the load cache) calls
    :meth:`write_sources` first; nothing writes them as a side effect of reading.

    ``as_of`` is the day a mapping made by :func:`ics_graph.model.timeline.as_of` holds
    (None for a whole mapping): rules that judge a timeline ask for it as ``?as_of``.

    ``findings_at_load``, for a mapping opened from a persistent store or the load
    cache, returns the findings of the built-in rules computed when it was loaded (or
    None if the rules have changed since); ``keep_findings`` is given them once computed
    (the load cache keeps them); ``findings_on(day)`` returns the findings of the mapping
    as of ``day`` when a store kept them for a span of days including it (else None), and
    ``keep_findings_on(day, findings)`` is given those of the mapping as of ``day`` once
    computed (the load cache keeps them for the span of days around it).
    ``findings_about(entities)`` and ``findings_on_about(day, entities)`` return only
    those of ``findings_at_load()`` and ``findings_on(day)`` about any of ``entities``
    (their focus or a related entity), in the same order, when a store can read just
    those (a national store keeps thousands; a question shows a few).
    ``whole_on(day)`` says whether the mapping as of ``day`` is known to be the whole
    mapping, nothing in it dated out (a store knows it for the era of the day it was
    loaded), so that a view as of that day need not look for what has ended.
    ``findings_kept()`` says whether a persistent store keeps findings of the current
    rules: when it does not (ics-graph or its rules changed since the load), every
    question computes them again, and the command line says how to keep them.
    They are data a store hands over, not behaviour of the mapping:
    :func:`ics_graph.app.findings.default_findings` uses them.
    """

    def __init__(
        self,
        store: Any,
        locations: Locations | None = None,
        files: list[str] | None = None,
        findings_at_load: Callable[[], list[Any] | None] | None = None,
        keep_findings: Callable[[list[Any]], None] | None = None,
        findings_on: Callable[[_dt.date], list[Any] | None] | None = None,
        keep_findings_on: Callable[[_dt.date, list[Any]], None] | None = None,
        findings_about: Callable[[Iterable[str]], list[Any] | None] | None = None,
        findings_on_about: Callable[[_dt.date, Iterable[str]], list[Any] | None] | None = None,
        findings_kept: Callable[[], bool] | None = None,
        whole_on: Callable[[_dt.date], bool] | None = None,
        expansions: list[tuple[str, list[str]]] | None = None,
        sources: dict[str, dict[str, Location]] | None = None,
        as_of: _dt.date | None = None,
    ) -> None:
        self.store = store
        self.as_of = as_of
        self.sources = sources
        self.locations: Locations = {} if locations is None else locations
        self.files = [] if files is None else files
        self.findings_at_load = findings_at_load
        self.keep_findings = keep_findings
        self.findings_on = findings_on
        self.keep_findings_on = keep_findings_on
        self.findings_about = findings_about
        self.findings_on_about = findings_on_about
        self.findings_kept = findings_kept
        self.whole_on = whole_on
        self.expansions = [] if expansions is None else expansions
        self._copy: Mapping | None = None
        self._copying = threading.Lock()

    def in_memory(self) -> Mapping:
        """This mapping with its graph in an Oxigraph store of its own, itself when its
        store is one already. Where the SPARQL endpoint that holds the graph cannot take a
        rule's query (its compiler refuses it), the rule runs on the copy: the same query
        over the same triples, read from the endpoint once, for whichever rule asks first
        (rules run on several threads). The copy knows the mapping's day, so a rule asked
        as of a day judges that day there too."""
        import pyoxigraph as ox

        if isinstance(self.store, ox.Store):
            return self
        with self._copying:
            if self._copy is None:
                store = ox.Store()
                store.bulk_extend(self.store)
                self._copy = Mapping(
                    store=store,
                    locations=self.locations,
                    files=self.files,
                    expansions=self.expansions,
                    as_of=self.as_of,
                )
            return self._copy

    def write_sources(self) -> None:
        """Write where each entity was written into the store, one graph per file
        (``urn:ics-graph:sources:PATH``), if they are not there yet."""
        if self.sources is not None:
            sources, self.sources = self.sources, None
            write_sources(self.store, sources)

    # -- querying -----------------------------------------------------------------
    def select(self, query: str, bindings: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a SPARQL SELECT; rows are dicts of variable name -> plain value (unbound
        variables are absent). ``bindings`` pre-binds variables to values safely (as RDF
        terms, never text splicing): :class:`IRI` values as IRIs, ``str`` as literals."""
        return bounded(lambda: plain_rows(self._query(query, bindings)))  # within --timeout

    def select_many(self, queries: Iterable[str]) -> list[list[dict[str, Any]]]:
        """The rows of each of ``queries`` (as :meth:`select` gives them), in their order.
        They run on every core at once: one question of a national store is several
        queries that each take a tenth of a second or so, mostly spent in Oxigraph with
        the interpreter lock released, or waiting for an endpoint's answer. Put the
        longest first, so that the shorter ones fill in beside them."""
        queries = list(queries)
        if not queries:
            return []
        return list(in_order(self.select, queries, min(cores(), len(queries)), name="ics-graph-query"))

    def ask(self, query: str, bindings: dict[str, Any] | None = None) -> bool:
        return bounded(lambda: bool(self._query(query, bindings)))

    def _query(self, query: str, bindings: dict[str, Any] | None) -> Any:
        import pyoxigraph as ox

        refuse_federation(query)
        if bindings:
            query = bind(query, {k: rdf_term(value, ox) for k, value in bindings.items()})
        return self.store.query(query, prefixes=v.PREFIXES, use_default_graph_as_union=True)

    # -- data ---------------------------------------------------------------------
    def data_triples(self) -> Iterator[tuple[Any, Any, Any]]:
        """Every distinct mapping triple (ontology and source locations excluded), as
        pyoxigraph terms, in no particular order."""
        seen = set()
        for quad in self.store:
            if not v.is_data_graph(getattr(quad.graph_name, "value", None)):
                continue
            triple = (quad.subject, quad.predicate, quad.object)
            if triple not in seen:
                seen.add(triple)
                yield triple

    def label(self, iri: str) -> str:
        """A human label for an entity: its rdfs:label, else its id (see :meth:`labels`)."""
        return self.labels([iri])[iri]

    def labels(self, iris: Iterable[str]) -> dict[str, str]:
        """Labels for many entities, 500 to a query. An entity with several labels shows
        the least one without a language tag or in English, else the least of all; one
        with none shows its id (the end of its IRI). The same labels every time, whatever
        order the store returns them in."""
        wanted = sorted({iri for iri in iris if iri})
        chosen = {iri: iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1] for iri in wanted}
        for start in range(0, len(wanted), 500):
            terms = iri_terms(wanted[start : start + 500])  # a value a rule computed stays as it is
            if not terms:
                continue
            best: dict[str, tuple] = {}
            query = f"SELECT ?e ?l (LANG(?l) AS ?lang) WHERE {{ VALUES ?e {{ {' '.join(terms)} }} ?e rdfs:label ?l }}"
            for row in self.select(query):
                lang = str(row.get("lang", "")).lower()
                rank = (not (lang in ("", "en") or lang.startswith("en-")), str(row["l"]))
                if row["e"] not in best or rank < best[row["e"]]:
                    best[row["e"]] = rank
            chosen.update({iri: rank[1] for iri, rank in best.items()})
        return chosen

    def location(self, iri: str) -> Location | None:
        return self.locations.get(iri)

    def prefetch_locations(self, iris: Iterable[str]) -> None:
        """Fetch the locations of many entities at once (a persistent store reads them on
        demand; in memory they are all at hand)."""
        prefetch = getattr(self.locations, "prefetch", None)
        if prefetch is not None:
            prefetch(iris)

    def __len__(self) -> int:
        """The number of distinct mapping triples (ontology and source locations excluded)."""
        if isinstance(self.locations, dict):
            import pyoxigraph as ox

            if next(iter(self.store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None:
                return sum(1 for _ in self.data_triples())
            # Every triple is in a named graph: counted by the store, not in Python.
            rows = self.select(
                "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
                f'FILTER(STRSTARTS(STR(?g), "{v.file_graph("")}")) }} }}'
            )
            return int(rows[0]["n"]) if rows else 0
        graphs = " ".join(iri_terms(v.file_graph(f) for f in self.files))
        rows = self.select(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?g {{ {graphs} }} "
            "GRAPH ?g { ?s ?p ?o } } }"
        )
        return int(rows[0]["n"]) if rows else 0
