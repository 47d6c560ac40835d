"""The YAML authoring schema as data: sections, their fields, and the RDF each becomes.

One table drives validation (unknown keys, required keys, allowed values, references)
and conversion to RDF, so adding a field is one line here plus its declaration in the
ontology. The workbook format (a later loader) reads the same table.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass

from ics_graph.model import vocabulary as v

__all__ = [
    "LONGEST_ID",
    "LONGEST_TEXT",
    "SECTIONS",
    "TOP_LEVEL_KEYS",
    "Field",
    "Section",
    "printable",
    "unsafe_character",
]

RDF_TYPE = v.PREFIXES["rdf"] + "type"
ICS, RDFS, SKOS, ORG, DCT, PROV = (
    v.ICS,
    v.PREFIXES["rdfs"],
    v.PREFIXES["skos"],
    v.PREFIXES["org"],
    v.PREFIXES["dcterms"],
    v.PREFIXES["prov"],
)


@dataclass(frozen=True)
class Field:
    """One key of an entity.

    ``kind`` is one of: ``id``, ``text``, ``texts`` (one or a list), ``date``, ``bool``,
    ``int``, ``decimal``, ``iri``, ``ref``/``refs`` (ids of ``targets`` kinds), ``enum``
    (a keyword of ``vocab``), ``enums`` (one keyword or a list), ``level``, ``codes``, ``source``, ``special`` (handled by the
    converter: types and categories).
    """

    key: str
    kind: str
    predicate: str | None = None
    targets: tuple[str, ...] = ()
    vocab: dict[str, str] | None = None
    required: bool = False
    default: object = None
    doc: str = ""


@dataclass(frozen=True)
class Section:
    name: str  # YAML key, e.g. "allocations"
    kind: str  # entity kind in IRIs, e.g. "allocation"
    rdf_class: str | None  # class of every entity (None: decided by a 'type' field)
    fields: tuple[Field, ...]
    has_id: bool = True  # False: an id is generated from other fields
    _by_key: dict[str, Field] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {f.key: f for f in self.fields})

    def field(self, key: str) -> Field | None:
        return self._by_key.get(key)

    @property
    def keys(self) -> list[str]:
        return [f.key for f in self.fields]


_COMMON = (
    Field("source", "source", doc="a source id, {ref: ID, locator: TEXT}, or a list of them"),
    Field("notes", "text", SKOS + "note"),
)
_DATED = (
    Field("valid_from", "date", ICS + "validFrom"),
    Field("valid_to", "date", ICS + "validTo"),
)
_EFFECTIVE = (
    Field("effective_from", "date", ICS + "effectiveFrom"),
    Field("effective_to", "date", ICS + "effectiveTo"),
)

SECTIONS: dict[str, Section] = {
    s.name: s
    for s in [
        Section(
            "sources",
            "source",
            ICS + "Source",
            (
                Field("id", "id", required=True),
                Field("title", "text", DCT + "title", required=True),
                Field("file", "text", ICS + "seedFile"),
                Field("url", "iri", RDFS + "seeAlso"),
                Field("publisher", "text", DCT + "publisher"),
                Field("date", "date", DCT + "date"),
                Field("notes", "text", SKOS + "note"),
            ),
        ),
        Section(
            "areas",
            "area",
            None,
            (
                Field("id", "id", required=True),
                Field("name", "text", RDFS + "label", required=True),
                Field("level", "level", ICS + "level", required=True),
                Field("type", "special", vocab={k: c for k, (c, _) in v.AREA_TYPES.items()}),
                # several when an area moved between parents: each parent's own dates date the link
                Field("part_of", "refs", ICS + "partOf", targets=("area",)),
                # areas of another geography that together cover this one (CCG footprints covering a council's area)
                Field("covered_by", "refs", ICS + "coveredBy", targets=("area",)),
                Field("codes", "codes"),
                *_DATED,
                *_COMMON,
            ),
        ),
        Section(
            "bodies",
            "body",
            None,
            (
                Field("id", "id", required=True),
                Field("name", "text", RDFS + "label", required=True),
                Field("type", "special", vocab=v.BODY_TYPES, required=True),
                Field("operates_in", "refs", ICS + "operatesIn", targets=("area",)),
                Field("part_of", "ref", ORG + "subOrganizationOf", targets=("body",)),
                Field("codes", "codes"),
                # a class: the type's default (DEFAULT_LEGAL_FORMS) unless given
                Field("legal_form", "enum", RDF_TYPE, vocab=v.LEGAL_FORMS),
                Field("committee_of", "refs", ICS + "committeeOf", targets=("body",)),
                *_DATED,
                Field("successor", "ref", ICS + "successor", targets=("body",)),
                *_COMMON,
            ),
        ),
        Section(
            "collaboratives",
            "collaborative",
            ICS + "ProviderCollaborative",
            (
                Field("id", "id", required=True),
                Field("name", "text", RDFS + "label", required=True),
                Field("model", "enum", ICS + "collaborationModel", vocab=v.COLLABORATION_MODELS, required=True),
                Field("members", "refs", ORG + "hasMember", targets=("body",)),
                Field("lead", "ref", ICS + "leadProvider", targets=("body",)),
                Field("scope", "text", ICS + "scope"),
                Field("operates_in", "refs", ICS + "operatesIn", targets=("area",)),
                *_DATED,
                *_COMMON,
            ),
        ),
        Section(
            "functions",
            "function",
            ICS + "Function",
            (
                Field("id", "id", required=True),
                Field("name", "text", RDFS + "label", required=True),
                Field("synonyms", "texts", SKOS + "altLabel"),
                Field("code", "text", SKOS + "notation"),
                Field("category", "special", ICS + "category"),
                Field("statutory_basis", "texts", ICS + "statutoryBasis"),
                Field("holder", "enums", ICS + "statutoryHolder", vocab=v.HOLDERS),
                Field("reserved", "bool", ICS + "reserved"),
                Field("lowest_level", "level", ICS + "lowestLevel"),
                Field("minimum_level", "level", ICS + "minimumLevel"),
                Field("icb_from", "date", ICS + "icbFrom"),
                Field("in_force_from", "date", ICS + "inForceFrom"),
                Field("in_force_to", "date", ICS + "inForceTo"),
                Field("applies_in", "refs", ICS + "appliesIn", targets=("area",)),
                *_COMMON,
            ),
        ),
        Section(
            "allocations",
            "allocation",
            ICS + "Allocation",
            (
                Field("id", "id"),
                Field("function", "ref", ICS + "function", targets=("function",), required=True),
                Field("area", "ref", ICS + "area", targets=("area",), required=True),
                Field("level", "level", ICS + "level"),
                Field("accountable", "refs", ICS + "accountableBody", targets=("body",)),
                Field("delivered_by", "refs", ICS + "deliveredBy", targets=("body", "collaborative")),
                Field("status", "enum", ICS + "status", vocab=v.STATUSES, default="current"),
                *_EFFECTIVE,
                Field("rationale", "text", ICS + "rationale"),
                Field("current_arrangement", "enum", ICS + "currentArrangement", vocab=v.ARRANGEMENTS),
                Field("wte", "decimal", ICS + "wte"),
                Field("joint", "bool", ICS + "joint"),
                Field("basis", "enum", ICS + "basis", vocab=v.BASES),
                Field("level_reason", "enum", ICS + "levelReason", vocab=v.LEVEL_REASONS),
                *_COMMON,
            ),
            has_id=False,
        ),
        Section(
            "delegations",
            "delegation",
            ICS + "Delegation",
            (
                Field("id", "id"),
                Field("function", "ref", ICS + "function", targets=("function",), required=True),
                Field("from", "ref", ICS + "delegator", targets=("body",), required=True),
                Field("to", "ref", ICS + "delegate", targets=("body", "collaborative"), required=True),
                Field("area", "ref", ICS + "area", targets=("area",), required=True),
                Field("instrument", "enum", ICS + "instrument", vocab=v.INSTRUMENTS, required=True),
                Field("status", "enum", ICS + "status", vocab=v.STATUSES, default="current"),
                *_EFFECTIVE,
                Field("rationale", "text", ICS + "rationale"),
                # entailed by the ontology (a delegator stays accountable); only 'true' is accepted
                Field("delegator_remains_accountable", "bool"),
                *_COMMON,
            ),
            has_id=False,
        ),
        Section(
            "dependencies",
            "dependency",
            ICS + "Dependency",
            (
                Field("function", "ref", targets=("function",), required=True),
                Field("depends_on", "refs", ICS + "dependsOn", targets=("function",), required=True),
                Field("note", "text", SKOS + "note"),
                Field("source", "source"),
            ),
            has_id=False,
        ),
        Section(
            "workstreams",
            "workstream",
            ICS + "Workstream",
            (
                Field("id", "id", required=True),
                Field("name", "text", RDFS + "label", required=True),
                Field("rag", "enum", ICS + "ragStatus", vocab=v.RAG),
                Field("sro", "text", ICS + "seniorResponsibleOwner"),
                Field("depends_on", "refs", ICS + "dependsOn", targets=("workstream",)),
                *_COMMON,
            ),
        ),
        Section(
            "risks",
            "risk",
            ICS + "Risk",
            (
                Field("id", "id", required=True),
                Field("description", "text", RDFS + "label", required=True),
                Field("impact", "int", ICS + "impact"),
                Field("likelihood", "int", ICS + "likelihood"),
                Field("score", "int", ICS + "riskScore"),
                Field("owner", "text", ICS + "riskOwner"),
                Field("status", "text", ICS + "riskStatus"),
                Field("relates_to", "refs", ICS + "relatesTo", targets=("workstream", "function")),
                *_COMMON,
            ),
        ),
    ]
}

#: Keys allowed at the top of a YAML file.
TOP_LEVEL_KEYS = ("imports", *SECTIONS)


#: The longest text value, in characters: a whole document pasted into a note is a slip,
#: and the RDF store cannot hold a term over 16 MiB.
LONGEST_TEXT = 1_000_000

#: The longest id, in characters (an id is part of an IRI, and of the ids made from it).
LONGEST_ID = 200

# Control characters (C0 but tab, line feed and carriage return; DEL; C1) and the Unicode
# direction overrides and isolates, which make text read differently from what it holds.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BACKSPACE", 0x1B: "ESC", 0x7F: "DEL"}


def unsafe_character(text: str) -> str | None:
    """What is wrong with a text value, or None: too long (over :data:`LONGEST_TEXT`
    characters), or holding a control character or a direction override (named, with
    its position in the text)."""
    if len(text) > LONGEST_TEXT:
        return f"text of {len(text):,} characters is longer than the limit of {LONGEST_TEXT:,} characters"
    found = _UNSAFE.search(text)
    if found is None:
        return None
    code = ord(found.group())
    name = _NAMES.get(code) or unicodedata.name(found.group(), "control character")
    return (
        f"text holds the character U+{code:04X} ({name}) at character {found.start() + 1}: control characters "
        "and direction overrides are not allowed (tab and line breaks are)"
    )


def printable(text: str, limit: int = 80) -> str:
    """A value as an error message may show it: control characters and direction
    overrides escaped (``\\x1b``, ``\\u202e``), so that a message never drives the
    terminal or reorders itself, and cut to ``limit`` characters (``...`` and the
    length after), so that a message stays one readable line."""
    if len(text) > limit:
        text = text[: limit - 3] + f"... ({len(text):,} characters)"
    return _UNSAFE.sub(lambda found: repr(found.group())[1:-1], text)
