"""Exporting a mapping as a workbook: the workbook format's sheets and columns, a
Findings sheet, stable bytes, and a lossless round trip workbook -> graph -> workbook."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import textwrap
import zipfile
from pathlib import Path

import openpyxl
import pytest
import rdflib
from conftest import FIXTURES, HASH_SEEDS, cli_process
from rdflib.compare import isomorphic
from test_workbook import write_xlsx

from ics_graph.engine.checking import check
from ics_graph.inputs.loader import load_mapping
from ics_graph.inputs.workbook import TEMPLATE_HEADERS
from ics_graph.model.turtle import to_ntriples
from ics_graph.model.vocabulary import ID
from ics_graph.outputs.xlsx import FINDINGS_HEADERS, export_workbook

CLEAN = FIXTURES / "clean"
CLEAN_XLSX = FIXTURES / "workbook" / "clean.xlsx"
D = dt.date(2022, 7, 1)

# A workbook using every column the format has, and some it only accepts (type, scope,
# status of a delegation, an explicit allocation id, ons/ods columns). New source texts
# first appear in the order an export writes them, so the reader numbers them alike.
RICH_SHEETS: dict[str, list[list]] = {
    "Areas": [
        ["id", "name", "level", "part_of", "code", "ons", "type", "valid_from", "valid_to", "notes", "source"],
        ["eng", "England", "national", None, "E92000001", None, None, None, None, None, None],
        ["reg", "The Region", "region", "eng", None, None, None, None, None, None, None],
        [
            "sub",
            "Sub location",
            "place",
            "sys",
            None,
            None,
            "sub-icb-location",
            D,
            dt.date(2024, 3, 31),
            "merged in 2024",
            None,
        ],
        ["sys", "The System", "ICS", "reg", "E54000059; QPM", None, None, None, None, None, "Board paper 2023"],
        ["wales", "Somewhere in Wales", "system", "reg", None, "W11000028", None, None, None, None, None],
    ],
    "Bodies": [
        ["id", "name", "type", "operates_in", "code", "part_of", "notes"],
        ["icb", "NHS System ICB", "icb", "sys", "QPM", None, None],
        ["ne", "NHS England", "nhs-england", "eng", "X24", None, None],
        ["place-cttee", "Place committee", "Place committee", "sub", None, "icb", "a committee of the board"],
        ["trust", "System Hospitals", "nhs-trust-acute", "sys", "RNQ", None, None],
        ["trust2", "System Mental Health", "nhs-trust-mental-health", "sys; sub", None, None, None],
    ],
    "Collaboratives": [
        ["id", "name", "model", "lead", "members", "operates_in", "scope", "valid_from"],
        ["collab", "System collaborative", "lead-provider", "trust", "trust2; trust", "sys", "elective care", D],
    ],
    "Functions": [
        [
            "id",
            "name",
            "synonyms",
            "category",
            "statutory_basis",
            "holder",
            "reserved",
            "lowest_level",
            "minimum_level",
            "code",
            "icb_from",
            "notes",
        ],
        [
            "f-a",
            "Function A",
            "Alpha; A-function",
            "Commissioning",
            "NHS Act 2006 s3; Health and Care Act 2022",
            "icb",
            "no",
            "place",
            "system",
            "F1",
            D,
            "notes with; a semicolon",
        ],
        [
            "f-b",
            "Function B",
            None,
            "Commissioning",
            None,
            "nhs-england",
            "yes",
            "national",
            "national",
            None,
            None,
            None,
        ],
        ["f-c", "Function C", None, "Quality & safety", None, "icb", None, "system", "system", None, D, None],
    ],
    "Allocations": [
        [
            "id",
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
        ],
        [
            "alloc-1",
            "f-c",
            "system",
            "sys",
            "icb",
            "collab; trust",
            "proposed",
            dt.date(2025, 4, 1),
            None,
            "joint-team",
            0.5,
            None,
            None,
        ],
        [
            None,
            "f-a",
            "place",
            "sub",
            "place-cttee",
            "trust2",
            "current",
            D,
            dt.date(2026, 3, 31),
            "csu",
            12,
            "close to residents",
            "Plan 2024",
        ],
        [None, "f-a", "system", "sys", "icb", None, "live", D, None, "in-house", 2.75, None, "Board paper 2023"],
        [None, "f-b", "national", "eng", "ne", None, None, None, None, None, None, "statutory holder", None],
    ],
    "Delegations": [
        [
            "function",
            "from",
            "to",
            "area",
            "instrument",
            "status",
            "delegator_remains_accountable",
            "effective_from",
            "rationale",
            "source",
        ],
        [
            "f-a",
            "icb",
            "place-cttee",
            "sub",
            "committee-of-board",
            "shadow",
            None,
            D,
            "place first",
            "Scheme of delegation",
        ],
        ["f-b", "ne", "icb", "sys", "s65z5-delegation", None, "yes", D, None, None],
    ],
    "Dependencies": [
        ["function", "depends_on", "note", "source"],
        ["f-a", "f-b", "needs both", "Dependency review"],
        ["f-a", "f-c", "needs both", "Dependency review"],
        ["f-c", "f-b", None, None],
    ],
    "Workstreams": [
        ["id", "name", "rag", "sro", "depends_on", "notes"],
        ["ws-1", "Workstream one", "amber-red", "Director of Strategy", "ws-2", None],
        ["ws-2", "Workstream two", "complete", None, None, "done"],
    ],
    "Risks": [
        ["id", "description", "impact", "likelihood", "owner", "status", "relates_to", "notes", "source"],
        [
            "r-1",
            "Staff may not transfer in time",
            4,
            3,
            "Chief People Officer",
            "open",
            "ws-1; f-a",
            None,
            "Risk register",
        ],
    ],
}


def graph_of(paths) -> rdflib.Graph:
    """The data graph of a load, as the round trip compares it."""
    mapping = load_mapping([Path(p) for p in paths], with_ontology=False)
    return rdflib.Graph().parse(data=to_ntriples(mapping.data_triples()), format="nt")


def export_to(path: Path, paths, *, findings: bool = True) -> Path:
    mapping = load_mapping([Path(p) for p in paths], with_ontology=False)
    path.write_bytes(export_workbook(mapping, check(mapping) if findings else None))
    return path


def sheet_rows(path: Path, sheet: str) -> list[list]:
    book = openpyxl.load_workbook(path)
    return [[c.value for c in row] for row in book[sheet].iter_rows()]


@pytest.fixture
def rich(tmp_path) -> Path:
    return write_xlsx(tmp_path / "rich.xlsx", RICH_SHEETS)


# -- round trips ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["clean", "rich"])
def test_a_workbook_round_trips_losslessly(tmp_path, rich, name):
    """workbook -> graph -> workbook -> graph: the same graph; a second export changes nothing."""
    original = CLEAN_XLSX if name == "clean" else rich
    first = export_to(tmp_path / "first.xlsx", [original])
    assert isomorphic(graph_of([original]), graph_of([first]))
    second = export_to(tmp_path / "second.xlsx", [first], findings=False)
    assert isomorphic(graph_of([first]), graph_of([second]))
    assert (tmp_path / "first-again.xlsx").write_bytes(
        export_workbook(load_mapping([first], with_ontology=False))
    ) and (tmp_path / "first-again.xlsx").read_bytes() == second.read_bytes()


def test_the_rich_workbook_keeps_everything(tmp_path, rich):
    """Spot checks that the rich workbook's graph really holds what the round trip compares."""
    g = graph_of([rich])
    ics = rdflib.Namespace("https://w3id.org/ics-graph/ontology#")
    alloc = rdflib.URIRef(ID + "allocation/alloc-1")
    assert (alloc, ics.wte, rdflib.Literal("0.5", datatype=rdflib.XSD.decimal)) in g
    assert len(list(g.objects(rdflib.URIRef(ID + "function/f-a"), ics.dependsOn))) == 2
    assert (rdflib.URIRef(ID + "area/wales"), ics.onsCode, rdflib.Literal("W11000028")) in g
    assert len(set(g.subjects(rdflib.RDF.type, ics.Source))) == 5


def test_a_yaml_mapping_exports_and_reimports_twice_to_the_same_graph(tmp_path):
    first = export_to(tmp_path / "first.xlsx", [CLEAN])
    second = export_to(tmp_path / "second.xlsx", [first])
    assert isomorphic(graph_of([CLEAN]), graph_of([first]))  # the fixture cites no sources
    assert isomorphic(graph_of([first]), graph_of([second]))


def test_yaml_sources_keep_every_field_and_are_cited_by_id(tmp_path, write):
    """Sources go on a Sources sheet with all their fields; a source cell cites them by id,
    a locator after ': ', in the order that keeps each derivation's number: the same graph."""
    folder = tmp_path / "m"
    shutil.copytree(CLEAN, folder)
    (folder / "sources.yaml").write_text(
        textwrap.dedent("""
        sources:
          - {id: paper, title: Board paper, file: seeds/paper.txt, date: 2021-06-17, notes: "draft; unsigned"}
          - {id: web, title: Web page, url: "https://example.org/page", publisher: NHS England}
          - {id: plan, title: Plan}
        allocations:
          - {function: eprr, area: north, accountable: north-committee, source: [web, {ref: paper, locator: "p. 4; para 2"}]}
          - {function: eprr, area: south, accountable: south-committee, source: plan}
        """),
        encoding="utf-8",
    )
    first = export_to(tmp_path / "first.xlsx", [folder])
    rows = sheet_rows(first, "Allocations")
    column = rows[0].index("source")
    assert sorted(r[column] for r in rows[1:] if r[column]) == ["plan", "web; paper: p. 4\\; para 2"]
    sources = sheet_rows(first, "Sources")
    assert sources[0] == ["id", "title", "file", "url", "publisher", "date", "notes"]
    assert sources[1:] == [
        ["paper", "Board paper", "seeds/paper.txt", None, None, "2021-06-17", "draft; unsigned"],
        ["plan", "Plan", None, None, None, None, None],
        ["web", "Web page", None, "https://example.org/page", "NHS England", None, None],
    ]
    assert to_ntriples(load_mapping([folder], with_ontology=False).data_triples()) == to_ntriples(
        load_mapping([first], with_ontology=False).data_triples()
    )


def test_free_text_sources_keep_their_ids(tmp_path):
    """A workbook citing sources in free text: the export lists them on the Sources sheet
    under the ids the reader gave them and cites them by id, so nothing is renumbered."""
    sheets = {
        "Areas": [
            ["id", "name", "level", "source"],
            ["zz", "Zed", "national", "Second"],
            ["aa", "Ay", "national", "First; Second"],
        ],
    }
    original = write_xlsx(tmp_path / "o.xlsx", sheets)
    first = export_to(tmp_path / "first.xlsx", [original])
    assert sheet_rows(first, "Sources")[1:] == [
        ["wb-src-1", "Second", None, None, None, None, None],
        ["wb-src-2", "First", None, None, None, None, None],
    ]
    areas = sheet_rows(first, "Areas")
    assert [dict(zip(areas[0], r))["source"] for r in areas[1:]] == ["wb-src-1; wb-src-2", "wb-src-1"]
    assert isomorphic(graph_of([original]), graph_of([first]))
    second = export_to(tmp_path / "second.xlsx", [first])
    assert second.read_bytes() == first.read_bytes()


# -- content ----------------------------------------------------------------------------


def test_sheets_columns_rows_and_keywords(tmp_path, rich):
    path = export_to(tmp_path / "out.xlsx", [rich])
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [*TEMPLATE_HEADERS, "Findings"]
    for sheet, headers in TEMPLATE_HEADERS.items():
        got = [c.value for c in book[sheet][1]]
        if sheet == "Allocations":
            assert got[0] == "id"  # alloc-1 is not the id its columns would generate
            got = got[1:]
        assert got[: len(headers)] == list(headers), sheet
    areas = sheet_rows(path, "Areas")
    assert [r[0] for r in areas[1:]] == ["eng", "reg", "sub", "sys", "wales"]  # sorted by id
    header = areas[0]
    sys_row = dict(zip(header, areas[4]))
    assert sys_row["level"] == "system" and sys_row["code"] == "E54000059; QPM"  # keyword, not 'ICS'
    sub_row = dict(zip(header, areas[3]))
    assert sub_row["type"] == "sub-icb-location" and sub_row["valid_from"] == "2022-07-01"  # ISO text
    assert dict(zip(header, areas[5]))["ons"] == "W11000028"  # not an 'E' code: its own column
    delegations = sheet_rows(path, "Delegations")
    dh = delegations[0]
    assert [dict(zip(dh, r))["instrument"] for r in delegations[1:]] == ["committee-of-board", "s65z5-delegation"]
    assert "delegator_remains_accountable" not in dh  # entailed by the ontology: never a column of its own
    functions = {r[0]: dict(zip(sheet_rows(path, "Functions")[0], r)) for r in sheet_rows(path, "Functions")[1:]}
    assert functions["f-a"]["synonyms"] == "A-function; Alpha" and functions["f-b"]["reserved"] == "yes"
    assert functions["f-c"]["category"] == "Quality & safety"
    collab = dict(zip(*sheet_rows(path, "Collaboratives")))
    assert collab["members"] == "trust; trust2" and collab["lead"] == "trust"
    allocations = sheet_rows(path, "Allocations")
    ah = allocations[0]
    ids = [dict(zip(ah, r))["id"] for r in allocations[1:]]
    assert ids[0] == "alloc-1" and ids[1:] == [None, None, None]
    wte = sorted(dict(zip(ah, r))["wte"] for r in allocations[1:] if dict(zip(ah, r))["wte"] is not None)
    assert wte == [0.5, 2.75, 12]
    deps = sheet_rows(path, "Dependencies")
    titles = {r[0]: r[1] for r in sheet_rows(path, "Sources")[1:]}
    assert deps == [
        ["function", "depends_on", "note", "source"],
        ["f-a", "f-b", "needs both", "wb-src-4"],
        ["f-a", "f-c", "needs both", "wb-src-4"],
        ["f-c", "f-b", None, None],
    ]
    assert titles["wb-src-4"] == "Dependency review"
    risks = dict(zip(*sheet_rows(path, "Risks")))
    assert risks["impact"] == 4 and risks["relates_to"] == "f-a; ws-1" and "score" not in risks


def test_optional_sheets_only_when_used(tmp_path):
    path = export_to(tmp_path / "out.xlsx", [CLEAN])
    names = openpyxl.load_workbook(path).sheetnames
    assert "Workstreams" in names and "Risks" not in names


def test_the_findings_sheet_lists_what_check_found(tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(CLEAN, folder)
    (folder / "extra.yaml").write_text(
        "functions:\n  - {id: ifr, name: Individual funding requests, lowest_level: system, minimum_level: system}\n",
        encoding="utf-8",
    )
    mapping = load_mapping([folder], with_ontology=False)
    result = check(mapping)
    assert result.findings
    path = tmp_path / "out.xlsx"
    path.write_bytes(export_workbook(mapping, result))
    rows = sheet_rows(path, "Findings")
    assert rows[0] == list(FINDINGS_HEADERS)
    assert len(rows) == len(result.findings) + 1
    first = dict(zip(rows[0], rows[1]))
    f = result.findings[0]
    assert (first["rule"], first["severity"], first["message"], first["entity"]) == (
        f.rule,
        f.severity.word,
        f.message,
        f.focus_id,
    )
    unowned = next(dict(zip(rows[0], r)) for r in rows[1:] if r[0] == "unowned-function")
    assert unowned["file"].endswith("extra.yaml") and unowned["line/cell"] == 2 and unowned["entity"] == "function/ifr"
    # the Findings sheet is ignored when the workbook is read back
    assert isomorphic(graph_of([folder]), graph_of([path]))


def test_findings_of_a_workbook_name_their_cell(tmp_path):
    sheets = {"Functions": [["id", "name", "lowest_level", "minimum_level"], ["ifr", "IFR", "system", "system"]]}
    book = write_xlsx(tmp_path / "in.xlsx", sheets)
    path = export_to(tmp_path / "out.xlsx", [CLEAN, book])
    rows = sheet_rows(path, "Findings")
    row = next(dict(zip(rows[0], r)) for r in rows[1:] if r[0] == "unowned-function")
    assert row["line/cell"] == "Functions!A2" and row["file"].endswith("in.xlsx")


def test_bytes_are_stable(tmp_path):
    """The same bytes here and from `export` in two processes with different hash seeds."""
    mapping = load_mapping([CLEAN], with_ontology=False)
    first = export_workbook(mapping, check(mapping))
    books = [tmp_path / f"export-{seed}.xlsx" for seed in HASH_SEEDS]
    for seed, book in zip(HASH_SEEDS, books):
        done = cli_process("export", CLEAN, "-o", book, seed=seed)
        assert done.returncode == 0, done.stderr.decode()
    assert books[0].read_bytes() == books[1].read_bytes() == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2000-01-01T00:00:00Z") == 2  # created and modified: never "now"


def test_text_is_never_written_as_a_formula(tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(CLEAN, folder)
    (folder / "extra.yaml").write_text(
        'areas:\n  - {id: x, name: "=HYPERLINK(\\"http://example.org\\")", level: national, notes: "+1 and -1"}\n',
        encoding="utf-8",
    )
    path = export_to(tmp_path / "out.xlsx", [folder])
    book = openpyxl.load_workbook(path)
    cells = next(row for row in book["Areas"].iter_rows() if row[0].value == "x")
    assert cells[1].data_type == "s" and cells[1].value.startswith("=HYPERLINK")
    assert isomorphic(graph_of([folder]), graph_of([path]))
