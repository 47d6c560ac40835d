"""Reading YAML in several processes gives the load a single process gives: the same
graph, the same locations, the same errors (see ics_graph.inputs.readers)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import MINI, ROOT, cli_process, load_outcome
from test_workbook import CLEAN_SHEETS, write_csv_folder

from ics_graph.inputs import readers
from ics_graph.inputs.loader import load_mapping

DATA = ROOT / "data"
sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate  # noqa: E402


@pytest.fixture
def started(monkeypatch):
    """The reading processes started, counted."""
    count = []
    real = readers._Process.__init__

    def counting(self):
        real(self)
        count.append(self.popen.pid)

    monkeypatch.setattr(readers._Process, "__init__", counting)
    return count


def _load(paths, monkeypatch, workers: int, **options):
    monkeypatch.setenv("ICS_GRAPH_WORKERS", str(workers))
    monkeypatch.setattr(readers, "SPLIT_AT", 0)  # however small the files
    return load_outcome(paths, **options)


def _both(paths, monkeypatch, started, **options):
    alone = _load(paths, monkeypatch, 1, **options)
    assert not started
    shared = _load(paths, monkeypatch, 2, **options)
    assert len(started) == 1  # one process beside the loader's own
    return alone, shared


def test_the_data_folders_load_the_same_in_two_processes(monkeypatch, started):
    alone, shared = _both([DATA], monkeypatch, started)
    assert isinstance(alone, tuple) and len(alone[0]) > 10_000
    assert shared == alone


def test_files_go_to_whichever_process_has_read_fewest_bytes(started):
    with readers.ReadingPool(2) as pool:
        mine = pool.start_reading([(n, MINI, f"f{n}", size) for n, size in enumerate([50, 10, 10, 10, 30, 5])])
        answers = pool.finish_reading()
    # here 50; a process 10, 10 (20); the other 10, 30 (40); then 5 to the first process
    assert mine == [0]
    assert sorted(answers) == [1, 2, 3, 4, 5]
    assert len(started) == 2


def test_imports_read_in_processes_are_followed_in_the_same_order(write, monkeypatch, started):
    write("shared/cat.yaml", "functions:\n  - {id: f1, name: F one}\n")
    write("shared/more.yaml", "functions:\n  - {id: f2, name: F two}\nimports: [cat.yaml]\n")
    write("pack/a.yaml", "imports: [../shared/more.yaml]\ndependencies:\n  - {function: f1, depends_on: [f2]}\n")
    write("pack/b.yaml", "imports: [../shared]\nareas:\n  - {id: s, name: S, level: system}\n")
    pack = write("pack/c.yaml", "dependencies:\n  - {function: f2, depends_on: [f1]}\n").parent
    alone, shared = _both([pack], monkeypatch, started, allow_outside=True)
    assert isinstance(alone, tuple)
    assert [Path(f).name for f in alone[3]] == ["a.yaml", "b.yaml", "c.yaml", "more.yaml", "cat.yaml"]
    assert shared == alone


def test_errors_are_the_same_in_two_processes(write, monkeypatch, started, tmp_path):
    write(
        "a.yaml",
        """
        areas:
          - {id: s, name: S, level: system}
        functions:
          - {id: f1, name: F one}
        """,
    )
    write(
        "b.yaml",
        """
        functions:
          - {id: f1, name: F one again}
          - {id: f1, name: F one a third time}
        allocations:
          - {function: f1, area: s, level: system, accountable: nobody}
          - {function: f1, area: s, level: system, accountable: nobody}
        """,
    )
    write("c.yaml", "areas: [\n")
    (tmp_path / "d.yaml").write_bytes(b"functions:\n  - {id: f\xff, name: bad}\n")
    write("e.yaml", "bodies:\n  - {id: b1, name: B, type: icb, operates_in: nowhere}\nsurprise: 1\n")
    alone, shared = _both([write("f.yaml", "functions: []\n").parent], monkeypatch, started)
    assert isinstance(alone, list)
    assert shared == alone
    text = "\n".join(alone)
    assert len(re.findall(r"duplicate function id 'f1' \(first defined at \S*/a\.yaml:", text)) == 2
    for expected in ("c.yaml:", "not UTF-8 text (byte", "unknown body 'nobody'", "unknown area 'nowhere'"):
        assert expected in text
    assert "unknown section 'surprise'" in text
    assert "give one of them an explicit 'id'" in text  # the two allocations' made ids


def test_a_workbook_imported_by_yaml_read_in_processes(write, monkeypatch, started, tmp_path):
    write_csv_folder(tmp_path / "book", CLEAN_SHEETS)
    write("pack/a.yaml", "imports: [../book]\n")
    pack = write(
        "pack/b.yaml",
        """
        functions:
          - {id: extra, name: An extra function}
        sources:
          - {id: paper, title: A paper, date: 2022-07-01, notes: 2022-7-1}
        """,
    ).parent
    alone, shared = _both([pack], monkeypatch, started, allow_outside=True)
    assert isinstance(alone, tuple) and any("/function/extra>" in quad for quad in alone[0])
    assert any('"2022-7-1"' in quad for quad in alone[0])  # a date's text as written, from the other process too
    assert shared == alone


def test_small_mappings_are_read_in_the_loader_alone(monkeypatch, started):
    monkeypatch.setenv("ICS_GRAPH_WORKERS", "2")
    load_mapping([MINI])
    assert not started
    assert not readers.worth_splitting([readers.SPLIT_AT], 2)  # one file: nothing to share
    assert readers.worth_splitting([readers.SPLIT_AT // 2] * 2, 2)
    assert not readers.worth_splitting([readers.SPLIT_AT // 2] * 2, 1)


def test_a_process_that_dies_is_an_error_that_says_so(monkeypatch, started):
    with readers.ReadingPool(1) as pool:
        os.kill(started[0], signal.SIGKILL)
        pool.processes[0].popen.wait()
        with pytest.raises(RuntimeError, match=r"process reading YAML files ended unexpectedly \(exit code -9\)"):
            pool.start_reading([("k", MINI, "mini", 1), ("j", MINI, "mini", 2)])
            pool.finish_reading()


def test_an_error_in_a_process_is_raised_again_in_the_loader(monkeypatch, started):
    with readers.ReadingPool(1) as pool:
        pool.processes[0].send("nonsense", None)
        with pytest.raises(ValueError, match="unknown command 'nonsense'"):
            pool.processes[0].answer()


def test_the_processes_end_with_the_pool_and_with_the_loader(monkeypatch, started):
    with readers.ReadingPool(1) as pool:
        process = pool.processes[0].popen
    assert process.poll() is not None
    # a loader killed outright: its reading process ends too (Linux's parent-death signal)
    code = (
        f"import sys, time; sys.path.insert(0, {str(ROOT)!r})\n"
        "from ics_graph.inputs.readers import ReadingPool\n"
        "pool = ReadingPool(1); print(pool.processes[0].popen.pid, flush=True); time.sleep(60)\n"
    )
    loader = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    reader = int(loader.stdout.readline())
    loader.kill()
    loader.wait()
    for _ in range(100):
        try:
            if Path(f"/proc/{reader}/stat").read_text().split(")")[-1].split()[0] == "Z":
                break  # ended, not yet reaped by its new parent
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the reading process outlived its loader")


def test_a_large_yaml_mapping_checks_and_loads_the_same_read_on_one_core_or_two(tmp_path):
    """End to end, at the real threshold: `check` as a user runs it (its JSON report) and
    the graph `load` writes, byte for byte, with the reading shared or not."""
    generate(tmp_path / "mapping", 8, 10, 8, 200, seed=3)
    files = sorted((tmp_path / "mapping").glob("*.yaml"))
    assert readers.worth_splitting([path.stat().st_size for path in files], 2)  # shared when two cores are asked for
    said = {}
    for workers in ("1", "2"):
        env = {"ICS_GRAPH_WORKERS": workers}
        done = cli_process("check", tmp_path / "mapping", "--format", "json", "--fail-on", "never", seed="1", env=env)
        assert done.returncode == 0, done.stderr.decode()
        report = done.stdout
        graph = tmp_path / f"graph-{workers}.nt"
        done = cli_process("load", tmp_path / "mapping", "-o", graph, seed="1", env=env)
        assert done.returncode == 0, done.stderr.decode()
        said[workers] = (report, graph.read_bytes())
    assert said["1"] == said["2"]
    assert b'"findings"' in said["1"][0]
    assert len(said["1"][1].splitlines()) > 100_000  # the whole mapping, in canonical N-Triples
