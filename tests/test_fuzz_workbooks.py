"""Fuzzing the workbook readers (issue 22: "no traceback from input"): random workbooks,
as .xlsx files written by openpyxl and as folders of CSV files (UTF-8 or Windows-1252,
commas or semicolons), with random sheets, headers and cells (text with control
characters and formulas, dates, date-times, numbers, booleans, blanks, very long text,
``;`` lists, escapes, unknown sheets and columns). Loading one either succeeds or
raises an :class:`IcsGraphError` whose every problem names the workbook (its file, or a
CSV file of the folder) and, where it names a cell, a well-formed ``Sheet!A1``.

The examples are derandomized, so a run is repeatable: 150 per test in an ordinary run
(a few seconds), 2,000 when the run selects the ``fuzz`` marker (``pytest -m fuzz``), or
as many as ``ICS_GRAPH_FUZZ_EXAMPLES`` says.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ics_graph.inputs.loader import load_mapping
from ics_graph.inputs.workbook import SHEETS, TEMPLATE_HEADERS
from ics_graph.model.schema import SECTIONS
from ics_graph.util.errors import IcsGraphError

EXAMPLES, MORE_EXAMPLES = 150, 2000
CELL = re.compile(r"^[^!]+![A-Z]{1,3}[0-9]+(?::[A-Z]{1,3}[0-9]+)?$")
# Characters XML 1.0 cannot hold: openpyxl refuses to write them, so .xlsx cells never do.
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udfff]")

IDS = ["e", "r", "s", "p", "icb", "ne", "chc", "eprr", "ws-1", "wb-src-1", "src"]
WORDS = [
    *IDS,
    "national",
    "regional",
    "system",
    "place",
    "ICS",
    "icb",
    "nhs-england",
    "lead-provider",
    "s65z5-delegation",
    "committee-of-board",
    "current",
    "green",
    "yes",
    "no",
    "E54000059",
    "QPM",
    "2022-07-01",
    "2022-07-01 10:00",
    "src: p. 4",
    "https://example.org/x",
    "#N/A",
]
text = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=30),
    st.text(alphabet=st.sampled_from(list("=+-@\t\r\n;\\:,\"' ab\x00\x07\x1b\u202e")), max_size=20),
    st.builds(lambda a, b: f"{a}; {b}", st.sampled_from(WORDS), st.sampled_from(WORDS)),
    st.builds(lambda a: "x" * a, st.sampled_from([1000, 40_000])),
    st.just('=HYPERLINK("http://example.org","x")'),
)
cell = st.one_of(
    st.none(),
    text,
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.times(),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3)),
)


def columns_of(sheet: str) -> list[str]:
    keys = [k for k in SECTIONS[SHEETS[sheet]].keys if k != "codes"]
    return list(dict.fromkeys([*TEMPLATE_HEADERS[sheet], *keys, "code", "ons", "ods"]))


@st.composite
def a_sheet(draw, name: str) -> list[list]:
    known = columns_of(name) if name in SHEETS else ["id", "name"]
    headers = draw(
        st.lists(st.one_of(st.sampled_from(known), st.sampled_from(["Start date", "Parent", ""]), text), max_size=8)
    )
    if draw(st.booleans()):  # most often the required columns, so rows get checked
        required = [f.key for f in SECTIONS[SHEETS[name]].fields if f.required] if name in SHEETS else []
        headers = [*required, *headers]
    width = len(headers)
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=width + 1), max_size=5))
    return [headers, *rows]


@st.composite
def a_workbook(draw) -> dict[str, list[list]]:
    names = draw(
        st.lists(
            st.one_of(st.sampled_from(list(SHEETS)), st.sampled_from(["Notes", "Lists", "Alocations", "areas", "X"])),
            min_size=1,
            max_size=5,
            unique_by=str.lower,
        )
    )
    return {name: draw(a_sheet(name)) for name in names}


def xlsx_value(value):
    if isinstance(value, str):
        return ILLEGAL.sub("", value)
    return value


def write_xlsx(path: Path, sheets: dict[str, list[list]], hidden: str | None, merged: bool) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append([xlsx_value(v) for v in row])
            for c in ws[ws.max_row]:
                if isinstance(c.value, str):
                    c.data_type = "s"  # text stays text: a test of the reader, not of openpyxl's formulas
        if name == hidden and len(sheets) > 1:  # a workbook shows at least one sheet
            ws.sheet_state = "hidden"
        if merged and ws.max_row > 2:
            ws.merge_cells("A2:A3")
    book.save(path)
    return path


def csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


def write_csv(folder: Path, sheets: dict[str, list[list]], encoding: str, sep: str) -> Path:
    folder.mkdir()
    for name, rows in sheets.items():
        out = io.StringIO()
        csv.writer(out, delimiter=sep).writerows([[csv_value(v) for v in row] for row in rows])
        (folder / f"{name}.csv").write_bytes(out.getvalue().encode(encoding, errors="replace"))
    return folder


def assert_clean_outcome(path: Path) -> None:
    """Loading succeeds, or fails with problems that each name the workbook."""
    try:
        load_mapping([path], with_ontology=False)
        event("loaded")
    except IcsGraphError as error:
        event(f"refused: {len(error.problems) if hasattr(error, 'problems') else '?'} problem(s)")
        problems = getattr(error, "problems", None)
        assert problems, f"an error without problems: {error}"
        for problem in problems:
            where = problem.location
            named = Path(where.file).resolve()
            assert named == path.resolve() or named.parent == path.resolve(), str(problem)
            assert where.cell is None or CELL.match(where.cell), str(problem)
            assert problem.message.strip(), str(problem)


def fuzz_settings(request) -> settings:
    """Derandomized settings: more examples when the run selects the ``fuzz`` marker."""
    selected = re.sub(r"\s+", " ", request.config.getoption("markexpr") or "")
    examples = MORE_EXAMPLES if "fuzz" in selected and "not fuzz" not in selected else EXAMPLES
    return settings(
        max_examples=int(os.environ.get("ICS_GRAPH_FUZZ_EXAMPLES", examples)),
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.mark.fuzz
def test_any_xlsx_workbook_loads_or_names_its_cells(request):
    @fuzz_settings(request)
    @given(sheets=a_workbook(), hidden=st.sampled_from([None, "Areas", "Lists"]), merged=st.booleans())
    def run(sheets, hidden, merged):
        with tempfile.TemporaryDirectory() as folder:
            assert_clean_outcome(write_xlsx(Path(folder) / "book.xlsx", sheets, hidden, merged and hidden is None))

    run()


@pytest.mark.fuzz
def test_any_csv_folder_loads_or_names_its_files(request):
    @fuzz_settings(request)
    @given(sheets=a_workbook(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]), sep=st.sampled_from(",;"))
    def run(sheets, encoding, sep):
        with tempfile.TemporaryDirectory() as folder:
            assert_clean_outcome(write_csv(Path(folder) / "book", sheets, encoding, sep))

    run()
