"""What an RDF file must satisfy beyond its syntax, checked when it is loaded.

YAML and workbooks are validated field by field as they are read (see
:mod:`ics_graph.inputs.authoring`). RDF arrives as triples, and two slips in it would load
quietly and leave the rules to pass over what was meant:

- naming an entity or term that nothing defines (``.../id/area/nowhere``,
  ``ics:StatusRetird``): an allocation in an area that does not exist sits in no system,
  so no rule ever looks at it. Every IRI in the project's two namespaces (entities under
  ``.../id/``, terms under ``.../ontology#``) that an RDF file uses must be given an
  ``rdf:type`` by some file or by the ontology, as an id in YAML must be defined;
- a date that is not an ``xsd:date`` (a plain string, a 30th of February): SPARQL cannot
  compare it with a date, and the rules about periods would skip it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ics_graph.model import vocabulary as v
from ics_graph.model.sparql import iri_terms
from ics_graph.util.errors import Location, Problem, did_you_mean

__all__ = ["RdfFile", "ill_typed_dates", "named_in_ntriples", "undefined_references"]

_NAMESPACES = (v.ID, v.ICS)
# An entity IRI in object position, as N-Triples writers write it (" <iri> ."): the
# literal prefix lets Python's regex engine skip everything else quickly, while
# Oxigraph parses the same bytes on the other core.
_OBJECT = re.compile(rb" <(" + re.escape(v.ID.encode()) + rb"[^>\\\s]*)> \.")


@dataclass(eq=False)
class RdfFile:
    """What the check needs of one loaded RDF file: its graph, the IRIs it names (None:
    ask the store), the subjects it types and the line each subject starts on."""

    shown: str
    graph: str
    named: set[str] | None = None
    typed: dict = field(default_factory=dict)
    lines: dict = field(default_factory=dict)


def named_in_ntriples(raw: bytes, subjects) -> set[str] | None:
    """The entity IRIs an N-Triples file names (``subjects``: those that start its lines,
    found by the loader already): a scan of the bytes. None when the text is an
    unreliable guide (backslash escapes, tabs, or terms not parted by spaces); the store
    is asked then. The scan leaves out ontology terms: N-Triples are written by programs,
    and asking the store for every predicate would cost a second pass over the data. A
    match inside a literal is weeded out later."""
    if b"\\" in raw or b"\t" in raw or b"><" in raw:
        return None
    named = {iri.decode("utf-8", errors="replace") for iri in set(_OBJECT.findall(raw))}
    return named | {s for s in subjects if s.startswith(v.ID)}


def _named_in_graph(store, graph: str) -> set[str]:
    filters = " || ".join(f'STRSTARTS(STR(?e), "{ns}")' for ns in _NAMESPACES)
    query = (
        f"SELECT DISTINCT ?e WHERE {{ GRAPH <{graph}> {{ {{ ?e ?p ?x }} UNION {{ ?x ?e ?y }} UNION {{ ?x ?p ?e }} }} "
        f"FILTER(isIRI(?e) && ({filters})) }}"
    )
    return {row["e"].value for row in store.query(query)}


def _untyped(store, iris: list[str]) -> set[str]:
    """Those of ``iris`` that no graph (data or ontology) gives an rdf:type."""
    found: set[str] = set()
    for start in range(0, len(iris), 500):
        terms = iri_terms(iris[start : start + 500])
        if terms:
            query = (
                f"SELECT ?e WHERE {{ VALUES ?e {{ {' '.join(terms)} }} "
                f"FILTER NOT EXISTS {{ GRAPH ?g {{ ?e a ?type }} }} }}"
            )
            found.update(row["e"].value for row in store.query(query))
    return found


def _users(store, graph: str, iris: list[str], ox) -> dict[str, str]:
    """For each IRI the file really uses as a term (not just writes in a literal), the
    least subject that uses it: another entity naming it, else itself."""
    users: dict[str, set[str]] = {}
    for start in range(0, len(iris), 500):
        terms = iri_terms(iris[start : start + 500])
        if not terms:
            continue
        query = (
            f"SELECT ?e ?by WHERE {{ VALUES ?e {{ {' '.join(terms)} }} GRAPH <{graph}> {{ "
            f"{{ ?by ?p ?e }} UNION {{ ?by ?e ?o }} UNION {{ ?e ?p ?o BIND(?e AS ?by) }} }} }}"
        )
        for row in store.query(query):
            if isinstance(row["by"], ox.NamedNode):
                users.setdefault(row["e"].value, set()).add(row["by"].value)
    return {iri: min(by - {iri} or by) for iri, by in users.items()}


def _name(iri: str) -> tuple[str, str]:
    """How a message names a term: ("area", "north") for an entity of the project,
    ("term", "ics:Place") for one of the ontology's, ("entity", iri) for anything else."""
    kind, _, ident = v.short_id(iri).partition("/")
    if iri.startswith(v.ID) and ident:
        return kind, ident
    if iri.startswith(v.ICS):
        return "term", "ics:" + iri[len(v.ICS) :]
    return "entity", iri


def _known(store, iri: str) -> list[str]:
    """Defined names of the same kind, for a 'did you mean'."""
    kind, _ = _name(iri)
    prefix = v.ICS if kind == "term" else f"{v.ID}{kind}/"
    rows = store.query(
        f'SELECT DISTINCT ?e WHERE {{ GRAPH ?g {{ ?e a ?type }} FILTER(STRSTARTS(STR(?e), "{prefix}")) }}'
    )
    return [_name(row["e"].value)[1] for row in rows]


def undefined_references(store, files: list[RdfFile]) -> list[Problem]:
    """A problem for each IRI an RDF file uses that no file, nor the ontology, defines,
    at the line of the entity that names it. Cheap when all is well: the IRIs each file
    names but does not type itself are few, and only those are looked up in the store."""
    import pyoxigraph as ox

    wanted: dict[str, list[RdfFile]] = {}
    for file in files:
        named = file.named if file.named is not None else _named_in_graph(store, file.graph)
        for iri in named.difference(file.typed):
            wanted.setdefault(iri, []).append(file)
    if not wanted:
        return []
    undefined = _untyped(store, sorted(wanted))
    problems, known = [], {}
    for file in files:
        mine = sorted(iri for iri in undefined if file in wanted[iri])
        if not mine:
            continue
        for iri, by in sorted(_users(store, file.graph, mine, ox).items()):
            kind, name = _name(iri)
            if kind not in known:
                known[kind] = _known(store, iri)
            where = Location(file.shown, file.lines.get(by, 0), 0)
            used_by = "" if by == iri else " in {} '{}'".format(*_name(by))
            what = (
                "the ontology defines no such class, property or value"
                if kind == "term"
                else "no file defines it (gives it an rdf:type)"
            )
            problems.append(
                Problem(where, f"unknown {kind} '{name}'{used_by}: {what}{did_you_mean(name, known[kind])}")
            )
    return problems


def ill_typed_dates(store, files: list[RdfFile]) -> list[Problem]:
    """A problem for each value of a date property (``rdfs:range xsd:date`` in the
    ontology) that is not a valid ``xsd:date``, at its subject's line: what cannot be
    compared with a date, as the rules compare them. One pass over those properties
    only, not over every triple."""
    import pyoxigraph as ox

    problems = []
    for file in files:
        query = (
            f"SELECT ?s ?p ?o WHERE {{ {{ SELECT ?p WHERE {{ GRAPH <{v.ONTOLOGY_GRAPH}> {{ ?p rdfs:range xsd:date }} }} }} "
            f"GRAPH <{file.graph}> {{ ?s ?p ?o }} "
            f'FILTER(!COALESCE(?o >= "0001-01-01"^^xsd:date, false)) }}'
        )  # anything but a valid date fails to compare
        for row in store.query(query, prefixes=v.PREFIXES):
            subject, prop, value = row["s"], row["p"].value, row["o"]
            where = Location(file.shown, file.lines.get(getattr(subject, "value", ""), 0), 0)
            kind, name = _name(subject.value if isinstance(subject, ox.NamedNode) else str(subject))
            shown = str(value) if len(str(value)) <= 60 else str(value)[:57] + "..."
            problems.append(
                Problem(
                    where,
                    f"{kind} '{name}': its {prop.rsplit('#', 1)[-1]} {shown} is not a date: "
                    f'write "YYYY-MM-DD"^^xsd:date',
                )
            )
    return problems
