"""Canonical, deterministic serialisations of a mapping (Turtle and N-Triples).

The same input must give byte-identical output so that a pull request's diff shows
exactly what changed. Subjects are sorted, ``rdf:type`` comes first, then predicates
and objects in sorted order; prefixes are fixed; every data entity kind has its own
prefix (``area:``, ``body:``, ...) so names stay readable. Blank nodes come from RDF
inputs only and carry ids stable for the same input (see the loader).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ics_graph.model import vocabulary as v

__all__ = ["PREFIXES", "escape", "literal", "to_ntriples", "to_turtle"]

PREFIXES: dict[str, str] = {**v.PREFIXES, **{kind: f"{v.ID}{kind}/" for kind in v.KINDS}}
PREFIXES.pop("id")
_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
_RDF_TYPE = v.PREFIXES["rdf"] + "type"
_XSD = v.PREFIXES["xsd"]
# Characters a literal cannot hold as they are: the N-Triples escapes, and other control
# characters as \uXXXX. One table, so str.translate escapes a whole string at once.
_ESCAPES = {
    **{code: f"\\u{code:04X}" for code in [*range(0x20), 0x7F]},
    **{
        ord(ch): esc
        for ch, esc in {
            "\\": "\\\\",
            '"': '\\"',
            "\n": "\\n",
            "\r": "\\r",
            "\t": "\\t",
            "\b": "\\b",
            "\f": "\\f",
        }.items()
    },
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Longest namespace first, so "id/area/" wins over a shorter namespace.
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def literal(text: str) -> str:
    """A plain string literal in N-Triples/Turtle syntax, escaped."""
    return f'"{escape(text)}"'


def escape(text: str) -> str:
    """Text as the inside of an N-Triples/Turtle string literal. Text with no control
    character (JSON, as the findings graph keeps it, never has one) needs only its
    backslashes and quotes escaped: two replaces, where ``str.translate`` looks up every
    character in its table, most of the time a store's load spent writing the findings."""
    if _CONTROL.search(text) is None:
        return text.replace("\\", "\\\\").replace('"', '\\"')
    return text.translate(_ESCAPES)


def _iri(iri: str, *, prefixed: bool) -> str:
    if prefixed:
        for prefix, ns in _BY_LENGTH:
            if iri.startswith(ns) and _LOCAL.match(iri[len(ns) :]):
                return f"{prefix}:{iri[len(ns) :]}"
    return "<" + "".join(ch if ch not in '<>"{}|^`\\ ' else f"\\u{ord(ch):04X}" for ch in iri) + ">"


def _term(term, *, prefixed: bool) -> str:
    kind = type(term).__name__
    if kind == "NamedNode":
        return _iri(term.value, prefixed=prefixed)
    if kind == "BlankNode":
        return f"_:{term.value}"
    text = f'"{escape(term.value)}"'
    if term.language:
        return f"{text}@{term.language}"
    dt = term.datatype.value
    if dt == _XSD + "string":
        return text
    return f"{text}^^{_iri(dt, prefixed=prefixed)}"


def _sort_key(term) -> tuple:
    kind = type(term).__name__
    return (
        0 if kind == "NamedNode" else 1 if kind == "BlankNode" else 2,
        term.value,
        getattr(getattr(term, "datatype", None), "value", ""),
        getattr(term, "language", "") or "",
    )


def to_ntriples(triples: Iterable[tuple]) -> str:
    """Sorted N-Triples (one triple a line, full IRIs)."""
    lines = sorted(
        {f"{_term(s, prefixed=False)} {_term(p, prefixed=False)} {_term(o, prefixed=False)} ." for s, p, o in triples}
    )
    return "\n".join(lines) + ("\n" if lines else "")


def to_turtle(triples: Iterable[tuple]) -> str:
    """Canonical Turtle: sorted subjects, ``a`` first, predicate-object lists sorted."""
    by_subject: dict = {}
    for s, p, o in triples:
        by_subject.setdefault(s, {}).setdefault(p, set()).add(o)
    used: set[str] = set()
    blocks = []
    for subject in sorted(by_subject, key=_sort_key):
        predicates = by_subject[subject]
        order = sorted(predicates, key=lambda p: (p.value != _RDF_TYPE, _iri(p.value, prefixed=True)))
        parts = []
        for p in order:
            pred = "a" if p.value == _RDF_TYPE else _iri(p.value, prefixed=True)
            objects = ", ".join(_term(o, prefixed=True) for o in sorted(predicates[p], key=_sort_key))
            parts.append(f"{pred} {objects}")
        blocks.append(_term(subject, prefixed=True) + " " + " ;\n    ".join(parts) + " .")
    body = "\n\n".join(blocks)
    for prefix in PREFIXES:
        if re.search(rf"(?<![\w-]){re.escape(prefix)}:", body):
            used.add(prefix)
    header = "".join(f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in sorted(used))
    return header + ("\n" if header else "") + body + ("\n" if body else "")
