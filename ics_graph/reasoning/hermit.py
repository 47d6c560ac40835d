"""OWL 2 reasoning over a mapping with HermiT, explained in words.

:func:`reason` loads the ics-graph ontology (``ontology/ics.ttl``) and a data graph into a
fresh, in-memory owlready2 world and asks HermiT (Java) whether they are consistent together.
HermiT only says *that* a graph is inconsistent, not why, so when it is, this module looks for
the usual causes itself, without the reasoner, and says them in sentences that name the
entities by label and id:

* an entity that belongs to two disjoint classes (asserted, or implied by the domain or
  range of a property it is used with, or by an "only" restriction); a body whose type
  the law gives one legal form and the data another (an ICB written as a partnership) is
  said as such, naming the type and both legal forms;
* a single-valued (functional) property with two different values, such as an area with
  two levels;
* a class implied by how many values a property has, whose fixed value is contradicted:
  an allocation with two accountable bodies is a joint allocation, whose ``ics:joint`` is
  true, so one that says ``ics:joint false`` is named with both bodies;
* a value that contradicts a class's fixed value, such as a place whose level is
  neighbourhood, or a delegation whose delegator does not remain accountable;
* an entity used where the property allows only other kinds of thing;
* a literal of the wrong datatype or out of its allowed range (for example an impact of 9).

Distinct ids in the data are distinct things (the unique name assumption that OWL itself
does not make): when a single-valued property, or one whose number of values matters
(``ics:accountableBody``), has two different entity values, the reasoner is told they
are different, so the contradiction is found rather than the two being silently merged.

When the whole is consistent, HermiT realises (``-I``) the allocations, their accountable
bodies and what they link to, and the allocations it puts in
``ics:AllocationWithoutLegalStanding`` (an accountable body that
is not a statutory body) are listed with the body and its legal form. They are not a
contradiction; the rule ``accountable-without-legal-standing`` judges them.

owlready2 and Java are only touched inside :func:`reason`, so importing this module is
cheap. Nothing is written outside a private temporary folder, which is removed afterwards;
owlready2's quadstore is kept in memory.
"""

from __future__ import annotations

import io
import re
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

__all__ = ["AllocationWithoutStanding", "ReasoningError", "ReasoningReport", "UnstatutoryBody", "reason"]

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


@dataclass(frozen=True)
class UnstatutoryBody:
    """An accountable body that is not a statutory body: its id, label and legal form."""

    id: str
    label: str | None
    legal_form: str | None  # keyword (committee, partnership ...) or None when HermiT alone knows
    legal_form_class: str | None  # e.g. 'Committee (ics:Committee)'

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "legal_form": self.legal_form}


@dataclass(frozen=True)
class AllocationWithoutStanding:
    """An allocation HermiT classifies as ``ics:AllocationWithoutLegalStanding``, with what
    names it (id, label, function, area) and its accountable bodies of no legal standing."""

    id: str
    label: str | None
    function: str | None
    area: str | None
    bodies: tuple[UnstatutoryBody, ...]

    def __str__(self) -> str:
        where = " in ".join(x for x in (self.function, self.area) if x)
        if self.label:
            named = f'"{self.label}" ({self.id}' + (f"; {where})" if where else ")")
        else:
            named = self.id + (f" ({where})" if where else "")
        if not self.bodies:
            return f"{named}: an accountable body is not a statutory body, so cannot hold the function in law."
        parts = []
        for body in self.bodies:
            who = f'"{body.label}" ({body.id})' if body.label else body.id
            form = _lower_first(body.legal_form_class) if body.legal_form_class else None
            parts.append(
                f"{who} is {_article(form)} {form}, not a statutory body" if form else f"{who} is not a statutory body"
            )
        noun = "body" if len(self.bodies) == 1 else "bodies"
        return f"{named}: its accountable {noun} {' and '.join(parts)}, so cannot hold the function in law."

    def as_dict(self) -> dict[str, Any]:
        return {
            "allocation": self.id,
            "label": self.label,
            "function": self.function,
            "area": self.area,
            "bodies": [b.as_dict() for b in self.bodies],
            "text": str(self),
        }


@dataclass
class ReasoningReport:
    """The verdict of HermiT on ontology + data.

    ``problems`` holds human sentences: why the graph is inconsistent (when it is), and any
    class of the ontology that can have no members. ``without_standing`` lists, for a
    consistent graph, the allocations HermiT classifies as
    ``ics:AllocationWithoutLegalStanding`` (an accountable body that is not a statutory
    body); they are not a contradiction. ``elapsed`` is the whole call in seconds,
    ``reasoner_elapsed`` the part spent in HermiT (Java start-up included)."""

    consistent: bool
    problems: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    reasoner_elapsed: float = 0.0
    triples: int = 0
    without_standing: list[AllocationWithoutStanding] = field(default_factory=list)

    def standing_lines(self) -> list[str]:
        """The allocations without legal standing, a heading and one line each (none: [])."""
        if not self.without_standing:
            return []
        count = len(self.without_standing)
        head = (
            f"HermiT classifies {count} allocation{'' if count == 1 else 's'} as without legal standing "
            "(ics:AllocationWithoutLegalStanding):"
        )
        return [head] + [f"  - {a}" for a in self.without_standing]

    def as_dict(self) -> dict[str, Any]:
        return {
            "consistent": self.consistent,
            "problems": list(self.problems),
            "without_legal_standing": [a.as_dict() for a in self.without_standing],
        }

    def __str__(self) -> str:
        head = "consistent" if self.consistent else "INCONSISTENT"
        lines = [
            f"OWL 2 reasoning (HermiT): {head}; {self.triples} data triples; "
            f"{self.elapsed:.2f} s ({self.reasoner_elapsed:.2f} s in HermiT)"
        ]
        lines += [f"  - {p}" for p in self.problems]
        lines += self.standing_lines()
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
        # (property, n, class): whatever has n or more different values of the property is in
        # the class (a restriction that is a subclass of it: two accountable bodies make an
        # allocation joint)
        self.min_cardinality: list[tuple[str, int, str]] = []
        for r, by_p in list(self.spo.items()):
            prop = self.one(r, OWL + "onProperty")
            bound = self.one(r, OWL + "minCardinality") or self.one(r, OWL + "minQualifiedCardinality")
            if prop is None or not isinstance(bound, Lit) or self.one(r, OWL + "onClass") not in (None, OWL + "Thing"):
                continue
            try:
                n = int(bound.value)
            except ValueError:
                continue
            for c in by_p.get(RDFS + "subClassOf", ()):
                self.min_cardinality.append((prop, n, c))

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

    def fixed_values(self, c) -> list[tuple]:
        """(property, value) pairs that members of ``c`` must have: owl:hasValue restrictions
        among its superclasses, also inside an equivalent intersection (a Joint allocation
        is an Allocation whose joint is true)."""
        found, todo, out = set(), [c], []
        while todo:
            x = todo.pop()
            if x in found:
                continue
            found.add(x)
            todo.extend(self.supers(x))
            todo.extend(self.rdf_list(self.one(x, OWL + "intersectionOf")))
            prop, value = self.one(x, OWL + "onProperty"), self.one(x, OWL + "hasValue")
            if prop is not None and value is not None and (prop, value) not in out:
                out.append((prop, value))
        return out

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


def _lower_first(text: str) -> str:
    """'Joint committee (ics:JointCommittee)' -> 'joint committee (...)'; 'NHS England' stays."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


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
                legal = _legal_form_conflict(g, (c1, why1), (c2, why2), pair)
                if legal:
                    say(f"{who} {legal}")
                    continue
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

        # 2b. a class implied by how many values a property has, whose fixed value is contradicted
        for p, n, c in g.min_cardinality:
            many = sorted(_distinct_values(g.objects(x, p)), key=lambda o: (isinstance(o, Lit), str(o)))
            if len(many) < n:
                continue
            for q, wanted in g.fixed_values(c):
                if not g.is_functional(q):
                    continue  # another value is no contradiction
                for actual in g.objects(x, q):
                    if actual == wanted or (
                        isinstance(actual, Lit) and isinstance(wanted, Lit) and _same_literal(actual, wanted)
                    ):
                        continue
                    say(_cardinality_sentence(g, x, p, many, n, c, q, wanted, actual))

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


_LEGAL_FORM_KEYWORDS = {v.ICS + local: word for word, local in v.LEGAL_FORMS.items()}
_BODY_TYPE_KEYWORDS = {v.ICS + local: word for word, local in reversed(v.BODY_TYPES.items())}
_NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def _legal_form_conflict(g: _Graph, first: tuple, second: tuple, pair: tuple) -> str | None:
    """A body whose type the law gives one legal form, stated to have another (an ICB
    written as a partnership): the words after the body's name, or None for other cases."""
    if not all(d in _LEGAL_FORM_KEYWORDS for d in pair):
        return None
    for (kind, why_kind), (given, why_given), law in ((first, second, pair[0]), (second, first, pair[1])):
        if why_given is None and given in _LEGAL_FORM_KEYWORDS and kind != law and given not in g.supers(kind):
            type_word = _BODY_TYPE_KEYWORDS.get(kind)
            kind_text = g.a_cls(kind)
            if type_word is not None:
                kind_text = f"{_article(g.plain(kind))} {g.plain(kind)} ({g.short(kind)}; type: {type_word})"
            if why_kind:
                kind_text += f" ({why_kind})"
            given_text = f"{g.plain(given)} ({g.short(given)}; legal_form: {_LEGAL_FORM_KEYWORDS[given]})"
            return (
                f"is {kind_text}, which the law makes {g.a_cls(law)}, but its legal form is given as "
                f"{given_text}, and a body has only one legal form (they are disjoint classes). Leave "
                f"legal_form out ({_article(g.plain(kind))} {_lower_first(g.plain(kind))} is always "
                f"{_LEGAL_FORM_KEYWORDS[law]}) or correct the body's type."
            )
    return None


def _plural(word: str) -> str:
    head, _, last = word.rpartition(" ")
    if last.endswith("y") and last[-2:-1] not in ("a", "e", "i", "o", "u"):
        last = last[:-1] + "ies"
    elif last.endswith(("s", "x", "ch", "sh")):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}" if head else last


def _describe(g: _Graph, x) -> str:
    """An entity by name, with the function and area of an allocation or delegation that
    has no label of its own: 'allocation/x (Continuing healthcare in Shire)'."""
    name = g.name(x)
    if g.label(x) is None:
        parts = [g.label(o) or g.short(o) for p in (v.ICS + "function", v.ICS + "area") for o in g.objects(x, p)[:1]]
        if parts:
            name += f" ({' in '.join(parts)})"
    return name


def _cardinality_sentence(g: _Graph, x, p, many: list, n: int, c, q, wanted, actual) -> str:
    """Why an entity with ``n`` or more values of ``p`` is a ``c``, and ``c`` fixes ``q``."""
    noun = _plural(g.label(p) or g.short(p))
    listed = ", ".join(g.name(o) for o in many[:-1]) + " and " + g.name(many[-1])
    domains = [d for d in g.domains(p) if _is_iri(d)]
    owner = _lower_first(g.plain(domains[0])) if domains else ""
    owner = f"{_article(owner)} {owner}" if owner else "it"
    count, least = (_NUMBER_WORDS.get(k, str(k)) for k in (len(many), n))
    text = (
        f"{_describe(g, x)} has {count} {noun} ({g.short(p)}), {listed}, and {least} or more make {owner} "
        f"{g.a_cls(c)}, whose {g.prop(q)} must be {g.name(wanted)}, but it says "
        f"{g.label(q) or g.short(q)} {g.name(actual)}."
    )
    if q == v.ICS + "joint" and p == v.ICS + "accountableBody":
        text += (
            " If the bodies hold the function together (a joint duty, a pooled fund, a joint committee), "
            "say joint: yes (ics:joint true); otherwise write one allocation for each body."
        )
    return text


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
    than one, and of properties whose number of values matters (two or more accountable
    bodies make an allocation joint): distinct ids are distinct things, so the reasoner
    must not merge them."""
    import pyoxigraph as ox

    out = []
    counted = {p for p, n, _ in g.min_cardinality if n >= 2}  # two accountable bodies are two
    for p in sorted(g.functional | counted):
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


def _hermit_command(owlready2, nt_file: Path, types_file: Path | None = None) -> list[str]:
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
        *(["-k"] if types_file is None else ["-N", "-I", "-o", str(types_file)]),
        "--ignoreUnsupportedDatatypes",
        nt_file.resolve().as_uri(),
    ]


_TYPE_LINE = re.compile(r"^\s*(?:Type|ClassAssertion)\(\s*<([^>]*)>\s+<([^>]*)>\s*\)\s*$")


def _read_types(text: str) -> dict[str, set[str]]:
    """HermiT's realisation (``-I``): each named individual's most specific classes, from
    lines 'Type( <individual> <class> )'."""
    types: dict[str, set[str]] = defaultdict(set)
    for line in text.splitlines():
        match = _TYPE_LINE.match(line)
        if match:
            types[match.group(1)].add(match.group(2))
    return dict(types)


def _run_hermit(
    ontology_nt: bytes, data_nt: bytes, classify: bool = False, realise: bool = False
) -> tuple[bool, list[str], float, dict[str, set[str]]]:
    """(consistent, IRIs of unsatisfiable ontology classes, seconds in HermiT, the classes
    HermiT puts each named individual in).

    Both graphs are loaded into a fresh in-memory owlready2 World. By default HermiT is
    asked one question, whether the whole is consistent (``-k``): far less work than
    owlready2's ``sync_reasoner``, which also classifies every class and property and
    realises every individual. ``realise=True`` asks HermiT instead for each individual's
    classes (``-I``, which fails as ``-k`` does when the whole is inconsistent): several
    times the work of ``-k`` on a whole pack, so :func:`reason` asks it of a small part.
    ``classify=True`` runs ``sync_reasoner`` instead and also reports classes of the
    ontology that can have no members (and realises, whatever ``realise`` says)."""
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
            types: dict[str, set[str]] = {}
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
                    types = {
                        ind.iri: {c.iri for c in getattr(ind, "is_a", ()) if isinstance(getattr(c, "iri", None), str)}
                        for ind in world.search(iri=v.ID + "*")
                    }
            else:
                nt_file = Path(tmp) / "ontology-and-data.nt"
                types_file = Path(tmp) / "types.txt" if realise else None
                world.save(str(nt_file), format="ntriples")
                try:
                    run = subprocess.run(_hermit_command(owlready2, nt_file, types_file), capture_output=True, cwd=tmp)
                except OSError as exc:
                    raise ReasoningError(f"HermiT needs Java (17 or later) on the PATH: {exc}") from exc
                output = (run.stdout + run.stderr).decode("utf-8", "replace")
                if "Inconsistent ontology" in output or "is not satisfiable" in output:
                    consistent = False
                elif run.returncode == 0 and (
                    "is satisfiable" in output if types_file is None else types_file.is_file()
                ):
                    consistent = True
                    if types_file is not None:
                        types = _read_types(types_file.read_text(encoding="utf-8", errors="replace"))
                else:
                    raise ReasoningError(f"HermiT failed (exit code {run.returncode}): {output.strip()[:2000]}")
            return consistent, unsatisfiable, time.perf_counter() - started, types
        finally:
            tempfile.tempdir = saved_tempdir
            world.close()


def reason(
    graph_ntriples: str | Path | bytes | Any,
    ontology: Path | None = None,
    *,
    classify: bool = False,
    list_without_standing: bool = True,
) -> ReasoningReport:
    """Check a data graph against the ontology with HermiT.

    ``graph_ntriples`` is N-Triples text (Turtle also accepted), a path to an RDF file
    (format from its extension), or an rdflib Graph / pyoxigraph Store. ``ontology``
    defaults to the packaged ``ics.ttl``. When the whole is consistent, the allocations
    HermiT classifies as ``ics:AllocationWithoutLegalStanding`` are listed in
    ``without_standing`` (a second run of HermiT realises the allocations, their bodies and
    what they link to, :func:`standing_module`; ``list_without_standing=False`` skips it).
    ``classify=True`` runs owlready2's full ``sync_reasoner`` (classification and
    realisation; much slower on large data) and also reports unsatisfiable classes.
    Raises :class:`ReasoningError` if HermiT cannot run."""
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
    ontology_nt = _ntriples(ontology_triples)
    consistent, unsatisfiable, seconds, types = _run_hermit(ontology_nt, _ntriples(well_typed + extra), classify)
    consistent = consistent and not ill_typed
    if consistent and list_without_standing and not classify:
        # HermiT realises the part of the data that can make an allocation one without
        # legal standing: a second, small run, where realising the whole data would take
        # several times as long as checking it.
        module, stands_for = standing_module(graph, well_typed)
        if module:
            _, _, more, types = _run_hermit(ontology_nt, _ntriples(module + extra), realise=True)
            seconds += more
            for one, alike in stands_for.items():
                for other in alike:
                    types[other] = types.get(one, set())
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
        without_standing=without_standing(graph, types) if consistent and list_without_standing else [],
    )


# ------------------------------------------------------------------------------------------
# Allocations without legal standing
# ------------------------------------------------------------------------------------------

WITHOUT_STANDING = v.ICS + "AllocationWithoutLegalStanding"
_STATUTORY = v.ICS + "StatutoryBody"


def _standing_definition(g: _Graph) -> tuple[str, list]:
    """The property and the classes of value that make an allocation one without legal
    standing, read from the ontology's definition (accountable body, some committee or
    joint committee or partnership ...)."""
    for definition in g.objects(WITHOUT_STANDING, OWL + "equivalentClass"):
        for part in g.rdf_list(g.one(definition, OWL + "intersectionOf")) or [definition]:
            prop, filler = g.one(part, OWL + "onProperty"), g.one(part, OWL + "someValuesFrom")
            if prop is not None and filler is not None:
                return prop, g.union_members(filler) or [filler]
    forms = [v.ICS + local for word, local in v.LEGAL_FORMS.items() if word != "statutory-body"]
    return v.ICS + "accountableBody", forms


def standing_module(g: _Graph, data_triples: list) -> tuple[list, dict[str, list[str]]]:
    """The data that can make an allocation one without legal standing, and the allocations
    each allocation in it stands for.

    Allocations with the same types and the same accountable bodies are alike to the
    reasoner here, so one of them stands for all. The part holds the types and accountable
    bodies of those allocations; every triple about one of the bodies, and one triple of
    each kind pointing to it (what a body is follows from its types and links: the domain
    of ``ics:committeeOf``, the range of a property pointing to it); the types of
    everything these name; and the data's own axioms, if any (blank nodes, classes,
    properties). A part of a consistent graph is consistent, and what HermiT classifies in
    the part it classifies in the whole; on every pack in ``data/`` the list is the one
    that realising the whole gives, in a fraction of the time."""
    prop, _ = _standing_definition(g)
    allocations = sorted({s for by_s in g.pos.get(prop, {}).values() for s in by_s if _is_node(s)})
    if not allocations:
        return [], {}

    def told(x) -> frozenset:
        return frozenset(g.objects(x, RDF_TYPE))

    stands_for: dict[str, list[str]] = {}
    by_kind: dict = {}
    for a in allocations:
        bodies_of = frozenset(o for o in g.objects(a, prop) if _is_node(o))
        stands_for.setdefault(by_kind.setdefault((told(a), bodies_of), a), []).append(a)
    bodies = {o for a in stands_for for o in g.objects(a, prop) if _is_node(o)}
    schema = g.classes | g.object_props | g.data_props
    keep: dict = {}
    named: set = set(stands_for)
    pointing: set = set()
    for t in data_triples:
        s, p, o = _key(t[0]), t[1].value, _key(t[2])
        if s in stands_for and p in (prop, RDF_TYPE):
            keep[t] = None
        elif s in bodies or s in schema or not _is_iri(s):
            keep[t] = None
            named.update(x for x in (s, o) if _is_node(x))
        elif o in bodies and s not in by_kind.values() and (p, told(s), o) not in pointing:
            pointing.add((p, told(s), o))
            keep[t] = None
            named.add(s)
    for t in data_triples:
        if t[1].value == RDF_TYPE and _key(t[0]) in named:
            keep[t] = None
    return list(keep), stands_for


def without_standing(g: _Graph, types: dict[str, set[str]]) -> list[AllocationWithoutStanding]:
    """The allocations HermiT put in ``ics:AllocationWithoutLegalStanding`` (``types``: its
    realisation), by id, each naming its accountable bodies of no legal standing and their
    legal form (HermiT's classes for each body and the ones the data gives, with their
    superclasses)."""
    prop, forms = _standing_definition(g)
    found = []
    for iri in sorted(types):
        if not any(WITHOUT_STANDING in g.supers(c) for c in types[iri]):
            continue
        # bodies of a legal form that cannot hold a function; bodies of no stated legal form
        known: list[UnstatutoryBody] = []
        unknown: list[UnstatutoryBody] = []
        for body in g.objects(iri, prop):
            if not _is_node(body):
                continue
            classes = _closure(g, dict.fromkeys(types.get(body, set()) | set(g.objects(body, RDF_TYPE))))
            form = next((f for f in forms if f in classes), None)
            if form is None and _STATUTORY in classes:
                continue  # the statutory body of a joint allocation
            (known if form else unknown).append(
                UnstatutoryBody(
                    id=g.short(body),
                    label=g.label(body),
                    legal_form=_LEGAL_FORM_KEYWORDS.get(form) if form else None,
                    legal_form_class=g.cls(form) if form else None,
                )
            )
        bodies = known or unknown  # HermiT alone knows which of those of no stated form is meant
        first = {p: g.objects(iri, v.ICS + p)[:1] for p in ("function", "area")}
        found.append(
            AllocationWithoutStanding(
                id=g.short(iri),
                label=g.label(iri),
                function=next((g.label(o) or g.short(o) for o in first["function"]), None),
                area=next((g.label(o) or g.short(o) for o in first["area"]), None),
                bodies=tuple(sorted(bodies, key=lambda b: b.id)),
            )
        )
    return found
