"""Workbooks against a real spreadsheet program: LibreOffice (headless) opens the exported
workbook and the template, saves them again as .xlsx and as CSV, and a workbook it
re-saved still imports to the same graph, as does its CSV with semicolons in Windows-1252.

LibreOffice is a test requirement (Debian: libreoffice-calc-nogui), marked ``libreoffice``:
`make test` installs it, in CI (CI=true) a missing LibreOffice fails these tests, elsewhere
it skips them, saying how to install it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from rdflib.compare import isomorphic
from test_workbook_export import (
    CLEAN_XLSX,
    RICH_SHEETS,
    export_to,
    graph_of,
    write_xlsx,
)

from ics_graph.inputs.loader import load_mapping
from ics_graph.inputs.workbook import TEMPLATE_HEADERS, read_workbook
from ics_graph.model.turtle import to_ntriples
from ics_graph.outputs.xlsx import write_template

TIMEOUT = 120  # seconds per conversion
# Every sheet to its own CSV file (LibreOffice 7.2+): comma, double quote, UTF-8, sheet -1 = all.
CSV_ALL_SHEETS = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"

pytestmark = pytest.mark.libreoffice


def soffice() -> str:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "LibreOffice not found on PATH (no 'soffice' or 'libreoffice'): the workbook tests need it; "
        "install it with `apt-get install -y libreoffice-calc-nogui`",
        pytrace=False,
    )


def convert(source: Path, target: str, outdir: Path, profile: Path) -> list[Path]:
    """``soffice --headless --convert-to TARGET`` into ``outdir`` (empty before), with a
    fresh user profile; returns the files written. Fails on error or timeout."""
    outdir.mkdir(parents=True)
    command = [
        soffice(),
        f"-env:UserInstallation={profile.resolve().as_uri()}",
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--convert-to",
        target,
        "--outdir",
        str(outdir),
        str(source),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"LibreOffice took more than {TIMEOUT} s to convert {source.name} to {target}")
    written = sorted(outdir.iterdir())
    assert done.returncode == 0 and written, (
        f"LibreOffice failed to convert {source.name} to {target} (exit {done.returncode}):\n"
        f"{done.stdout}\n{done.stderr}"
    )
    assert "Error" not in done.stderr, done.stderr
    return written


@pytest.fixture
def profile(tmp_path) -> Path:
    """A fresh LibreOffice user profile for each test."""
    return tmp_path / "lo-profile"


def test_libreoffice_is_installed():
    assert Path(soffice()).exists()


@pytest.mark.parametrize("name", ["clean", "rich"])
def test_an_exported_workbook_resaved_by_libreoffice_imports_unchanged(tmp_path, profile, name):
    original = CLEAN_XLSX if name == "clean" else write_xlsx(tmp_path / "rich.xlsx", RICH_SHEETS)
    exported = export_to(tmp_path / "exported.xlsx", [original])
    (resaved,) = convert(exported, "xlsx", tmp_path / "resaved", profile)
    assert resaved.name == "exported.xlsx"
    assert openpyxl.load_workbook(resaved).sheetnames == openpyxl.load_workbook(exported).sheetnames
    assert isomorphic(graph_of([exported]), graph_of([resaved]))
    assert isomorphic(graph_of([original]), graph_of([resaved]))
    if name == "rich":  # and as CSV, one file per sheet
        csvs = {p.name: p for p in convert(exported, CSV_ALL_SHEETS, tmp_path / "csv", profile)}
        assert {"exported-Allocations.csv", "exported-Findings.csv", "exported-Risks.csv"} <= set(csvs)
        text = csvs["exported-Delegations.csv"].read_text(encoding="utf-8")
        assert "s65z5-delegation" in text and "2022-07-01" in text


def test_the_template_converts_and_stays_an_empty_workbook(tmp_path, profile):
    template = tmp_path / "template.xlsx"
    write_template(template)
    (resaved,) = convert(template, "xlsx", tmp_path / "resaved", profile)
    book = openpyxl.load_workbook(resaved)
    for sheet, headers in TEMPLATE_HEADERS.items():
        assert [c.value for c in book[sheet][1]] == list(headers), sheet
    value, problems = read_workbook(resaved)
    assert problems == [] and not any(value.get(s) for s in ("areas", "allocations"))
    (csv,) = convert(template, "csv", tmp_path / "csv", profile)  # the first sheet (Notes)
    assert "ics-graph function-mapping workbook" in csv.read_text(encoding="utf-8", errors="replace")


# Semicolons, double quotes, Windows-1252 (as Excel writes CSV where the decimal mark is a
# comma, on Windows), every sheet to its own file.
CSV_SEMICOLON_CP1252 = "csv:Text - txt - csv (StarCalc):59,34,1,1,,0,false,true,false,false,false,-1"


def test_a_workbook_saved_as_semicolon_cp1252_csv_reads_as_the_same_graph(tmp_path, profile):
    sheets = {name: [list(row) for row in rows] for name, rows in RICH_SHEETS.items()}
    sheets["Areas"][4][1] = "Système – Côte; « sud »"  # Windows-1252 holds each of these
    exported = export_to(tmp_path / "exported.xlsx", [write_xlsx(tmp_path / "rich.xlsx", sheets)])
    written = convert(exported, CSV_SEMICOLON_CP1252, tmp_path / "csv", profile)
    folder = tmp_path / "book"
    folder.mkdir()
    for path in written:
        sheet = path.stem.removeprefix("exported-")
        if sheet in TEMPLATE_HEADERS:
            shutil.copy(path, folder / f"{sheet}.csv")
    raw = (folder / "Areas.csv").read_bytes()
    assert "Système – Côte".encode("cp1252") in raw and b";" in raw.splitlines()[0]
    assert to_ntriples(load_mapping([folder], with_ontology=False).data_triples()) == to_ntriples(
        load_mapping([exported], with_ontology=False).data_triples()
    )
