"""OWL 2 reasoning over a mapping with HermiT, explained in words.

:func:`reason` loads the ics-graph ontology (``ontology/ics.ttl``) and a data graph into a
fresh, in-memory owlready2 world and asks HermiT (Java) whether they are consistent together.
HermiT only says *that* a graph is inconsistent, not why, so when it is, this module looks for
the usual causes itself, without the reasoner, and says them in sentences that name the
entities by label and id:

* an entity that belongs to two disjoint classes (asserted, or implied by the domain or
  range of a property it is used with, or by an "only" restriction);
* a single-valued (functional) property with two different values, such as an area with
  two levels or an allocation with two accountable bodies;
* a value that contradicts a class's fixed value, such as a place whose level is
  neighbourhood;
* an entity used where the property allows only other kinds of thing;
* a literal of the wrong datatype or out of its allowed range (for example an impact of 9).

Distinct ids in the data are distinct things (the unique name assumption that OWL itself
does not make): when a single-valued property has two different entity values, the
reasoner is told they are different, so the contradiction is found rather than the two
being silently merged.

owlready2 and Java are only touched inside :func:`reason`, so importing this module is
cheap. Nothing is written outside a private temporary folder, which is removed afterwards;
owlready2's quadstore is kept in memory.
"""

from __future__ import annotations

import io
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

from ics_graph.model import vocabulary as v
from ics_graph.util.errors import ReasoningError
from ics_graph.util.resources import ontology_path

__all__ = ["ReasoningError", "ReasoningReport", "reason"]

RDF = v.PREFIXES["rdf"]
RDFS = v.PREFIXES["rdfs"]
OWL = v.PREFIXES["owl"]
XSD = v.PREFIXES["xsd"]
SKOS = v.PREFIXES["skos"]
DCT = v.PREFIXES["dcterms"]

RDF_TYPE = RDF + "type"
RDF_FIRST, RDF_REST, RDF_NIL = RDF + "first", RDF + "rest", RDF + "nil"
ONTOLOGY_IRI = "https://w3id.org/ics-graph/ontology"
_DATA_ONTOLOGY_IRI = "http://ics-graph.invalid/reasoning-data#"

# Datatypes HermiT checks (a subset of the OWL 2 datatype map that the ontology uses).
_INTEGER_TYPES = {
    XSD + t
    for t in (
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
}
_DECIMAL_TYPES = _INTEGER_TYPES | {XSD + "decimal"}
_CHECKED_DATATYPES = _DECIMAL_TYPES | {XSD + "string", XSD + "boolean", RDF + "PlainLiteral"}

_LOCK = threading.Lock()  # tempfile.tempdir is process-wide while HermiT runs


@dataclass
class ReasoningReport:
    """The verdict of HermiT on ontology + data.

    ``problems`` holds human sentences: why the graph is inconsistent (when it is), and any
    class of the ontology that can have no members. ``elapsed`` is the whole call in seconds,
    ``reasoner_elapsed`` the part spent in HermiT (Java start-up included)."""

    consistent: bool
    problems: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    reasoner_elapsed: float = 0.0
    triples: int = 0

    def __str__(self) -> str:
        head = "consistent" if self.consistent else "INCONSISTENT"
        lines = [
            f"OWL 2 reasoning (HermiT): {head}; {self.triples} data triples; "
            f"{self.elapsed:.2f} s ({self.reasoner_elapsed:.2f} s in HermiT)"
        ]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------
# RDF terms as plain Python values
# ------------------------------------------------------------------------------------------


class Lit(NamedTuple):
    """A literal: lexical form, datatype IRI, language tag (or None)."""

    value: str
    datatype: str
    lang: str | None = None


def _key(term) -> Any:
    """A pyoxigraph term as a hashable plain value: IRI str, '_:id' str, or :class:`Lit`."""
    kind = type(term).__name__
    if kind == "NamedNode":
        return term.value
    if kind == "BlankNode":
        return "_:" + term.value
    lang = term.language or None
    return Lit(term.value, RDF + "langString" if lang else term.datatype.value, lang)


def _is_node(x) -> bool:
    return isinstance(x, str)


def _is_iri(x) -> bool:
    return isinstance(x, str) and not x.startswith("_:")


# ------------------------------------------------------------------------------------------
# Reading inputs
# ------------------------------------------------------------------------------------------


def _ontology_path() -> Path:
    try:
        return Path(ontology_path())
    except (ImportError, AttributeError):  # pragma: no cover - resources.py is part of the package
        here = Path(__file__).resolve().parent
        packaged = here / "ontology" / "ics.ttl"
        return packaged if packaged.is_file() else here.parent / "ontology" / "ics.ttl"


def _format_for(path: Path):
    import pyoxigraph as ox

    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("owl", "xml"):
        return ox.RdfFormat.RDF_XML
    fmt = ox.RdfFormat.from_extension(suffix)
    if fmt is None:
        raise ValueError(f"cannot tell the RDF format of '{path}' from its extension")
    return fmt


def _parse(source: Any) -> list:
    """Triples (pyoxigraph terms) from a path, N-Triples/Turtle text or bytes, an rdflib
    Graph or a pyoxigraph Store. Graph names are dropped; blank nodes are renamed so that
    two inputs never share one by accident."""
    import os

    import pyoxigraph as ox

    if isinstance(source, os.PathLike):
        source = Path(source)
    elif isinstance(source, str) and source and len(source) < 4096 and "\n" not in source:
        candidate = Path(source)
        try:
            if candidate.is_file():
                source = candidate
            elif candidate.suffix.lower() in (
                ".nt",
                ".ttl",
                ".nq",
                ".trig",
                ".rdf",
                ".owl",
                ".jsonld",
            ) and not source.rstrip().endswith("."):
                raise FileNotFoundError(f"no such RDF file: '{source}'")
        except OSError as exc:
            if isinstance(exc, FileNotFoundError):
                raise
    if isinstance(source, Path):
        quads = ox.parse(path=str(source), format=_format_for(source), rename_blank_nodes=True)
    elif isinstance(source, (str, bytes)):
        try:
            return [
                (q.subject, q.predicate, q.object)
                for q in ox.parse(source, format=ox.RdfFormat.N_TRIPLES, rename_blank_nodes=True)
            ]
        except SyntaxError:
            quads = ox.parse(source, format=ox.RdfFormat.TURTLE, rename_blank_nodes=True)
    elif hasattr(source, "dump"):  # pyoxigraph Store
        text = source.dump(format=ox.RdfFormat.N_QUADS)
        quads = ox.parse(text, format=ox.RdfFormat.N_QUADS, rename_blank_nodes=True)
    elif hasattr(source, "serialize"):  # rdflib Graph / Dataset
        text = source.serialize(format="nquads" if hasattr(source, "contexts") else "nt")
        quads = ox.parse(
            text if isinstance(text, str) else text.decode(), format=ox.RdfFormat.N_QUADS, rename_blank_nodes=True
        )
    else:
        raise TypeError(f"cannot read a graph from {type(source).__name__}")
    return [(q.subject, q.predicate, q.object) for q in quads]


# ------------------------------------------------------------------------------------------
# A small in-memory index used to name things and explain inconsistencies
# ------------------------------------------------------------------------------------------


class _Graph:
    def __init__(self, triples: Iterable[tuple]):
        self.spo: dict[Any, dict[str, dict[Any, None]]] = defaultdict(lambda: defaultdict(dict))
        self.pos: dict[str, dict[Any, dict[Any, None]]] = defaultdict(lambda: defaultdict(dict))
        for s, p, o in triples:
            s, p, o = _key(s), _key(p), _key(o)
            self.spo[s][p][o] = None
            self.pos[p][o][s] = None
        self._supers: dict[str, set] = {}
        self._prop_supers: dict[str, set] = {}
        self._read_axioms()

    # -- basic access --------------------------------------------------------------------
    def objects(self, s, p) -> list:
        by_p = self.spo.get(s)
        return list(by_p.get(p, ())) if by_p else []

    def one(self, s, p):
        values = self.objects(s, p)
        return values[0] if values else None

    def subjects(self, p, o) -> list:
        by_o = self.pos.get(p)
        return list(by_o.get(o, ())) if by_o else []

    def rdf_list(self, node) -> list:
        items, seen = [], set()
        while node and node != RDF_NIL and node not in seen:
            seen.add(node)
            first = self.one(node, RDF_FIRST)
            if first is not None:
                items.append(first)
            node = self.one(node, RDF_REST)
        return items

    # -- the ontology's axioms -----------------------------------------------------------
    def _read_axioms(self) -> None:
        self.disjoint: set[frozenset] = set()
        for a, by_p in list(self.spo.items()):
            for b in by_p.get(OWL + "disjointWith", ()):
                if a != b:
                    self.disjoint.add(frozenset((a, b)))
            union = by_p.get(OWL + "disjointUnionOf")
            if union:
                for node in union:
                    self._pairwise(self.rdf_list(node))
        for axiom in self.subjects(RDF_TYPE, OWL + "AllDisjointClasses"):
            self._pairwise(self.rdf_list(self.one(axiom, OWL + "members")))
        self.different: set[frozenset] = set()
        for axiom in self.subjects(RDF_TYPE, OWL + "AllDifferent"):
            members = self.rdf_list(self.one(axiom, OWL + "distinctMembers") or self.one(axiom, OWL + "members"))
            self.different.update(frozenset((a, b)) for i, a in enumerate(members) for b in members[i + 1 :] if a != b)
        for a, by_p in self.spo.items():
            for b in by_p.get(OWL + "differentFrom", ()):
                self.different.add(frozenset((a, b)))
        self.functional = set(self.subjects(RDF_TYPE, OWL + "FunctionalProperty"))
        self.object_props = set(self.subjects(RDF_TYPE, OWL + "ObjectProperty"))
        self.data_props = set(self.subjects(RDF_TYPE, OWL + "DatatypeProperty"))
        self.classes = set(self.subjects(RDF_TYPE, OWL + "Class")) | set(self.subjects(RDF_TYPE, RDFS + "Class"))
        # class -> [(property, value, restriction)] for owl:hasValue / owl:allValuesFrom
        self.has_value: dict[str, list] = defaultdict(list)
        self.all_values: dict[str, list] = defaultdict(list)
        for c, by_p in list(self.spo.items()):
            for sup in by_p.get(RDFS + "subClassOf", ()):
                prop = self.one(sup, OWL + "onProperty")
                if prop is None:
                    continue
                value = self.one(sup, OWL + "hasValue")
                if value is not None:
                    self.has_value[c].append((prop, value))
                filler = self.one(sup, OWL + "allValuesFrom")
                if filler is not None:
                    self.all_values[c].append((prop, filler))

    def _pairwise(self, members: list) -> None:
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if a != b:
                    self.disjoint.add(frozenset((a, b)))

    def supers(self, c) -> set:
        """``c`` and every class it is a subclass or equivalent of (named or not)."""
        found = self._supers.get(c)
        if found is None:
            found, todo = {c}, [c]
            while todo:
                x = todo.pop()
                for y in (
                    self.objects(x, RDFS + "subClassOf")
                    + self.objects(x, OWL + "equivalentClass")
                    + self.subjects(OWL + "equivalentClass", x)
                ):
                    if y not in found:
                        found.add(y)
                        todo.append(y)
            self._supers[c] = found
        return found

    def prop_supers(self, p) -> set:
        found = self._prop_supers.get(p)
        if found is None:
            found, todo = {p}, [p]
            while todo:
                for q in self.objects(todo.pop(), RDFS + "subPropertyOf"):
                    if q not in found:
                        found.add(q)
                        todo.append(q)
            self._prop_supers[p] = found
        return found

    def disjoint_pair(self, a, b) -> tuple | None:
        """Classes (d1 above a, d2 above b) declared disjoint, if any."""
        sa, sb = self.supers(a), self.supers(b)
        for pair in self.disjoint:
            x, y = tuple(pair)
            if x in sa and y in sb:
                return x, y
            if y in sa and x in sb:
                return y, x
        return None

    def is_functional(self, p) -> bool:
        return p in self.functional

    def is_object_prop(self, p) -> bool:
        return any(q in self.object_props for q in self.prop_supers(p))

    def is_data_prop(self, p) -> bool:
        return any(q in self.data_props for q in self.prop_supers(p))

    def domains(self, p) -> list:
        return [d for q in self.prop_supers(p) for d in self.objects(q, RDFS + "domain")]

    def ranges(self, p) -> list:
        return [r for q in self.prop_supers(p) for r in self.objects(q, RDFS + "range")]

    def union_members(self, c) -> list | None:
        node = self.one(c, OWL + "unionOf")
        return self.rdf_list(node) if node is not None else None

    # -- naming --------------------------------------------------------------------------
    def label(self, x) -> str | None:
        for p in (RDFS + "label", SKOS + "prefLabel", DCT + "title"):
            values = [o for o in self.objects(x, p) if isinstance(o, Lit)]
            if values:
                values.sort(key=lambda lit: (lit.lang not in (None, "en"), lit.lang or "", lit.value))
                return values[0].value
        return None

    def short(self, x) -> str:
        if isinstance(x, Lit):
            return _literal_text(x)
        if x.startswith("_:"):
            return "an anonymous node"
        if x.startswith(v.ID):
            return x[len(v.ID) :]
        for prefix, ns in v.PREFIXES.items():
            if prefix != "id" and x.startswith(ns) and x[len(ns) :]:
                return f"{prefix}:{x[len(ns) :]}"
        return f"<{x}>"

    def name(self, x) -> str:
        """An entity for a sentence: '"Label" (area/x)', or just its id."""
        if isinstance(x, Lit):
            return _literal_text(x)
        label = self.label(x)
        return f'"{label}" ({self.short(x)})' if label else self.short(x)

    def cls(self, c) -> str:
        """A class for a sentence: 'Place (ics:Place)' or a description of an anonymous class."""
        if c.startswith("_:"):
            members = self.union_members(c)
            if members:
                return " or ".join(self.cls(m) for m in members)
            return "an anonymous class"
        label = self.label(c)
        return f"{label} ({self.short(c)})" if label else self.short(c)

    def prop(self, p) -> str:
        label = self.label(p)
        return f"{label} ({self.short(p)})" if label else self.short(p)

    def a_cls(self, c) -> str:
        """A class with its article: 'a Place (ics:Place)', 'an Integrated care board (...)'."""
        return _article(self.label(c) or self.short(c)) + " " + self.cls(c)

    def plain(self, c) -> str:
        """A class by label only, for a second mention."""
        return self.label(c) or self.short(c)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" or word.startswith(("NHS", "ICB", "ICP", "RAG")) else "a"


def _literal_text(lit: Lit) -> str:
    if lit.datatype in _DECIMAL_TYPES | {XSD + "boolean"} and _lexically_valid(lit):
        return lit.value
    text = f'"{lit.value}"'
    if lit.lang:
        return f"{text}@{lit.lang}"
    if lit.datatype != XSD + "string":
        dt = lit.datatype
        return f"{text}^^xsd:{dt[len(XSD) :]}" if dt.startswith(XSD) else f"{text}^^<{dt}>"
    return text


# ------------------------------------------------------------------------------------------
# Datatypes
# ------------------------------------------------------------------------------------------


def _number(lit: Lit) -> Decimal | None:
    try:
        return Decimal(lit.value.strip())
    except (InvalidOperation, ValueError):
        return None


def _lexically_valid(lit: Lit) -> bool:
    """Is the literal's text valid for its own datatype (for the datatypes that owlready2
    converts or HermiT checks)? An invalid one makes the graph inconsistent."""
    if lit.datatype in (XSD + "double", XSD + "float", OWL + "real"):
        try:
            float(lit.value)
            return True
        except ValueError:
            return False
    if lit.datatype in _INTEGER_TYPES:
        try:
            int(lit.value.strip())
            return True
        except ValueError:
            return False
    if lit.datatype == XSD + "decimal":
        return _number(lit) is not None and "e" not in lit.value.lower()
    if lit.datatype == XSD + "boolean":
        return lit.value.strip() in ("true", "false", "1", "0")
    return True


def _fits(g: _Graph, lit: Lit, datatype) -> tuple[bool, str]:
    """Does ``lit`` belong to ``datatype`` (a named datatype or a facet restriction)?
    Returns (fits, what the datatype allows in words). Datatypes HermiT does not check
    (outside the OWL 2 datatype map, such as xsd:date) always fit."""
    if isinstance(datatype, str) and datatype.startswith("_:"):
        base = g.one(datatype, OWL + "onDatatype")
        if base is None:
            return True, ""
        ok, allowed = _fits(g, lit, base)
        bounds = []
        for facet in g.rdf_list(g.one(datatype, OWL + "withRestrictions")):
            for p, limit in g.spo.get(facet, {}).items():
                for bound in limit:
                    if isinstance(bound, Lit):
                        bounds.append((p, bound))
        words = []
        number = _number(lit) if ok else None
        for p, bound in bounds:
            b = _number(bound)
            name = p[len(XSD) :] if p.startswith(XSD) else p
            words.append(
                {
                    "minInclusive": f"at least {bound.value}",
                    "maxInclusive": f"at most {bound.value}",
                    "minExclusive": f"more than {bound.value}",
                    "maxExclusive": f"less than {bound.value}",
                }.get(name, f"{name} {bound.value}")
            )
            if (
                ok
                and number is not None
                and b is not None
                and (
                    (name == "minInclusive" and number < b)
                    or (name == "maxInclusive" and number > b)
                    or (name == "minExclusive" and number <= b)
                    or (name == "maxExclusive" and number >= b)
                )
            ):
                ok = False
        limits = {p[len(XSD) :]: b.value for p, b in bounds if p.startswith(XSD)}
        if set(limits) == {"minInclusive", "maxInclusive"}:
            return ok, f"{allowed} from {limits['minInclusive']} to {limits['maxInclusive']}"
        return ok, " ".join([allowed, " and ".join(words)]).strip()
    if datatype not in _CHECKED_DATATYPES:
        return True, ""
    allowed = {
        XSD + "string": "a plain string (no language tag)",
        XSD + "boolean": "true or false",
        XSD + "decimal": "a decimal number",
        RDF + "PlainLiteral": "a string",
    }.get(datatype, "a whole number")
    if not _lexically_valid(lit):
        return False, allowed
    if datatype == XSD + "string":
        return lit.datatype == XSD + "string", allowed
    if datatype == RDF + "PlainLiteral":
        return lit.datatype in (XSD + "string", RDF + "langString", RDF + "PlainLiteral"), allowed
    if datatype == XSD + "boolean":
        return lit.datatype == XSD + "boolean", allowed
    if datatype == XSD + "decimal":
        return lit.datatype in _DECIMAL_TYPES, allowed
    # an integer type: integers, or decimals with a whole value
    if lit.datatype in _INTEGER_TYPES:
        return True, allowed
    number = _number(lit) if lit.datatype == XSD + "decimal" else None
    return number is not None and number == number.to_integral_value(), allowed


def _same_literal(a: Lit, b: Lit) -> bool:
    if a.datatype in _DECIMAL_TYPES and b.datatype in _DECIMAL_TYPES:
        na, nb = _number(a), _number(b)
        if na is not None and nb is not None:
            return na == nb
    if a.datatype == b.datatype == XSD + "boolean":
        return (a.value.strip() in ("true", "1")) == (b.value.strip() in ("true", "1"))
    return a == b


def _distinct_values(values: list) -> list:
    out: list = []
    for x in values:
        if isinstance(x, Lit):
            if not any(isinstance(y, Lit) and _same_literal(x, y) for y in out):
                out.append(x)
        elif x not in out:
            out.append(x)
    return out


# ------------------------------------------------------------------------------------------
# Explanations
# ------------------------------------------------------------------------------------------

_SKIP_TYPES = {
    OWL + "NamedIndividual",
    OWL + "Thing",
    OWL + "Class",
    OWL + "Restriction",
    RDFS + "Class",
    OWL + "ObjectProperty",
    OWL + "DatatypeProperty",
    OWL + "AnnotationProperty",
    OWL + "FunctionalProperty",
    OWL + "Ontology",
    OWL + "AllDifferent",
    OWL + "AllDisjointClasses",
    RDFS + "Datatype",
}


def _types(g: _Graph, x) -> dict:
    """Classes ``x`` belongs to, each with why: None (asserted) or a phrase."""
    found: dict = {}
    for c in g.objects(x, RDF_TYPE):
        if c not in _SKIP_TYPES:
            found.setdefault(c, None)
    for p, values in g.spo.get(x, {}).items():
        if p == RDF_TYPE or not values:
            continue
        for d in g.domains(p):
            if _is_iri(d):
                found.setdefault(d, f"because it has a {g.prop(p)}")
    for p, by_o in g.pos.items():
        subjects = by_o.get(x)
        if not subjects or p == RDF_TYPE or not g.is_object_prop(p):
            continue
        s = next(iter(subjects))
        for r in g.ranges(p):
            if _is_iri(r):
                found.setdefault(r, f"because {g.name(s)} points to it with {g.prop(p)}")
    return found


def _closure(g: _Graph, types: dict) -> set:
    out: set = set()
    for c in types:
        out |= g.supers(c)
    return out


def _add_only_types(g: _Graph, x, types: dict, cache: dict) -> None:
    """Types implied by 'only' (allValuesFrom) restrictions on the things that point at x."""
    for p, by_o in g.pos.items():
        for s in by_o.get(x, ()):
            s_closure = cache.get(s)
            if s_closure is None:
                s_closure = cache[s] = _closure(g, _types(g, s))
            for c in s_closure:
                for prop, filler in g.all_values.get(c, ()):
                    if _is_iri(filler) and prop in g.prop_supers(p):
                        types.setdefault(
                            filler,
                            f"because {g.name(s)} points to it with {g.prop(p)}, and for "
                            f"{_article(g.plain(c))} {g.plain(c)} that can only be "
                            f"{_article(g.plain(filler))} {g.plain(filler)}",
                        )


def explain(g: _Graph) -> list[str]:
    """Simple causes of inconsistency found without a reasoner, as sentences."""
    problems: list[str] = []
    seen: set[str] = set()

    def say(text: str) -> None:
        if text not in seen:
            seen.add(text)
            problems.append(text)

    closures: dict = {}
    nodes = [x for x in g.spo if _is_node(x)] + [o for by_o in g.pos.values() for o in by_o if _is_node(o)]
    for x in dict.fromkeys(nodes):
        if x in g.classes or x in g.object_props or x in g.data_props:
            continue
        types = _types(g, x)
        _add_only_types(g, x, types, closures)
        closure = _closure(g, types)
        who = g.name(x)

        # 1. two disjoint classes
        disjoint_reported = False
        items = list(types.items())
        for i, (c1, why1) in enumerate(items):
            for c2, why2 in items[i + 1 :]:
                pair = g.disjoint_pair(c1, c2)
                if not pair:
                    continue
                disjoint_reported = True
                if why1 and not why2:
                    (c1, why1), (c2, why2), pair = (c2, why2), (c1, why1), (pair[1], pair[0])
                first = g.a_cls(c1) + (f" ({why1})" if why1 else "")
                second = g.a_cls(c2) + (f" ({why2})" if why2 else "")
                if set(pair) == {c1, c2}:
                    why = "these are disjoint classes"
                else:
                    kinds = [
                        f"{_article(g.plain(c))} {g.plain(c)} is {_article(g.plain(d))} {g.plain(d)}"
                        for c, d in ((c1, pair[0]), (c2, pair[1]))
                        if c != d
                    ]
                    why = f"{' and '.join(kinds)}, and {g.plain(pair[0])} and {g.plain(pair[1])} are disjoint classes"
                say(f"{who} is both {first} and {second}, but {why}: nothing can be both.")

        # 2. single-valued properties with two values
        for p, values in g.spo.get(x, {}).items():
            if not g.is_functional(p):
                continue
            distinct = _distinct_values(list(values))
            if len(distinct) > 1:
                listed = ", ".join(g.name(o) for o in distinct[:-1]) + " and " + g.name(distinct[-1])
                say(f"{who} has {len(distinct)} different values for {g.prop(p)}, which allows only one: {listed}.")

        # 3. fixed values (hasValue) contradicted
        required: dict = defaultdict(list)
        for c in closure:
            for p, value in g.has_value.get(c, ()):
                required[p].append((value, c))
        for p, wanted in required.items():
            fixed = {value for value, _ in wanted}
            if len(fixed) > 1 and not disjoint_reported:
                listed = " and ".join(f"{g.name(value)} (as {g.cls(c)})" for value, c in wanted)
                say(f"{who} would need {g.prop(p)} to be both {listed}.")
            if not g.is_functional(p):
                continue
            for value, c in wanted:
                for actual in g.objects(x, p):
                    if actual != value and not (
                        isinstance(actual, Lit) and isinstance(value, Lit) and _same_literal(actual, value)
                    ):
                        say(
                            f"{who} is {g.a_cls(c)}, so its {g.prop(p)} must be {g.name(value)}, "
                            f"but it is {g.name(actual)}."
                        )

        # 4. used with a property whose domain or range is a union it cannot belong to
        for p in g.spo.get(x, {}):
            for d in g.domains(p):
                if not disjoint_reported:
                    _check_union(g, x, closure, d, f"used with {g.prop(p)}", say)
        for p, by_o in g.pos.items():
            subjects = by_o.get(x)
            if subjects and p != RDF_TYPE and g.is_object_prop(p) and not disjoint_reported:
                s = next(iter(subjects))
                for r in g.ranges(p):
                    _check_union(g, x, closure, r, f"pointed to by {g.name(s)} with {g.prop(p)}", say)

        # 5. literals of the wrong kind
        for p, values in g.spo.get(x, {}).items():
            if p == RDF_TYPE:
                continue
            for o in values:
                if isinstance(o, Lit):
                    if g.is_object_prop(p):
                        say(f"{who} has the literal {g.name(o)} for {g.prop(p)}, which must point to an entity.")
                        continue
                    if not _lexically_valid(o):
                        say(
                            f"{who} has {g.name(o)} for {g.prop(p)}, which is not a valid "
                            f"{o.datatype[len(XSD) :] if o.datatype.startswith(XSD) else o.datatype} value."
                        )
                        continue
                    for r in g.ranges(p):
                        ok, allowed = _fits(g, o, r)
                        if not ok:
                            say(f"{who} has {g.name(o)} for {g.prop(p)}, which must be {allowed}.")
                elif g.is_data_prop(p) and not g.is_object_prop(p):
                    say(f"{who} has the entity {g.name(o)} for {g.prop(p)}, which must be a literal value.")
    return problems


def _check_union(g: _Graph, x, closure: set, cls, role: str, say) -> None:
    members = g.union_members(cls) if isinstance(cls, str) and cls.startswith("_:") else None
    if not members:
        return
    own = [c for c in closure if _is_iri(c)]
    if not own:
        return
    blockers = []
    for m in members:
        blocker = next((c for c in own if g.disjoint_pair(c, m)), None)
        if blocker is None:
            return
        blockers.append(blocker)
    kinds = " and ".join(dict.fromkeys(g.a_cls(b) for b in blockers))
    wanted = " or ".join(g.a_cls(m) for m in members)
    say(f"{g.name(x)} is {role}, so it must be {wanted}, but it is {kinds}: nothing can be both.")


def unique_name_triples(g: _Graph) -> list:
    """owl:AllDifferent for the entity values of single-valued properties that have more
    than one: distinct ids are distinct things, so the reasoner must not merge them."""
    import pyoxigraph as ox

    out = []
    for p in g.functional:
        if not g.is_object_prop(p):
            continue
        for by_p in list(g.spo.values()):
            values = [o for o in by_p.get(p, ()) if _is_iri(o)]
            if len(values) < 2:
                continue
            axiom = ox.BlankNode()
            out.append(ox.Triple(axiom, ox.NamedNode(RDF_TYPE), ox.NamedNode(OWL + "AllDifferent")))
            head: ox.BlankNode | ox.NamedNode = ox.BlankNode()
            out.append(ox.Triple(axiom, ox.NamedNode(OWL + "distinctMembers"), head))
            for i, value in enumerate(values):
                out.append(ox.Triple(head, ox.NamedNode(RDF_FIRST), ox.NamedNode(value)))
                nxt = ox.BlankNode() if i < len(values) - 1 else ox.NamedNode(RDF_NIL)
                out.append(ox.Triple(head, ox.NamedNode(RDF_REST), nxt))
                head = nxt
    return out


# ------------------------------------------------------------------------------------------
# HermiT
# ------------------------------------------------------------------------------------------


def _ntriples(triples: Iterable) -> bytes:
    import pyoxigraph as ox

    data = ox.serialize(
        (t if isinstance(t, ox.Triple) else ox.Triple(*t) for t in triples), format=ox.RdfFormat.N_TRIPLES
    )
    assert data is not None  # None only when given an output to write to
    return data


def _hermit_command(owlready2, nt_file: Path) -> list[str]:
    from owlready2 import reasoning as owl_reasoning

    here = Path(owlready2.__file__).resolve().parent / "hermit"
    classpath = (
        getattr(owl_reasoning, "_HERMIT_CLASSPATH", None) or f"{here}{__import__('os').pathsep}{here / 'HermiT.jar'}"
    )
    memory = getattr(owl_reasoning, "JAVA_MEMORY", 2000)
    return [
        owlready2.JAVA_EXE,
        f"-Xmx{memory}M",
        "-XX:-UsePerfData",
        "-cp",
        classpath,
        "org.semanticweb.HermiT.cli.CommandLine",
        "-k",
        "--ignoreUnsupportedDatatypes",
        nt_file.resolve().as_uri(),
    ]


def _run_hermit(ontology_nt: bytes, data_nt: bytes, classify: bool = False) -> tuple[bool, list[str], float]:
    """(consistent, IRIs of unsatisfiable ontology classes, seconds in HermiT).

    Both graphs are loaded into a fresh in-memory owlready2 World. By default HermiT is
    asked one question, whether the whole is consistent (``-k``): far less work than
    owlready2's ``sync_reasoner``, which also classifies every class and property and
    realises every individual.
    ``classify=True`` runs ``sync_reasoner`` instead and also reports classes of the
    ontology that can have no members."""
    import subprocess

    import owlready2

    with _LOCK, tempfile.TemporaryDirectory(prefix="ics-graph-hermit-") as tmp:
        saved_tempdir = tempfile.tempdir
        tempfile.tempdir = tmp  # owlready2 writes its hand-over file here, even when HermiT fails
        world = owlready2.World()  # in-memory quadstore
        try:
            world.get_ontology(ONTOLOGY_IRI + "#").load(fileobj=io.BytesIO(ontology_nt), format="ntriples")
            if data_nt:
                world.get_ontology(_DATA_ONTOLOGY_IRI).load(fileobj=io.BytesIO(data_nt), format="ntriples")
            started = time.perf_counter()
            unsatisfiable: list[str] = []
            if classify:
                try:
                    owlready2.sync_reasoner_hermit(
                        world, infer_property_values=False, debug=0, ignore_unsupported_datatypes=True
                    )
                    consistent = True
                except owlready2.OwlReadyInconsistentOntologyError:
                    consistent = False
                except owlready2.OwlReadyJavaError as exc:
                    raise ReasoningError(f"HermiT failed: {str(exc).strip()[:2000]}") from exc
                except OSError as exc:
                    raise ReasoningError(f"HermiT needs Java (17 or later) on the PATH: {exc}") from exc
                if consistent:
                    unsatisfiable = sorted(
                        {c.iri for c in world.inconsistent_classes() if getattr(c, "iri", "").startswith(v.ICS)}
                    )
            else:
                nt_file = Path(tmp) / "ontology-and-data.nt"
                world.save(str(nt_file), format="ntriples")
                try:
                    run = subprocess.run(_hermit_command(owlready2, nt_file), capture_output=True, cwd=tmp)
                except OSError as exc:
                    raise ReasoningError(f"HermiT needs Java (17 or later) on the PATH: {exc}") from exc
                output = (run.stdout + run.stderr).decode("utf-8", "replace")
                if run.returncode == 0 and "is satisfiable" in output:
                    consistent = True
                elif "Inconsistent ontology" in output or "is not satisfiable" in output:
                    consistent = False
                else:
                    raise ReasoningError(f"HermiT failed (exit code {run.returncode}): {output.strip()[:2000]}")
            return consistent, unsatisfiable, time.perf_counter() - started
        finally:
            tempfile.tempdir = saved_tempdir
            world.close()


def reason(
    graph_ntriples: str | Path | bytes | Any, ontology: Path | None = None, *, classify: bool = False
) -> ReasoningReport:
    """Check a data graph against the ontology with HermiT.

    ``graph_ntriples`` is N-Triples text (Turtle also accepted), a path to an RDF file
    (format from its extension), or an rdflib Graph / pyoxigraph Store. ``ontology``
    defaults to the packaged ``ics.ttl``. ``classify=True`` runs owlready2's full
    ``sync_reasoner`` (classification and realisation; much slower on large data) and
    also reports unsatisfiable classes. Raises :class:`ReasoningError` if HermiT cannot
    run."""
    started = time.perf_counter()
    ontology_path = Path(ontology) if ontology is not None else _ontology_path()
    ontology_triples = _parse(ontology_path)
    imports = OWL + "imports"
    data_triples = [t for t in _parse(graph_ntriples) if t[1].value != imports]

    graph = _Graph(ontology_triples + data_triples)
    extra = unique_name_triples(graph)
    # A literal whose text is not valid for its datatype (say "x"^^xsd:integer) is a
    # contradiction in itself; owlready2 cannot even read it, so it is kept from HermiT
    # and reported below.
    ill_typed = [t for t in data_triples if type(t[2]).__name__ == "Literal" and not _lexically_valid(_key(t[2]))]
    well_typed = [t for t in data_triples if t not in ill_typed] if ill_typed else data_triples
    consistent, unsatisfiable, seconds = _run_hermit(
        _ntriples(ontology_triples), _ntriples(well_typed + extra), classify
    )
    consistent = consistent and not ill_typed
    problems: list[str] = []
    if not consistent:
        problems = explain(graph) or [
            "HermiT found the ontology and data inconsistent, but no simple explanation was found "
            "(no entity in two disjoint classes, no single-valued property with two values, no level "
            "contradicting an area type, no value of the wrong datatype)."
        ]
    for iri in unsatisfiable:
        problems.append(
            f"The class {graph.cls(iri)} can have no members: its definition in the ontology contradicts itself."
        )
    return ReasoningReport(
        consistent=consistent,
        problems=problems,
        elapsed=time.perf_counter() - started,
        reasoner_elapsed=seconds,
        triples=len(data_triples),
    )
