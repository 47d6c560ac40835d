"""The function-mapping workbook: an XLSX file, or a folder of CSV files, read as YAML.

A workbook has one sheet per section (``Areas``, ``Bodies``, ``Collaboratives``,
``Functions``, ``Allocations``, ``Delegations``, ``Dependencies`` and optionally
``Workstreams``, ``Risks`` and ``Sources``); a CSV folder has one file per sheet, named
after it (``Allocations.csv``). Sheet names and headers are matched ignoring case,
spacing and punctuation, and common synonyms are accepted ("Accountable body", "Start
date").

Reading turns a workbook into the very value a parsed YAML file gives (a
:class:`~ics_graph.inputs.yamlsource.MarkedMap` of sections), with every value located at its
cell (``Location(file, cell="Allocations!D14")``), so :mod:`ics_graph.inputs.authoring` checks
and converts it unchanged and every message names the sheet and cell. Only what the
YAML format cannot say is handled here:

* list cells are split on ``;``; an item holding a ``;`` writes it ``\\;`` (see
  :func:`ics_graph.util.spreadsheet.split_list`);
* ``code`` cells become ``codes`` (an ONS code is E followed by 8 digits, anything else
  is an ODS code); ``ons code`` / ``ods code`` columns are taken as they are;
* a ``source`` cell lists citations: a source's id (``nhn-src-hca-2022``), or an id and
  a locator (``nhn-src-hca-2022: s19``), or free text; each distinct free text becomes a
  source ``wb-src-N`` (numbered in order of first appearance, skipping numbers in use,
  the text as its title). Which is which is decided by :func:`resolve_references`, once
  every source id of a load is known;
* a reference cell may hold an id or an entity's exact name (ignoring case), resolved
  by :func:`resolve_references` once every file of a load is read.

CSV files are read as Excel writes them: UTF-8 with or without a byte-order mark, else
Windows-1252 (Excel's "CSV (Comma delimited)" on Windows); comma- or semicolon-separated,
told from the header line (or an Excel ``sep=;`` first line).

Safety: workbooks are untrusted. openpyxl is imported only when an ``.xlsx`` is read,
opened read-only with cached values only (``data_only=True``: formulas are never
evaluated, macros never run), after checking the size of every part of the archive
once unpacked (:data:`MAX_WORKBOOK`, :data:`MAX_WORKSHEET`, :data:`MAX_PART`). Cells are
only ever treated as text, numbers, booleans and dates. A problem with the file itself
(its size, encoding or separator, a merged cell or a hidden sheet among the data) is
reported alone: none of its rows are read, so no follow-on errors are reported.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as _dt
import functools
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
from ics_graph.util.spreadsheet import split_list

__all__ = [
    "MAX_PART",
    "MAX_WORKBOOK",
    "MAX_WORKSHEET",
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
    "Sources": "sources",
}
#: Sheets a workbook may hold besides the data (ignored when reading).
IGNORED_SHEETS = ("notes", "lists", "findings", "readme", "instructions")

#: The columns the template writes, in order (the reader accepts every key of the schema).
TEMPLATE_HEADERS: dict[str, tuple[str, ...]] = {
    "Areas": ("id", "name", "level", "part_of", "code", "valid_from", "valid_to", "notes"),
    "Bodies": (
        "id",
        "name",
        "type",
        "operates_in",
        "code",
        "legal_form",
        "committee_of",
        "valid_from",
        "valid_to",
        "successor",
    ),
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
        "in_force_from",
        "in_force_to",
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
        "joint",
        "basis",
        "level_reason",
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
    "Sources": tuple(SECTIONS["sources"].keys),
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
    "sources": {
        "source id": "id",
        "source": "title",
        "name": "title",
        "document": "title",
        "file name": "file",
        "link": "url",
        "web address": "url",
        "address": "url",
        "author": "publisher",
        "published": "date",
        "publication date": "date",
        "date published": "date",
    },
}

#: Kinds whose entities a reference cell may name, and the key holding that name.
_NAMED = {"area": "name", "body": "name", "collaborative": "name", "function": "name", "workstream": "name"}
_ONS = re.compile(r"^E\d{8}$")
#: An .xlsx whose parts add up to more than this once unpacked is refused (bytes).
MAX_WORKBOOK = 256 * 2**20
#: A worksheet part larger than this unpacked is refused (bytes): about 200,000 rows.
MAX_WORKSHEET = 128 * 2**20
#: Any other part larger than this unpacked is refused (bytes): above all the
#: shared-strings table, which openpyxl reads whole before any sheet.
MAX_PART = 32 * 2**20
_MAX_ROWS = 200_000
_WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_OVERRIDE = re.compile(rb"<(?:[\w.-]+:)?Override\b([^>]*)>")
_ATTRIBUTE = re.compile(rb"""\b(PartName|ContentType)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_MERGED = re.compile(
    rb"<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref\s*=\s*[\"']([A-Za-z]{1,3}\d{1,7}(?::[A-Za-z]{1,3}\d{1,7})?)"
)


def _norm(text: str) -> str:
    """A header or sheet name folded for matching: case, punctuation and (notes) ignored."""
    stripped = re.sub(r"\([^)]*\)", " ", text)
    if not stripped.strip():
        stripped = text
    return " ".join(re.sub(r"[^a-z0-9]+", " ", stripped.lower()).split())


@functools.cache  # asked once per cell; a sheet has a handful of columns
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


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f}".rstrip("0").rstrip(".") + " MiB"


def _worksheet_parts(content_types: bytes) -> set[str]:
    """The parts ``[Content_Types].xml`` declares as worksheets (found by pattern, not
    parsed: this runs before anything is trusted). A sheet not declared so gets the
    stricter limit of other parts."""
    parts = set()
    for match in _OVERRIDE.finditer(content_types):
        found = {
            m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _ATTRIBUTE.finditer(match.group(1))
        }
        if found.get(b"ContentType", b"").strip() == _WORKSHEET_TYPE.encode():
            parts.add(found.get(b"PartName", b"").decode("utf-8", "replace").strip().lstrip("/"))
    return parts


def _too_large(archive: Any, shown: str) -> Problem | None:
    """A problem if the archive, or any part of it, is larger unpacked than its limit.

    The sizes are those the archive declares; reading a part never gives more than its
    declared size (``zipfile`` checks it against the CRC), so they bound the work."""
    infos = archive.infolist()
    total = sum(info.file_size for info in infos)
    if total > MAX_WORKBOOK:
        return Problem(
            Location(shown),
            f"workbook too large to read safely: {_mib(total)} unpacked, over the limit of {_mib(MAX_WORKBOOK)}",
        )
    sheets: set[str] = set()
    types = next((info for info in infos if info.filename == "[Content_Types].xml"), None)
    if types is not None and types.file_size <= MAX_PART:
        sheets = _worksheet_parts(archive.read(types))
    for info in infos:
        is_sheet = info.filename in sheets and not info.filename.lower().endswith(".rels")
        limit = MAX_WORKSHEET if is_sheet else MAX_PART
        if info.file_size > limit:
            what = (
                "a worksheet"
                if is_sheet
                else "the shared-strings table"
                if info.filename.lower().endswith("sharedstrings.xml")
                else "a part"
            )
            return Problem(
                Location(shown),
                f"workbook too large to read safely: '{info.filename}' is {_mib(info.file_size)} unpacked, over the "
                f"limit of {_mib(limit)} for {what}",
            )
    return None


def _merged_cells(archive: Any, part: str) -> list[str]:
    """The merged ranges (``D14:D16``) a worksheet part declares, found by pattern in
    chunks (the part's size was checked before)."""
    found: list[str] = []
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(1 << 20):
            data = tail + chunk
            end = 0
            if b"mergeCell" in data:
                for match in _MERGED.finditer(data):
                    found.append(match.group(1).decode("ascii").upper())
                    end = match.end()
            tail = data[max(end, len(data) - 4096) :]
    return list(dict.fromkeys(found))


def _read_xlsx(path: Path, shown: str, problems: list[Problem]) -> list[_Sheet]:
    import zipfile  # with shutil, bz2 and lzma: only a workbook needs them, not every load

    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        problems.append(Problem(Location(shown), f"not a readable .xlsx workbook: {exc}"))
        return []
    with archive:
        try:
            large = _too_large(archive, shown)
        except (OSError, zipfile.BadZipFile, ValueError, RuntimeError) as exc:
            problems.append(Problem(Location(shown), f"not a readable .xlsx workbook: {exc}"))
            return []
        if large is not None:
            problems.append(large)
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
        reported = len(problems)
        try:
            data = [ws for ws in book.worksheets if _sheet_for(ws.title)]
            for ws in data:  # whatever is wrong with the file, all of it before any row
                state = getattr(ws, "sheet_state", "visible")
                if state != "visible":
                    problems.append(
                        Problem(
                            Location(shown, cell=f"{ws.title}!A1"),
                            f"sheet '{ws.title}' is hidden{' (very hidden)' if state == 'veryHidden' else ''}: "
                            "unhide it to have it read, or delete it (a sheet of data is never read unseen)",
                        )
                    )
                part = getattr(ws, "_worksheet_path", None)
                for ref in _merged_cells(archive, part) if part else ():
                    problems.append(
                        Problem(
                            Location(shown, cell=f"{ws.title}!{ref}"),
                            "merged cells: unmerge them and fill each cell with its own value",
                        )
                    )
            if len(problems) > reported:
                return []
            for ws in book.worksheets:
                sheet = _Sheet(ws.title, shown)
                if any(ws is one for one in data):
                    with contextlib.suppress(AttributeError):  # not on every kind of sheet
                        ws.reset_dimensions()  # do not trust the stored size: read every row
                    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                        if number > _MAX_ROWS:
                            problems.append(
                                Problem(
                                    Location(shown, cell=f"{ws.title}!A{number}"),
                                    f"sheet has more than {_MAX_ROWS} rows",
                                )
                            )
                            return []
                        sheet.rows.append((number, list(values)))
                sheets.append(sheet)
        except Exception as exc:
            problems.append(Problem(Location(shown), f"not a readable .xlsx workbook: {exc}"))
            return []
        finally:
            book.close()
    return sheets


def _decode_csv(raw: bytes) -> str:
    """A CSV file's text as Excel writes it: UTF-8 (with or without a byte-order mark),
    else Windows-1252. Raises :class:`ValueError` with a message naming the encodings."""
    save = "save it as 'CSV UTF-8 (Comma delimited)'"
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise ValueError(f"UTF-32 text, which is not read: {save}")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ValueError(f"UTF-16 text (Excel's 'Unicode Text'), which is not read: {save}")
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"starts with a UTF-8 byte-order mark but is not UTF-8 (byte {exc.start}): {save}"
            ) from None
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise ValueError(f"not text: byte {nul} is NUL (a binary file, or UTF-16 without a mark): {save}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        first = exc.start
    if _UTF8_SEQUENCE.search(raw):
        raise ValueError(
            f"mixes encodings: byte {first} is not UTF-8, but other characters are written as UTF-8: {save}"
        )
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"neither UTF-8 (byte {first} is not UTF-8) nor Windows-1252 (byte {exc.start} is undefined there): {save}"
        ) from None


def _separator(lines: list[str], table: dict[str, str]) -> tuple[str, int] | str:
    """The separator of a CSV file and how many lines to skip (an Excel ``sep=;`` line),
    told from the header line by which separator gives more known column names; or a
    message when it is neither a comma nor a semicolon."""
    first = lines[0] if lines else ""
    hint = re.fullmatch(r'"?sep=(.)"?', first.strip("\r\n"), re.IGNORECASE)
    if hint:
        if hint.group(1) in ",;":
            return hint.group(1), 1
        return f"the first line asks for the separator {hint.group(1)!r}: only ',' and ';' are read"
    if not first.strip():
        return ",", 0
    scores = {}
    for sep in ",;":
        try:
            fields = next(csv.reader([first], delimiter=sep))
        except (csv.Error, StopIteration):
            fields = []
        scores[sep] = (sum(1 for f in fields if table.get(_norm(f))), len(fields))
    best = max(",;", key=lambda sep: scores[sep])  # known names first, then more fields; ',' on a tie
    if scores[best] == (0, 1):
        shown = first.strip()[:60]
        tab = " (it looks tab-separated)" if "\t" in first else ""
        return (
            f"the header line '{shown}' is not column names separated by commas or semicolons{tab}: "
            "save the sheet as 'CSV UTF-8 (Comma delimited)'"
        )
    return best, 0


def _read_csv_folder(path: Path, problems: list[Problem]) -> list[_Sheet]:
    sheets = []
    failed = False
    for entry in sorted(path.iterdir(), key=lambda p: p.name):
        if not (entry.is_file() and entry.suffix.lower() == ".csv"):
            continue
        shown = _shown(entry)
        sheet = _Sheet(entry.stem, shown)
        sheets.append(sheet)
        canonical = _sheet_for(entry.stem)
        if not canonical:
            continue
        try:
            text = _decode_csv(entry.read_bytes())
        except OSError as exc:
            problems.append(Problem(Location(shown), f"cannot read file: {exc.strerror}"))
            failed = True
            continue
        except ValueError as exc:
            problems.append(Problem(Location(shown), str(exc)))
            failed = True
            continue
        lines = text.splitlines(keepends=True)
        found = _separator(lines[:1], _columns(SHEETS[canonical]))
        if isinstance(found, str):
            problems.append(Problem(Location(shown, cell=f"{entry.stem}!A1"), found))
            failed = True
            continue
        sep, skip = found
        reader = csv.reader(io.StringIO("".join(lines[skip:]), newline=""), delimiter=sep)
        try:
            for number, values in enumerate(reader, start=1):
                sheet.rows.append((number, values))
        except csv.Error as exc:
            problems.append(Problem(Location(shown, cell=f"{entry.stem}!A{reader.line_num}"), f"malformed CSV: {exc}"))
            failed = True
    return [] if failed else sheets


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
    """A list cell's items (``;`` separates them; ``\\;`` is a ``;`` inside one)."""
    if not isinstance(text, str):
        return [text]
    return split_list(text)


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


@dataclass
class _Citations:
    """A ``source`` cell as read: its citations, resolved by :func:`resolve_references`."""

    item: MarkedMap
    key: str
    location: Location
    parts: list[str]


def read_workbook(path: str | Path, shown: str | None = None) -> tuple[MarkedMap, list[Problem]]:
    """Read an ``.xlsx`` file or a folder of CSV files into the value of a YAML file.

    Returns ``(value, problems)``; values are located at their cells. Names in
    reference cells, and the citations of source cells, are resolved later by
    :func:`resolve_references`. A problem with the file itself (see the module) comes
    alone, with an empty value."""
    path = Path(path)
    shown = shown or _shown(path)
    problems: list[Problem] = []
    sheets = _read_csv_folder(path, problems) if path.is_dir() else _read_xlsx(path, shown, problems)
    root = _marked_map(Location(shown))
    root.citations = []  # type: ignore[attr-defined]  # read by resolve_references
    if problems:
        return root, problems
    seen: dict[str, _Sheet] = {}
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
        items = _read_sheet(sheet, section_name, root.citations, problems)  # type: ignore[attr-defined]
        if items is not None:
            where = Location(sheet.file, cell=f"{sheet.title}!A1")
            root[section_name] = _marked_list([i for i, _ in items], where, [loc for _, loc in items])
            root.value_locations[section_name] = root.key_locations[section_name] = where
    if not seen and not problems:
        problems.append(
            Problem(
                Location(shown), "no workbook sheets found: expected sheets (or CSV files) named " + ", ".join(SHEETS)
            )
        )
    return root, problems


def _read_sheet(
    sheet: _Sheet, section_name: str, citations: list[_Citations], problems: list[Problem]
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
            f = section.field(key)
            assert f is not None  # every other column is a field of the section (see _columns)
            if f.kind == "source":
                parts = [str(part) for part in _split(_as_text(value))]
                if not parts:
                    continue
                citations.append(_Citations(item, key, loc, parts))
                value = _marked_list(list(parts), loc)  # until resolve_references
            else:
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
    if kind in ("texts", "refs", "enums"):
        parts = [_as_text(x) for x in _split(value)]
        if kind in ("texts", "enums") and len(parts) == 1:
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
    checker's own report of the same cells (see :func:`drop_repeated`).

    Each citation of a source cell that is a source's id (exactly, or ignoring case if
    only one matches), alone or followed by ``:`` and a locator, cites that source;
    any other is free text, and becomes a source of its own (see the module)."""
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
            _resolve_citations(value, index)
            _resolve_value(value, index, problems, reported)
    return reported


_CITATION = re.compile(r"([A-Za-z0-9][A-Za-z0-9_.-]*)\s*(?::(.*))?", re.DOTALL)


def _cited(text: str, known: set[str], folded: dict[str, set[str]]) -> tuple[str, str | None] | None:
    """``(source id, locator or None)`` if ``text`` cites a known source (``folded``: the
    known ids by their case-folded form), else None."""
    match = _CITATION.fullmatch(text)
    if not match:
        return None
    ident = match.group(1)
    if ident not in known:
        same = folded.get(ident.casefold(), set())
        if len(same) != 1:
            return None
        (ident,) = same
    locator = (match.group(2) or "").strip()
    return ident, locator or None


def _resolve_citations(value: MarkedMap, index: _Index) -> None:
    """Turn the source cells of a workbook (in reading order) into source references,
    adding a source ``wb-src-N`` for each distinct free text."""
    cells: list[_Citations] = getattr(value, "citations", None) or []
    if not cells:
        return
    known = index.ids.setdefault("source", set())
    citable = set(known)  # ids a citation may name: not those generated here
    folded: dict[str, set[str]] = {}
    for ident in citable:
        folded.setdefault(ident.casefold(), set()).add(ident)
    made: dict[str, str] = {}  # free text -> its generated id
    number = 0
    added: list[MarkedMap] = []
    for cell in cells:
        cited: list[Any] = []
        for part in cell.parts:
            found = _cited(part, citable, folded)
            if found is None:
                if part not in made:
                    number += 1
                    while f"wb-src-{number}" in known:
                        number += 1
                    made[part] = f"wb-src-{number}"
                    known.add(made[part])
                    entry = _marked_map(cell.location)
                    for k, val in (("id", made[part]), ("title", part)):
                        entry[k] = val
                        entry.value_locations[k] = entry.key_locations[k] = cell.location
                    added.append(entry)
                cited.append(made[part])
            elif found[1] is None:
                cited.append(found[0])
            else:
                ref = _marked_map(cell.location)
                ref["ref"], ref["locator"] = found
                ref.value_locations.update(ref=cell.location, locator=cell.location)
                ref.key_locations.update(ref=cell.location, locator=cell.location)
                cited.append(ref)
        cell.item[cell.key] = cited[0] if len(cited) == 1 else _marked_list(cited, cell.location)
    if added:
        listed = value.get("sources")
        if isinstance(listed, MarkedList):
            listed.extend(added)
            listed.item_locations.extend(entry.location for entry in added)
        else:
            where = added[0].location
            value["sources"] = _marked_list(added, where, [entry.location for entry in added])
            value.value_locations["sources"] = value.key_locations["sources"] = where
    value.citations = []  # type: ignore[attr-defined]  # resolved once


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
