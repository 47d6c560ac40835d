"""Spreadsheet safety and Excel's own files (issue 22; review shared/reviews/robustness.md,
defects 6, 11 and 12): CSV output never holds a live formula; CSV input is read as Excel
writes it (UTF-8 with or without a mark, Windows-1252, commas or semicolons) or refused
naming the encoding or separator, without follow-on errors; merged cells and hidden data
sheets are named; a workbook too large once unpacked is refused before openpyxl reads it."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import FIXTURES
from test_workbook import CLEAN_SHEETS, write_csv_folder, write_xlsx

from ics_graph.cli import main
from ics_graph.inputs import workbook
from ics_graph.inputs.loader import load_mapping
from ics_graph.model.turtle import to_ntriples
from ics_graph.queries.sparql import SparqlResult
from ics_graph.util.errors import InputError
from ics_graph.util.spreadsheet import FORMULA_STARTS, join_list, safe_cell, split_list

CLEAN = FIXTURES / "clean"
HOSTILE = {
    "name: NHS Shire ICB,": 'name: "=HYPERLINK(\\"http://example.org/x\\",\\"ICB\\")",',
    "name: North Shire,": 'name: "+North Shire",',
    "name: Shire Hospitals,": 'name: "@Shire Hospitals",',
    'rationale: "statutory holder; delegated to ICBs"': 'rationale: "-1+2; cmd"',
    "function: chc, area: south, accountable: shire-icb, effective_from: 2022-07-01": (
        'function: chc, area: south, accountable: shire-icb, effective_from: 2022-07-01, rationale: "\\tTAB"'
    ),
}


def nt(paths) -> str:
    return to_ntriples(load_mapping([Path(p) for p in paths], with_ontology=False).data_triples())


def problems_of(paths) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_mapping([Path(p) for p in paths])
    return [str(p) for p in sorted(caught.value.problems)]


# -- defect 6: formulas in CSV output --------------------------------------------------------


def test_safe_cell_follows_owasp_and_keeps_numbers():
    for start in FORMULA_STARTS:
        assert safe_cell(start + "x") == "'" + start + "x"
    assert [safe_cell(x) for x in ("-1", "+2.5", "-3e4", "-.5", "NHS", "a=b", "", "'=x")] == [
        "-1",
        "+2.5",
        "-3e4",
        "-.5",
        "NHS",
        "a=b",
        "",
        "'=x",
    ]
    assert [safe_cell(x) for x in ("-1+2", "- 1", "-", "+44 1604 123456", "=1")] == [
        "'-1+2",
        "'- 1",
        "'-",
        "'+44 1604 123456",
        "'=1",
    ]
    assert safe_cell(-1) == -1 and safe_cell(2.5) == 2.5 and safe_cell(None) is None


@pytest.fixture
def hostile(tmp_path) -> Path:
    """The clean fixture with names and rationales a spreadsheet would run as formulas."""
    folder = tmp_path / "hostile"
    shutil.copytree(CLEAN, folder)
    mapping = folder / "mapping.yaml"
    text = mapping.read_text(encoding="utf-8")
    for old, new in HOSTILE.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    mapping.write_text(text, encoding="utf-8")
    return folder


def assert_inert(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS) or safe_cell(cell) == cell, (cell, text)
    return rows


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["where", "chc"], ["'=HYPERLINK(", "'+North Shire", "'\tTAB"]),
        (["at", "north"], ["'=HYPERLINK(", "'+North Shire"]),
        (["body", "shire-icb"], ["'+North Shire"]),
        (["impact", "chc"], ["'=HYPERLINK(", "'+North Shire"]),
        (["where", "pms"], ["'-1+2; cmd"]),
    ],
)
def test_csv_answers_never_hold_a_live_formula(hostile, command, expected):
    result = CliRunner().invoke(main, [*command, str(hostile), "--format", "csv"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = assert_inert(result.output)
    cells = [cell for row in rows for cell in row]
    for start in expected:
        assert any(cell.startswith(start) for cell in cells), (start, result.output)


def test_sparql_csv_never_holds_a_live_formula(hostile):
    query = "SELECT ?name ?n WHERE { ?b rdfs:label ?name BIND(-1 AS ?n) } ORDER BY ?name"
    result = CliRunner().invoke(main, ["sparql", query, str(hostile), "--format", "csv"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = assert_inert(result.output)
    assert ["'@Shire Hospitals", "-1"] in rows and any(r[0].startswith("'=HYPERLINK(") for r in rows)
    direct = SparqlResult("select", ["x", "n", "b"], [["=1+1", -1, True], [None, 2, False]]).to_csv()
    assert direct == "x,n,b\n'=1+1,-1,true\n,2,false\n"


# -- list cells: a ';' inside an item --------------------------------------------------------


def test_list_cells_escape_their_separator():
    items = ["NHS Act 2006; s75", "C:\\papers\\", "plain", "a\\;b"]
    cell = join_list(items)
    assert cell == "NHS Act 2006\\; s75; C:\\papers\\\\; plain; a\\\\\\;b"
    assert split_list(cell) == items
    assert split_list("C:\\papers\\x.pdf; b") == ["C:\\papers\\x.pdf", "b"]  # other backslashes are text


def test_an_escaped_semicolon_stays_inside_its_item(tmp_path):
    sheets = {
        "Functions": [
            ["id", "name", "synonyms", "statutory_basis", "notes"],
            ["chc", "CHC", "NHS CHC\\; fully funded; CHC", "NHS Act 2006 s3\\; s14Z", "a; b"],
        ]
    }
    mapping = load_mapping([write_xlsx(tmp_path / "b.xlsx", sheets)], with_ontology=False)
    rows = mapping.select("SELECT ?p ?o WHERE { ?f a ics:Function ; ?p ?o FILTER(isLiteral(?o)) } ORDER BY ?p ?o")
    values = sorted(str(r["o"]) for r in rows)
    assert values == sorted(["CHC", "NHS CHC; fully funded", "CHC", "NHS Act 2006 s3; s14Z", "a; b"])


# -- defect 12: CSV as Excel writes it --------------------------------------------------------

ACCENTED = {**CLEAN_SHEETS, "Areas": [[*row] for row in CLEAN_SHEETS["Areas"]]}
ACCENTED["Areas"][3][1] = "Shïre – Côte"  # ï and ô in Latin-1, the en dash only in Windows-1252


@pytest.fixture
def utf8_folder(tmp_path) -> Path:
    return write_csv_folder(tmp_path / "utf8", ACCENTED)


def recoded(folder: Path, target: Path, encode) -> Path:
    shutil.copytree(folder, target)
    for path in target.glob("*.csv"):
        path.write_bytes(encode(path.read_text(encoding="utf-8")))
    return target


def semicolons(text: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(csv.reader(io.StringIO(text)))
    return out.getvalue()


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),  # Excel's "CSV UTF-8"
        lambda text: text.encode("cp1252"),  # Excel's "CSV (Comma delimited)" on Windows
        lambda text: semicolons(text).encode("cp1252"),  # ... where the list separator is ';'
        lambda text: b"\xef\xbb\xbf" + semicolons(text).encode("utf-8"),
        lambda text: ("sep=;\r\n" + semicolons(text)).encode("utf-8"),  # Excel's separator line
    ],
    ids=["utf8-bom", "cp1252", "cp1252-semicolon", "utf8-bom-semicolon", "sep-line"],
)
def test_csv_as_excel_writes_it_gives_the_same_graph(tmp_path, utf8_folder, encode):
    expected = nt([utf8_folder])
    assert "Shïre – Côte" in expected
    assert nt([recoded(utf8_folder, tmp_path / "excel", encode)]) == expected


def test_a_semicolon_file_that_is_not_a_mapping_still_names_its_columns(tmp_path):
    folder = tmp_path / "book"
    write_csv_folder(folder, {"Dependencies": [["function", "depends_on"], ["a", "b"]]})
    (folder / "Dependencies.csv").write_text("Function;Depnds on\na;b\n", encoding="utf-8")
    problems = problems_of([folder])
    assert len(problems) == 2 and "Dependencies!B1: unknown column 'Depnds on'" in problems[1], problems  # ';'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("ID,Name\n".encode("utf-16"), "UTF-16 text (Excel's 'Unicode Text'), which is not read"),
        (b"ID,Name,Level\nx,\x81\x8d,place\n", "neither UTF-8 (byte 16 is not UTF-8) nor Windows-1252 (byte 16"),
        ("ID,Name,Level\nx,é,place\n".encode() + b"y,\xe9,place\n", "mixes encodings: byte 27 is not UTF-8"),
        (b"ID,Name,Level\nx,\x00,place\n", "not text: byte 16 is NUL"),
        (b"ID\tName\tLevel\nx\ty\tplace\n", "is not column names separated by commas or semicolons (it looks tab"),
        (b"sep=|\nID|Name|Level\n", "the first line asks for the separator '|'"),
    ],
    ids=["utf16", "undefined-bytes", "mixed", "nul", "tabs", "sep-pipe"],
)
def test_a_csv_neither_encoding_nor_separator_fits_is_one_error_without_follow_ons(tmp_path, content, message):
    """One problem naming the file (and the encoding or separator): the other sheets,
    which refer to its areas, are not read, so no 'unknown area' follows."""
    folder = write_csv_folder(tmp_path / "book", CLEAN_SHEETS)
    (folder / "Areas.csv").write_bytes(content)
    problems = problems_of([folder])
    assert len(problems) == 1, problems
    assert problems[0].startswith(str(folder / "Areas.csv")) and message in problems[0], problems


# -- merged cells and hidden sheets ------------------------------------------------------------


def test_merged_cells_are_named_instead_of_missing_values(tmp_path):
    path = write_xlsx(tmp_path / "b.xlsx", CLEAN_SHEETS)
    book = openpyxl.load_workbook(path)
    book["Allocations"].merge_cells("B4:B5")
    book["Areas"].merge_cells("C2:D2")
    book.create_sheet("Summary").merge_cells("A1:C1")  # not a data sheet: not read
    book.save(path)
    problems = problems_of([path])
    assert problems == [
        f"{path}:Allocations!B4:B5: merged cells: unmerge them and fill each cell with its own value",
        f"{path}:Areas!C2:D2: merged cells: unmerge them and fill each cell with its own value",
    ]


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_data_sheet_is_an_error_a_hidden_lists_sheet_is_ignored(tmp_path, state):
    path = write_xlsx(tmp_path / "b.xlsx", CLEAN_SHEETS)
    book = openpyxl.load_workbook(path)
    lists = book.create_sheet("Lists")
    lists.append(["level"])
    lists.sheet_state = "hidden"
    book.save(path)
    assert nt([path]) == nt([write_xlsx(tmp_path / "plain.xlsx", CLEAN_SHEETS)])
    book["Dependencies"].sheet_state = state
    book.save(path)
    problems = problems_of([path])
    assert len(problems) == 1 and problems[0].startswith(f"{path}:Dependencies!A1: sheet 'Dependencies' is hidden")


# -- defect 11: bounded work on a small file ---------------------------------------------------


def with_part(source: Path, target: Path, name: str, size: int, content_type: str | None = None) -> Path:
    """A copy of a workbook with one part replaced by (or added as) ``size`` bytes of highly
    compressible XML: a file of a few hundred kilobytes that unpacks to ``size``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename == name:
                continue
            data = old.read(info)
            if info.filename == "[Content_Types].xml" and content_type and name.encode() not in data:
                override = f'<Override PartName="/{name}" ContentType="{content_type}"/>'
                data = data.replace(b"</Types>", override.encode() + b"</Types>")
            new.writestr(info, data)
        unit = b"<si><t>x</t></si>"
        body = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        body += unit * ((size - len(body) - 6) // len(unit) + 1) + b"</sst>"
        new.writestr(name, body)
    return target


@pytest.mark.parametrize(
    ("part", "size", "limit", "what"),
    [
        ("xl/sharedStrings.xml", workbook.MAX_PART + 1, workbook.MAX_PART, "the shared-strings table"),
        ("xl/worksheets/sheet1.xml", workbook.MAX_WORKSHEET + 1, workbook.MAX_WORKSHEET, "a worksheet"),
        ("xl/strings.xml", workbook.MAX_PART + 1, workbook.MAX_PART, "a part"),  # any name
    ],
)
def test_a_part_too_large_unpacked_is_refused_before_openpyxl_reads_it(tmp_path, monkeypatch, part, size, limit, what):
    base = write_xlsx(tmp_path / "base.xlsx", CLEAN_SHEETS)
    big = with_part(base, tmp_path / "big.xlsx", part, size)
    assert big.stat().st_size < 2**20 < size  # small on disk
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("openpyxl read a refused workbook"))
    problems = problems_of([big])
    mib = f"{limit // 2**20} MiB"
    assert len(problems) == 1 and problems[0].startswith(f"{big}: workbook too large to read safely: '{part}' is ")
    assert problems[0].endswith(f"unpacked, over the limit of {mib} for {what}"), problems


def test_worksheets_may_be_larger_than_other_parts_and_the_whole_is_capped(tmp_path, monkeypatch):
    base = write_xlsx(tmp_path / "base.xlsx", CLEAN_SHEETS)
    # a declared worksheet between the two limits is read (it is only padding here) ...
    monkeypatch.setattr(workbook, "MAX_PART", 2**20)
    monkeypatch.setattr(workbook, "MAX_WORKSHEET", 4 * 2**20)
    monkeypatch.setattr(workbook, "MAX_WORKBOOK", 6 * 2**20)
    sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    padded = with_part(base, tmp_path / "padded.xlsx", "xl/worksheets/padding.xml", 3 * 2**20, sheet)
    assert nt([padded]) == nt([base])
    # ... the same part undeclared is held to the limit of other parts
    undeclared = with_part(base, tmp_path / "undeclared.xlsx", "xl/worksheets/padding.xml", 3 * 2**20)
    assert "over the limit of 1 MiB for a part" in problems_of([undeclared])[0]
    # and parts that are each within their limit may not add up to more than the whole's
    whole = with_part(padded, tmp_path / "whole.xlsx", "xl/worksheets/padding2.xml", 3 * 2**20, sheet)
    assert problems_of([whole])[0].endswith("over the limit of 6 MiB")
