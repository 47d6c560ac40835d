"""Stores survive interruption (issue 22; review defect 2): Ctrl-C or a kill at any
moment of ``load --store`` leaves the store exactly as it was or exactly as loaded,
never in between and never with staging graphs, and the report says which.

The main test reloads a generated mapping, most of whose files were edited, into a
store holding the old version, and interrupts the reload (SIGINT and SIGKILL) at
random points after it starts. The store is then written out through ``ics-graph
load --store ... -o`` and compared byte for byte with clean loads of the old and of the
new files. ``ICS_GRAPH_INTERRUPTIONS=N`` runs N interruptions of each signal instead of
three (a longer search for a bad moment).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import MINI, ROOT

from ics_graph.inputs.loader import load_mapping
from ics_graph.model.turtle import to_ntriples
from ics_graph.stores import persistent
from ics_graph.stores.persistent import load_into, open_mapping
from ics_graph.stores.spec import StoreSpec
from ics_graph.util.errors import StoreError

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="watches processes through /proc")

GENERATED = ["--systems", "3", "--places", "3", "--neighbourhoods", "3", "--functions", "60"]
ROUNDS = int(os.environ.get("ICS_GRAPH_INTERRUPTIONS", "3"))
BEFORE = "interrupted: the store is as it was before this load"
AFTER = "interrupted: the store was updated"


def _start(*args, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ics_graph", *map(str, args)],
        cwd=cwd,
        env={**os.environ, "ICS_GRAPH_CACHE": "off"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen, seconds: float = 180) -> tuple[int, str]:
    try:
        _out, err = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        _out, err = process.communicate()
        pytest.fail(f"still running after {seconds} s: {err[-2000:]}")
    return process.returncode, err


def _ics(*args, cwd: Path) -> str:
    code, err = _finish(_start(*args, cwd=cwd))
    assert code == 0, err
    return err


def _started(process: subprocess.Popen) -> None:
    """Wait until the command runs: past Python's start it has its Ctrl-C watchdog thread,
    and a moment later it is inside the command (reading the files)."""
    for _ in range(1200):
        if process.poll() is not None:
            return
        status = Path(f"/proc/{process.pid}/status").read_text()
        if int(status.split("Threads:")[1].split()[0]) >= 2:
            break
        time.sleep(0.01)
    time.sleep(0.2)


def _written(store: Path, cwd: Path, name: str) -> bytes:
    """The store's mapping as N-Triples, through the command line."""
    out = cwd / name
    out.unlink(missing_ok=True)
    _ics("load", "--store", f"oxigraph:{store}", "-o", out, cwd=cwd)
    return out.read_bytes()


def _quads(store: Path) -> list[str]:
    """Every quad of the store but the ontology's and the note of how the store was
    written (see test_stores), sorted: data, where it was written, manifest and
    findings; and no staging graph, even an empty one."""
    import pyoxigraph as ox
    from test_stores import _store_quads

    opened = ox.Store.read_only(str(store))
    try:
        graphs = sorted(str(graph.value) for graph in opened.named_graphs())
    finally:
        del opened
    assert not [graph for graph in graphs if "staging" in graph], graphs
    return _store_quads(store)


def _set(mapping: Path, version: Path) -> None:
    shutil.rmtree(mapping, ignore_errors=True)
    shutil.copytree(version, mapping)


def _leftovers(store: Path) -> list[str]:
    """What is beside the store but its lock and the files it keeps (both stay by design)."""
    kept = {f".{store.name}.lock", f".{store.name}.files"}
    return sorted(p.name for p in store.parent.iterdir() if p.name.startswith(f".{store.name}.") and p.name not in kept)


@dataclass
class Versions:
    work: Path  # the folder commands run in: the mapping is always 'm' there
    old: Path
    new: Path
    old_store: Path  # a clean load of the old files, copied before each round
    old_nt: bytes
    new_nt: bytes
    old_quads: list[str]
    new_quads: list[str]
    seconds: float  # how long an uninterrupted reload runs once started (see _started)


def _edits_a_copy(store: Path, work: Path) -> bool:
    """Whether a reload of ``work/m`` onto ``store`` edits a copy of the store (few
    statements change) rather than building it afresh: the way a test here exercises."""
    import pyoxigraph as ox

    here = Path.cwd()
    os.chdir(work)  # the files as the command line names them: m/...
    try:
        units, payload = persistent._units_of(load_mapping(["m"]))
    finally:
        os.chdir(here)
    opened = ox.Store.read_only(str(store))
    try:
        current = persistent._read_manifest(persistent._plain_rows(opened.query(persistent._MANIFEST_QUERY)))
    finally:
        del opened
    return persistent._few_changed(units, current, payload)


@pytest.fixture(scope="module", params=["most files edited", "the catalogue edited"])
def versions(tmp_path_factory, request) -> Versions:
    """An old and a new version of a generated mapping: in the new one either most
    files' labels are renamed (the reload builds the store afresh) or only the
    catalogue's (a small share of the store: the reload edits a copy of it)."""
    base = tmp_path_factory.mktemp("interruption")
    old, new, work = base / "old", base / "new", base / "work"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "-o", str(old), *GENERATED],
        check=True,
        capture_output=True,
    )
    shutil.copytree(old, new)
    files = sorted(new.glob("*.yaml"))
    assert len(files) >= 4
    edited = files[1:] if request.param == "most files edited" else files[:1]
    assert files[0].name == "catalogue.yaml"
    for path in edited:  # every label renamed
        path.write_text(path.read_text(encoding="utf-8").replace("name: ", "name: Renamed "), encoding="utf-8")
    work.mkdir()
    mapping = work / "m"
    clean = {}
    for name, version in (("old", old), ("new", new)):
        _set(mapping, version)
        store = base / f"clean-{name}"
        _ics("load", "m", "--store", f"oxigraph:{store}", cwd=work)
        clean[name] = store
        from_files = work / f"{name}-files.nt"
        _ics("load", "m", "-o", from_files, cwd=work)
        assert _written(store, work, f"{name}.nt") == from_files.read_bytes()  # a store writes as its files
    old_nt, new_nt = (work / "old.nt").read_bytes(), (work / "new.nt").read_bytes()
    assert old_nt != new_nt
    # An uninterrupted reload, timed, for choosing moments within it.
    store = work / "store"
    shutil.copytree(clean["old"], store)
    assert _edits_a_copy(store, work) is (request.param == "the catalogue edited")
    process = _start("load", "m", "--store", f"oxigraph:{store}", cwd=work)
    _started(process)
    began = time.monotonic()
    code, said = _finish(process)
    seconds = time.monotonic() - began
    assert code == 0, said
    assert f"0 added, {len(edited)} replaced, 0 removed, {len(files) - len(edited)} unchanged" in said
    assert _written(store, work, "reloaded.nt") == new_nt
    return Versions(work, old, new, clean["old"], old_nt, new_nt, _quads(clean["old"]), _quads(clean["new"]), seconds)


def _interrupt(versions: Versions, signum: int, seed: int) -> str:
    """Reload the new files onto the old store, interrupted ``signum`` at a moment chosen
    by ``seed``; check the store is exactly old or exactly new; return which."""
    work, store = versions.work, versions.work / "store"
    shutil.rmtree(store, ignore_errors=True)
    shutil.copytree(versions.old_store, store)
    process = _start("load", "m", "--store", f"oxigraph:{store}", cwd=work)
    _started(process)
    time.sleep(random.Random(seed).uniform(0, versions.seconds))
    if process.poll() is None:
        process.send_signal(signum)
    code, err = _finish(process)
    written = _written(store, work, "after.nt")
    assert written in (versions.old_nt, versions.new_nt), "the store is neither the old mapping nor the new one"
    state = "new" if written == versions.new_nt else "old"
    assert _quads(store) == (versions.new_quads if state == "new" else versions.old_quads)
    assert "Traceback" not in err
    if code == 130:
        assert err.strip().splitlines()[-1] == (AFTER if state == "new" else BEFORE), err
    elif code == 0:
        assert state == "new" and err.startswith("Loaded into")
    else:
        assert code == -signal.SIGKILL, err
    # The next load repairs anything left beside the store, and completes.
    assert _ics("load", "m", "--store", f"oxigraph:{store}", cwd=work).startswith("Loaded into")
    assert _leftovers(store) == []
    return state


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_an_interrupted_reload_leaves_the_store_old_or_new_never_between(versions, signum):
    _set(versions.work / "m", versions.new)
    states = [_interrupt(versions, signum, seed) for seed in range(ROUNDS)]
    assert set(states) <= {"old", "new"}


def test_an_interrupted_reload_says_which_state_it_left(versions):
    """Ctrl-C early (while the files are read) and late (when nothing is left to do but
    the swap): each says what it left, and it is so."""
    _set(versions.work / "m", versions.new)
    work, store = versions.work, versions.work / "store"
    shutil.rmtree(store, ignore_errors=True)
    shutil.copytree(versions.old_store, store)
    process = _start("load", "m", "--store", f"oxigraph:{store}", cwd=work)
    _started(process)
    process.send_signal(signal.SIGINT)
    code, err = _finish(process)
    assert code == 130 and err.strip() == BEFORE, err
    assert _written(store, work, "early.nt") == versions.old_nt


# -- in the library: leftovers of an interrupted swap, and loads taking turns ----------------


def _mini(tmp_path: Path, monkeypatch) -> StoreSpec:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(MINI, tmp_path / "mapping")
    spec = StoreSpec("oxigraph", "store")
    load_into(spec, load_mapping(["mapping"]))
    return spec


def _edit(tmp_path: Path) -> None:
    path = tmp_path / "mapping" / "mapping.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Shire ICB", "Shire Board"), encoding="utf-8")


def _building(tmp_path: Path) -> list[str]:
    return [p.name for p in tmp_path.iterdir() if p.name.startswith(".store.loading-")]


BUILDS = pytest.mark.parametrize("edited_at_most", [0.0, 1.0], ids=["built afresh", "copy edited"])


@BUILDS
def test_the_rules_run_while_the_new_store_is_built(tmp_path, monkeypatch, edited_at_most):
    """The findings a load keeps are computed while the data is written beside the
    store (bulk-loaded, or edited in a copy of the old store), not before the build
    starts; the store then holds the files' graph."""
    monkeypatch.setattr(persistent, "_EDITED_AT_MOST", edited_at_most)
    spec = _mini(tmp_path, monkeypatch)
    _edit(tmp_path)
    seen: list[bool] = []
    real = persistent.check

    def watching(mapping, *args, **kwargs):  # whether the build's folder appears while the rules run
        deadline = time.monotonic() + 5
        while not _building(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(bool(_building(tmp_path)))
        return real(mapping, *args, **kwargs)

    monkeypatch.setattr(persistent, "check", watching)
    edited = load_mapping(["mapping"])
    assert load_into(spec, edited).replaced == ["mapping/mapping.yaml"]
    assert seen and all(seen)  # the folder being built was there while the rules ran
    assert to_ntriples(open_mapping(spec).data_triples()) == to_ntriples(edited.data_triples())
    assert _building(tmp_path) == []


@BUILDS
def test_a_rule_failing_while_the_store_is_built_leaves_it_as_it_was(tmp_path, monkeypatch, edited_at_most):
    monkeypatch.setattr(persistent, "_EDITED_AT_MOST", edited_at_most)
    spec = _mini(tmp_path, monkeypatch)
    before = to_ntriples(open_mapping(spec).data_triples())
    _edit(tmp_path)

    def failing(mapping, *args, **kwargs):
        deadline = time.monotonic() + 30
        while not _building(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.01)  # the build has begun
        raise RuntimeError("a rule failed")

    monkeypatch.setattr(persistent, "check", failing)
    with pytest.raises(RuntimeError, match="a rule failed"):  # raised as it was, not as a store error
        load_into(spec, load_mapping(["mapping"]))
    assert to_ntriples(open_mapping(spec).data_triples()) == before
    assert _building(tmp_path) == []


def test_a_swap_cut_between_its_renames_is_put_back_by_the_next_load(tmp_path, monkeypatch):
    spec = _mini(tmp_path, monkeypatch)
    before = to_ntriples(open_mapping(spec).data_triples())
    # Where folders cannot be swapped in one step: the old store moved aside, the new one
    # built but not yet moved in, when the process was killed.
    (tmp_path / "store").rename(tmp_path / ".store.previous")
    (tmp_path / ".store.loading-99999").mkdir()
    (tmp_path / ".store.loading-99999" / "000001.sst").write_bytes(b"half a store")
    with pytest.raises(StoreError, match="a load into it was interrupted; run it again"):
        open_mapping(spec)
    report = load_into(spec, load_mapping(["mapping"]))
    assert report.unchanged == ["mapping/catalogue.yaml", "mapping/mapping.yaml"]
    assert to_ntriples(open_mapping(spec).data_triples()) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".store")) == [".store.lock"]


def test_loads_still_swap_where_folders_cannot_be_exchanged_in_one_step(tmp_path, monkeypatch):
    spec = _mini(tmp_path, monkeypatch)
    monkeypatch.setattr(persistent, "_exchange", lambda one, other: False)
    _edit(tmp_path)
    edited = load_mapping(["mapping"])
    assert load_into(spec, edited).replaced == ["mapping/mapping.yaml"]
    assert to_ntriples(open_mapping(spec).data_triples()) == to_ntriples(edited.data_triples())
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".store")) == [".store.lock"]


def test_a_second_load_into_the_same_store_is_refused_while_one_runs(tmp_path, monkeypatch):
    import fcntl

    spec = _mini(tmp_path, monkeypatch)
    _edit(tmp_path)
    with open(tmp_path / ".store.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(StoreError, match="another ics-graph is loading into"):
            load_into(spec, load_mapping(["mapping"]))
    assert load_into(spec, load_mapping(["mapping"])).replaced == ["mapping/mapping.yaml"]


def test_staging_graphs_left_by_an_older_load_are_dropped(tmp_path, monkeypatch):
    import gc

    import pyoxigraph as ox

    spec = _mini(tmp_path, monkeypatch)
    store = ox.Store("store")  # what an interrupted load of an earlier version left
    store.add(
        ox.Quad(
            ox.NamedNode("https://w3id.org/ics-graph/id/body/shire-icb"),
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            ox.Literal("A stale label"),
            ox.NamedNode("urn:ics-graph:staging:0123:0"),
        )
    )
    del store
    gc.collect()
    labels = "SELECT ?l WHERE { <https://w3id.org/ics-graph/id/body/shire-icb> rdfs:label ?l }"
    assert "A stale label" in [row["l"] for row in open_mapping(spec).select(labels)]  # queries see it
    load_into(spec, load_mapping(["mapping"]))  # nothing changed in the files
    assert "A stale label" not in [row["l"] for row in open_mapping(spec).select(labels)]
    graphs = [str(g.value) for g in ox.Store.read_only("store").named_graphs()]
    assert graphs and not [g for g in graphs if g.startswith("urn:ics-graph:staging:")]


# -- a SPARQL endpoint ---------------------------------------------------------------------


def test_an_endpoint_loses_the_staging_graphs_an_interrupted_load_left(tmp_path, monkeypatch):
    from test_stores import _graphs, _serve

    process, url = _serve(tmp_path / "server-data")
    try:
        monkeypatch.chdir(tmp_path)
        shutil.copytree(MINI, tmp_path / "mapping")
        spec = StoreSpec("sparql", f"{url}/query")
        load_into(spec, load_mapping(["mapping"]))
        # A load interrupted after putting a staging graph, before the update that moves it.
        request = urllib.request.Request(
            f"{url}/store?graph=urn%3Aics-graph%3Astaging%3Adead%3A0",
            data=b'<https://w3id.org/ics-graph/id/body/shire-icb> <http://www.w3.org/2000/01/rdf-schema#label> "Stale" .\n',
            method="PUT",
            headers={"Content-Type": "application/n-triples"},
        )
        urllib.request.urlopen(request, timeout=10).read()
        assert "<urn:ics-graph:staging:dead:0>" in _graphs(url)
        # No query of ics-graph sees it (the mapping's graphs are named in each query) ...
        assert "Stale" not in to_ntriples(open_mapping(spec).data_triples())
        # ... and the next load drops it, even with nothing else to do.
        report = load_into(spec, load_mapping(["mapping"]))
        assert report.unchanged == ["mapping/catalogue.yaml", "mapping/mapping.yaml"]
        assert not [graph for graph in _graphs(url) if "staging" in graph]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_ctrl_c_while_the_command_line_is_imported_is_one_line_and_exit_130():
    # Deterministic: the import of click raises KeyboardInterrupt, as a Ctrl-C in the
    # first tenth of a second of any command would.
    script = (
        "import builtins, runpy, sys\n"
        "real = builtins.__import__\n"
        "def interrupted(name, *args, **kwargs):\n"
        "    if name == 'click':\n"
        "        raise KeyboardInterrupt\n"
        "    return real(name, *args, **kwargs)\n"
        "builtins.__import__ = interrupted\n"
        "sys.argv = ['ics-graph', '--help']\n"
        "runpy.run_module('ics_graph', run_name='__main__')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (130, "interrupted\n")


@pytest.mark.parametrize(
    ("patched", "moment"),
    [("persistent.LoadReport", "render_text"), ("threads", "interrupts_ignored_from_now")],
    ids=["while-reporting", "after-reporting"],
)
def test_ctrl_c_after_the_swap_says_the_store_was_updated(tmp_path, patched, moment):
    """Deterministic: a real SIGINT once the new store is in place, while the command
    prints its report (it then says the store was updated), or once the report is out
    (ignored: the command has finished and said what it did)."""
    shutil.copytree(MINI, tmp_path / "mapping")
    _ics("load", "mapping", "--store", "oxigraph:store", cwd=tmp_path)
    _edit(tmp_path)
    script = (
        "import os, runpy, signal, sys\n"
        "from ics_graph.stores import persistent\n"
        "from ics_graph.util import threads\n"
        f"real = {patched}.{moment}\n"
        "def then_ctrl_c(*args, **kwargs):\n"
        "    result = real(*args, **kwargs)\n"
        "    open('signalled', 'w').close()\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    return result\n"
        f"{patched}.{moment} = then_ctrl_c\n"
        "sys.argv = ['ics-graph', 'load', 'mapping', '--store', 'oxigraph:store']\n"
        "runpy.run_module('ics_graph', run_name='__main__')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert (tmp_path / "signalled").exists(), done.stderr
    if moment == "render_text":
        assert done.returncode == 130, done.stderr
        assert done.stderr.strip().splitlines()[-1] == AFTER, done.stderr
    else:
        assert done.returncode == 0, done.stderr
        assert done.stderr.startswith("Loaded into") and "interrupted" not in done.stderr, done.stderr
    assert "Shire Board" in _written(tmp_path / "store", tmp_path, "after.nt").decode("utf-8")
