"""Run a read-only SPARQL query over a mapping: ``ics-graph sparql``.

The query runs as the rules do: the project's prefixes (``ics:``, ``id:``, ``rdfs:``,
``skos:`` ...) are predeclared, the ontology is loaded beside the data and every
source file's graph forms the default graph. SELECT, ASK, CONSTRUCT and DESCRIBE are
accepted; SPARQL UPDATE (INSERT, DELETE, LOAD, CLEAR ...) is refused, and a syntax
error is reported with its line and column in the text as written.

Results keep full IRIs in JSON and CSV (for other tools) and show them as prefixed
names in the text table (for people). CONSTRUCT and DESCRIBE results, and SELECT
results of a query without ORDER BY, are sorted so that output is deterministic.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from ics_graph.model import vocabulary as v
from ics_graph.model.sparql import (
    explain_syntax_error,
    query_form,
    refuse_federation,
    term_value,
    unknown_terms,
    wrong_form,
)
from ics_graph.util.errors import QueryError
from ics_graph.util.spreadsheet import safe_cell
from ics_graph.util.threads import bounded

__all__ = ["SparqlResult", "run_sparql", "shorten"]

_UPDATE_WORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)
_POSITION = re.compile(r"^error at (\d+):(\d+): ?(.*)$", re.DOTALL)


def shorten(iri: str) -> str:
    """An IRI as a prefixed name when a project prefix covers it (``id:area/nhn-north``,
    ``ics:Place``), else ``<iri>``."""
    best = None
    for prefix, namespace in v.PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace) and (best is None or len(namespace) > len(best[1])):
            best = (prefix, namespace)
    if best is None:
        return f"<{iri}>"
    return f"{best[0]}:{iri[len(best[1]) :]}"


def _plain(term) -> Any:
    """A term as a plain value: IRIs and literals as in :func:`~ics_graph.model.graph.term_value`,
    blank nodes as ``_:id``, quoted triples in N-Triples syntax."""
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return str(term)
    return term_value(term)


def _shown(term) -> str:
    import pyoxigraph as ox

    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return shorten(term.value)
    if isinstance(term, ox.Literal):
        return term.value
    return str(_plain(term))


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe_cell(value) if isinstance(value, str) else value


@dataclass
class SparqlResult:
    """The result of a query. ``kind`` is "select", "ask", "construct" or "describe";
    ``columns`` are the variable names (``ask`` for ASK; ``subject``, ``predicate``,
    ``object`` for graph results); ``rows`` are lists of plain values in column order
    (``None`` where a variable is unbound); ``boolean`` is the answer to an ASK."""

    kind: str
    columns: list[str]
    rows: list[list[Any]]
    boolean: bool | None = None
    shown: list[list[str]] = field(default_factory=list, repr=False)  # the rows as the text table shows them
    warnings: list[str] = field(default_factory=list, repr=False)  # ics: terms the ontology does not define

    def as_dict(self) -> dict:
        out: dict[str, Any] = {
            "kind": self.kind,
            "columns": list(self.columns),
            "rows": [dict(zip(self.columns, row, strict=True)) for row in self.rows],
        }
        if self.boolean is not None:
            out["boolean"] = self.boolean
        return out

    def to_csv(self) -> str:
        """CSV with a header row: full IRIs, empty cells where unbound, ``\\n`` line ends;
        text a spreadsheet would run as a formula is made inert."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_csv_value(value) for value in row])
        return buffer.getvalue()

    def render_text(self) -> str:
        """An aligned table with IRIs as prefixed names; for ASK, the answer."""
        if self.kind == "ask":
            return ("true" if self.boolean else "false") + "\n"
        widths = [len(c) for c in self.columns]
        for row in self.shown:
            widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

        def line(cells) -> str:
            return "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()

        out = [line(self.columns), line(["-" * w for w in widths])]
        out += [line(row) for row in self.shown]
        count = len(self.rows)
        noun = "triple" if self.kind in ("construct", "describe") else "row"
        out.append(f"({count} {noun}{'' if count == 1 else 's'})")
        return "\n".join(out) + "\n"


def _sort_key(terms) -> tuple:
    return tuple("" if t is None else str(t) for t in terms)


def run_sparql(mapping, text: str) -> SparqlResult:
    """Run one read-only SPARQL query over ``mapping``.

    Raises :class:`QueryError` for an update (refused), a syntax error (with its line and
    column) or a query that fails while running, and
    :class:`~ics_graph.util.threads.QueryTimeout` (a QueryError) for one that runs past
    the limit of :func:`~ics_graph.util.threads.set_query_timeout`. The mapping is never changed.
    """
    form = query_form(text)
    if form in _UPDATE_WORDS:
        raise QueryError(
            f"SPARQL UPDATE ({form}) is not allowed: sparql only runs read-only queries "
            f"(SELECT, ASK, CONSTRUCT, DESCRIBE)"
        )
    wrong = wrong_form(text)
    if wrong:
        raise QueryError(f"SPARQL syntax error at the query's first word: {wrong}")
    try:
        result = bounded(_evaluate, mapping, text, form)  # within --timeout, and Ctrl-C heard at once
    except SyntaxError as error:
        message = str(error)
        match = _POSITION.match(message)
        if match:
            line, column, detail = match.groups()
            explained = explain_syntax_error(detail, text)
            raise QueryError(f"SPARQL syntax error at line {line}, column {column}: {explained}") from None
        raise QueryError(f"SPARQL syntax error: {explain_syntax_error(message, text)}") from None
    except OSError as error:  # e.g. a SERVICE call that cannot be made
        raise QueryError(f"the query failed: {error}") from None
    defined = _ontology_terms(mapping)
    if defined:  # a store without the ontology cannot say which terms exist
        result.warnings = unknown_terms(text, defined)
    return result


def _ontology_terms(mapping) -> set[str]:
    """The IRIs the ontology graph defines under ``ics:`` (its subjects)."""
    query = (
        f"SELECT DISTINCT ?s WHERE {{ GRAPH <{v.ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} "
        f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{v.ICS}")) }}'
    )
    return {row["s"] for row in mapping.select(query)}


def _evaluate(mapping, text: str, form: str) -> SparqlResult:
    import pyoxigraph as ox

    refuse_federation(text)
    mapping.write_sources()  # a user's query may ask where things were written
    result = mapping.store.query(text, prefixes=v.PREFIXES, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryBoolean):
        answer = bool(result)
        return SparqlResult("ask", ["ask"], [[answer]], boolean=answer, shown=[["true" if answer else "false"]])
    if isinstance(result, (ox.QueryTriples, list)):  # a list: CONSTRUCT on a SPARQL endpoint
        triples = sorted(((t.subject, t.predicate, t.object) for t in result), key=_sort_key)
        kind = "describe" if form == "DESCRIBE" else "construct"
        return SparqlResult(
            kind,
            ["subject", "predicate", "object"],
            [[_plain(t) for t in triple] for triple in triples],
            shown=[[_shown(t) for t in triple] for triple in triples],
        )
    columns = [var.value for var in result.variables]
    solutions = [[solution[name] for name in columns] for solution in result]
    if not _ORDER_BY.search(text):
        solutions.sort(key=_sort_key)
    return SparqlResult(
        "select",
        columns,
        [[_plain(t) for t in row] for row in solutions],
        shown=[[_shown(t) for t in row] for row in solutions],
    )
