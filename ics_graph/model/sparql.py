"""SPARQL terms and results as plain Python values, and safe query building.

User values reach a query only as RDF terms serialised by pyoxigraph (escaped), never as
spliced text; federated queries are refused, so every query runs offline.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Set
from typing import Any

from ics_graph.model import vocabulary as v
from ics_graph.util.errors import QueryError, did_you_mean

__all__ = [
    "IRI",
    "QUERY_FORMS",
    "bind",
    "explain_syntax_error",
    "iri_terms",
    "plain_rows",
    "query_form",
    "rdf_term",
    "refuse_federation",
    "term_value",
    "unknown_terms",
    "wrong_form",
]


_INTEGER, _BOOLEAN = v.PREFIXES["xsd"] + "integer", v.PREFIXES["xsd"] + "boolean"


class IRI(str):
    """Marks a binding value as an IRI (a plain ``str`` is bound as a literal)."""


def term_value(term) -> Any:
    """A pyoxigraph term as a plain Python value: IRIs and strings as ``str``,
    integers as ``int``, booleans as ``bool``, anything else as its lexical form."""
    if term is None:
        return None
    datatype = getattr(term, "datatype", None)
    return _plain_value(term.value, datatype.value if datatype is not None else None)


def _plain_value(value: str, datatype: str | None) -> Any:
    """A lexical form and its datatype IRI as a plain Python value (see term_value)."""
    if datatype == _INTEGER:
        return int(value)
    if datatype == _BOOLEAN:  # "1" and "0" are xsd:boolean too (Virtuoso answers with them)
        return value in ("true", "1")
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
    import pyoxigraph as ox

    bindings = json.loads(serialize(format=ox.QueryResultsFormat.JSON))["results"]["bindings"]
    return [
        {name: _plain_value(term["value"], term.get("datatype")) for name, term in binding.items()}
        for binding in bindings
    ]


# The SERVICE keyword (not a variable such as ?service), then an IRI, variable or prefixed name.
_SERVICE = re.compile(r"(?<![?$\w])SERVICE\s+(?:SILENT\s+)?[<?$A-Za-z_:]", re.IGNORECASE)


# What a comment can hide in: strings (long forms first) and IRIs, where '#' is no comment.
_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*',
)


def refuse_federation(query: str) -> None:
    """Queries (user rules, ``ics-graph sparql``) run offline: a SPARQL ``SERVICE``
    clause would make Oxigraph fetch from the network, so it is refused outright.
    Comments are left out first (a ``#`` inside an IRI or a string starts none); the
    word inside a string is refused too (rephrase it)."""
    query = _TOKENS.sub(lambda m: " " if m.group().startswith("#") else m.group(), query)
    if _SERVICE.search(query):
        raise QueryError(
            "SERVICE (a federated query) is not allowed: ics-graph queries run offline on the loaded mapping"
        )


_GROUP_START = re.compile(r"\b(?:WHERE|ASK)\s*\{", re.IGNORECASE)


def bind(query: str, terms: dict[str, Any]) -> str:
    """Pre-bind variables by opening the query's WHERE group with a ``VALUES`` block.

    The values are RDF terms serialised by pyoxigraph (N-Triples syntax, escaped), so
    user text can never change the query's structure. (SEP-0007 substitution in
    pyoxigraph only binds projected variables, which aggregates cannot use.)
    """
    match = _GROUP_START.search(query)
    if not match:
        raise QueryError("cannot bind variables: the query has no WHERE { ... } group")
    names = sorted(terms)
    block = " VALUES (" + " ".join("?" + n for n in names) + ") { (" + " ".join(str(terms[n]) for n in names) + ") } "
    return query[: match.end()] + block + query[match.end() :]


def rdf_term(value: Any, ox: Any) -> Any:
    """A Python value as a pyoxigraph term: booleans and integers typed, :class:`IRI` as an IRI,
    dates as xsd:date, anything else a plain literal; terms pass through."""
    if isinstance(value, (ox.NamedNode, ox.Literal, ox.BlankNode)):
        return value
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(v.PREFIXES["xsd"] + "boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(v.PREFIXES["xsd"] + "integer"))
    if isinstance(value, IRI):
        return ox.NamedNode(value)
    if isinstance(value, _dt.date):
        return ox.Literal(value.isoformat(), datatype=ox.NamedNode(v.PREFIXES["xsd"] + "date"))
    return ox.Literal(str(value))


QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
# What may come before the query form: whitespace, comments, PREFIX and BASE declarations.
_PROLOGUE = re.compile(r"(?:\s+|#[^\n]*|PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>)", re.IGNORECASE)
_FIRST_WORD = re.compile(r"[A-Za-z]+")


def query_form(text: str) -> str:
    """The first keyword after the prologue (PREFIX, BASE, comments), upper-cased; '' if none."""
    position = 0
    while True:
        match = _PROLOGUE.match(text, position)
        if not match or match.end() == position:
            break
        position = match.end()
    word = _FIRST_WORD.match(text, position)
    return word.group(0).upper() if word else ""


def wrong_form(text: str, updates: tuple[str, ...] = ()) -> str | None:
    """What is wrong when a query does not begin with a query form, or None.

    The parser would say "expected CONSTRUCT" of ``SELCT ...`` (the last form it tried);
    a person wants to hear which word is wrong and what was meant. Words in ``updates``
    are left to the caller, which refuses them in its own words."""
    form = query_form(text)
    if form in QUERY_FORMS or (form and form in updates):
        return None
    begins = f"'{form}'" if form else "nothing a query can begin with"
    hint = did_you_mean(form, QUERY_FORMS) if form else ""
    return f"a query begins with SELECT, ASK, CONSTRUCT or DESCRIBE (after any PREFIX and BASE), not {begins}{hint}"


# A prefixed name whose local part holds an unescaped '/' (``id:area/x``), outside IRIs and strings.
_SLASHED_NAME = re.compile(r"(?<![\w<?$])([A-Za-z][\w-]*):((?:[\w.-]|\\/)*/[\w./-]*)")


def explain_syntax_error(detail: str, query: str) -> str:
    """The parser's complaint kept short, with what was probably meant.

    An unknown prefix is said plainly; a prefixed name holding '/' (``id:area/x``, the
    way ids are shown) gets the two spellings SPARQL accepts, since the parser's own
    words ("expected [_]") name neither."""
    if "Prefix not found" in detail:
        return f"unknown prefix; the predeclared ones are {', '.join(p + ':' for p in v.PREFIXES)}"
    detail = " ".join(detail.split())
    detail = detail if len(detail) <= 160 else detail[:157] + "..."
    plain = _TOKENS.sub(lambda m: " " * len(m.group()), query)  # strings, IRIs and comments blanked
    slashed = _SLASHED_NAME.search(plain)
    if slashed and slashed.group(1) in v.PREFIXES:
        prefix, local = slashed.groups()
        escaped = local.replace("\\/", "/").replace("/", "\\/")
        full = v.PREFIXES[prefix] + local.replace("\\/", "/")
        detail += f" ('{prefix}:{local}': a prefixed name cannot hold '/'; write {prefix}:{escaped} or <{full}>)"
    return detail


# ics: terms written in a query, as prefixed names or full IRIs (outside strings and comments).
_ICS_NAME = re.compile(r"(?<![\w<?$])ics:([A-Za-z_][\w-]*)")


def unknown_terms(query: str, defined: Set[str]) -> list[str]:
    """Warnings for each ``ics:`` term the query names that the ontology does not define.

    A misspelt class or property is valid SPARQL that matches nothing, so the query
    answers "0 rows" as if the mapping held none; this says why. ``defined`` holds the
    full IRIs of the ontology's terms."""
    plain = _TOKENS.sub(lambda m: m.group() if m.group().startswith("<") else " ", query)
    used = {v.ICS + name for name in _ICS_NAME.findall(plain)}
    used.update(iri[1:-1] for iri in re.findall(r"<[^<>\s]*>", plain) if iri[1:-1].startswith(v.ICS))
    warnings = []
    names = ["ics:" + iri[len(v.ICS) :] for iri in defined if iri.startswith(v.ICS)]
    for iri in sorted(used - defined):
        name = "ics:" + iri[len(v.ICS) :]
        warnings.append(f"{name} is not a term of the ontology, so nothing matches it{did_you_mean(name, names)}")
    return warnings
