"""A loaded mapping written back as a function-mapping workbook (``.xlsx``).

The workbook has the sheets and columns of the workbook format (see
:mod:`ics_graph.inputs.workbook`): one row per entity, ids in id and reference columns,
vocabulary keywords as the YAML format spells them (``system``, ``s65z5-delegation``),
lists joined with ``"; "`` (a ``;`` inside an item written ``\\;``), dates as ISO text
(``2022-07-01``: text cells survive every spreadsheet program unchanged), ``yes``/``no``
for true/false, a ``Sources`` sheet with every source and all its fields, and a
``Findings`` sheet with what ``check`` reported.

Reading the workbook back gives the same graph, triple for triple, for a mapping read
from YAML, from a workbook, or from the Turtle that ``load -o`` writes. A ``source``
cell cites sources by id, in the order the citations were written, each with its
locator after ``": "`` (``nhn-src-hca-2022: s19; nhn-seed-design-2021``), so no source
is made anew from its title; the workbook holds every source it cites (the context's
too: the workbook stands alone).

Columns: each sheet has the template's columns, in the template's order; any other key
of the schema that some entity of the sheet uses (a body's ``part_of``, a function's
``icb_from``, a delegation's ``status`` ...) is added after them, in schema order. An
allocation or delegation whose id is not the one its columns would generate gets an
``id`` column. Rows are sorted by id (dependencies by function, then the function it
depends on); the file's bytes depend only on the mapping and the findings.

What a workbook cannot hold (an RDF graph from elsewhere may have it; nothing the
YAML or workbook formats write does): triples about anything that is not an entity of
the schema's sections, or with predicates the schema does not have; language tags and
unexpected datatypes of literals; several values where a column takes one (the least
is written); leading and trailing spaces of a value (cells are read stripped); the
control characters XML cannot hold (dropped) and carriage returns (read back as line
ends); a derivation node not named ``ENTITY#source-N``, which is written at the end of
the citations and so renamed.

Cells holding text are always written as text (never as formulas, whatever they start
with), so exported data cannot turn into spreadsheet formulas.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ics_graph.inputs.workbook import SHEETS, TEMPLATE_HEADERS, _column_letter
from ics_graph.model import vocabulary as v
from ics_graph.model.findings import CheckResult, Finding
from ics_graph.model.graph import Mapping
from ics_graph.model.schema import SECTIONS, Section
from ics_graph.util.files import write_atomic
from ics_graph.util.spreadsheet import join_list

if TYPE_CHECKING:
    from openpyxl import Workbook

__all__ = ["FINDINGS_HEADERS", "FIXED_TIME", "export_workbook", "stable_bytes", "workbook_rows", "write_template"]

#: The Findings sheet's columns.
FINDINGS_HEADERS = ("rule", "severity", "message", "entity", "file", "line/cell", "hint")
#: The workbook's created/modified time (and every zip entry's time): fixed, so the same
#: mapping always gives the same bytes.
FIXED_TIME = _dt.datetime(2000, 1, 1)
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)

_RDF_TYPE = v.PREFIXES["rdf"] + "type"
_RDFS_LABEL = v.PREFIXES["rdfs"] + "label"
_DCT = v.PREFIXES["dcterms"]
_PROV = v.PREFIXES["prov"]
_XSD = v.PREFIXES["xsd"]
_OPTIONAL_SHEETS = ("Workstreams", "Risks", "Sources")
#: A delegation's defaults (not written: the reader supplies them).
_DEFAULTS = {("status", "current"), ("delegator_remains_accountable", "yes")}
_ONS = re.compile(r"^E\d{8}$")  # as the reader tells ONS from ODS codes in a 'code' cell
# Characters XML 1.0 cannot hold (openpyxl refuses them): dropped from cells.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class _Graph:
    """The mapping's data triples indexed by subject: subject -> predicate -> objects,
    objects as ``("iri", value)`` or ``("lit", lexical, datatype)``."""

    def __init__(self, mapping: Mapping) -> None:
        self.out: dict[str, dict[str, list[tuple]]] = {}
        for s, p, o in mapping.data_triples():
            subject = getattr(s, "value", None)
            if subject is None or type(s).__name__ != "NamedNode":
                continue  # blank-node subjects have no row to go in
            obj: tuple[str, ...]
            if type(o).__name__ == "Literal":
                obj = ("lit", o.value, o.datatype.value if o.datatype is not None else _XSD + "string")
            elif type(o).__name__ == "NamedNode":
                obj = ("iri", o.value)
            else:
                continue
            objects = self.out.setdefault(subject, {}).setdefault(p.value, [])
            if obj not in objects:
                objects.append(obj)

    def objects(self, subject: str, predicate: str) -> list[tuple]:
        return sorted(self.out.get(subject, {}).get(predicate, ()))

    def iris(self, subject: str, predicate: str) -> list[str]:
        return [o[1] for o in self.objects(subject, predicate) if o[0] == "iri"]

    def literals(self, subject: str, predicate: str) -> list[str]:
        return [o[1] for o in self.objects(subject, predicate) if o[0] == "lit"]

    def entities(self, kind: str) -> list[tuple[str, str]]:
        """(id, IRI) of every typed entity of ``kind``, sorted by id."""
        prefix = v.ID + kind + "/"
        found = []
        for subject, predicates in self.out.items():
            if subject.startswith(prefix) and _RDF_TYPE in predicates:
                ident = subject[len(prefix) :]
                if ident and "#" not in ident and "/" not in ident:
                    found.append((ident, subject))
        return sorted(found)


def _ident(iri: str, targets: Iterable[str]) -> str:
    """A referenced entity's id (its IRI if it is not an entity of ``targets``)."""
    for kind in targets:
        prefix = v.ID + kind + "/"
        if iri.startswith(prefix):
            return iri[len(prefix) :]
    return iri


def _keyword(iri: str, vocab: dict[str, str]) -> str:
    for word, local in vocab.items():
        if v.ICS + local == iri:
            return word
    return iri


def _level(iri: str) -> str:
    return next((word for word, level in v.LEVELS.items() if level.iri == iri), iri)


def _number(lexical: str) -> Any:
    """A decimal as a number cell when a float holds it exactly, else as text."""
    try:
        number = Decimal(lexical)
        if number == number.to_integral_value() and abs(number) < 2**53:
            return int(number)
        if Decimal(repr(float(number))) == number:
            return float(number)
    except (InvalidOperation, ValueError, OverflowError):
        pass
    return lexical


class _Rows:
    """Builds the rows of each sheet from the indexed graph."""

    def __init__(self, graph: _Graph) -> None:
        self.g = graph

    def source_text(self, subject: str) -> str | None:
        """The ``source`` cell of an entity: its citations, each a source's id with its
        locator after ``": "``, in the order that gives every derivation node its number
        again (``ENTITY#source-N`` is the Nth citation)."""
        g = self.g
        placed: dict[int, str] = {}
        extra: list[str] = []
        located: set[str] = set()
        for node in g.iris(subject, _PROV + "qualifiedDerivation"):
            targets = g.iris(node, _PROV + "entity")
            locators = g.literals(node, v.ICS + "locator")
            located.update(targets)
            texts = [": ".join([_ident(t, ("source",)), *locators[:1]]) for t in targets]
            number = node[len(subject) + len("#source-") :] if node.startswith(subject + "#source-") else ""
            numbered = number.isdigit() and not number.startswith("0") and len(texts) == 1 and len(locators) <= 1
            if numbered and int(number) not in placed:
                placed[int(number)] = texts[0]
                continue
            extra.extend(texts)
        sources = g.iris(subject, _DCT + "source")
        rest = [_ident(t, ("source",)) for t in sources if t not in located]
        filler = [_ident(t, ("source",)) for t in sources[:1]]
        cited = []
        for n in range(1, max(placed, default=0) + 1):
            cited.append(placed.get(n) or (rest.pop(0) if rest else filler[0]))
        cited += rest + extra
        return join_list(cited) or None

    def value(self, section: Section, key: str, subject: str) -> Any:
        f = section.field(key)
        g = self.g
        if key == "source":
            return self.source_text(subject)
        if f is None:
            return None
        kind, predicate = f.kind, f.predicate
        if kind == "special" and key != "category":
            return self.entity_type(section, subject)
        if predicate is None:  # nothing in the graph to read (codes have columns of their own)
            return None
        if kind == "special":  # category
            labels = []
            for cat in g.iris(subject, predicate):
                names = g.literals(cat, _RDFS_LABEL)
                labels.append(names[0] if names else _ident(cat, ("category",)))
            return min(labels) if labels else None
        if kind == "texts":
            return join_list(g.literals(subject, predicate)) or None
        if kind in ("text", "date"):
            values = g.literals(subject, predicate)
            return values[0] if values else None
        if kind == "bool":
            values = g.literals(subject, predicate)
            return ("yes" if values[0] == "true" else "no") if values else None
        if kind == "int":
            values = g.literals(subject, predicate)
            try:
                return int(values[0]) if values else None
            except ValueError:
                return values[0]
        if kind == "decimal":
            values = g.literals(subject, predicate)
            return _number(values[0]) if values else None
        if kind == "iri":
            iris = g.iris(subject, predicate)
            return iris[0] if iris else None
        if kind == "refs":
            return join_list(sorted(_ident(o, f.targets) for o in g.iris(subject, predicate))) or None
        if kind == "ref":
            ids = sorted(_ident(o, f.targets) for o in g.iris(subject, predicate))
            return ids[0] if ids else None
        if kind in ("enum", "enums"):
            vocab = f.vocab
            assert vocab is not None  # every enum field in the schema names its vocabulary
            known = {v.ICS + local for local in vocab.values()}
            words = sorted(_keyword(o, vocab) for o in g.iris(subject, predicate) if o in known)
            if key == "legal_form" and words == [v.DEFAULT_LEGAL_FORMS.get(self.entity_type(section, subject) or "")]:
                return None  # the type's default: left blank, as the template expects
            if kind == "enums":
                return join_list(words) or None
            return words[0] if words else None
        if kind == "level":
            words = [_level(o) for o in g.iris(subject, predicate)]
            return words[0] if words else None
        return None

    def entity_type(self, section: Section, subject: str) -> str | None:
        classes = self.g.iris(subject, _RDF_TYPE)
        if section.name == "bodies":
            for cls in classes:
                word = _keyword(cls, v.BODY_TYPES)
                if word != cls:
                    return word
            return None
        # areas: no type when the class is the one the level implies
        levels = [lv for lv in v.LEVELS.values() if lv.iri in self.g.iris(subject, v.ICS + "level")]
        if levels and levels[0].area_class in classes:
            return None
        for cls in classes:
            for word, (local, _level_key) in v.AREA_TYPES.items():
                if v.ICS + local == cls:
                    return word
        return None

    def codes(self, subject: str, row: dict[str, Any]) -> None:
        """``code`` when the reader would tell each code's scheme from its shape, else
        ``ons`` / ``ods`` columns."""
        ons = self.g.literals(subject, v.ICS + "onsCode")
        ods = self.g.literals(subject, v.ICS + "odsCode")
        ons, ods = ons[:1], ods[:1]  # one code of each scheme
        if all(_ONS.match(c) for c in ons) and not any(_ONS.match(c) for c in ods):
            if ons or ods:
                row["code"] = join_list([*ons, *ods])
        else:
            if ons:
                row["ons"] = join_list(ons)
            if ods:
                row["ods"] = join_list(ods)

    def entity_rows(self, sheet: str) -> list[dict[str, Any]]:
        section = SECTIONS[SHEETS[sheet]]
        rows = []
        for ident, subject in self.g.entities(section.kind):
            row: dict[str, Any] = {}
            for key in section.keys:
                if key in ("score", "codes"):
                    continue  # a risk's score is computed; codes below
                if key == "id":
                    row["id"] = ident
                    continue
                value = self.value(section, key, subject)
                if value is None or (section.name == "delegations" and (key, value) in _DEFAULTS):
                    continue  # a delegation's defaults go without saying
                row[key] = value
            if section.field("codes") is not None:
                self.codes(subject, row)
            if not section.has_id and row.get("id") == _generated_id(section, row):
                del row["id"]
            rows.append(row)
        return rows

    def dependency_rows(self) -> list[dict[str, Any]]:
        section = SECTIONS["dependencies"]
        rows = []
        for ident, subject in self.g.entities("function"):
            for target in sorted(self.g.iris(subject, v.ICS + "dependsOn")):
                if not target.startswith(v.ID + "function/"):
                    continue
                other = _ident(target, ("function",))
                row: dict[str, Any] = {"function": ident, "depends_on": other}
                node = v.entity_iri("dependency", f"{ident}--{other}")
                if node in self.g.out:
                    for key in ("note", "source"):
                        value = self.value(section, key, node)
                        if value is not None:
                            row[key] = value
                rows.append(row)
        return rows


def _generated_id(section: Section, row: dict[str, Any]) -> str:
    """The id the reader gives an allocation or delegation without one (see
    :func:`ics_graph.inputs.authoring.entity_id`)."""

    def part(key: str, fallback: str) -> str:
        value = row.get(key)
        return fallback if value is None else str(value).replace("; ", "+")

    if section.name == "allocations":
        return "--".join(
            [part("function", "?"), part("area", "?"), part("accountable", "unowned"), part("effective_from", "always")]
        )
    return "--".join(
        [part("function", "?"), part("from", "?"), part("to", "?"), part("area", "?"), part("effective_from", "always")]
    )


def _columns(sheet: str, rows: list[dict[str, Any]]) -> list[str]:
    """The template's columns, then any other schema key the rows use (schema order)."""
    section = SECTIONS[SHEETS[sheet]]
    base = list(TEMPLATE_HEADERS[sheet])
    used = {key for row in rows for key in row}
    extra_keys = [k for k in section.keys if k != "codes"]
    if section.field("codes") is not None:
        extra_keys += ["ons", "ods"]
    extras = [k for k in extra_keys if k in used and k not in base]
    if "id" in extras:  # an explicit allocation/delegation id goes first
        extras.remove("id")
        base.insert(0, "id")
    return base + extras


def workbook_rows(mapping: Mapping) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Sheet name -> (headers, rows of cell values): the data sheets of the export, in
    workbook order (``Workstreams`` and ``Risks`` only when they have rows)."""
    builder = _Rows(_Graph(mapping))
    sheets: dict[str, tuple[list[str], list[list[Any]]]] = {}
    for sheet in SHEETS:
        rows = builder.dependency_rows() if sheet == "Dependencies" else builder.entity_rows(sheet)
        if sheet in _OPTIONAL_SHEETS and not rows:
            continue
        if sheet == "Dependencies":
            rows.sort(key=lambda r: (r["function"], r["depends_on"]))
        else:
            rows.sort(key=lambda r: str(r.get("id") or _generated_id(SECTIONS[SHEETS[sheet]], r)))
        headers = _columns(sheet, rows)
        sheets[sheet] = (headers, [[row.get(h) for h in headers] for row in rows])
    return sheets


def _finding_rows(findings: CheckResult | list[Finding] | None) -> list[list[Any]]:
    listed = findings.findings if isinstance(findings, CheckResult) else findings or []
    rows = []
    for f in listed:
        loc = f.location
        where = (loc.cell or (loc.line or None)) if loc is not None else None
        rows.append(
            [
                f.rule,
                f.severity.word,
                f.message,
                f.focus_id,
                loc.file if loc is not None else None,
                where,
                f.hint or None,
            ]
        )
    return rows


def _put(ws, row: int, column: int, value: Any) -> None:
    cell = ws.cell(row=row, column=column)
    if value is None:
        return
    if isinstance(value, str):
        cell.value = _ILLEGAL.sub("", value)
        cell.data_type = "s"  # text stays text, even when it starts with '='
    else:
        cell.value = value


def export_workbook(mapping: Mapping, findings: CheckResult | list[Finding] | None = None) -> bytes:
    """The mapping as an ``.xlsx`` workbook (bytes): the data sheets of the workbook
    format and a ``Findings`` sheet listing ``findings`` (a
    :class:`~ics_graph.model.findings.CheckResult` or a list of findings; none if ``None``).
    Deterministic: the same mapping and findings give the same bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    default = book.active  # the sheet a new workbook starts with
    assert default is not None
    book.remove(default)
    bold = Font(bold=True)
    sheets = workbook_rows(mapping)
    sheets["Findings"] = (list(FINDINGS_HEADERS), _finding_rows(findings))
    for name, (headers, rows) in sheets.items():
        ws = book.create_sheet(name)
        for col, header in enumerate(headers, start=1):
            _put(ws, 1, col, header)
            ws.cell(row=1, column=col).font = bold
        for r, values in enumerate(rows, start=2):
            for col, value in enumerate(values, start=1):
                _put(ws, r, col, value)
        ws.freeze_panes = "A2"
        for col, header in enumerate(headers, start=1):
            widest = max([len(header)] + [len(str(row[col - 1])) for row in rows if row[col - 1] is not None])
            ws.column_dimensions[ws.cell(row=1, column=col).column_letter].width = min(60, max(10, widest + 2))
    return stable_bytes(book)


# --- the empty template -----------------------------------------------------------------

_VOCABULARIES: dict[str, tuple[str, ...]] = {
    "level": tuple(v.LEVELS),
    "type": tuple(v.BODY_TYPES),
    "model": tuple(v.COLLABORATION_MODELS),
    "instrument": tuple(v.INSTRUMENTS),
    "status": tuple(v.STATUSES),
    "holder": tuple(v.HOLDERS),
    "legal_form": tuple(v.LEGAL_FORMS),
    "basis": tuple(v.BASES),
    "level_reason": tuple(v.LEVEL_REASONS),
    "joint": ("yes", "no"),
    "reserved": ("yes", "no"),
    "current_arrangement": tuple(v.ARRANGEMENTS),
    "rag": tuple(v.RAG),
}
_VOCAB_COLUMNS = {
    "level": "level",
    "lowest_level": "level",
    "minimum_level": "level",
    "type": "type",
    "model": "model",
    "instrument": "instrument",
    "holder": "holder",
    "legal_form": "legal_form",
    "basis": "basis",
    "level_reason": "level_reason",
    "joint": "joint",
    "reserved": "reserved",
    "status": "status",
    "current_arrangement": "current_arrangement",
    "rag": "rag",
}
#: Reference columns -> the sheet whose ids they take.
_ID_COLUMNS = {
    ("Areas", "part_of"): "Areas",
    ("Areas", "covered_by"): "Areas",
    ("Bodies", "operates_in"): "Areas",
    ("Bodies", "committee_of"): "Bodies",
    ("Bodies", "successor"): "Bodies",
    ("Collaboratives", "lead"): "Bodies",
    ("Collaboratives", "members"): "Bodies",
    ("Functions", "applies_in"): "Areas",
    ("Allocations", "function"): "Functions",
    ("Allocations", "area"): "Areas",
    ("Allocations", "accountable"): "Bodies",
    ("Allocations", "delivered_by"): "Bodies",
    ("Delegations", "function"): "Functions",
    ("Delegations", "from"): "Bodies",
    ("Delegations", "to"): "Bodies",
    ("Delegations", "area"): "Areas",
    ("Dependencies", "function"): "Functions",
    ("Dependencies", "depends_on"): "Functions",
    ("Workstreams", "depends_on"): "Workstreams",
    ("Risks", "relates_to"): "Workstreams",
}

_SHEET_NOTES = {
    "Areas": "Footprints at one level (England, regions, systems, places, neighbourhoods), each part of the area above.",
    "Bodies": "Organisations and committees (NHS England, ICBs, place committees, councils, trusts, PCNs ...) and the areas they operate in.",
    "Collaboratives": "Provider collaboratives: their model, members and lead provider.",
    "Functions": "The function catalogue: statutory basis, holder, whether reserved, the lowest level it may be exercised at and the scale it needs.",
    "Allocations": "Where a function sits: the area, the one accountable body, who delivers it, status and dates, and why.",
    "Delegations": "A function passed from one body to another for an area under a legal instrument; the delegator stays accountable.",
    "Dependencies": "Functions that depend on other functions.",
    "Workstreams": "Optional: transition workstreams with their RAG status and senior responsible owner.",
    "Risks": "Optional: risks scored impact x likelihood (each 1 to 5); the score is computed.",
    "Sources": "Optional: the documents facts come from; a source cell cites a source by its id (or names one in free text).",
}
_COLUMN_NOTES = {
    "id": "a short unique id: letters, digits, '-', '_' or '.'",
    "code": "ONS code (E and 8 digits) or ODS code; several separated by ';'",
    "part_of": "the id (or exact name) of the area this one sits in",
    "operates_in": "ids or names of areas, separated by ';'",
    "members": "ids or names of bodies, separated by ';'",
    "lead": "the id or name of the lead body (needed for lead-provider)",
    "synonyms": "other names, separated by ';'",
    "statutory_basis": "the legislation, separated by ';' if several",
    "function": "the id or exact name of a function (Functions sheet, or the catalogue)",
    "area": "the id or exact name of an area",
    "accountable": "the accountable body (id or name); several, separated by ';', only when joint is yes",
    "joint": "yes when the accountable bodies hold it jointly (a joint duty, a pooled fund, a joint committee)",
    "basis": "decision (blank) or default: the statutory holder at its own level, which nobody has decided",
    "level_reason": "why it sits above the lowest level it could: population-scale, specialist-workforce, "
    "financial-risk, market-management, statutory-requirement, equity-across-places or other",
    "legal_form": "blank for the type's usual legal form, or statutory-body, committee, joint-committee, "
    "partnership, collaborative, network, contractor",
    "committee_of": "for a committee, the body it belongs to; for a joint committee, its bodies separated by ';'",
    "successor": "the body its functions passed to when it ended (a CCG: its ICB)",
    "holder": "who holds it in law, separated by ';' if jointly: icb, nhs-england, ccg, local-authority, hwb, icp",
    "in_force_from": "the first day the function exists in law (blank: always)",
    "applies_in": "areas a function defined for one system applies in (blank: everywhere)",
    "in_force_to": "the last day the function exists in law (blank: still in force)",
    "delivered_by": "bodies or collaboratives that deliver it, separated by ';'",
    "from": "the delegating body",
    "to": "the body (or collaborative) receiving the function",
    "depends_on": "ids or names, separated by ';'",
    "relates_to": "workstream or function ids, separated by ';'",
    "valid_from": "date (a date cell, or YYYY-MM-DD)",
    "valid_to": "date (inclusive)",
    "effective_from": "date (a date cell, or YYYY-MM-DD)",
    "effective_to": "date (inclusive)",
    "wte": "whole-time equivalent staff (a number)",
    "rationale": "why it sits at this level",
    "source": "source ids from the Sources sheet, each optionally followed by ': ' and a locator (page, section), "
    "separated by ';'; free text becomes a source of its own",
    "title": "the source's title",
    "file": "a local copy of the document (a path)",
    "url": "where it is published (http or https)",
    "publisher": "who published it",
    "date": "when it was published (a date cell, or YYYY-MM-DD)",
    "impact": "1 to 5",
    "likelihood": "1 to 5",
    "notes": "anything unknown or uncertain",
}


def stable_bytes(book: Workbook) -> bytes:
    """An openpyxl workbook as .xlsx bytes that depend only on its content: fixed
    document times (``book.save`` would stamp the current time) and fixed zip entry
    times, so the same workbook always gives the same bytes."""
    from openpyxl.writer.excel import ExcelWriter

    fixed = _dt.datetime(2000, 1, 1)
    book.properties.created = book.properties.modified = fixed
    book.properties.creator = book.properties.lastModifiedBy = "ics-graph"
    buffer = io.BytesIO()
    ExcelWriter(book, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def write_template(path: str | Path) -> None:
    """Write an empty workbook: every sheet with its headers, a Notes sheet explaining
    sheets, columns and vocabularies, and drop-downs (data validation) for vocabulary
    columns and for columns taking ids defined on another sheet. Written atomically."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    notes = book.active
    assert isinstance(notes, Worksheet)  # a new workbook starts with one worksheet
    notes.title = "Notes"
    bold = Font(bold=True)
    notes.append(["ics-graph function-mapping workbook"])
    notes["A1"].font = Font(bold=True, size=14)
    notes.append(
        [
            (
                "One row per entity. Headers and vocabulary words are matched ignoring case; lists are separated by ';' "
                "(write \\; for a ';' inside an item). A reference may hold an id or an exact name. A source cell cites "
                "ids from the Sources sheet, each optionally followed by ': ' and a page or section. "
                "Write only what you can source; say what is unknown in notes. Do not merge cells or hide sheets of data. "
                "The hidden Lists sheet holds the drop-down values. Check with: ics-graph check THIS.xlsx"
            )
        ]
    )
    notes.append([])
    notes.append(["sheet", "column", "meaning", "allowed values"])
    for cell in notes[4]:
        cell.font = bold
    vocab_ranges = {
        name: f"Lists!${_column_letter(col)}$2:${_column_letter(col)}${len(words) + 1}"
        for col, (name, words) in enumerate(_VOCABULARIES.items(), start=1)
    }
    for sheet_name, headers in TEMPLATE_HEADERS.items():
        ws = book.create_sheet(sheet_name)
        ws.append(list(headers))
        for cell in ws[1]:
            cell.font = bold
        ws.freeze_panes = "A2"
        notes.append([sheet_name, "", _SHEET_NOTES[sheet_name], ""])
        notes.cell(row=notes.max_row, column=1).font = bold
        for col, header in enumerate(headers, start=1):
            letter = _column_letter(col)
            ws.column_dimensions[letter].width = max(12, len(header) + 4)
            vocab = _VOCAB_COLUMNS.get(header)
            if sheet_name == "Risks" and header == "status":
                vocab = None  # a risk's status is free text
            target = _ID_COLUMNS.get((sheet_name, header))
            allowed = ", ".join(_VOCABULARIES[vocab]) if vocab else (f"ids on the {target} sheet" if target else "")
            notes.append(["", header, _COLUMN_NOTES.get(header, header.replace("_", " ")), allowed])
            if vocab:
                formula, prompt = vocab_ranges[vocab], "one of: " + ", ".join(_VOCABULARIES[vocab])
            elif target:
                formula, prompt = f"{target}!$A:$A", f"an id from the {target} sheet (or an exact name)"
            else:
                continue
            dv = DataValidation(
                type="list",
                formula1=formula,
                allow_blank=True,
                showDropDown=False,
                showErrorMessage=True,
                errorStyle="warning",
                error=prompt,
                errorTitle=header,
                promptTitle=header,
                prompt=prompt[:255],
                showInputMessage=True,
            )
            dv.add(f"{letter}2:{letter}1048576")
            ws.add_data_validation(dv)
    lists = book.create_sheet("Lists")
    for col, (name, words) in enumerate(_VOCABULARIES.items(), start=1):
        lists.cell(row=1, column=col, value=name).font = bold
        for row, word in enumerate(words, start=2):
            lists.cell(row=row, column=col, value=word)
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 22
    notes.column_dimensions["C"].width = 90
    notes.column_dimensions["D"].width = 60
    lists.sheet_state = "hidden"
    write_atomic(path, stable_bytes(book))
