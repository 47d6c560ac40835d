"""The loaded mapping: an RDF dataset plus where each entity was written.

Everything downstream (rules, queries, views, renderers) talks to :class:`Mapping`,
never to files. Queries run with the union of all data graphs as the default graph
and the project's prefixes predeclared; user values are passed as bindings, never
spliced into query text.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ics_graph.model import vocabulary as v
from ics_graph.util.errors import Location

__all__ = ["Mapping", "IRI", "iri_terms", "term_value", "plain_rows", "bind", "refuse_federation"]


_INTEGER, _BOOLEAN = v.PREFIXES["xsd"] + "integer", v.PREFIXES["xsd"] + "boolean"


class IRI(str):
    """Marks a binding value as an IRI (a plain ``str`` is bound as a literal)."""


def term_value(term) -> Any:
    """A pyoxigraph term as a plain Python value: IRIs and strings as ``str``,
    integers as ``int``, booleans as ``bool``, anything else as its lexical form."""
    if term is None:
        return None
    datatype = getattr(term, "datatype", None)
    return _plain(term.value, datatype.value if datatype is not None else None)


def _plain(value: str, datatype: str | None) -> Any:
    """A lexical form and its datatype IRI as a plain Python value (see term_value)."""
    if datatype == _INTEGER:
        return int(value)
    if datatype == _BOOLEAN:
        return value == "true"
    return value


def iri_terms(iris) -> list[str]:
    """Each of ``iris`` that is a valid IRI, written as a SPARQL term (``<...>``) by
    Oxigraph, for a ``VALUES`` block; anything else (text a rule computed, or an IRI
    written inside a literal) is left out, so it can never be spliced into a query."""
    import pyoxigraph as ox

    terms = []
    for iri in iris:
        try:
            terms.append(str(ox.NamedNode(iri)))
        except ValueError:
            continue
    return terms


def plain_rows(solutions) -> list[dict[str, Any]]:
    """SELECT results (pyoxigraph solutions) as dicts of variable name -> plain value;
    unbound variables are absent.

    Oxigraph evaluates a query lazily, as its solutions are read. Read one by one from
    Python, every solution needs the interpreter lock back, so a query stalls behind
    Python work in another thread; serialised as SPARQL JSON results in one call, the
    whole evaluation runs with the lock released, so queries in other threads (see
    :mod:`ics_graph.engine.checking`) run on other cores meanwhile."""
    serialize = getattr(solutions, "serialize", None)
    if serialize is None:
        names = [var.value for var in solutions.variables]
        return [{n: term_value(s[n]) for n in names if s[n] is not None} for s in solutions]
    import json

    import pyoxigraph as ox

    bindings = json.loads(serialize(format=ox.QueryResultsFormat.JSON))["results"]["bindings"]
    return [{name: _plain(term["value"], term.get("datatype")) for name, term in binding.items()} for binding in bindings]


class Mapping:
    """A loaded mapping. ``store`` is a pyoxigraph Store (or a SPARQL endpoint that
    answers like one); ``locations`` maps entity IRIs to where they were written;
    ``files`` lists the files loaded, in load order. ``findings_at_load``, for a mapping
    opened from a persistent store or the load cache, returns the findings of the built-in
    rules computed when it was loaded (or None if the rules have changed since).

    ``sources`` are where each file's entities were written, not yet in the store: the
    loader leaves them here, and they are written as one graph per file (see
    :func:`ics_graph.inputs.loader.write_sources`) the first time anything reads ``store`` or
    runs a query of its own. The built-in rules never read them, so a ``check`` of a
    national graph in memory skips that work (a quarter of a million quads at 1M triples).
    """

    def __init__(self, store: Any, locations: dict[str, Location] | None = None, files: list[str] | None = None,
                 findings_at_load: Any = None, keep_findings: Any = None,
                 expansions: list | None = None, sources: dict | None = None):
        self._store = store
        self._sources = sources
        self.locations = {} if locations is None else locations
        self.files = [] if files is None else files
        self.findings_at_load = findings_at_load
        self.keep_findings = keep_findings  # called with the default findings once computed (the load cache keeps them)
        # Each path given or imported, and the files it named (a folder's files): the load
        # cache compares them again, so a file added to an imported folder is noticed.
        self.expansions = [] if expansions is None else expansions

    @property
    def store(self) -> Any:
        """The whole dataset: data, ontology and where each entity was written."""
        if self._sources is not None:
            from ics_graph.inputs.loader import write_sources

            sources, self._sources = self._sources, None
            write_sources(self._store, sources)
        return self._store

    @property
    def engine(self) -> Any:
        """The store as it is, for ics-graph's own queries that never read source
        locations (the built-in rules, labels, counts): it does not write them first."""
        return self._store

    def default_findings(self) -> list:
        """The findings of the built-in rules with no configuration, as ``where`` and
        ``visualise`` show them: from the store when it kept them, else computed now."""
        if self.findings_at_load is not None:
            found = self.findings_at_load()
            if found is not None:
                return found
        from ics_graph.engine.checking import check

        found = check(self).findings
        if self.keep_findings is not None:
            self.keep_findings(found)
        return found

    # -- querying -----------------------------------------------------------------
    def select(self, query: str, bindings: dict[str, Any] | None = None, *, sources: bool = True) -> list[dict[str, Any]]:
        """Run a SPARQL SELECT; rows are dicts of variable name -> plain value (unbound
        variables are absent). ``bindings`` pre-binds variables to values safely (SEP-0007
        substitution, never text splicing): :class:`IRI` values as IRIs, ``str`` as
        literals. ``sources=False`` is for queries known not to read where entities were
        written (the built-in rules): they run without writing those graphs first."""
        return plain_rows(self._query(query, bindings, sources))

    def ask(self, query: str, bindings: dict[str, Any] | None = None) -> bool:
        return bool(self._query(query, bindings))

    def _query(self, query: str, bindings: dict[str, Any] | None, sources: bool = True):
        import pyoxigraph as ox

        refuse_federation(query)
        if bindings:
            query = bind(query, {k: _term(value, ox) for k, value in bindings.items()})
        store = self.store if sources else self._store
        return store.query(query, prefixes=v.PREFIXES, use_default_graph_as_union=True)

    # -- data ---------------------------------------------------------------------
    def data_triples(self) -> Iterator[tuple]:
        """Every distinct mapping triple (ontology and source locations excluded), as
        pyoxigraph terms, in no particular order."""
        from ics_graph.model.vocabulary import is_data_graph

        seen = set()
        for quad in self._store:  # the sources graphs are skipped below: no need to write them
            if not is_data_graph(getattr(quad.graph_name, "value", None)):
                continue
            triple = (quad.subject, quad.predicate, quad.object)
            if triple not in seen:
                seen.add(triple)
                yield triple

    def label(self, iri: str) -> str:
        """A human label for an entity: its rdfs:label, else its id (see :meth:`labels`)."""
        return self.labels([iri])[iri]

    def labels(self, iris) -> dict[str, str]:
        """Labels for many entities, 500 to a query. An entity with several labels shows
        the least one without a language tag or in English, else the least of all; one
        with none shows its id (the end of its IRI). The same labels every time, whatever
        order the store returns them in."""
        wanted = sorted({iri for iri in iris if iri})
        chosen = {iri: iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1] for iri in wanted}
        for start in range(0, len(wanted), 500):
            terms = iri_terms(wanted[start:start + 500])  # a value a rule computed stays as it is
            if not terms:
                continue
            best: dict[str, tuple] = {}
            query = f"SELECT ?e ?l (LANG(?l) AS ?lang) WHERE {{ VALUES ?e {{ {' '.join(terms)} }} ?e rdfs:label ?l }}"
            for row in self.select(query, sources=False):
                lang = str(row.get("lang", "")).lower()
                rank = (not (lang in ("", "en") or lang.startswith("en-")), str(row["l"]))
                if row["e"] not in best or rank < best[row["e"]]:
                    best[row["e"]] = rank
            chosen.update({iri: rank[1] for iri, rank in best.items()})
        return chosen

    def location(self, iri: str) -> Location | None:
        return self.locations.get(iri)

    def prefetch_locations(self, iris) -> None:
        """Fetch the locations of many entities at once (a persistent store reads them on
        demand; in memory they are all at hand)."""
        prefetch = getattr(self.locations, "prefetch", None)
        if prefetch is not None:
            prefetch(iris)

    def __len__(self) -> int:
        """The number of distinct mapping triples (ontology and source locations excluded)."""
        if isinstance(self.locations, dict):
            return sum(1 for _ in self.data_triples())
        from ics_graph.model.vocabulary import file_graph

        graphs = " ".join(f"<{file_graph(f)}>" for f in self.files)
        rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { VALUES ?g { %s } "
                           "GRAPH ?g { ?s ?p ?o } } }" % graphs)
        return int(rows[0]["n"]) if rows else 0

    def summary(self):
        from ics_graph.queries.info import summarise

        return summarise(self)


# The SERVICE keyword (not a variable such as ?service), then an IRI, variable or prefixed name.
_SERVICE = re.compile(r"(?<![?$\w])SERVICE\s+(?:SILENT\s+)?[<?$A-Za-z_:]", re.IGNORECASE)


def refuse_federation(query: str) -> None:
    """Queries (user rules, ``ics-graph sparql``) run offline: a SPARQL ``SERVICE``
    clause would make Oxigraph fetch from the network, so it is refused outright.
    (The word inside a string or comment is refused too; rephrase it.)"""
    if _SERVICE.search(query):
        raise ValueError("SERVICE (a federated query) is not allowed: ics-graph queries run offline on the loaded mapping")


_GROUP_START = re.compile(r"\b(?:WHERE|ASK)\s*\{", re.IGNORECASE)


def bind(query: str, terms: dict[str, Any]) -> str:
    """Pre-bind variables by opening the query's WHERE group with a ``VALUES`` block.

    The values are RDF terms serialised by pyoxigraph (N-Triples syntax, escaped), so
    user text can never change the query's structure. (SEP-0007 substitution in
    pyoxigraph only binds projected variables, which aggregates cannot use.)
    """
    match = _GROUP_START.search(query)
    if not match:
        raise ValueError("cannot bind variables: the query has no WHERE { ... } group")
    names = sorted(terms)
    block = " VALUES (" + " ".join("?" + n for n in names) + ") { (" + " ".join(str(terms[n]) for n in names) + ") } "
    return query[: match.end()] + block + query[match.end():]


def _term(value: Any, ox):
    if isinstance(value, (ox.NamedNode, ox.Literal, ox.BlankNode)):
        return value
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(v.PREFIXES["xsd"] + "boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(v.PREFIXES["xsd"] + "integer"))
    if isinstance(value, IRI):
        return ox.NamedNode(value)
    return ox.Literal(str(value))


