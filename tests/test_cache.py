"""The load cache: the same files are not parsed twice, and no answer ever changes.

Each test points ICS_GRAPH_CACHE at a folder of its own and runs commands through
click's CliRunner; a second run that must come from the cache runs with the loader (or
check) made to fail, so a test passes only if the cache really answered.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ics_graph.app import findings
from ics_graph.cli import main
from ics_graph.engine import checking
from ics_graph.inputs import loader
from ics_graph.stores import cache, fingerprint

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "data" / "northamptonshire"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    where = tmp_path / "cache"
    monkeypatch.setenv("ICS_GRAPH_CACHE", str(where))
    return where


@pytest.fixture
def no_parsing(monkeypatch):
    """Make any parse fail: what runs next must be answered from the cache."""

    def refuse(*args, **kwargs):
        raise AssertionError("the files were parsed again")

    def arm():
        monkeypatch.setattr(loader, "load_mapping", refuse)
        monkeypatch.setattr(cache, "load_mapping", refuse)  # the name the cache calls on a miss
        monkeypatch.setattr(checking, "check", refuse)
        monkeypatch.setattr(findings, "check", refuse)  # the name where and visualise call

    return arm


@pytest.fixture
def pack(tmp_path):
    """A copy of a real pack with its imports (catalogue and national frame)."""
    data = tmp_path / "data"
    (tmp_path / ".git").mkdir()  # a checkout: the pack imports ../catalogue, inside the repository
    for name in ("northamptonshire", "catalogue", "national"):
        shutil.copytree(ROOT / "data" / name, data / name)
    return data / "northamptonshire"


COMMANDS = [
    ("where", "continuing healthcare", "{pack}", "--format", "json"),
    ("at", "West Northamptonshire", "{pack}", "--format", "json"),
    ("body", "NHS Northamptonshire ICB", "{pack}", "--format", "json"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_a_second_run_is_answered_from_the_cache_byte_for_byte(command, pack, folder, no_parsing):
    args = [a.format(pack=pack) for a in command]
    first = run(*args)
    assert first.exit_code == 0, first.output
    assert list(folder.glob("*.nq")) and list(folder.glob("*.json"))
    no_parsing()
    second = run(*args)
    assert second.exit_code == 0, second.output
    assert second.output == first.output


def test_findings_as_of_a_day_are_kept_for_its_span_only(pack, folder, monkeypatch, no_parsing):
    """A question as of a day shows that day's findings. The entry keeps them for the span
    of days in which the mapping stays the same (an answer as of another day in it is
    served without checking again), and never serves them for a day outside it."""
    monkeypatch.setenv("ICS_GRAPH_TODAY", "2024-01-15")
    where = ["where", "continuing healthcare", pack, "--format", "json"]
    today = run(*where)
    assert today.exit_code == 0, today.output
    (entry,) = folder.glob("*.json")
    kept = json.loads(entry.read_text("utf-8"))["day_findings"]
    assert kept["from"] <= "2024-01-15" and (kept["to"] is None or kept["to"] >= "2024-01-15")
    assert kept["findings"]
    # before ICBs: another span, so computed again, and the same answer as with no cache
    before_icbs = run(*where, "--as-of", "2021-06-30")
    monkeypatch.setenv("ICS_GRAPH_CACHE", "off")
    assert before_icbs.output == run(*where, "--as-of", "2021-06-30").output
    assert before_icbs.output != today.output
    monkeypatch.setenv("ICS_GRAPH_CACHE", str(folder))
    kept_now = json.loads(entry.read_text("utf-8"))["day_findings"]
    assert kept_now["to"] is not None and kept_now["to"] < "2022-07-01"  # the span asked about last
    no_parsing()  # a day in that span is answered from the cache, findings too
    again = run(*where, "--as-of", kept_now["to"])
    assert again.exit_code == 0, again.output
    monkeypatch.undo()  # rules and loader back: the same answer checked afresh
    monkeypatch.setenv("ICS_GRAPH_CACHE", "off")
    assert again.output == run(*where, "--as-of", kept_now["to"]).output


def test_pages_and_maps_from_the_cache_are_identical(pack, folder, tmp_path, no_parsing):
    cold_page, cold_map = tmp_path / "cold.html", tmp_path / "cold.md"
    assert run("visualise", pack, "-o", cold_page).exit_code in (0, 1)
    assert run("map", pack, "-o", cold_map).exit_code == 0
    no_parsing()  # the findings the page shows were kept too: check must not run either
    warm_page, warm_map = tmp_path / "warm.html", tmp_path / "warm.md"
    assert run("visualise", pack, "-o", warm_page).exit_code in (0, 1)
    assert run("map", pack, "-o", warm_map).exit_code == 0
    assert warm_page.read_bytes() == cold_page.read_bytes()
    assert warm_map.read_bytes() == cold_map.read_bytes()


@pytest.fixture
def workbooks(pack, tmp_path) -> dict[str, Path]:
    """The pack as an .xlsx workbook, and as a folder of CSV files (one per sheet)."""
    import csv

    import openpyxl

    book = tmp_path / "book.xlsx"
    assert run("export", pack, "--format", "xlsx", "-o", book).exit_code in (0, 1)
    folder = tmp_path / "book-csv"
    folder.mkdir()
    for sheet in openpyxl.load_workbook(book, read_only=True).worksheets:
        with open(folder / f"{sheet.title}.csv", "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([["" if v is None else v for v in row] for row in sheet.values])
    return {"xlsx": book, "csv": folder}


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_workbook_is_answered_from_the_cache_like_yaml(kind, workbooks, folder, no_parsing):
    args = ["where", "continuing healthcare", workbooks[kind], "--format", "json"]
    first = run(*args)
    assert first.exit_code == 0, first.output
    assert '"cell": "Allocations!' in run("check", workbooks[kind], "--format", "json").output
    no_parsing()
    second = run(*args)
    assert second.exit_code == 0, second.output
    assert second.output == first.output


def test_an_edited_csv_sheet_is_read_again(workbooks, folder):
    book = workbooks["csv"]
    before = run("at", "West Northamptonshire", book, "--format", "json")
    assert before.exit_code == 0, before.output
    areas = book / "Areas.csv"
    areas.write_text(
        areas.read_text(encoding="utf-8").replace("West Northamptonshire", "West Northants Place"), encoding="utf-8"
    )
    result = run("at", "West Northants Place", book, "--format", "json")
    assert result.exit_code == 0, result.output
    assert "West Northants Place" in result.output


def test_check_reads_the_graph_back_but_always_runs_the_rules(pack, folder, monkeypatch):
    first = run("check", pack, "--format", "json", "--fail-on", "never")
    monkeypatch.setattr(loader, "load_mapping", lambda *a, **k: (_ for _ in ()).throw(AssertionError("parsed")))
    ran = []
    real = checking.run_rules
    monkeypatch.setattr(checking, "run_rules", lambda *a, **k: ran.append(1) or real(*a, **k))
    second = run("check", pack, "--format", "json", "--fail-on", "never")
    assert ran and second.output == first.output


def test_an_edited_file_is_read_again(pack, folder):
    before = json.loads(run("at", "West Northamptonshire", pack, "--format", "json").output)
    areas = pack / "areas.yaml"
    areas.write_text(
        areas.read_text(encoding="utf-8").replace("West Northamptonshire", "West Northants Place"), encoding="utf-8"
    )
    result = run("at", "West Northants Place", pack, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["area"] != before["area"]
    assert "West Northants Place" in result.output


def test_an_edited_imported_file_is_read_again(pack, folder):
    catalogue = pack.parent / "catalogue"
    first = run("where", "continuing healthcare", pack, "--format", "json")
    assert first.exit_code == 0
    changed = False
    for path in sorted(catalogue.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if "name: NHS continuing healthcare\n" in text:
            path.write_text(
                text.replace("name: NHS continuing healthcare\n", "name: NHS continuing healthcare (renamed)\n"),
                encoding="utf-8",
            )
            changed = True
    assert changed
    second = run("where", "continuing healthcare", pack, "--format", "json")
    assert second.exit_code == 0, second.output
    assert "(renamed)" in second.output and "(renamed)" not in first.output


def test_a_file_added_to_an_imported_folder_is_noticed(pack, folder):
    assert run("info", pack).exit_code == 0
    extra = pack.parent / "national" / "zz-extra.yaml"
    extra.write_text("this is: [not valid\n", encoding="utf-8")
    result = run("info", pack)
    assert result.exit_code == 2
    assert "zz-extra.yaml" in result.output


def test_a_damaged_entry_is_a_miss(pack, folder):
    first = run("where", "continuing healthcare", pack, "--format", "json")
    for quads in folder.glob("*.nq"):
        quads.write_bytes(quads.read_bytes()[:1000])
    second = run("where", "continuing healthcare", pack, "--format", "json")
    assert second.exit_code == 0 and second.output == first.output
    for entry in folder.glob("*.json"):
        entry.write_text("{not json", encoding="utf-8")
    third = run("where", "continuing healthcare", pack, "--format", "json")
    assert third.exit_code == 0 and third.output == first.output


def test_off_writes_nothing(pack, tmp_path, monkeypatch):
    monkeypatch.setenv("ICS_GRAPH_CACHE", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_folder() is None
    assert run("info", pack).exit_code == 0
    assert not (tmp_path / "xdg").exists() and not (tmp_path / "home").exists()


def test_default_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("ICS_GRAPH_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_folder() == tmp_path / "ics-graph"


def test_an_unusable_cache_folder_is_not_an_error(pack, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ICS_GRAPH_CACHE", str(blocker / "cache"))
    result = run("where", "continuing healthcare", pack)
    assert result.exit_code == 0 and "NHS continuing healthcare" in result.output


def test_input_errors_are_never_cached(write, folder):
    bad = write("bad.yaml", "allocations:\n  - {function: nowhere}\n")
    for _ in range(2):
        result = run("info", bad)
        assert result.exit_code == 2
    assert not list(folder.glob("*.json"))


def test_the_oldest_entries_are_pruned(write, folder, monkeypatch):
    monkeypatch.setattr(cache, "KEEP", 2)
    folder.mkdir(parents=True)
    (folder / "left-by-a-failed-write.nq").write_bytes(b"")
    for number in range(3):
        path = write(f"m{number}.yaml", f"functions:\n  - {{id: f{number}, name: Function {number}}}\n")
        assert run("info", path).exit_code == 0, run("info", path).output
    assert len(list(folder.glob("*.json"))) == 2
    assert len(list(folder.glob("*.nq"))) == 2


def test_inputs_are_never_written(pack, folder):
    before = {p: p.read_bytes() for p in pack.parent.rglob("*") if p.is_file()}
    run("where", "continuing healthcare", pack)
    run("where", "continuing healthcare", pack)
    after = {p: p.read_bytes() for p in pack.parent.rglob("*") if p.is_file()}
    assert after == before


def test_files_too_large_to_cache_are_not_even_read_for_a_key(pack, folder, monkeypatch):
    monkeypatch.setattr(cache, "LARGEST_BYTES", 1000)

    def refuse(path):
        raise AssertionError(f"{path} was hashed")

    monkeypatch.setattr(fingerprint, "file_digest", refuse)
    result = run("where", "continuing healthcare", pack, "--format", "json")
    assert result.exit_code == 0 and "continuing" in result.output
    assert not list(folder.glob("*.json"))
