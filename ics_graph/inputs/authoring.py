"""Turn YAML authoring files into RDF, reporting every problem with its position.

Conversion runs in two passes over everything loaded together: :func:`declare` records
which ids exist (so a reference may point into another file, or into Turtle), then
:func:`convert` checks each entity against :mod:`ics_graph.model.schema` and emits quads. All
problems are collected; the loader fails once, listing them all.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from ics_graph.inputs.yamlsource import MarkedMap
from ics_graph.model import vocabulary as v
from ics_graph.model.schema import LONGEST_ID, SECTIONS, TOP_LEVEL_KEYS, Field, Section, printable, unsafe_character
from ics_graph.util.errors import Location, Problem, did_you_mean

__all__ = ["Registry", "convert", "declare", "entity_id"]

XSD = v.PREFIXES["xsd"]
RDF_TYPE = v.PREFIXES["rdf"] + "type"
_ID_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
# An id made from others (an allocation's: function, area, body and date) may be longer.
_LONGEST_MADE_ID = 5 * LONGEST_ID

#: A triple in plain form: (subject IRI, predicate IRI, object) where the object is
#: ``("iri", value)`` or ``("lit", lexical, datatype IRI)``.
Triple = tuple[str, str, tuple]


class Registry:
    """Which entities exist, where each was declared, and their labels (for suggestions)."""

    def __init__(self) -> None:
        self.where: dict[tuple[str, str], Location] = {}
        # the id declare() made for each entry (by the entry's identity: entries live as
        # long as the load), so that convert() does not make it again
        self.made: dict[int, str | None] = {}

    def add(self, kind: str, ident: str, location: Location, explicit: bool = True) -> Problem | None:
        """Declare an id; a second declaration is a problem (``explicit``: the id was
        written, not made from the entry's fields)."""
        first = self.where.get((kind, ident))
        if first is not None:
            message = f"duplicate {kind} id '{ident}' (first defined at {first})"
            return Problem(location, message if explicit else message + "; give one of them an explicit 'id'")
        self.where[(kind, ident)] = location
        return None

    def has(self, kind: str, ident: str) -> bool:
        return (kind, ident) in self.where

    def ids(self, kind: str) -> list[str]:
        return [i for (k, i) in self.where if k == kind]


def _items(
    section_value: Any, path_location: Location, name: str, problems: list[Problem]
) -> Iterator[tuple[MarkedMap, Location]]:
    if section_value is None:
        return
    if not isinstance(section_value, list):
        problems.append(Problem(path_location, f"'{name}' must be a list of entries (start each with '- ')"))
        return
    locs = getattr(section_value, "item_locations", [path_location] * len(section_value))
    for item, loc in zip(section_value, locs, strict=True):
        if isinstance(item, MarkedMap):
            yield item, loc
        else:
            problems.append(Problem(loc, f"each entry of '{name}' must be a mapping of keys to values"))


_DATE_AS_ID = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00:?00)?)?")


def _date_text(value: Any) -> str | None:
    """A date as an id part: ``2022-07-01`` whether written as a date, a date at
    midnight (``2022-07-01T00:00:00``, an Excel date cell) or a date string with spaces
    around it; None for anything else (another time of day, text, a number)."""
    if isinstance(value, str):
        text = value.strip()
        # most values asked about are ids (every part of a made allocation id is): the
        # first character turns them away before the pattern is tried
        if not text[:1].isdigit() or not _DATE_AS_ID.fullmatch(text):
            return None
        try:
            return _dt.date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            return None
    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time() else None
    if isinstance(value, _dt.date):
        return value.isoformat()
    return None


def _is_id(text: str, longest: int = LONGEST_ID) -> bool:
    """Whether ``text`` can be an id: letters, digits, '-', '_' or '.', and not too long."""
    return len(text) <= longest and _ID_RE.match(text) is not None


def _shown(value: Any) -> str:
    """A value as a message shows it: its repr, escaped and cut (see :func:`printable`)."""
    return printable(repr(value))


def _hint(word: str, candidates) -> str:
    """A "did you mean" hint, not sought for a long word (nobody misspells a paragraph)."""
    return did_you_mean(word, candidates) if len(word) <= 100 else ""


def _id_text(value: Any) -> bool:
    """Whether an explicit id is of a type an id can be: text (or a whole number)."""
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def entity_id(section: Section, item: MarkedMap) -> str | None:
    """The entity's id: explicit, or for allocations/delegations/dependencies derived
    from what identifies them, so ids stay stable when files are reordered."""
    if item.get("id") is not None:
        return str(item["id"])
    if section.has_id:
        return None

    def part(key: str, fallback: str) -> str:
        value = item.get(key)
        if value is None:
            return fallback
        if isinstance(value, list):  # a joint allocation's bodies, in an order that files do not change
            return "_".join(sorted(str(x) for x in value))
        return _date_text(value) or str(value)

    if section.name == "allocations":
        return "--".join(
            [part("function", "?"), part("area", "?"), part("accountable", "unowned"), part("effective_from", "always")]
        )
    if section.name == "delegations":
        return "--".join(
            [
                part("function", "?"),
                part("from", "?"),
                part("to", "?"),
                part("area", "?"),
                part("effective_from", "always"),
            ]
        )
    return None  # dependencies: one node per edge, named in convert()


def declare(value: Any, path: str, registry: Registry, problems: list[Problem]) -> None:
    """Pass 1: register the ids a YAML file defines (and check its top-level shape)."""
    if value is None:
        return
    if not isinstance(value, MarkedMap):
        problems.append(
            Problem(Location(path, 1, 1), "a mapping file must be a YAML mapping of sections (areas:, bodies:, ...)")
        )
        return
    for key in value:
        if key not in TOP_LEVEL_KEYS:
            problems.append(
                Problem(
                    value.key_locations[key],
                    f"unknown section '{printable(key)}'{_hint(key, TOP_LEVEL_KEYS)}; allowed: {', '.join(TOP_LEVEL_KEYS)}",
                )
            )
    for name, section in SECTIONS.items():
        for item, _loc in _items(value.get(name), value.value_locations.get(name, value.location), name, problems):
            ident = registry.made[id(item)] = entity_id(section, item)
            if ident is None:
                continue
            if item.get("id") is not None and not _id_text(item["id"]):
                problems.append(
                    Problem(
                        item.value_locations["id"],
                        f"'id' must be text (letters, digits, '-', '_' or '.'), got {_shown(item['id'])}",
                    )
                )
                continue
            if not _ID_RE.match(ident) and item.get("id") is not None:
                problems.append(
                    Problem(
                        item.value_locations["id"],
                        f"invalid id '{printable(ident)}': use letters, digits, '-', '_' or '.'",
                    )
                )
                continue
            if len(ident) > LONGEST_ID and item.get("id") is not None:
                problems.append(
                    Problem(
                        item.value_locations["id"],
                        f"id of {len(ident):,} characters is longer than the limit of {LONGEST_ID} characters",
                    )
                )
                continue
            if not _is_id(ident.replace("+", "-").replace("?", "x"), _LONGEST_MADE_ID):
                continue  # a generated id from bad parts; the parts are reported by convert()
            dup = registry.add(section.kind, ident, item.location, explicit=item.get("id") is not None)
            if dup:
                problems.append(dup)


class _Converter:
    def __init__(
        self, path: str, registry: Registry, problems: list[Problem], emit: Callable[[Triple, Location | None], None]
    ):
        self.path, self.registry, self.problems, self.emit = path, registry, problems, emit
        self.categories: set[str] = set()

    # -- values -------------------------------------------------------------------
    def error(self, loc: Location, message: str) -> None:
        self.problems.append(Problem(loc, message))

    def text(self, value: Any, loc: Location, key: str) -> str | None:
        """One text value: text, a number or a date as written. A list or mapping (one
        value was meant), a value too long or holding control characters or direction
        overrides is an error."""
        if isinstance(value, (str, int, float, Decimal)) and not isinstance(value, bool):
            text = str(value)
        elif isinstance(value, _dt.date):
            text = getattr(value, "text", None) or value.isoformat()
        else:
            shown = "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else repr(value)
            self.error(loc, f"'{key}' must be one text value, got {shown}")
            return None
        wrong = unsafe_character(text)
        if wrong is not None:
            self.error(loc, f"'{key}': {wrong}")
            return None
        return text

    def date(self, value: Any, loc: Location, key: str) -> str | None:
        """A date as ISO text. A date and time at midnight (an Excel date cell) is that
        date; any other time of day is an error, never silently dropped."""
        found = _date_text(value)
        if found is not None:
            return found
        if isinstance(value, _dt.datetime):
            shown = getattr(value, "text", None) or value.isoformat()
            self.error(
                loc,
                f"'{key}' must be a date (YYYY-MM-DD), not a date and time ({shown}); only midnight is read as the date",
            )
        else:
            shown = printable(repr(value), 60)
            self.error(loc, f"'{key}' must be a date (YYYY-MM-DD), got {shown}")
        return None

    def keyword(
        self, value: Any, vocab: dict[str, str], loc: Location, key: str, synonyms: dict[str, str] | None = None
    ) -> str | None:
        if isinstance(value, str):
            word = v.normalise(value)
            if word in vocab:
                return word
            if synonyms and word in synonyms:
                return synonyms[word]
        allowed = ", ".join(vocab)
        hint = _hint(v.normalise(str(value)), list(vocab) + list(synonyms or ())) if value is not None else ""
        self.error(loc, f"invalid {key} {_shown(value)}{hint}; allowed: {allowed}")
        return None

    def level(self, value: Any, loc: Location, key: str) -> str | None:
        word = self.keyword(value, {k: lv.iri for k, lv in v.LEVELS.items()}, loc, key, v.LEVEL_SYNONYMS)
        return v.LEVELS[word].iri if word else None

    def reference(self, value: Any, targets: tuple[str, ...], loc: Location, key: str) -> str | None:
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            self.error(loc, f"'{key}' must be an id")
            return None
        ident = str(value)
        for kind in targets:
            if self.registry.has(kind, ident):
                return v.entity_iri(kind, ident)
        known = [i for kind in targets for i in self.registry.ids(kind)]
        what = " or ".join(targets)
        self.error(loc, f"unknown {what} '{printable(ident)}' in '{key}'{_hint(ident, known)}")
        return None

    # -- entities -----------------------------------------------------------------
    def entity(self, section: Section, item: MarkedMap) -> None:
        vloc = item.value_locations
        for key in item:
            if section.field(key) is None:
                self.error(
                    item.key_locations[key],
                    f"unknown key '{printable(key)}' in {section.name}{_hint(key, section.keys)}; allowed: {', '.join(section.keys)}",
                )
        missing = [f.key for f in section.fields if f.required and item.get(f.key) is None]
        for key in missing:
            self.error(item.location, f"{section.kind} is missing required key '{key}'")
        if missing:
            return
        made = self.registry.made
        ident = made[id(item)] if id(item) in made else entity_id(section, item)
        if section.name == "dependencies":
            self.dependency(section, item)
            return
        explicit = item.get("id")
        longest = LONGEST_ID if explicit is not None else _LONGEST_MADE_ID
        valid_id = (
            ident if ident is not None and _is_id(ident, longest) and (explicit is None or _id_text(explicit)) else None
        )
        subject = v.entity_iri(section.kind, "invalid" if valid_id is None else valid_id)
        reported = len(self.problems)
        emit = self.emit
        if valid_id is None:  # still check every field, but emit nothing
            self.emit = lambda triple, location: None
        try:
            out = lambda p, o: self.emit((subject, p, o), None)
            self.emit(
                (subject, RDF_TYPE, ("iri", section.rdf_class or self.entity_class(section, item))), item.location
            )
            for f in section.fields:
                value = item.get(f.key, f.default)
                if value is None or f.kind == "id":
                    continue
                self.field(section, f, value, vloc.get(f.key, item.location), subject, out, item)
            if section.name == "risks":
                self.risk_score(item, out)
            elif section.name == "bodies" and item.get("legal_form") is None:
                word = v.normalise(str(item.get("type", "")))
                if word in v.DEFAULT_LEGAL_FORMS:  # what the law makes a body of this type
                    out(RDF_TYPE, ("iri", v.ICS + v.LEGAL_FORMS[v.DEFAULT_LEGAL_FORMS[word]]))
            elif section.name == "allocations":
                self.joint_accountability(item)
        finally:
            self.emit = emit
        if valid_id is None and explicit is None and len(self.problems) == reported:  # never a silent drop
            self.error(
                item.location,
                f"cannot make an id for this {section.kind} from its values ('{printable(str(ident))}'): give it an explicit 'id' "
                "(letters, digits, '-', '_' or '.')",
            )

    def entity_class(self, section: Section, item: MarkedMap) -> str:
        if section.name == "bodies":
            word = self.keyword(
                item.get("type"), v.BODY_TYPES, item.value_locations.get("type", item.location), "body type"
            )
            return v.ICS + v.BODY_TYPES[word] if word else v.ICS + "Body"
        # areas: the type, or the class of the level
        level_word = v.normalise(str(item.get("level", "")))
        level_word = v.LEVEL_SYNONYMS.get(level_word, level_word)
        if item.get("type") is None:
            return v.LEVELS[level_word].area_class if level_word in v.LEVELS else v.ICS + "Area"
        word = self.keyword(
            item["type"], {k: c for k, (c, _) in v.AREA_TYPES.items()}, item.value_locations["type"], "area type"
        )
        if not word:
            return v.ICS + "Area"
        cls, expected_level = v.AREA_TYPES[word]
        if level_word in v.LEVELS and level_word != expected_level:
            self.error(
                item.value_locations["type"],
                f"area type '{word}' is at level {expected_level}, but level is '{item['level']}'",
            )
        return v.ICS + cls

    def field(self, section: Section, f: Field, value: Any, loc: Location, subject: str, out, item: MarkedMap) -> None:
        kind = f.kind
        if kind == "special":
            if f.key == "category":
                label = self.text(value, loc, f.key)
                slug = re.sub(r"[^a-z0-9]+", "-", (label or "").lower()).strip("-")
                if label and not slug:
                    self.error(loc, f"'category' must hold a letter or digit (ASCII), got {_shown(label)}")
                elif label:
                    cat = v.entity_iri("category", slug)
                    out(f.predicate, ("iri", cat))
                    if cat not in self.categories:
                        self.categories.add(cat)
                        self.emit((cat, RDF_TYPE, ("iri", v.ICS + "FunctionCategory")), loc)
                        self.emit((cat, v.PREFIXES["rdfs"] + "label", ("lit", label, XSD + "string")), None)
            return  # 'type' was handled by entity_class
        if kind in ("text", "texts"):
            values = value if (kind == "texts" and isinstance(value, list)) else [value]
            for one in values:
                text = self.text(one, loc, f.key)
                if text is not None:
                    out(f.predicate, ("lit", text, XSD + "string"))
        elif kind == "date":
            iso = self.date(value, loc, f.key)
            if iso:
                out(f.predicate, ("lit", iso, XSD + "date"))
        elif kind == "bool" and f.predicate is not None:
            if isinstance(value, str) and value.strip().lower() in ("yes", "no", "true", "false"):
                value = value.strip().lower() in ("yes", "true")
            if isinstance(value, bool):
                out(f.predicate, ("lit", "true" if value else "false", XSD + "boolean"))
            else:
                self.error(loc, f"'{f.key}' must be true or false, got {_shown(value)}")
        elif kind == "int":
            if isinstance(value, int) and not isinstance(value, bool):
                if f.key in ("impact", "likelihood") and not 1 <= value <= 5:
                    self.error(loc, f"'{f.key}' must be between 1 and 5, got {value}")
                elif f.key != "score":
                    out(f.predicate, ("lit", str(value), XSD + "integer"))
            else:
                self.error(loc, f"'{f.key}' must be a whole number, got {_shown(value)}")
        elif kind == "decimal":
            try:
                number = Decimal(str(value))
                if isinstance(value, bool) or not number.is_finite() or number < 0:
                    raise InvalidOperation
                out(f.predicate, ("lit", format(number.normalize(), "f"), XSD + "decimal"))
            except InvalidOperation:
                self.error(loc, f"'{f.key}' must be a non-negative number, got {_shown(value)}")
        elif kind == "iri":
            text = self.text(value, loc, f.key)
            if text and re.match(r"^https?://[^\s<>\"{}|\\^`]+$", text):
                out(f.predicate, ("iri", text))
            elif text:
                self.error(loc, f"'{f.key}' must be an http(s) URL without spaces, got {_shown(text)}")
        elif kind in ("ref", "refs"):
            values = value if isinstance(value, list) else [value]
            if kind == "ref" and isinstance(value, list):
                self.error(loc, f"'{f.key}' takes one id, not a list")
                return
            locs = getattr(value, "item_locations", [loc] * len(values))
            for one, one_loc in zip(values, locs, strict=True):
                target = self.reference(one, f.targets, one_loc, f.key)
                if target and f.predicate:
                    out(f.predicate, ("iri", target))
        elif kind in ("enum", "enums"):
            vocab = f.vocab
            assert vocab is not None  # every enum field in the schema names its vocabulary
            if kind == "enum" and isinstance(value, list):
                self.error(loc, f"'{f.key}' takes one value, not a list")
                return
            values = value if isinstance(value, list) else [value]
            locs = getattr(value, "item_locations", [loc] * len(values))
            for one, one_loc in zip(values, locs, strict=True):
                word = self.keyword(one, vocab, one_loc, f.key.replace("_", " "))
                if word:
                    out(f.predicate, ("iri", v.ICS + vocab[word]))
        elif kind == "bool" and f.predicate is None:  # delegator_remains_accountable: the law's, not ours
            if value not in (True, "true", "yes"):
                self.error(
                    loc,
                    f"'{f.key}' can only be true: a body that delegates a function stays accountable for it "
                    "(NHS Act 2006 s65Z5; s75 arrangements do not change liability either); leave the key out",
                )
        elif kind == "level":
            iri = self.level(value, loc, f.key.replace("_", " "))
            if iri:
                out(f.predicate, ("iri", iri))
        elif kind == "codes":
            if not isinstance(value, MarkedMap):
                self.error(loc, "'codes' must be a mapping such as {ons: E54000059, ods: QPM}")
                return
            for scheme, code in value.items():
                if scheme not in ("ons", "ods"):
                    self.error(
                        value.key_locations[scheme],
                        f"unknown code scheme '{printable(scheme)}'{_hint(scheme, ['ons', 'ods'])}; allowed: ons, ods",
                    )
                elif code is not None:
                    text = self.text(code, value.value_locations[scheme], f"codes: {scheme}")
                    if text is not None:
                        out(v.ICS + scheme + "Code", ("lit", text, XSD + "string"))
        elif kind == "source":
            self.sources(value, loc, subject, out)

    def sources(self, value: Any, loc: Location, subject: str, out) -> None:
        values = value if isinstance(value, list) else [value]
        locs = getattr(value, "item_locations", [loc] * len(values))
        dct_source = v.PREFIXES["dcterms"] + "source"
        prov = v.PREFIXES["prov"]
        for n, (one, one_loc) in enumerate(zip(values, locs, strict=True), start=1):
            locator = None
            if isinstance(one, MarkedMap):
                unknown = [k for k in one if k not in ("ref", "locator")]
                for k in unknown:
                    self.error(
                        one.key_locations[k],
                        f"unknown key '{printable(k)}' in source{_hint(k, ['ref', 'locator'])}; allowed: ref, locator",
                    )
                if one.get("ref") is None:
                    self.error(one_loc, "a source entry needs 'ref' (the id of a source)")
                    continue
                locator = self.text(one.get("locator"), one_loc, "locator") if one.get("locator") is not None else None
                one, one_loc = one["ref"], one.value_locations["ref"]
            target = self.reference(one, ("source",), one_loc, "source")
            if not target:
                continue
            out(dct_source, ("iri", target))
            if locator:
                node = f"{subject}#source-{n}"
                out(prov + "qualifiedDerivation", ("iri", node))
                self.emit((node, RDF_TYPE, ("iri", prov + "Derivation")), None)
                self.emit((node, prov + "entity", ("iri", target)), None)
                self.emit((node, v.ICS + "locator", ("lit", locator, XSD + "string")), None)

    def dependency(self, section: Section, item: MarkedMap) -> None:
        vloc = item.value_locations
        source_f = self.reference(item["function"], ("function",), vloc["function"], "function")
        targets = item["depends_on"] if isinstance(item["depends_on"], list) else [item["depends_on"]]
        locs = getattr(item["depends_on"], "item_locations", [vloc["depends_on"]] * len(targets))
        qualified = item.get("note") is not None or item.get("source") is not None
        for target, loc in zip(targets, locs, strict=True):
            target_f = self.reference(target, ("function",), loc, "depends_on")
            if not (source_f and target_f):
                continue
            self.emit((source_f, v.ICS + "dependsOn", ("iri", target_f)), None)
            if qualified:
                node = v.entity_iri("dependency", f"{item['function']}--{target}")
                self.emit((node, RDF_TYPE, ("iri", section.rdf_class)), item.location)
                self.emit((source_f, v.ICS + "qualifiedDependency", ("iri", node)), None)
                self.emit((node, v.ICS + "dependency", ("iri", target_f)), None)
                out = lambda p, o, node=node: self.emit((node, p, o), None)
                if item.get("note") is not None:
                    note = section.field("note")
                    assert note is not None  # the dependencies section has a note field
                    self.field(section, note, item["note"], vloc["note"], node, out, item)
                if item.get("source") is not None:
                    self.sources(item["source"], vloc["source"], node, out)

    def joint_accountability(self, item: MarkedMap) -> None:
        """Several accountable bodies are one joint duty or pooled arrangement, and say so
        with ``joint: yes``; a joint allocation names at least two."""
        accountable = item.get("accountable")
        count = len(accountable) if isinstance(accountable, list) else int(accountable is not None)
        joint = item.get("joint")
        joint = joint.strip().lower() in ("yes", "true") if isinstance(joint, str) else joint is True
        where = item.value_locations.get("accountable", item.location)
        if count > 1 and not joint:
            self.error(
                where,
                f"{count} accountable bodies: if they hold the function jointly (a joint duty, a pooled fund, "
                "a joint committee), add 'joint: yes'; otherwise write one allocation for each",
            )
        elif joint and count < 2:
            self.error(
                item.value_locations.get("joint", item.location),
                "'joint: yes' needs two or more accountable bodies (a list in 'accountable')",
            )

    def risk_score(self, item: MarkedMap, out) -> None:
        impact, likelihood = item.get("impact"), item.get("likelihood")
        if (
            not (isinstance(impact, int) and isinstance(likelihood, int))
            or isinstance(impact, bool)
            or isinstance(likelihood, bool)
        ):
            return
        score = impact * likelihood
        given = item.get("score")
        if given is not None and given != score:
            self.error(
                item.value_locations["score"],
                f"score {_shown(given)} does not equal impact x likelihood = {impact} x {likelihood} = {score}",
            )
        out(v.ICS + "riskScore", ("lit", str(score), XSD + "integer"))


def convert(
    value: Any, path: str, registry: Registry, problems: list[Problem], emit: Callable[[Triple, Location | None], None]
) -> None:
    """Pass 2: validate a YAML file's entities and emit their triples.

    ``emit(triple, location)`` receives each triple; ``location`` is set on the triple
    that types an entity, and records where that entity was written.
    """
    if not isinstance(value, MarkedMap):
        return
    converter = _Converter(path, registry, problems, emit)
    for name, section in SECTIONS.items():
        for item, _loc in _items(value.get(name), value.value_locations.get(name, value.location), name, []):
            converter.entity(section, item)
