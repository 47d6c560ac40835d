"""The function-mapping workbook: an XLSX file, or a folder of CSV files, read as YAML.

A workbook has one sheet per section (``Areas``, ``Bodies``, ``Collaboratives``,
``Functions``, ``Allocations``, ``Delegations``, ``Dependencies`` and optionally
``Workstreams`` and ``Risks``); a CSV folder has one file per sheet, named after it
(``Allocations.csv``). Sheet names and headers are matched ignoring case, spacing and
punctuation, and common synonyms are accepted ("Accountable body", "Start date").

Reading turns a workbook into the very value a parsed YAML file gives (a
:class:`~ics_graph.inputs.yamlsource.MarkedMap` of sections), with every value located at its
cell (``Location(file, cell="Allocations!D14")``), so :mod:`ics_graph.inputs.authoring` checks
and converts it unchanged and every message names the sheet and cell. Only what the
YAML format cannot say is handled here:

* list cells are split on ``;``;
* ``code`` cells become ``codes`` (an ONS code is E followed by 8 digits, anything else
  is an ODS code); ``ons code`` / ``ods code`` columns are taken as they are;
* ``source`` cells are free text: each distinct text becomes a source ``wb-src-N``
  (numbered in order of first appearance, the text as its title) and is cited by id;
* a reference cell may hold an id or an entity's exact name (ignoring case), resolved
  by :func:`resolve_references` once every file of a load is read.

Safety: workbooks are untrusted. openpyxl is imported only when an ``.xlsx`` is read,
opened read-only with cached values only (``data_only=True``: formulas are never
evaluated, macros never run), after checking the archive's uncompressed size. Cells are
only ever treated as text, numbers, booleans and dates.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ics_graph.inputs.yamlsource import MarkedList, MarkedMap
from ics_graph.model import vocabulary as v
from ics_graph.model.schema import SECTIONS
from ics_graph.util.errors import Location, Problem, did_you_mean
from ics_graph.util.paths import display_path

__all__ = [
    "SHEETS",
    "TEMPLATE_HEADERS",
    "drop_repeated",
    "is_csv_workbook",
    "is_workbook",
    "read_workbook",
    "resolve_references",
]

#: Sheets in reading (and template) order: sheet name -> YAML section.
SHEETS: dict[str, str] = {
    "Areas": "areas",
    "Bodies": "bodies",
    "Collaboratives": "collaboratives",
    "Functions": "functions",
    "Allocations": "allocations",
    "Delegations": "delegations",
    "Dependencies": "dependencies",
    "Workstreams": "workstreams",
    "Risks": "risks",
}
#: Sheets a workbook may hold besides the data (ignored when reading).
IGNORED_SHEETS = ("notes", "lists", "findings", "readme", "instructions")

#: The columns the template writes, in order (the reader accepts every key of the schema).
TEMPLATE_HEADERS: dict[str, tuple[str, ...]] = {
    "Areas": ("id", "name", "level", "part_of", "code", "valid_from", "valid_to", "notes"),
    "Bodies": ("id", "name", "type", "operates_in", "code", "notes"),
    "Collaboratives": ("id", "name", "model", "lead", "members", "notes"),
    "Functions": (
        "id",
        "name",
        "synonyms",
        "category",
        "statutory_basis",
        "holder",
        "reserved",
        "lowest_level",
        "minimum_level",
        "notes",
    ),
    "Allocations": (
        "function",
        "level",
        "area",
        "accountable",
        "delivered_by",
        "status",
        "effective_from",
        "effective_to",
        "current_arrangement",
        "wte",
        "rationale",
        "source",
    ),
    "Delegations": (
        "function",
        "from",
        "to",
        "area",
        "instrument",
        "effective_from",
        "effective_to",
        "rationale",
        "source",
    ),
    "Dependencies": ("function", "depends_on", "note"),
    "Workstreams": ("id", "name", "rag", "sro", "depends_on", "notes"),
    "Risks": ("id", "description", "impact", "likelihood", "owner", "status", "relates_to", "notes"),
}

#: Header synonyms (after :func:`_norm`), per sheet; every key also answers to its own
#: name with spaces for underscores. "code", "ons" and "ods" are the workbook's columns
#: for the YAML ``codes``.
_COMMON_SYNONYMS = {
    "identifier": "id",
    "label": "name",
    "title": "name",
    "full name": "name",
    "note": "notes",
    "comment": "notes",
    "comments": "notes",
    "remarks": "notes",
    "sources": "source",
    "evidence": "source",
    "citation": "source",
    "codes": "code",
    "ons code": "ons",
    "gss code": "ons",
    "ods code": "ods",
    "start": "valid_from",
    "start date": "valid_from",
    "from date": "valid_from",
    "end": "valid_to",
    "end date": "valid_to",
    "to date": "valid_to",
    "until": "valid_to",
}
_EFFECTIVE_SYNONYMS = {
    "start": "effective_from",
    "start date": "effective_from",
    "from date": "effective_from",
    "date from": "effective_from",
    "in force from": "effective_from",
    "valid from": "effective_from",
    "end": "effective_to",
    "end date": "effective_to",
    "to date": "effective_to",
    "date to": "effective_to",
    "until": "effective_to",
    "in force to": "effective_to",
    "valid to": "effective_to",
}
_SHEET_SYNONYMS: dict[str, dict[str, str]] = {
    "areas": {
        "area id": "id",
        "area": "name",
        "area name": "name",
        "tier": "level",
        "parent": "part_of",
        "parent area": "part_of",
        "within": "part_of",
        "area type": "type",
    },
    "bodies": {
        "body id": "id",
        "organisation id": "id",
        "body": "name",
        "body name": "name",
        "organisation": "name",
        "organisation name": "name",
        "body type": "type",
        "organisation type": "type",
        "kind": "type",
        "area": "operates_in",
        "areas": "operates_in",
        "footprint": "operates_in",
        "parent": "part_of",
        "parent body": "part_of",
    },
    "collaboratives": {
        "collaborative id": "id",
        "collaborative": "name",
        "collaborative name": "name",
        "collaboration model": "model",
        "lead provider": "lead",
        "lead body": "lead",
        "member": "members",
        "membership": "members",
        "partners": "members",
    },
    "functions": {
        "function id": "id",
        "function": "name",
        "function name": "name",
        "aliases": "synonyms",
        "also known as": "synonyms",
        "aka": "synonyms",
        "other names": "synonyms",
        "function category": "category",
        "group": "category",
        "legal basis": "statutory_basis",
        "legislation": "statutory_basis",
        "statute": "statutory_basis",
        "statutory holder": "holder",
        "reserved function": "reserved",
        "lowest": "lowest_level",
        "lowest permitted level": "lowest_level",
        "minimum scale": "minimum_level",
        "min level": "minimum_level",
        "scale": "minimum_level",
        "function code": "code",
        "code": "code",
        "codes": "code",
        "icbs from": "icb_from",
    },
    "allocations": {
        "function id": "function",
        "function name": "function",
        "area id": "area",
        "footprint": "area",
        "area name": "area",
        "accountable body": "accountable",
        "accountable organisation": "accountable",
        "delivered": "delivered_by",
        "delivery": "delivered_by",
        "delivery body": "delivered_by",
        "delivery bodies": "delivered_by",
        "provider": "delivered_by",
        "providers": "delivered_by",
        "arrangement": "current_arrangement",
        "current delivery": "current_arrangement",
        "fte": "wte",
        "whole time equivalent": "wte",
        "whole time equivalents": "wte",
        "reason": "rationale",
        "why": "rationale",
        "justification": "rationale",
    },
    "delegations": {
        "function id": "function",
        "function name": "function",
        "delegator": "from",
        "delegated by": "from",
        "from body": "from",
        "delegate": "to",
        "delegated to": "to",
        "to body": "to",
        "area id": "area",
        "footprint": "area",
        "legal instrument": "instrument",
        "mechanism": "instrument",
        "reason": "rationale",
        "why": "rationale",
        "justification": "rationale",
    },
    "dependencies": {
        "function id": "function",
        "dependent function": "function",
        "requires": "depends_on",
        "prerequisites": "depends_on",
        "prerequisite": "depends_on",
        "upstream": "depends_on",
        "dependency": "depends_on",
        "notes": "note",
        "comment": "note",
        "comments": "note",
    },
    "workstreams": {
        "workstream id": "id",
        "workstream": "name",
        "workstream name": "name",
        "rag status": "rag",
        "status": "rag",
        "senior responsible owner": "sro",
    },
    "risks": {
        "risk id": "id",
        "risk": "description",
        "title": "description",
        "name": "description",
        "severity": "impact",
        "consequence": "impact",
        "probability": "likelihood",
        "risk owner": "owner",
        "related to": "relates_to",
        "related": "relates_to",
        "workstreams": "relates_to",
    },
}

#: Kinds whose entities a reference cell may name, and the key holding that name.
_NAMED = {"area": "name", "body": "name", "collaborative": "name", "function": "name", "workstream": "name"}
_ONS = re.compile(r"^E\d{8}$")
_MAX_UNCOMPRESSED = 256 * 1024 * 1024  # an .xlsx larger than this unpacked is refused
_MAX_ROWS = 200_000


def _norm(text: str) -> str:
    """A header or sheet name folded for matching: case, punctuation and (notes) ignored."""
    stripped = re.sub(r"\([^)]*\)", " ", text)
    if not stripped.strip():
        stripped = text
    return " ".join(re.sub(r"[^a-z0-9]+", " ", stripped.lower()).split())


def _column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _sheet_for(name: str) -> str | None:
    """The canonical sheet a sheet (or CSV file stem) name stands for, if any."""
    folded = _norm(name)
    for sheet, section in SHEETS.items():
        if folded in (sheet.lower(), SECTIONS[section].kind):
            return sheet
    return None


def _columns(section_name: str) -> dict[str, str]:
    """Folded header -> column key for one sheet."""
    section = SECTIONS[section_name]
    keys = [k for k in section.keys if k != "codes"]
    if section.field("codes") is not None:
        keys += ["code", "ons", "ods"]
    table = {_norm(k.replace("_", " ")): k for k in keys}
    synonyms = dict(_COMMON_SYNONYMS)
    if section.field("effective_from") is not None:
        synonyms.update(_EFFECTIVE_SYNONYMS)
    synonyms.update(_SHEET_SYNONYMS.get(section_name, {}))
    for word, key in synonyms.items():
        if key in keys and _norm(word) not in table:
            table[_norm(word)] = key
    return table


# --- reading --------------------------------------------------------------------------


@dataclass
class _Sheet:
    title: str  # as written in the file (used in cell references)
    file: str  # the file shown in messages
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (row number, values)


def is_csv_workbook(path: Path) -> bool:
    """A folder holding at least one CSV file named after a workbook sheet."""
    try:
        return path.is_dir() and any(
            entry.is_file() and entry.name.lower().endswith(".csv") and _sheet_for(entry.name[:-4])
            for entry in os.scandir(path)
        )
    except OSError:
        return False


def is_workbook(path: Path) -> bool:
    return (path.is_file() and path.suffix.lower() == ".xlsx") or is_csv_workbook(path)


def _shown(path: Path) -> str:
    return display_path(path)


def _read_xlsx(path: Path, shown: str, problems: list[Problem]) -> list[_Sheet]:
    import zipfile  # with shutil, bz2 and lzma: only a workbook needs them, not every load

    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile) as exc:
        problems.append(Problem(Location(shown), f"not a readable .xlsx workbook: {exc}"))
        return []
    if size > _MAX_UNCOMPRESSED:
        problems.append(Problem(Location(shown), f"workbook too large to read safely ({size // 2**20} MiB unpacked)"))
        return []
    try:
        import openpyxl  # lazily: only workbooks need it
    except ImportError:  # pragma: no cover - a dependency
        problems.append(
            Problem(Location(shown), "reading .xlsx workbooks needs openpyxl (pip install 'openpyxl>=3.1')")
        )
        return []
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:
        problems.append(Problem(Location(shown), f"not a readable .xlsx workbook: {exc}"))
        return []
    sheets = []
    try:
        for ws in book.worksheets:
            sheet = _Sheet(ws.title, shown)
            if _sheet_for(ws.title):
                with contextlib.suppress(AttributeError):  # not on every kind of sheet
                    ws.reset_dimensions()  # do not trust the stored size: read every row
                for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                    if number > _MAX_ROWS:
                        problems.append(
                            Problem(
                                Location(shown, cell=f"{ws.title}!A{number}"), f"sheet has more than {_MAX_ROWS} rows"
                            )
                        )
                        break
                    sheet.rows.append((number, list(values)))
            sheets.append(sheet)
    except Exception as exc:
        problems.append(Problem(Location(shown), f"not a readable .xlsx workbook: {exc}"))
        return []
    finally:
        book.close()
    return sheets


def _read_csv_folder(path: Path, problems: list[Problem]) -> list[_Sheet]:
    sheets = []
    for entry in sorted(path.iterdir(), key=lambda p: p.name):
        if not (entry.is_file() and entry.suffix.lower() == ".csv"):
            continue
        shown = _shown(entry)
        sheet = _Sheet(entry.stem, shown)
        if _sheet_for(entry.stem):
            try:
                text = entry.read_bytes().decode("utf-8-sig")
            except OSError as exc:
                problems.append(Problem(Location(shown), f"cannot read file: {exc.strerror}"))
                continue
            except UnicodeDecodeError as exc:
                problems.append(Problem(Location(shown), f"not UTF-8 text (byte {exc.start}); save the CSV as UTF-8"))
                continue
            try:
                for number, values in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
                    sheet.rows.append((number, values))
            except csv.Error as exc:
                problems.append(Problem(Location(shown), f"malformed CSV: {exc}"))
                continue
        sheets.append(sheet)
    return sheets


def _clean(value: Any) -> Any:
    """A cell value as plain data: stripped text (None if empty), whole floats as ints,
    midnight datetimes as dates."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, _dt.datetime):
        return value.date() if value.time() == _dt.time() else value
    if isinstance(value, (_dt.time, _dt.timedelta)):
        return str(value)
    return value


def _as_text(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


def _number(value: Any, whole: bool) -> Any:
    """Numbers written as text (CSV) as numbers; anything else unchanged for the checker."""
    if isinstance(value, str):
        try:
            number = Decimal(value.replace(",", "")) if re.match(r"^[-+]?[\d,]*\.?\d+$", value) else None
        except InvalidOperation:
            number = None
        if number is not None:
            if number == number.to_integral_value():
                return int(number)
            return value if whole else float(value.replace(",", ""))
    return value


def _marked_map(location: Location) -> MarkedMap:
    m = MarkedMap()
    m.location, m.value_locations, m.key_locations = location, {}, {}
    return m


def _marked_list(items: list, location: Location, locations: list[Location] | None = None) -> MarkedList:
    m = MarkedList(items)
    m.location = location
    m.item_locations = locations if locations is not None else [location] * len(items)
    return m


def _split(text: Any) -> list:
    if not isinstance(text, str):
        return [text]
    return [part.strip() for part in text.split(";") if part.strip()]


def _codes(values: dict[str, tuple[Any, Location]], problems: list[Problem]) -> tuple[MarkedMap, Location] | None:
    """The ``codes`` mapping from a row's code / ons / ods cells."""
    found: dict[str, tuple[str, Location]] = {}
    for column in ("ons", "ods", "code"):
        if column not in values:
            continue
        raw, loc = values[column]
        for code in _split(_as_text(raw)):
            code = str(code)
            scheme = column if column != "code" else ("ons" if _ONS.match(code) else "ods")
            if scheme in found and found[scheme][0] != code:
                problems.append(
                    Problem(loc, f"two {scheme.upper()} codes for one entity: '{found[scheme][0]}' and '{code}'")
                )
                continue
            found[scheme] = (code, loc)
    if not found:
        return None
    first = min(loc for _, loc in found.values())
    result = _marked_map(first)
    for scheme in ("ons", "ods"):
        if scheme in found:
            result[scheme] = found[scheme][0]
            result.value_locations[scheme] = result.key_locations[scheme] = found[scheme][1]
    return result, first


def read_workbook(path: str | Path, shown: str | None = None) -> tuple[MarkedMap, list[Problem]]:
    """Read an ``.xlsx`` file or a folder of CSV files into the value of a YAML file.

    Returns ``(value, problems)``; values are located at their cells. Names in
    reference cells are resolved later by :func:`resolve_references`."""
    path = Path(path)
    shown = shown or _shown(path)
    problems: list[Problem] = []
    sheets = _read_csv_folder(path, problems) if path.is_dir() else _read_xlsx(path, shown, problems)
    root = _marked_map(Location(shown))
    seen: dict[str, _Sheet] = {}
    sources: dict[str, str] = {}  # source text -> generated id
    source_items: list[MarkedMap] = []
    for sheet in sheets:
        canonical = _sheet_for(sheet.title)
        if canonical is None:
            if _norm(sheet.title) not in IGNORED_SHEETS:
                hint = did_you_mean(sheet.title, list(SHEETS))
                if hint:  # most likely a misspelt sheet: do not silently drop its rows
                    problems.append(
                        Problem(
                            Location(sheet.file, cell=f"{sheet.title}!A1"),
                            f"unknown sheet '{sheet.title}'{hint}; sheets: {', '.join(SHEETS)}",
                        )
                    )
            continue
        if canonical in seen:
            problems.append(
                Problem(
                    Location(sheet.file, cell=f"{sheet.title}!A1"),
                    f"sheet '{sheet.title}' repeats sheet '{seen[canonical].title}'",
                )
            )
            continue
        seen[canonical] = sheet
        section_name = SHEETS[canonical]
        items = _read_sheet(sheet, section_name, sources, source_items, problems)
        if items is not None:
            where = Location(sheet.file, cell=f"{sheet.title}!A1")
            root[section_name] = _marked_list([i for i, _ in items], where, [loc for _, loc in items])
            root.value_locations[section_name] = root.key_locations[section_name] = where
    if source_items:
        where = source_items[0].location
        root["sources"] = _marked_list(source_items, where, [i.location for i in source_items])
        root.value_locations["sources"] = root.key_locations["sources"] = where
    if not seen and not problems:
        problems.append(
            Problem(
                Location(shown), "no workbook sheets found: expected sheets (or CSV files) named " + ", ".join(SHEETS)
            )
        )
    return root, problems


def _read_sheet(
    sheet: _Sheet, section_name: str, sources: dict[str, str], source_items: list[MarkedMap], problems: list[Problem]
) -> list[tuple[MarkedMap, Location]] | None:
    section = SECTIONS[section_name]
    rows = [(n, [_clean(x) for x in values]) for n, values in sheet.rows]
    rows = [(n, values) for n, values in rows if any(x is not None for x in values)]
    if not rows:
        return None
    header_row, headers = rows[0]
    table = _columns(section_name)
    columns: dict[int, str] = {}
    first_at: dict[str, str] = {}
    for index, header in enumerate(headers, start=1):
        cell = f"{sheet.title}!{_column_letter(index)}{header_row}"
        if header is None:
            continue
        key = table.get(_norm(str(header)))
        if key is None:
            allowed = sorted(set(table.values()))
            problems.append(
                Problem(
                    Location(sheet.file, cell=cell),
                    f"unknown column '{header}' in sheet '{sheet.title}'"
                    f"{did_you_mean(_norm(str(header)), list(table))}; columns: {', '.join(allowed)}",
                )
            )
            continue
        if key in first_at:
            problems.append(
                Problem(Location(sheet.file, cell=cell), f"column '{header}' repeats column {first_at[key]} ('{key}')")
            )
            continue
        columns[index] = key
        first_at[key] = cell
    present = set(columns.values())
    missing = [f.key for f in section.fields if f.required and f.key not in present]
    if missing:
        for key in missing:
            problems.append(
                Problem(
                    Location(sheet.file, cell=f"{sheet.title}!A{header_row}"),
                    f"sheet '{sheet.title}' has no '{key}' column (a {section.kind} needs one)",
                )
            )
        return None
    items = []
    for number, values in rows[1:]:
        row_loc = Location(sheet.file, cell=f"{sheet.title}!A{number}")
        item = _marked_map(row_loc)
        code_cells: dict[str, tuple[Any, Location]] = {}
        for index, key in columns.items():
            value = values[index - 1] if index - 1 < len(values) else None
            if value is None:
                continue
            loc = Location(sheet.file, cell=f"{sheet.title}!{_column_letter(index)}{number}")
            if key in ("code", "ons", "ods") and section.field("codes") is not None:
                code_cells[key] = (value, loc)
                continue
            if key == "source":
                text = str(_as_text(value))
                if text not in sources:
                    sources[text] = f"wb-src-{len(sources) + 1}"
                    entry = _marked_map(loc)
                    for k, val in (("id", sources[text]), ("title", text)):
                        entry[k] = val
                        entry.value_locations[k] = entry.key_locations[k] = loc
                    source_items.append(entry)
                value = sources[text]
            else:
                f = section.field(key)
                assert f is not None  # every other column is a field of the section (see _columns)
                value = _typed(f.kind, value, loc)
            item[key] = value
            item.value_locations[key] = item.key_locations[key] = loc
        if code_cells:
            codes = _codes(code_cells, problems)
            if codes:
                item["codes"] = codes[0]
                item.value_locations["codes"] = item.key_locations["codes"] = codes[1]
        items.append((item, row_loc))
    return items


def _typed(kind: str, value: Any, loc: Location) -> Any:
    """A cell's value shaped as YAML would give it for a field of ``kind``."""
    if kind in ("texts", "refs"):
        parts = [_as_text(x) for x in _split(value)]
        if kind == "texts" and len(parts) == 1:
            return parts[0]
        return _marked_list(parts, loc)
    if kind == "ref":
        parts = [_as_text(x) for x in _split(value)]
        return parts[0] if len(parts) == 1 else _marked_list(parts, loc)
    if kind in ("id", "text", "iri", "enum", "level", "special"):
        return _as_text(value)
    if kind == "int":
        return _number(value, whole=True)
    if kind == "decimal":
        return _number(value, whole=False)
    return value  # date, bool: authoring accepts dates, yes/no/true/false


# --- references by name -----------------------------------------------------------------


@dataclass
class _Index:
    """Ids and names of every entity loaded, by kind."""

    ids: dict[str, set[str]] = field(default_factory=dict)
    names: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # kind -> folded name -> ids
    labels: dict[str, set[str]] = field(default_factory=dict)  # kind -> names as written

    def add(self, kind: str, ident: str, name: Any = None) -> None:
        self.ids.setdefault(kind, set()).add(ident)
        if isinstance(name, str) and name.strip():
            self.names.setdefault(kind, {}).setdefault(name.strip().casefold(), set()).add(ident)
            self.labels.setdefault(kind, set()).add(name.strip())


def _index_values(values: Iterable[Any], index: _Index) -> None:
    for value in values:
        if not isinstance(value, dict):
            continue
        for name, section in SECTIONS.items():
            if not section.has_id or not isinstance(value.get(name), list):
                continue
            for item in value[name]:
                if (
                    isinstance(item, dict)
                    and isinstance(item.get("id"), (str, int))
                    and not isinstance(item.get("id"), bool)
                ):
                    index.add(section.kind, str(item["id"]), item.get(_NAMED.get(section.kind, "")))


def resolve_references(entries: Iterable[tuple[str, Any]], problems: list[Problem]) -> set[Problem]:
    """Resolve names in the reference cells of workbooks, in place, before ids are declared.

    ``entries`` are ``(kind, value)`` for every file of a load: ``"workbook"`` and
    ``"yaml"`` values are parsed mappings; an RDF file's value maps the IRIs it types to
    locations. A reference cell holding an id is left as it is; one holding an entity's
    name (ignoring case) becomes its id; an unknown one is reported here, suggesting the
    closest id or name. Returns the problems reported, so the loader can drop the
    checker's own report of the same cells (see :func:`drop_repeated`)."""
    entries = list(entries)
    index = _Index()
    _index_values([value for kind, value in entries if kind in ("yaml", "workbook")], index)
    for kind, value in entries:
        if kind in ("yaml", "workbook") or not isinstance(value, dict):
            continue
        for iri in value:
            if isinstance(iri, str) and iri.startswith(v.ID):
                k, _, ident = iri[len(v.ID) :].partition("/")
                if k in v.KINDS and ident:
                    index.add(k, ident)
    reported: set[Problem] = set()
    for kind, value in entries:
        if kind == "workbook" and isinstance(value, MarkedMap):
            _resolve_value(value, index, problems, reported)
    return reported


def _resolve_value(value: MarkedMap, index: _Index, problems: list[Problem], reported: set[Problem]) -> None:
    for name, section in SECTIONS.items():
        for item in value.get(name) or ():
            for f in section.fields:
                if f.kind not in ("ref", "refs") or f.key not in item:
                    continue
                cell = item[f.key]
                if isinstance(cell, MarkedList):  # several ids (_typed makes every list a MarkedList)
                    for i, one in enumerate(cell):
                        cell[i] = _resolve_one(one, f.targets, f.key, cell.item_locations[i], index, problems, reported)
                else:
                    item[f.key] = _resolve_one(
                        cell, f.targets, f.key, item.value_locations[f.key], index, problems, reported
                    )


def _resolve_one(
    text: Any,
    targets: tuple[str, ...],
    key: str,
    loc: Location,
    index: _Index,
    problems: list[Problem],
    reported: set[Problem],
) -> Any:
    if not isinstance(text, str):
        return text
    if any(text in index.ids.get(kind, ()) for kind in targets):
        return text
    by_name = sorted({i for kind in targets for i in index.names.get(kind, {}).get(text.casefold(), ())})
    if not by_name:  # an id written in another case
        by_name = sorted({i for kind in targets for i in index.ids.get(kind, ()) if i.casefold() == text.casefold()})
    if len(by_name) == 1:
        return by_name[0]
    what = " or ".join(targets)
    if by_name:
        problem = Problem(
            loc,
            f"ambiguous {what} '{text}' in '{key}': it names " + ", ".join(repr(i) for i in by_name) + "; write the id",
        )
    else:
        pool = [x for kind in targets for x in (*index.ids.get(kind, ()), *index.labels.get(kind, ()))]
        if not pool:
            return text  # nothing to suggest: the checker reports it
        problem = Problem(loc, f"unknown {what} '{text}' in '{key}'{did_you_mean(text, pool)}")
    problems.append(problem)
    reported.add(problem)
    return text


def drop_repeated(problems: list[Problem], reported: set[Problem]) -> list[Problem]:
    """The problems without the checker's own "unknown ..." report of a cell already
    reported by :func:`resolve_references` (which suggests names as well as ids)."""
    cells = {p.location for p in reported}
    return [p for p in problems if p in reported or not (p.location in cells and p.message.startswith("unknown "))]


# --- converting to YAML -----------------------------------------------------------------
