"""The function-mapping workbook (.xlsx, or a folder of CSV files): read as YAML would be,
every problem named by sheet and cell in one pass, converted to YAML, and the template."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import sys
from pathlib import Path

import openpyxl
import pytest
import rdflib
from conftest import FIXTURES, HASH_SEEDS, ROOT, cli_process
from rdflib.compare import isomorphic

from ics_graph.inputs.loader import load_mapping
from ics_graph.model.turtle import to_turtle
from ics_graph.model.vocabulary import ID
from ics_graph.util.errors import InputError, UsageError

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate, write_csv_workbook

CLEAN = FIXTURES / "clean"
D = dt.date(2022, 7, 1)

# The content of tests/fixtures/clean, as a workbook. Headers use synonyms and odd case
# on purpose; some reference cells hold names instead of ids; dates are date cells.
CLEAN_SHEETS: dict[str, list[list]] = {
    "Areas": [
        ["ID", "Name", "LEVEL", "Parent", "ONS code"],
        ["england", "England", "National", None, None],
        ["region", "The Region", "regional", "England", None],
        ["shire", "Shire", "ICS", "region", None],
        ["north", "North Shire", "place", "Shire", None],
        ["south", "South Shire", "Place", "shire", None],
        ["north-1", "North One", "neighbourhood", "north", None],
        ["south-1", "South One", "PCN", "south", None],
    ],
    "Bodies": [
        ["Id", "Organisation name", "Body type", "Operates in", "Parent body"],
        ["nhs-england", "NHS England", "NHS-England", "england", None],
        ["shire-icb", "NHS Shire ICB", "ICB", "Shire", None],
        ["north-committee", "North Shire committee", "place committee", "north", "NHS Shire ICB"],
        ["south-committee", "South Shire committee", "Place-Committee", "south", "shire-icb"],
        ["shire-acute", "Shire Hospitals", "nhs-trust-acute", "shire", None],
        ["shire-mh", "Shire Mental Health", "nhs-trust-mental-health", "shire", None],
        ["north-council", "North Shire Council", "Local authority", "north", None],
    ],
    "Collaboratives": [
        ["id", "name", "Collaboration model", "Lead provider", "Members"],
        ["shire-collab", "Shire collaborative", "Lead Provider", "Shire Hospitals", "shire-acute; Shire Mental Health"],
    ],
    "Functions": [
        ["Function ID", "Function name", "Statutory holder", "Reserved", "Lowest level", "Minimum scale", "ICB from"],
        ["chc", "Continuing healthcare", "ICB", None, "place", "place", D],
        ["eprr", "Emergency preparedness", "icb", None, "system", "system", D],
        ["pms", "Primary medical services", "NHS England", None, "system", "system", D],
        ["assess", "ICB performance assessment", "nhs-england", "Yes", "national", "national", None],
    ],
    "Allocations": [
        ["Function", "Area", "Accountable body", "Start date", "Rationale", "Level reason"],
        ["assess", "england", "nhs-england", None, None, None],
        [
            "Primary medical services",
            "England",
            "NHS England",
            None,
            "statutory holder; delegated to ICBs",
            "statutory requirement",
        ],
        ["eprr", "shire", "shire-icb", D, None, None],
        ["chc", "north", "NHS Shire ICB", D, None, None],
        ["continuing healthcare", "south", "shire-icb", D, None, None],
    ],
    "Delegations": [
        ["function", "Delegator", "Delegated to", "Area", "Legal instrument", "Effective from"],
        ["pms", "nhs-england", "shire-icb", "shire", "S65Z5-Delegation", D],
        ["chc", "shire-icb", "north-committee", "north", "committee of board", D],
    ],
    "Dependencies": [
        ["Function", "Depends on"],
        ["chc", "eprr"],
    ],
    "Workstreams": [
        ["ID", "Name", "RAG status", "Depends on"],
        ["ws-a", "Workstream A", "Amber", "ws-b"],
        ["ws-b", "Workstream B", "GREEN", None],
    ],
}


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook with these sheets (values as given: dates become date cells)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def write_csv_folder(folder: Path, sheets: dict[str, list[list]], *, lower: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in sheets.items():
        with open(folder / f"{name.lower() if lower else name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            for row in rows:
                writer.writerow(["" if x is None else x.isoformat() if isinstance(x, dt.date) else x for x in row])
    return folder


def graph_of(paths) -> rdflib.Graph:
    return rdflib.Graph().parse(data=to_turtle(load_mapping(paths).data_triples()), format="turtle")


def problems_of(paths) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_mapping(paths)
    return [str(p) for p in sorted(caught.value.problems)]


def test_fixture_helper_is_deterministic(tmp_path):
    """The fixture workbook in tests/fixtures/workbook is made by write_xlsx: check it is current."""
    fixture = FIXTURES / "workbook" / "clean.xlsx"
    assert fixture.exists()
    assert isomorphic(graph_of([fixture]), graph_of([write_xlsx(tmp_path / "clean.xlsx", CLEAN_SHEETS)]))


def test_xlsx_gives_the_same_graph_as_the_yaml(tmp_path):
    book = write_xlsx(tmp_path / "clean.xlsx", CLEAN_SHEETS)
    from_yaml, from_book = graph_of([CLEAN]), graph_of([book])
    assert len(from_book) == len(from_yaml) > 100
    assert isomorphic(from_yaml, from_book)


def test_csv_folder_gives_the_same_graph_as_the_yaml(tmp_path):
    folder = write_csv_folder(tmp_path / "book", CLEAN_SHEETS, lower=True)
    assert isomorphic(graph_of([CLEAN]), graph_of([folder]))
    # ... also when found inside a mapping folder, beside YAML
    assert isomorphic(graph_of([CLEAN]), graph_of([tmp_path]))


def test_workbook_and_yaml_load_together(tmp_path):
    """A workbook can refer into YAML (here the catalogue), by id or by name."""
    sheets = {k: v for k, v in CLEAN_SHEETS.items() if k not in ("Functions", "Dependencies")}
    book = write_xlsx(tmp_path / "mapping.xlsx", sheets)
    mapping = load_mapping([CLEAN / "catalogue.yaml", book])
    assert isomorphic(graph_of([CLEAN]), graph_of([CLEAN / "catalogue.yaml", book]))
    loc = mapping.location(ID + "allocation/chc--south--shire-icb--2022-07-01")
    assert loc.cell == "Allocations!A6" and str(loc) == f"{loc.file}:Allocations!A6"


def test_excel_date_cells_and_iso_text_both_work(tmp_path):
    sheets = dict(CLEAN_SHEETS)
    sheets["Allocations"] = [row[:] for row in CLEAN_SHEETS["Allocations"]]
    sheets["Allocations"][3][3] = dt.datetime(2022, 7, 1)  # a date-time cell at midnight
    sheets["Allocations"][4][3] = "2022-07-01"  # ISO text
    assert isomorphic(graph_of([CLEAN]), graph_of([write_xlsx(tmp_path / "b.xlsx", sheets)]))
    # the cell really is a date cell
    ws = openpyxl.load_workbook(tmp_path / "b.xlsx")["Allocations"]
    assert ws["D4"].is_date and ws["D6"].is_date and not ws["D5"].is_date


def test_codes_sources_lists_and_numbers(tmp_path):
    sheets = {
        "Areas": [["id", "name", "level", "code"], ["shire", "Shire", "system", "E54000059; QPM"]],
        "Bodies": [
            ["id", "name", "type", "operates_in", "code"],
            ["shire-icb", "NHS Shire ICB", "icb", "shire", "QPM"],
        ],
        "Functions": [
            ["id", "name", "synonyms", "category"],
            ["chc", "Continuing healthcare", "CHC; NHS CHC", "Commissioning"],
        ],
        "Allocations": [
            ["function", "area", "accountable", "wte", "source"],
            ["chc", "shire", "shire-icb", 12.5, "Board paper, June 2021"],
        ],
        "Delegations": [
            ["function", "from", "to", "area", "instrument", "source"],
            ["chc", "shire-icb", "shire-icb", "shire", "other", "Board paper, June 2021"],
        ],
        "Risks": [
            ["id", "description", "impact", "likelihood", "relates_to", "source"],
            ["r1", "Workforce", 4, 3, "chc", "Risk register"],
        ],
    }
    mapping = load_mapping([write_xlsx(tmp_path / "b.xlsx", sheets)])
    assert mapping.ask(f"ASK {{ <{ID}area/shire> ics:onsCode 'E54000059' ; ics:odsCode 'QPM' }}")
    assert mapping.ask(f"ASK {{ <{ID}body/shire-icb> ics:odsCode 'QPM' }}")
    assert mapping.ask(f"ASK {{ <{ID}function/chc> skos:altLabel 'CHC', 'NHS CHC' }}")
    assert mapping.ask(f"ASK {{ <{ID}risk/r1> ics:riskScore 12 ; dcterms:source <{ID}source/wb-src-2> }}")
    rows = mapping.select("SELECT ?s ?t WHERE { ?s a ics:Source ; dcterms:title ?t } ORDER BY ?s")
    assert [(r["s"], r["t"]) for r in rows] == [
        (ID + "source/wb-src-1", "Board paper, June 2021"),
        (ID + "source/wb-src-2", "Risk register"),
    ]
    assert mapping.ask(f"ASK {{ ?a a ics:Allocation ; ics:wte 12.5 ; dcterms:source <{ID}source/wb-src-1> }}")
    # numbers written as CSV text are numbers too
    folder = write_csv_folder(tmp_path / "csv", sheets)
    assert isomorphic(graph_of([tmp_path / "b.xlsx"]), graph_of([folder]))


def test_every_error_names_sheet_and_cell_in_one_pass(tmp_path):
    sheets = {
        "Areas": [["id", "name", "level"], ["nene", "Nene", "system"], ["north", "North", "sistem"]],  # Areas!C3
        "Bodies": [
            ["id", "name", "type", "operates_in"],
            ["nene-ccg", "NHS Nene CCG", "icb", "nene"],
            ["x", "X", "trust", "nene"],
        ],  # Bodies!C3
        "Functions": [["id", "name"], ["chc", "Continuing healthcare"]],
        "Allocations": [
            ["function", "area", "level", "accountable", "effective_from"],
            ["chc", "nene", "system", "Nene CCG", "1 July 2022"],  # Allocations!D2, E2
            ["chx", "nene", "system", "nene-ccg", None],
        ],  # Allocations!A3
        "Delegations": [
            ["function", "from", "to", "area", "instrument", "delivred by"],  # F1
            ["chc", "nene-ccg", "x", "nene", "s75"],
        ],  # Delegations!E2
    }
    book = write_xlsx(tmp_path / "bad.xlsx", sheets)
    problems = problems_of([book])
    shown = problems[0].split(":")[0]
    assert shown.endswith("bad.xlsx")
    expected = [
        "Allocations!A3: unknown function 'chx' in 'function' (did you mean 'chc'?)",
        "Allocations!D2: unknown body 'Nene CCG' in 'accountable' (did you mean 'NHS Nene CCG'?)",
        "Allocations!E2: 'effective_from' must be a date (YYYY-MM-DD), got '1 July 2022'",
        "Areas!C3: invalid level 'sistem' (did you mean 'system'?)",
        "Bodies!C3: invalid body type 'trust'",
        "Delegations!E2: invalid instrument 's75'",
        "Delegations!F1: unknown column 'delivred by' in sheet 'Delegations'",
    ]
    for text in expected:
        assert any(p.startswith(f"{shown}:{text}") for p in problems), (text, problems)
    assert len(problems) == len(expected)  # each once: the unknown name is not reported twice


def test_ambiguous_names_and_missing_columns(tmp_path):
    sheets = {
        "Areas": [["id", "name", "level"], ["a", "Same", "system"], ["b", "same", "system"]],
        "Bodies": [["id", "name", "type", "operates_in"], ["icb", "ICB", "icb", "Same"]],
        "Allocations": [["area", "accountable"], ["a", "icb"]],
    }
    problems = problems_of([write_xlsx(tmp_path / "b.xlsx", sheets)])
    assert any("Bodies!D2: ambiguous area 'Same' in 'operates_in': it names 'a', 'b'" in p for p in problems)
    assert any("Allocations!A1: sheet 'Allocations' has no 'function' column" in p for p in problems)


def test_misspelt_sheet_is_an_error_other_sheets_are_ignored(tmp_path):
    sheets = dict(CLEAN_SHEETS.items())
    sheets["Alocations"] = sheets.pop("Allocations")
    sheets["Summary"] = [["anything"], [1]]
    problems = problems_of([write_xlsx(tmp_path / "b.xlsx", sheets)])
    assert (
        len(problems) == 1 and "Alocations!A1: unknown sheet 'Alocations' (did you mean 'Allocations'?)" in problems[0]
    )


def test_damaged_xlsx_is_an_input_error(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip file")
    problems = problems_of([bad])
    assert len(problems) == 1 and "not a readable .xlsx workbook" in problems[0]


def test_formulas_are_never_evaluated(tmp_path):
    """A formula cell gives its cached value (none when never calculated): never code."""
    sheets = {"Areas": [["id", "name", "level"], ["a", '=HYPERLINK("http://example.org","x")', "system"]]}
    problems = problems_of([write_xlsx(tmp_path / "f.xlsx", sheets)])
    assert problems == [f"{problems[0].split(':')[0]}:Areas!A2: area is missing required key 'name'"]


# --- import to YAML -------------------------------------------------------------------------


def test_import_writes_yaml_that_loads_to_the_same_graph(tmp_path):
    from ics_graph.app.workbooks import import_workbook

    book = write_xlsx(tmp_path / "clean.xlsx", CLEAN_SHEETS)
    names = import_workbook(book, tmp_path / "out")
    assert names == [
        "allocations.yaml",
        "areas.yaml",
        "bodies.yaml",
        "collaboratives.yaml",
        "delegations.yaml",
        "dependencies.yaml",
        "functions.yaml",
        "workstreams.yaml",
    ]
    assert isomorphic(graph_of([CLEAN]), graph_of([tmp_path / "out"]))
    text = (tmp_path / "out" / "allocations.yaml").read_text(encoding="utf-8")
    assert "accountable: shire-icb" in text and "NHS Shire ICB" not in text  # names became ids
    bodies = (tmp_path / "out" / "bodies.yaml").read_text(encoding="utf-8")
    assert "type: place-committee" in bodies and "type: local-authority" in bodies  # canonical words
    assert "level: system" in (tmp_path / "out" / "areas.yaml").read_text(encoding="utf-8")  # 'ICS'
    # deterministic: the same workbook gives byte-identical files, also in two processes
    # with different hash seeds
    for seed in HASH_SEEDS:
        done = cli_process("import", book, "-o", tmp_path / f"again-{seed}", seed=seed)
        assert done.returncode == 0, done.stderr.decode()
    for name in names:
        for seed in HASH_SEEDS:
            assert (tmp_path / "out" / name).read_bytes() == (tmp_path / f"again-{seed}" / name).read_bytes(), name


def test_import_with_context_resolves_names_from_it(tmp_path):
    from ics_graph.app.workbooks import import_workbook

    sheets = {k: v for k, v in CLEAN_SHEETS.items() if k not in ("Functions", "Dependencies")}
    book = write_xlsx(tmp_path / "m.xlsx", sheets)
    import_workbook(book, tmp_path / "out", context=[CLEAN / "catalogue.yaml"])
    text = (tmp_path / "out" / "allocations.yaml").read_text(encoding="utf-8")
    assert "function: pms" in text and "Primary medical services" not in text
    assert isomorphic(graph_of([CLEAN]), graph_of([CLEAN / "catalogue.yaml", tmp_path / "out"]))


def test_import_with_context_writes_the_imports_so_the_folder_loads_as_it_is(tmp_path):
    from ics_graph.app.workbooks import import_workbook

    sheets = {k: v for k, v in CLEAN_SHEETS.items() if k not in ("Functions", "Dependencies")}
    book = write_xlsx(tmp_path / "m.xlsx", sheets)
    shutil.copyfile(CLEAN / "catalogue.yaml", tmp_path / "catalogue.yaml")
    (tmp_path / ".git").mkdir()  # a repository: imports may reach ../catalogue.yaml inside it
    names = import_workbook(book, tmp_path / "out", context=[tmp_path / "catalogue.yaml"])
    assert "pack.yaml" in names
    assert 'imports:\n  - "../catalogue.yaml"\n' in (tmp_path / "out" / "pack.yaml").read_text(encoding="utf-8")
    # the folder alone loads, and holds what the workbook and its context hold together
    assert isomorphic(graph_of([tmp_path / "out"]), graph_of([book, tmp_path / "catalogue.yaml"]))


def test_import_writes_nothing_when_there_are_errors(tmp_path):
    from ics_graph.app.workbooks import import_workbook

    sheets = dict(CLEAN_SHEETS)
    sheets["Allocations"] = CLEAN_SHEETS["Allocations"] + [["chc", "nowhere", "shire-icb", D, None]]
    book = write_xlsx(tmp_path / "bad.xlsx", sheets)
    with pytest.raises(InputError) as caught:
        import_workbook(book, tmp_path / "out")
    assert any(p.location.cell == "Allocations!B7" for p in caught.value.problems)
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.xlsx"]  # no temporary folder left behind


def test_import_refuses_a_non_empty_folder_unless_forced(tmp_path):
    from ics_graph.app.workbooks import import_workbook

    book = write_xlsx(tmp_path / "clean.xlsx", CLEAN_SHEETS)
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.yaml").write_text("areas: []\n", encoding="utf-8")
    with pytest.raises(UsageError, match="not empty"):
        import_workbook(book, out)
    assert [p.name for p in out.iterdir()] == ["old.yaml"]
    import_workbook(book, out, force=True)
    assert not (out / "old.yaml").exists() and (out / "areas.yaml").exists()
    # never a folder with other files in it, nor one holding the input
    (out / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="other than YAML"):
        import_workbook(book, out, force=True)
    with pytest.raises(UsageError, match="holds the input"):
        import_workbook(book, tmp_path, force=True)


# --- template ---------------------------------------------------------------------------------


def test_template_has_sheets_headers_and_drop_downs(tmp_path):
    from ics_graph.inputs.workbook import TEMPLATE_HEADERS
    from ics_graph.outputs.xlsx import write_template

    path = tmp_path / "template.xlsx"
    write_template(path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Notes", *TEMPLATE_HEADERS, "Lists"]
    assert book["Lists"].sheet_state == "hidden"
    for sheet, headers in TEMPLATE_HEADERS.items():
        assert [c.value for c in book[sheet][1]] == list(headers)
        assert book[sheet].max_row == 1
    notes = "\n".join(str(c.value) for row in book["Notes"].iter_rows() for c in row if c.value)
    assert "committee-of-board" in notes and "lead-provider" in notes and "Allocations" in notes

    def validations(sheet):
        found = {}
        for dv in book[sheet].data_validations.dataValidation:
            column = str(dv.sqref).split(":")[0].rstrip("0123456789")
            found[book[sheet][f"{column}1"].value] = dv.formula1
        return found

    alloc = validations("Allocations")
    assert alloc["function"] == "Functions!$A:$A" and alloc["area"] == "Areas!$A:$A"
    assert alloc["accountable"] == "Bodies!$A:$A" and alloc["delivered_by"] == "Bodies!$A:$A"
    assert {"level", "status", "current_arrangement"} <= set(alloc)
    lists = book["Lists"]
    for sheet, column in [
        ("Areas", "level"),
        ("Bodies", "type"),
        ("Collaboratives", "model"),
        ("Delegations", "instrument"),
        ("Allocations", "status"),
        ("Functions", "holder"),
        ("Functions", "reserved"),
        ("Allocations", "current_arrangement"),
        ("Workstreams", "rag"),
    ]:
        formula = validations(sheet)[column]
        assert formula.startswith("Lists!$"), (sheet, column, formula)
        ref = formula.split("!")[1].replace("$", "")
        words = [c.value for row in lists[ref] for c in row]
        assert words and all(isinstance(w, str) for w in words)
    assert "s65z5-delegation" in [
        c.value for row in lists[validations("Delegations")["instrument"].split("!")[1].replace("$", "")] for c in row
    ]
    assert validations("Delegations")["from"] == "Bodies!$A:$A"
    assert validations("Dependencies")["depends_on"] == "Functions!$A:$A"


def test_import_of_an_empty_workbook_is_refused(tmp_path):
    from ics_graph.app.workbooks import import_workbook
    from ics_graph.outputs.xlsx import write_template

    write_template(tmp_path / "t.xlsx")
    with pytest.raises(InputError, match="no rows"):
        import_workbook(tmp_path / "t.xlsx", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_template_round_trips_as_an_empty_workbook(tmp_path):
    from ics_graph.inputs.workbook import read_workbook
    from ics_graph.outputs.xlsx import write_template

    write_template(tmp_path / "t.xlsx")
    value, problems = read_workbook(tmp_path / "t.xlsx")
    assert problems == [] and not any(value.get(s) for s in ("areas", "allocations"))


def test_a_filled_in_template_is_checked_with_findings_at_cells(tmp_path):
    """The user journey: fill in the template, run check, read findings that point at cells."""
    import openpyxl
    from click.testing import CliRunner

    from ics_graph.cli import main

    template = tmp_path / "mapping.xlsx"
    assert CliRunner().invoke(main, ["template", str(template)]).exit_code == 0
    book = openpyxl.load_workbook(template)

    def fill(sheet: str, rows: list[dict]) -> None:
        ws = book[sheet]
        headers = [cell.value for cell in ws[1]]
        for number, row in enumerate(rows, start=2):
            for key, value in row.items():
                ws.cell(row=number, column=headers.index(key) + 1, value=value)

    fill(
        "Areas",
        [
            {"id": "shire", "name": "Shire", "level": "ICS"},
            {"id": "north", "name": "North Shire", "level": "locality", "part_of": "shire"},
            {"id": "south", "name": "South Shire", "level": "place", "part_of": "shire"},
        ],
    )
    fill("Bodies", [{"id": "shire-icb", "name": "NHS Shire ICB", "type": "icb", "operates_in": "shire"}])
    fill(
        "Functions",
        [{"id": "eprr", "name": "Emergency preparedness", "lowest_level": "system", "minimum_level": "system"}],
    )
    fill("Allocations", [{"function": "eprr", "area": "North Shire", "accountable": "NHS Shire ICB"}])
    book.save(template)
    result = CliRunner().invoke(main, ["check", str(template), "--format", "json"])
    assert result.exit_code == 1, result.output
    findings = json.loads(result.output)["findings"]
    below = next(f for f in findings if f["rule"] == "subsidiarity-below-required-scale")
    assert below["cell"] == "Allocations!A2"
    assert "Emergency preparedness sits at place level in North Shire" in below["message"]


def test_an_area_that_moved_names_both_parents_in_one_cell(tmp_path):
    """part_of takes ids separated by ';' in a cell, as in YAML's list: both parents are loaded, and their
    own dates keep the place in one system a day (no area-hierarchy finding)."""
    import openpyxl
    from click.testing import CliRunner

    from ics_graph.cli import main

    template = tmp_path / "mapping.xlsx"
    assert CliRunner().invoke(main, ["template", str(template)]).exit_code == 0
    book = openpyxl.load_workbook(template)
    ws = book["Areas"]
    headers = [cell.value for cell in ws[1]]
    rows = [
        {"id": "shire-2021", "name": "Shire STP", "level": "system", "valid_to": "2022-06-30"},
        {"id": "shire", "name": "Shire", "level": "system", "valid_from": "2022-07-01"},
        {"id": "north", "name": "North Shire", "level": "place", "part_of": "shire-2021; shire"},
    ]
    for number, row in enumerate(rows, start=2):
        for key, value in row.items():
            ws.cell(row=number, column=headers.index(key) + 1, value=value)
    book.save(template)
    mapping = load_mapping([template])
    parents = mapping.select("SELECT ?p WHERE { <https://w3id.org/ics-graph/id/area/north> ics:partOf ?p }")
    assert sorted(str(r["p"]).rsplit("/", 1)[-1] for r in parents) == ["shire", "shire-2021"]
    result = CliRunner().invoke(main, ["check", str(template), "--select", "area-hierarchy", "--format", "json"])
    assert json.loads(result.output)["findings"] == [], result.output


def test_template_is_byte_identical_across_runs(tmp_path):
    """Here and in two processes with different hash seeds, a second or more apart."""
    import time

    from ics_graph.outputs.xlsx import write_template

    write_template(tmp_path / "a.xlsx")
    time.sleep(1.1)  # a timestamp would differ by now
    for seed in HASH_SEEDS:
        done = cli_process("template", tmp_path / f"b-{seed}.xlsx", seed=seed)
        assert done.returncode == 0, done.stderr.decode()
    assert (tmp_path / "b-1.xlsx").read_bytes() == (tmp_path / "b-2.xlsx").read_bytes()
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b-1.xlsx").read_bytes()


def test_joint_accountability_legal_forms_and_held_jointly_in_cells(tmp_path):
    sheets = {k: [list(r) for r in rows] for k, rows in CLEAN_SHEETS.items()}
    sheets["Bodies"][0] += ["legal_form", "committee_of", "valid_to", "successor"]
    for row in sheets["Bodies"][1:]:
        row += [None, None, None, None]
    sheets["Bodies"].append(["old-icp", "North ICP (2021)", "icp", "north", None, "Partnership", None, D, "shire-icb"])
    sheets["Functions"][0].append("In force from")
    for row in sheets["Functions"][1:]:
        row.append(None)
    sheets["Functions"].append(
        ["jsna", "Joint strategic needs assessment", "icb; Local authority", None, "place", "place", None, D]
    )
    sheets["Allocations"][0] += ["Joint", "Basis"]  # "Level reason" is a column of the clean sheet
    for row in sheets["Allocations"][1:]:
        row += [None, None]
    sheets["Allocations"].append(
        ["jsna", "north", "shire-icb; North Shire Council", D, None, "statutory-requirement", "yes", None]
    )
    sheets["Allocations"].append(["eprr", "north", "shire-icb", D, None, None, None, "default"])
    mapping = load_mapping([write_xlsx(tmp_path / "m.xlsx", sheets)])
    joint = mapping.select("SELECT ?b WHERE { ?a ics:joint true ; ics:accountableBody ?b }")
    assert sorted(r["b"].rsplit("/", 1)[1] for r in joint) == ["north-council", "shire-icb"]
    assert mapping.ask("ASK { id:body\\/old-icp a ics:Partnership ; ics:successor id:body\\/shire-icb }")
    holders = mapping.select("SELECT ?h WHERE { id:function\\/jsna ics:statutoryHolder ?h }")
    assert sorted(r["h"].rsplit("#", 1)[1] for r in holders) == ["HolderICB", "HolderLocalAuthority"]
    assert mapping.ask("ASK { ?a ics:basis ics:BasisDefault } ") and mapping.ask(
        "ASK { ?a ics:levelReason ics:ReasonStatutoryRequirement }"
    )
    # two bodies without 'joint' is an error at the cell
    sheets["Allocations"][-2][6] = None
    with pytest.raises(InputError) as raised:
        load_mapping([write_xlsx(tmp_path / "bad.xlsx", sheets)])
    (problem,) = raised.value.problems
    assert problem.location.cell == "Allocations!C7" and "add 'joint: yes'" in problem.message


def test_a_generated_mapping_written_as_a_csv_workbook_is_the_same_graph(tmp_path):
    """benchmarks/paths.py compares checking the YAML with checking the CSV workbook of the
    same generated mapping: the two must be one graph, or the comparison says nothing."""
    generate(tmp_path, 2, 3, 2, 40, 1.5, 0.05, 7)  # two systems, deliberate defects included
    from_yaml = load_mapping(sorted(tmp_path.glob("*.yaml")), with_ontology=False)
    write_csv_workbook(from_yaml, tmp_path / "workbook")
    assert {p.name for p in (tmp_path / "workbook").iterdir()} >= {"Allocations.csv", "Delegations.csv", "Areas.csv"}
    from_csv = load_mapping([tmp_path / "workbook"], with_ontology=False)
    yaml_triples = sorted(from_yaml.data_triples())
    assert len(yaml_triples) > 1000
    assert sorted(from_csv.data_triples()) == yaml_triples
