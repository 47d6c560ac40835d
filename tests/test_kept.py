"""Kept files: after an edit, the YAML files that did not change are not read again, and
the load is the load that reads every file: the same graph, locations, sources and
errors (see ics_graph.inputs.kept)."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, load_outcome

from ics_graph.cli import main
from ics_graph.inputs import kept as kept_module
from ics_graph.inputs import loader, readers
from ics_graph.inputs.kept import KeptFile, KeptFiles
from ics_graph.model.schema import TOP_LEVEL_KEYS


@pytest.fixture
def pack(tmp_path, monkeypatch):
    """A copy of a real pack with its imports (catalogue and national frame), named as a
    user in the checkout names it."""
    (tmp_path / ".git").mkdir()  # a checkout: the pack imports ../catalogue, inside the repository
    for name in ("northamptonshire", "catalogue", "national"):
        shutil.copytree(ROOT / "data" / name, tmp_path / "data" / name)
    monkeypatch.chdir(tmp_path)
    return Path("data/northamptonshire")


@pytest.fixture
def reads(monkeypatch):
    """The YAML files the loader parses, by name as shown."""
    parsed: list[str] = []
    real = loader.read_file

    def counting(path, shown, made, raw=None):
        parsed.append(shown)
        return real(path, shown, made, raw)

    monkeypatch.setattr(loader, "read_file", counting)
    return parsed


def _load(paths, kept: KeptFiles | None = None):
    """A load's graph, locations, sources, files and expansions, or its errors; with
    ``kept``, written there as the load cache writes it after a load it keeps."""
    outcome = load_outcome(paths, kept=kept)
    if kept is not None:  # as the load cache does, after a load with problems too
        kept.write()
    return outcome


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_after_an_edit_only_the_edited_file_is_read_and_the_load_is_the_same(pack, tmp_path, reads):
    files = KeptFiles(tmp_path / "kept", "tool")
    first = _load([pack], files)
    assert isinstance(first, tuple) and len(reads) > 15  # every YAML file of the pack, catalogue and frame
    kept = sorted((tmp_path / "kept").glob("*.json"))
    assert len(kept) == len(reads)
    _edit(pack / "areas.yaml", "name: West Northamptonshire", "name: West Northamptonshire (edited)")
    reads.clear()
    again = _load([pack], KeptFiles(tmp_path / "kept", "tool"))
    assert reads == [str(pack / "areas.yaml")]
    reads.clear()
    assert again == _load([pack])  # every file read
    assert again != first and any("West Northamptonshire (edited)" in quad for quad in again[0])


def test_another_version_of_ics_graph_reads_every_file(pack, tmp_path, reads):
    _load([pack], KeptFiles(tmp_path / "kept", "tool"))
    count = len(reads)
    reads.clear()
    _load([pack], KeptFiles(tmp_path / "kept", "another tool"))
    assert len(reads) == count


def test_a_kept_file_naming_an_id_that_is_gone_is_read_again_with_the_same_errors(pack, tmp_path, reads):
    _load([pack], KeptFiles(tmp_path / "kept", "tool"))
    catalogue = pack.parent / "catalogue" / "functions.yaml"
    _edit(catalogue, "- id: continuing-healthcare\n", "- id: continuing-healthcare-renamed\n")
    reads.clear()
    with_kept = _load([pack], KeptFiles(tmp_path / "kept", "tool"))
    read_again = set(reads)
    assert isinstance(with_kept, list) and with_kept == _load([pack])
    assert any("unknown function 'continuing-healthcare'" in error for error in with_kept)
    # the catalogue, and the files that name the function (read again); not the others
    assert str(catalogue) in read_again and str(pack / "allocations-ccg-system.yaml") in read_again
    assert str(pack / "bodies.yaml") not in read_again


def test_an_id_declared_again_names_the_kept_first_definition(pack, tmp_path):
    _load([pack], KeptFiles(tmp_path / "kept", "tool"))
    _edit(
        pack / "risks.yaml",
        "risks:\n",
        "functions:\n  - {id: continuing-healthcare, name: Declared twice}\nrisks:\n",
    )
    with_kept = _load([pack], KeptFiles(tmp_path / "kept", "tool"))
    assert isinstance(with_kept, list) and with_kept == _load([pack])
    assert any("duplicate function id 'continuing-healthcare'" in error for error in with_kept)


def test_damaged_or_foreign_entries_are_misses(pack, tmp_path, reads):
    folder = tmp_path / "kept"
    first = _load([pack], KeptFiles(folder, "tool"))
    entries = sorted(folder.glob("*.json"), key=lambda path: (-path.stat().st_size, path.name))  # each holds triples
    entries[0].write_text("{not json", "utf-8")
    entry = json.loads(entries[1].read_text("utf-8"))
    entry["own"] = {"https://example.org/x": ["file", "one", 2, None]}  # a line that is not a number
    entries[1].write_text(json.dumps(entry), "utf-8")
    entry = json.loads(entries[2].read_text("utf-8"))
    entry["file"] = "another/file.yaml"  # kept for another file
    entries[2].write_text(json.dumps(entry), "utf-8")
    triples = entries[3].with_suffix(".nq").read_bytes()
    entries[3].with_suffix(".nq").write_bytes(triples[: len(triples) // 2])  # triples cut short: never parsed
    entries[4].with_suffix(".nq").unlink()  # triples gone
    reads.clear()
    assert _load([pack], KeptFiles(folder, "tool")) == first
    assert len(reads) == 5


def test_a_file_changed_while_it_is_read_is_a_problem_not_a_stale_graph(pack, tmp_path, monkeypatch):
    _load([pack], KeptFiles(tmp_path / "kept", "tool"))
    target = pack / "bodies.yaml"

    def changed_meanwhile(self, registry):  # the kept file must be read after all, and has changed
        if self.own and next(iter(self.own.values())).file == str(target):
            _edit(target, "bodies:", "bodies:  # changed")
            return False
        return True

    original = target.read_bytes()
    real_holds = KeptFile.holds
    monkeypatch.setattr(KeptFile, "holds", changed_meanwhile)
    errors = _load([pack], KeptFiles(tmp_path / "kept", "tool"))
    assert errors == [f"{target}: the file changed while it was being read"]
    # nothing was kept of the bytes it no longer had: back as they were, they load as ever
    monkeypatch.setattr(KeptFile, "holds", real_holds)
    target.write_bytes(original)
    assert _load([pack], KeptFiles(tmp_path / "kept", "tool")) == _load([pack])


def test_a_failed_load_keeps_the_files_that_read_well(write, tmp_path, reads):
    write("m/a.yaml", "functions:\n  - {id: f1, name: F one}\n")
    write("m/b.yaml", "dependencies:\n  - {function: f1, depends_on: [f9]}\n")
    errors = _load([tmp_path / "m"], KeptFiles(tmp_path / "kept", "tool"))
    assert errors == [f"{tmp_path / 'm' / 'b.yaml'}:2:33: unknown function 'f9' in 'depends_on'"]
    write("m/b.yaml", "dependencies:\n  - {function: f1, depends_on: [f1]}\n")
    reads.clear()
    fixed = _load([tmp_path / "m"], KeptFiles(tmp_path / "kept", "tool"))
    assert reads == [str(tmp_path / "m" / "b.yaml")]
    assert fixed == _load([tmp_path / "m"])


def test_a_file_with_a_problem_found_in_reading_is_never_kept(write, tmp_path):
    """An unknown section is found when the file is read, and nothing of it is converted:
    a file kept without it would load without the error the next time."""
    write("m/a.yaml", "functions:\n  - {id: f1, name: F one}\nfunctoins:\n  - {id: f2, name: F two}\n")
    first = _load([tmp_path / "m"], KeptFiles(tmp_path / "kept", "tool"))
    assert first == [
        f"{tmp_path / 'm' / 'a.yaml'}:3:1: unknown section 'functoins' (did you mean 'functions'?); allowed: "
        + ", ".join(TOP_LEVEL_KEYS)
    ]
    assert not list((tmp_path / "kept").glob("*.json"))
    assert _load([tmp_path / "m"], KeptFiles(tmp_path / "kept", "tool")) == first


def test_the_least_recently_used_are_removed(write, tmp_path, monkeypatch):
    monkeypatch.setattr(kept_module, "KEEP", 2)
    for n in range(3):
        write(f"m{n}/a.yaml", f"functions:\n  - {{id: f{n}, name: F {n}}}\n")
        _load([tmp_path / f"m{n}"], KeptFiles(tmp_path / "kept", "tool"))
    assert len(list((tmp_path / "kept").glob("*.json"))) == 2
    reads: list[str] = []
    real = loader.read_file
    monkeypatch.setattr(loader, "read_file", lambda path, shown, *rest: reads.append(shown) or real(path, shown, *rest))
    _load([tmp_path / "m0"], KeptFiles(tmp_path / "kept", "tool"))
    _load([tmp_path / "m2"], KeptFiles(tmp_path / "kept", "tool"))
    assert reads == [str(tmp_path / "m0" / "a.yaml")]  # the oldest was removed; the newest kept


def test_files_read_in_processes_are_kept_and_the_load_is_the_same(pack, tmp_path, monkeypatch, reads):
    """With a reading process (ics_graph.inputs.readers), the files it reads are kept
    as the loader's own are (it says what their conversion asked, and the digest of the
    bytes it read), and the loads are the same."""
    monkeypatch.setenv("ICS_GRAPH_WORKERS", "2")
    monkeypatch.setattr(readers, "SPLIT_AT", 0)  # however small the files
    first = _load([pack], KeptFiles(tmp_path / "kept", "tool"))
    here = len(reads)  # the loader's share: the others were read by the process
    assert 0 < here < len(first[3])
    yaml_files = [shown for shown in first[3] if shown.endswith(".yaml")]
    assert len(list((tmp_path / "kept").glob("*.json"))) == len(yaml_files) == len(first[3]) - 1  # all but a .ttl
    _edit(pack / "areas.yaml", "name: West Northamptonshire", "name: West Northamptonshire (edited)")
    reads.clear()
    again = _load([pack], KeptFiles(tmp_path / "kept", "tool"))
    assert reads == [str(pack / "areas.yaml")]  # (and the files that name its areas were not read again)
    monkeypatch.setenv("ICS_GRAPH_WORKERS", "1")
    assert again == _load([pack])


def test_files_kept_for_one_mapping_are_those_of_its_last_load(write, tmp_path):
    """Beside a store (``one_mapping``), a write removes the entries the load did not use:
    an edited file's old entry, a removed file's, any other mapping's; triples left
    without their entry, and what a killed write left (not a write under way)."""
    write("m/a.yaml", "functions:\n  - {id: f1, name: F one}\n")
    write("m/b.yaml", "functions:\n  - {id: f2, name: F two}\n")
    write("other/c.yaml", "functions:\n  - {id: f3, name: F three}\n")
    folder = tmp_path / "kept"
    _load([tmp_path / "other"], KeptFiles(folder, "tool"))
    (folder / "orphan.nq").write_bytes(b"")
    for name, age in ((".killed.json.0a1b.tmp", 3600), (".being-written.nq.2c3d.tmp", 0)):
        (folder / name).write_bytes(b"half")
        os.utime(folder / name, (time.time() - age, time.time() - age))
    _load([tmp_path / "m"], KeptFiles(folder, "tool", one_mapping=True))
    assert len(list(folder.glob("*.json"))) == len(list(folder.glob("*.nq"))) == 2
    assert [path.name for path in folder.glob(".*")] == [".being-written.nq.2c3d.tmp"]  # (another load's, maybe)
    edited = write("m/b.yaml", "functions:\n  - {id: f2, name: F two (edited)}\n")
    (tmp_path / "m" / "a.yaml").unlink()
    fewer = KeptFiles(folder, "tool", one_mapping=True)
    _load([tmp_path / "m"], fewer)
    names = sorted(path.stem for path in folder.glob("*.json"))
    assert names == sorted(path.stem for path in folder.glob("*.nq"))
    assert names == [fewer._name(str(edited), readers.digest_of(edited.read_bytes()))]


def test_the_largest_are_removed_beyond_the_bytes_kept(write, tmp_path, monkeypatch):
    write("m/a.yaml", "functions:\n  - {id: f1, name: F one}\n")
    write("m/b.yaml", "functions:\n  - {id: f2, name: F two}\n")
    monkeypatch.setattr(kept_module, "KEEP_BYTES", 1)
    _load([tmp_path / "m"], KeptFiles(tmp_path / "kept", "tool"))
    assert not list((tmp_path / "kept").glob("*.json"))


def test_a_large_mapping_keeps_no_file(pack, tmp_path, monkeypatch):
    from ics_graph.stores import cache

    monkeypatch.setenv("ICS_GRAPH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "KEPT_BYTES", 1000)
    cache.load_mapping_cached([pack])
    assert list((tmp_path / "cache").glob("*.json")) and not (tmp_path / "cache" / "files").exists()


def test_where_after_an_edit_answers_as_a_load_of_every_file(pack, tmp_path, monkeypatch, reads):
    """The command line: a question after an edit, with the load cache on, answers as
    with the cache off, and reads only the edited file."""
    monkeypatch.setenv("ICS_GRAPH_CACHE", str(tmp_path / "cache"))
    ask = ["where", "continuing healthcare", str(pack), "--format", "json"]
    assert CliRunner().invoke(main, ask).exit_code == 0
    assert list((tmp_path / "cache" / "files").glob("*.json"))
    _edit(pack / "allocations-place.yaml", "\n", "\n# a comment\n")
    reads.clear()
    edited = CliRunner().invoke(main, ask, catch_exceptions=False)
    assert reads == [str(pack / "allocations-place.yaml")]
    monkeypatch.setenv("ICS_GRAPH_CACHE", "off")
    assert edited.exit_code == 0 and edited.output == CliRunner().invoke(main, ask).output


def test_a_reload_into_a_store_reads_only_the_edited_file(pack, tmp_path, monkeypatch, reads):
    """``load --store oxigraph:DIR`` keeps what it learned of each file beside the store
    (``.DIR.files``), with the load cache off too: after an edit, the reload reads only
    the edited file, and the store holds what a first load of the same files writes."""
    from test_stores import _store_quads

    monkeypatch.setenv("ICS_GRAPH_CACHE", "off")

    def load(store: str) -> str:
        result = CliRunner().invoke(main, ["load", str(pack), "--store", f"oxigraph:{store}"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    load("store")
    assert len(reads) == len(list(Path(".store.files").glob("*.json"))) > 1  # every YAML file read, and kept
    _edit(pack / "areas.yaml", "name: West Northamptonshire", "name: West Northamptonshire (edited)")
    reads.clear()
    assert "replaced: data/northamptonshire/areas.yaml\n" in load("store")
    assert reads == [str(pack / "areas.yaml")]
    load("fresh")  # into a new store: every file read
    assert len(reads) > 1 and _store_quads(tmp_path / "store") == _store_quads(tmp_path / "fresh")
