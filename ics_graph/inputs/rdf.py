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
  compare it with a date, and the rules about periods would skip it;
- an entity IRI not of the form ``.../id/KIND/ID`` (an unknown kind, an empty or
  malformed id), which no YAML could name; and a literal holding control characters or
  direction overrides, or longer than YAML allows (as YAML text is checked).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ics_graph.model import vocabulary as v
from ics_graph.model.schema import LONGEST_ID, LONGEST_TEXT, printable, unsafe_character
from ics_graph.model.sparql import iri_terms
from ics_graph.util.errors import Location, Problem, did_you_mean

__all__ = [
    "RdfFile",
    "ill_typed_dates",
    "may_hold_unsafe_text",
    "named_in_ntriples",
    "undefined_references",
    "unsafe_literals",
]

_NAMESPACES = (v.ID, v.ICS)
# An entity IRI in object position, as N-Triples writers write it (" <iri> ."): the
# literal prefix lets Python's regex engine skip everything else quickly, while
# Oxigraph parses the same bytes on the other core.
_OBJECT = re.compile(rb" <(" + re.escape(v.ID.encode()) + rb"[^>\\\s]*)> \.")
# An entity IRI as YAML makes them: a known kind, an id, and for a node that belongs to
# an entity (a qualified source) a fragment.
_ENTITY = re.compile(
    re.escape(v.ID) + "(?:" + "|".join(v.KINDS) + r")/[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?(?:#[A-Za-z0-9_.-]+)?"
)
# What may hide an unsafe character in RDF text: the character itself (a control byte,
# a C1 control or a direction override in UTF-8) or an escape that can write one.
_MAYBE_UNSAFE = re.compile(
    rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]|\\[uUbf]|&#"
)


@dataclass(eq=False)
class RdfFile:
    """What the check needs of one loaded RDF file: its graph, the IRIs it names (None:
    ask the store), the subjects it types and the line each subject starts on."""

    shown: str
    graph: str
    named: set[str] | None = None
    typed: dict = field(default_factory=dict)
    lines: dict = field(default_factory=dict)
    suspect: bool = True  # may hold unsafe text (see may_hold_unsafe_text); False: need not be read


def may_hold_unsafe_text(raw: bytes) -> bool:
    """Whether an RDF file's bytes may hold a literal :func:`unsafe_literals` refuses: a
    scan of the bytes, so that files without (nearly all) are not read again."""
    return len(raw) > LONGEST_TEXT or _MAYBE_UNSAFE.search(raw) is not None


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
    ("term", "ics:Place") for one of the ontology's, ("entity", iri) for anything else;
    escaped and cut as :func:`ics_graph.model.schema.printable` does."""
    kind, _, ident = v.short_id(iri).partition("/")
    if iri.startswith(v.ID) and ident:
        return kind, printable(ident, 200)
    if iri.startswith(v.ICS):
        return "term", printable("ics:" + iri[len(v.ICS) :], 200)
    return "entity", printable(iri, 200)


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
    problems, known = [], {}
    for file in files:
        named = file.named if file.named is not None else _named_in_graph(store, file.graph)
        malformed = sorted(iri for iri in named.union(file.typed) if iri.startswith(v.ID) and not _well_formed(iri))
        if malformed:
            problems.extend(_malformed(store, file, malformed))
        for iri in named.difference(file.typed, malformed):
            wanted.setdefault(iri, []).append(file)
    if not wanted:
        return problems
    undefined = _untyped(store, sorted(wanted))
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


def _well_formed(iri: str) -> bool:
    """Whether an IRI under ``.../id/`` is ``.../id/KIND/ID`` as YAML makes them, its id
    no longer than an id in YAML may be."""
    return _ENTITY.fullmatch(iri) is not None and len(iri[len(v.ID) :].split("/", 1)[1].split("#")[0]) <= LONGEST_ID


def _malformed(store, file: RdfFile, iris: list[str]) -> list[Problem]:
    """A problem for each entity IRI the file really uses (not just writes in a literal)
    that is not ``.../id/KIND/ID``, at the line of the subject that uses it."""
    import pyoxigraph as ox

    problems = []
    for iri, by in sorted(_users(store, file.graph, iris, ox).items()):
        kind, _, ident = iri[len(v.ID) :].partition("/")
        if kind not in v.KINDS:
            hint = did_you_mean(kind, list(v.KINDS)) if len(kind) <= 100 else ""
            why = f"unknown kind '{printable(kind)}'{hint}; kinds: {', '.join(v.KINDS)}"
        elif not ident:
            why = "the id after the kind is empty"
        elif len(ident.split("#")[0]) > LONGEST_ID:
            why = f"its id of {len(ident.split('#')[0]):,} characters is longer than the limit of {LONGEST_ID}"
        else:
            why = f"'{printable(ident)}' is not an id (letters, digits, '-', '_' or '.'; no '/')"
        problems.append(
            Problem(
                Location(file.shown, file.lines.get(by, 0), 0),
                f"entity IRI <{printable(iri, 200)}> is not of the form <{v.ID}KIND/ID>: {why}",
            )
        )
    return problems


def unsafe_literals(store, files: list[RdfFile]) -> list[Problem]:
    """A problem for each literal holding a control character or a direction override,
    or longer than YAML text may be, at its subject's line: text is held to the rules
    YAML text is. Only the files whose bytes may hold one are read."""
    import pyoxigraph as ox

    problems = []
    for file in files:
        if not file.suspect:
            continue
        for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(file.graph)):
            if not isinstance(quad.object, ox.Literal):
                continue
            wrong = unsafe_character(quad.object.value)
            if wrong is None:
                continue
            subject = quad.subject.value if isinstance(quad.subject, ox.NamedNode) else str(quad.subject)
            kind, name = _name(subject)
            problems.append(
                Problem(
                    Location(file.shown, file.lines.get(subject, 0), 0),
                    f"{kind} '{name}': its {printable(quad.predicate.value.rsplit('#', 1)[-1].rsplit('/', 1)[-1])} {wrong}",
                )
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
            shown = printable(str(value), 60)
            problems.append(
                Problem(
                    where,
                    f"{kind} '{name}': its {prop.rsplit('#', 1)[-1]} {shown} is not a date: "
                    f'write "YYYY-MM-DD"^^xsd:date',
                )
            )
    return problems
