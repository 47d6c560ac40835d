"""A lossless workbook (issue 22; review shared/reviews/robustness.md, defect 10): ``export
--format xlsx`` then reading the workbook gives back the same graph, byte for byte in
canonical N-Triples, for the four packs (with the catalogue and national frame they
import), for the same mappings read from Turtle, and for text holding ``;``; and every
row of a workbook or CSV folder becomes exactly one entity (nothing dropped)."""

from __future__ import annotations

import csv
import re
import shutil
import textwrap
from pathlib import Path

import openpyxl
import pytest
from conftest import FIXTURES, ROOT
from test_workbook import CLEAN_SHEETS, write_csv_folder, write_xlsx
from test_workbook_export import RICH_SHEETS

from ics_graph.inputs.loader import load_mapping
from ics_graph.inputs.workbook import SHEETS
from ics_graph.model import vocabulary as v
from ics_graph.model.schema import SECTIONS
from ics_graph.model.turtle import to_ntriples, to_turtle
from ics_graph.outputs.xlsx import export_workbook
from ics_graph.util.spreadsheet import split_list

DATA = ROOT / "data"
PACKS = ["cambridgeshire-peterborough", "greater-manchester", "lancashire-south-cumbria", "northamptonshire"]
RDF_TYPE = v.PREFIXES["rdf"] + "type"


def nt(paths) -> str:
    return to_ntriples(load_mapping([Path(p) for p in paths], with_ontology=False).data_triples())


def exported(paths, target: Path) -> Path:
    target.write_bytes(export_workbook(load_mapping([Path(p) for p in paths], with_ontology=False)))
    return target


# -- the same graph back ----------------------------------------------------------------------


@pytest.mark.parametrize("pack", PACKS)
def test_a_pack_exports_to_a_workbook_that_reads_back_to_the_same_graph(tmp_path, pack):
    """The pack imports ../catalogue and ../national; the export holds them too (it stands
    alone), so the workbook read by itself gives every triple back, and no other."""
    expected = nt([DATA / pack])
    book = exported([DATA / pack], tmp_path / f"{pack}.xlsx")
    assert nt([book]) == expected
    # the sources came back as they were: not one new source made from a title
    mapping = load_mapping([book], with_ontology=False)
    ids = {r["s"] for r in mapping.select("SELECT ?s WHERE { ?s a ics:Source }")}
    assert ids and not any(i.startswith(v.ID + "source/wb-src-") for i in ids)


@pytest.mark.parametrize("pack", PACKS)
def test_a_mapping_from_turtle_exports_to_a_workbook_that_loads_to_the_same_graph(tmp_path, pack):
    """`ics-graph load PACK -o pack.ttl`, then the .ttl exported as a workbook."""
    turtle = tmp_path / f"{pack}.ttl"
    turtle.write_text(to_turtle(load_mapping([DATA / pack], with_ontology=False).data_triples()), encoding="utf-8")
    expected = nt([turtle])
    assert expected == nt([DATA / pack])
    assert nt([exported([turtle], tmp_path / f"{pack}.xlsx")]) == expected


def test_the_export_of_a_workbook_is_a_fixed_point(tmp_path):
    first = exported([DATA / "northamptonshire"], tmp_path / "first.xlsx")
    second = exported([first], tmp_path / "second.xlsx")
    assert second.read_bytes() == first.read_bytes()


def test_sources_keep_every_field_on_the_sources_sheet(tmp_path):
    book = exported([DATA / "northamptonshire"], tmp_path / "n.xlsx")
    ws = openpyxl.load_workbook(book)["Sources"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["id", "title", "file", "url", "publisher", "date", "notes"]
    seed = next(dict(zip(rows[0], r)) for r in rows if r[0] == "nhn-seed-highlight-2022")
    assert seed["file"] == "seeds/000_a974890c5256b399.txt" and seed["date"] == "2022-02-01"
    assert seed["publisher"] == "Northamptonshire Health and Care Partnership" and "RAG" in seed["notes"]
    law = next(dict(zip(rows[0], r)) for r in rows if r[0] == "nhn-src-hca-2022")
    assert law["url"] == "https://www.legislation.gov.uk/ukpga/2022/31/contents"
    # an allocation's cell cites by id, each locator after ': '
    allocations = [[c.value for c in row] for row in openpyxl.load_workbook(book)["Allocations"].iter_rows()]
    header = allocations[0]
    bcf = next(dict(zip(header, r)) for r in allocations if r[0] == "nhn-alloc-bcf-north")
    assert bcf["source"] == (
        "nhn-seed-design-2021: Joint commissioning ... will continue to take place at Place level (through "
        "Better Care Fund; nhn-src-bcf-s75: Local health and wellbeing boards oversee the strategic direction "
        "of the Better Care Fund"
    )


SEMICOLONS = """
sources:
  - {id: act, title: "NHS Act 2006; Health and Care Act 2022", notes: "two acts; one source"}
  - {id: paper, title: Board paper}
functions:
  - id: ffc
    name: "Continuing healthcare; fully funded"
    synonyms: ["CHC; NHS CHC", "C:\\\\papers\\\\", "plain"]
    statutory_basis: ["NHS Act 2006 s3; s14Z", "Care Act 2014"]
    notes: "a; b"
    source: [paper, {ref: act, locator: "s3; s14Z"}, {ref: paper, locator: "p. 4"}, act]
dependencies:
  - {function: ffc, depends_on: [eprr], note: "first; then", source: [{ref: act, locator: "s2; s3"}]}
"""


def test_text_holding_semicolons_round_trips(tmp_path, write):
    """';' inside a list item (synonyms, statutory basis, locators) is escaped; in one-value
    text it needs no escape. Derivations keep their numbers (#source-2, #source-3)."""
    folder = tmp_path / "m"
    shutil.copytree(FIXTURES / "clean", folder)
    (folder / "semicolons.yaml").write_text(textwrap.dedent(SEMICOLONS), encoding="utf-8")
    expected = nt([folder])
    assert '"NHS Act 2006 s3; s14Z"' in expected and "function/ffc#source-3>" in expected
    book = exported([folder], tmp_path / "out.xlsx")
    functions = [[c.value for c in row] for row in openpyxl.load_workbook(book)["Functions"].iter_rows()]
    ffc = next(dict(zip(functions[0], r)) for r in functions if r[0] == "ffc")
    assert ffc["synonyms"] == "C:\\papers\\\\; CHC\\; NHS CHC; plain"
    assert ffc["source"] == "act; act: s3\\; s14Z; paper: p. 4"  # 'act' again where 'paper' was: the same triples
    assert nt([book]) == expected


def test_a_source_cell_cites_a_source_of_the_context_by_id_with_a_locator(tmp_path):
    """Citations by id reach sources in other files of the load (the catalogue here); an
    id-shaped text that is no source's id stays free text, as does anything else."""
    catalogue = DATA / "catalogue"
    sheets = {
        "Areas": [
            ["id", "name", "level", "source"],
            ["e", "England", "national", "cat-leg-nhs-act-2006: s1; Minutes; Board paper, June 2021"],
            ["r", "Region", "regional", "CAT-LEG-NHS-ACT-2006"],  # an id in another case
        ],
    }
    book = write_xlsx(tmp_path / "b.xlsx", sheets)
    mapping = load_mapping([book, catalogue], with_ontology=False)
    rows = mapping.select(
        f"SELECT ?a ?s WHERE {{ ?a dcterms:source ?s FILTER(STRSTARTS(STR(?a), '{v.ID}area/')) }} ORDER BY ?a ?s"
    )
    assert [(r["a"].rsplit("/", 1)[1], r["s"].rsplit("/", 1)[1]) for r in rows] == [
        ("e", "cat-leg-nhs-act-2006"),
        ("e", "wb-src-1"),
        ("e", "wb-src-2"),
        ("r", "cat-leg-nhs-act-2006"),
    ]
    assert mapping.ask(f"ASK {{ <{v.ID}area/e> prov:qualifiedDerivation [ prov:entity ?s ; ics:locator 's1' ] }}")
    titles = mapping.select(f"SELECT ?t WHERE {{ ?s dcterms:title ?t FILTER(STRSTARTS(STR(?s), '{v.ID}source/wb')) }}")
    assert sorted(r["t"] for r in titles) == ["Board paper, June 2021", "Minutes"]


def test_new_free_text_sources_skip_ids_in_use(tmp_path):
    """A source typed as free text into an exported workbook gets a number not yet taken."""
    sheets = {
        "Sources": [["id", "title"], ["wb-src-1", "Kept"]],
        "Areas": [["id", "name", "level", "source"], ["e", "England", "national", "New paper; wb-src-1"]],
    }
    mapping = load_mapping([write_xlsx(tmp_path / "b.xlsx", sheets)], with_ontology=False)
    rows = mapping.select(
        f"SELECT ?s ?t WHERE {{ <{v.ID}area/e> dcterms:source ?s . ?s dcterms:title ?t }} ORDER BY ?s"
    )
    assert [(r["s"].rsplit("/", 1)[1], r["t"]) for r in rows] == [("wb-src-1", "Kept"), ("wb-src-2", "New paper")]


# -- every row one entity -----------------------------------------------------------------------


def sheets_of(path: Path) -> dict[str, list[list]]:
    """A workbook's data sheets as rows of cell values (an .xlsx, or a CSV folder)."""
    if path.is_dir():
        found = {}
        for file in sorted(path.glob("*.csv")):
            name = next((s for s in SHEETS if s.lower() == file.stem.lower()), None)
            if name:
                with file.open(encoding="utf-8-sig", newline="") as handle:
                    found[name] = list(csv.reader(handle))
        return found
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    found = {}
    for ws in book.worksheets:
        ws.reset_dimensions()  # the stored size may be wrong: read every row
        found[ws.title] = [list(row) for row in ws.iter_rows(values_only=True)]
    return found


def expected_counts(sheets: dict[str, list[list]]) -> dict[str, int]:
    """Entities each kind should have: one per non-blank row; a Dependencies row one edge per
    function it names; sources those listed plus each distinct free text cited."""
    counts: dict[str, int] = {}
    listed: set[str] = set()
    cited: set[str] = set()
    for name, rows in sheets.items():
        if name not in SHEETS or not rows:
            continue
        header = [str(h).strip().lower().replace(" ", "_") if h is not None else "" for h in rows[0]]
        body = [[*r, *[None] * (len(header) - len(r))] for r in rows[1:] if any(c not in (None, "") for c in r)]
        kind = SECTIONS[SHEETS[name]].kind
        if name == "Dependencies":
            column = header.index("depends_on")
            counts[kind] = sum(len(split_list(str(r[column]))) for r in body)
        else:
            counts[kind] = counts.get(kind, 0) + len(body)
        if name == "Sources":
            listed.update(str(r[0]) for r in body)
        elif "source" in header:
            column = header.index("source")
            cited.update(part for r in body if r[column] for part in split_list(str(r[column])))
    free = {part for part in cited if re.match(r"[^:]*", part).group(0).strip() not in listed}  # type: ignore[union-attr]
    counts["source"] = len(listed) + len(free)
    return counts


def graph_counts(paths) -> dict[str, int]:
    mapping = load_mapping([Path(p) for p in paths], with_ontology=False)
    counts: dict[str, int] = {}
    for kind in {s.kind for s in SECTIONS.values()}:
        if kind == "dependency":
            rows = mapping.select("SELECT (COUNT(*) AS ?n) WHERE { ?f a ics:Function ; ics:dependsOn ?g }")
        else:
            rows = mapping.select(
                "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e a ?t FILTER(STRSTARTS(STR(?e), ?prefix) && !CONTAINS(STR(?e), '#')) }",
                {"prefix": f"{v.ID}{kind}/"},
            )
        counts[kind] = int(rows[0]["n"])
    return counts


def workbooks(tmp_path: Path) -> dict[str, Path]:
    return {
        "clean.xlsx": FIXTURES / "workbook" / "clean.xlsx",
        "clean-csv": write_csv_folder(tmp_path / "clean-csv", CLEAN_SHEETS),
        "rich.xlsx": write_xlsx(tmp_path / "rich.xlsx", RICH_SHEETS),
        "rich-csv": write_csv_folder(tmp_path / "rich-csv", RICH_SHEETS, lower=True),
        "northamptonshire.xlsx": exported([DATA / "northamptonshire"], tmp_path / "n.xlsx"),
    }


@pytest.mark.parametrize("name", ["clean.xlsx", "clean-csv", "rich.xlsx", "rich-csv", "northamptonshire.xlsx"])
def test_every_row_of_a_workbook_is_one_entity(tmp_path, name):
    path = workbooks(tmp_path)[name]
    expected = expected_counts(sheets_of(path))
    got = graph_counts([path])
    assert {k: n for k, n in got.items() if n or expected.get(k)} == {k: n for k, n in expected.items() if n}
