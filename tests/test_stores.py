"""Persistent stores: an Oxigraph folder and a SPARQL 1.1 endpoint (a real Oxigraph
server on loopback, started by these tests). The same check must give the same
findings in memory, on the folder and on the server; reloads replace only changed
files; failures leave the store as it was."""

from __future__ import annotations

import base64
import http.server
import io
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, MINI, ROOT

from ics_graph.app.findings import default_findings
from ics_graph.cli import main
from ics_graph.engine.checking import check
from ics_graph.inputs.loader import load_mapping
from ics_graph.model import vocabulary as v
from ics_graph.model.turtle import to_ntriples
from ics_graph.outputs.renderers import render
from ics_graph.stores import persistent
from ics_graph.stores.persistent import MEMORY_COPY, RemoteStore, load_into, open_mapping
from ics_graph.stores.spec import StoreSpec, parse_store
from ics_graph.util.errors import InputError, StoreError, UsageError

PACK = ROOT / "data" / "northamptonshire"
OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def findings_json(mapping) -> str:
    return render(check(mapping), "json", fail_level=None, colour=False, version="test")


def copy_mini(tmp_path) -> Path:
    folder = tmp_path / "mapping"
    shutil.copytree(MINI, folder)
    return folder


# -- the --store value -------------------------------------------------------------------


def test_store_values_are_parsed_or_refused_clearly():
    assert parse_store("memory") == StoreSpec("memory")
    assert parse_store("oxigraph:/tmp/x") == StoreSpec("oxigraph", "/tmp/x")
    assert parse_store("sparql:http://localhost:7878/query") == StoreSpec("sparql", "http://localhost:7878/query")
    for bad, said in (("postgres:x", "unknown store"), ("sparql:ftp://x", "query URL"), ("oxigraph:", "unknown store")):
        with pytest.raises(UsageError, match=said):
            parse_store(bad)


# -- an Oxigraph folder ------------------------------------------------------------------


def test_a_stored_pack_gives_the_same_findings_and_answers_as_memory(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # paths in findings are shown relative to here, in both runs
    spec = StoreSpec("oxigraph", str(tmp_path / "store"))
    in_memory = load_mapping([PACK.relative_to(ROOT)])
    report = load_into(spec, in_memory)
    assert len(report.added) == len(in_memory.files) and not report.replaced
    stored = open_mapping(spec)
    assert stored.files == in_memory.files
    assert findings_json(stored) == findings_json(in_memory)
    assert '"rule": "dependency-cycle"' in findings_json(stored)  # the pack's known findings are there
    assert len(stored) == len(in_memory)
    # Queries run on the store too, through the CLI, with the same output.
    from_files = run("where", "continuing healthcare", PACK.relative_to(ROOT), "--format", "json")
    from_store = run("where", "continuing healthcare", "--store", f"oxigraph:{spec.location}", "--format", "json")
    assert from_store.exit_code == 0 and from_store.output == from_files.output
    at = run("at", "West Northamptonshire", "--store", f"oxigraph:{spec.location}")
    assert at.exit_code == 0 and "West Northamptonshire" in at.output


def test_check_reads_the_stores_copy_of_its_graphs_into_memory_and_only_its_own(tmp_path, monkeypatch):
    """``check --store oxigraph:DIR`` parses the N-Quads copy written with the store
    (faster than dumping the database); a copy that is damaged, missing or written for
    other files is passed over for the dump, and the findings are the same every way."""
    import hashlib
    import re

    from ics_graph.stores.persistent import MEMORY_COPY

    monkeypatch.chdir(ROOT)
    spec = StoreSpec("oxigraph", str(tmp_path / "store"))
    in_memory = load_mapping([PACK.relative_to(ROOT)])
    load_into(spec, in_memory)
    expected = findings_json(in_memory)
    copy = Path(spec.location) / MEMORY_COPY
    original = copy.read_bytes()
    header, _, body = original.partition(b"\n")
    assert re.fullmatch(rb"# ics-graph memory copy of [0-9a-f]{64}; sha256 [0-9a-f]{64}", header)
    assert b"urn:ics-graph:sources:" not in body  # where entities were written stays on disk
    assert findings_json(open_mapping(spec, into_memory=True)) == expected
    # The copy is what is read: a function left unowned, in a copy whose digest is right, shows.
    orphan = b"<https://w3id.org/ics-graph/id/function/orphan> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/ics-graph/ontology#Function> <urn:ics-graph:file:x> .\n"
    edited = body + orphan
    forged = header[: header.rindex(b" ") + 1] + hashlib.sha256(edited).hexdigest().encode()
    copy.write_bytes(forged + b"\n" + edited)
    assert "function/orphan" in findings_json(open_mapping(spec, into_memory=True))
    # Damaged (the digest no longer matches), missing, or made for other files: the dump.
    copy.write_bytes(original + orphan)
    assert findings_json(open_mapping(spec, into_memory=True)) == expected
    copy.unlink()
    assert findings_json(open_mapping(spec, into_memory=True)) == expected
    copy.write_bytes(original.replace(header[27:91], b"0" * 64, 1))  # written for other units
    assert findings_json(open_mapping(spec, into_memory=True)) == expected


def _store_quads(folder: Path) -> list[str]:
    """Every quad of an Oxigraph folder but the ontology's (its blank nodes get new ids
    at each load) and the manifest's note of how the store was written (edited copies
    are counted), sorted."""
    import pyoxigraph as ox

    opened = ox.Store.read_only(str(folder))
    try:
        lines = opened.dump(format=ox.RdfFormat.N_QUADS).decode("utf-8").splitlines()
    finally:
        del opened
    written = f"<{persistent._STORE_NODE}>"
    return sorted(
        line for line in lines if not line.endswith("<urn:ics-graph:ontology> .") and not line.startswith(written)
    )


@pytest.mark.parametrize("book", [False, True], ids=["YAML", "a workbook"])
def test_a_store_keeps_where_each_entity_was_written_as_the_mapping_would(tmp_path, monkeypatch, book):
    """A load writes where each entity was written into the store as text, without adding
    it to the mapping's graph first: the store's graphs of sources are what the mapping's
    own graph gets from ``write_sources``, statement for statement (lines, columns, a
    workbook's cells, a folder name that must be escaped)."""
    folder = 'the "odd" mapping \\ é'  # shown in the file names the store keeps
    if book:  # a whole mapping in one workbook
        (tmp_path / folder).mkdir()
        shutil.copyfile(FIXTURES / "workbook" / "clean.xlsx", tmp_path / folder / "clean.xlsx")
    else:
        shutil.copytree(MINI, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    import pyoxigraph as ox

    load_into(StoreSpec("oxigraph", "store"), load_mapping([folder]))
    mapping = load_mapping([folder])
    mapping.write_sources()
    sources = re.compile(rf" <{re.escape(v.SOURCES_GRAPH)}:[^>]*> \.$")
    written = mapping.store.dump(format=ox.RdfFormat.N_QUADS).decode("utf-8").splitlines()
    expected = sorted(line for line in written if sources.search(line))
    assert any("definedAtCell" in line for line in expected) == book
    assert any('"the \\"odd\\" mapping \\\\ é/' in line for line in expected)  # escaped as N-Triples escapes it
    assert [line for line in _store_quads(tmp_path / "store") if sources.search(line)] == expected


@pytest.mark.parametrize("edited_copy", [True, False], ids=["copy of the store edited", "store built afresh"])
def test_reload_replaces_only_the_changed_file(tmp_path, monkeypatch, edited_copy):
    """A reload that changes a small share of the store edits a copy of it (a RocksDB
    checkpoint); one that changes more builds it afresh. Either way the store then
    holds exactly what a first load of the same files writes."""
    monkeypatch.chdir(tmp_path)
    folder = copy_mini(tmp_path)
    spec = StoreSpec("oxigraph", "store")
    load_into(spec, load_mapping(["mapping"]))
    monkeypatch.setattr(persistent, "_EDITED_AT_MOST", 1.0 if edited_copy else 0.0)
    builds: list[bool] = []
    real_build = persistent._build

    def build(*args):
        builds.append(args[-2] is not None)  # whether it was handed a copy of the old store
        return real_build(*args)

    monkeypatch.setattr(persistent, "_build", build)

    def same_as_a_first_load() -> None:
        fresh = StoreSpec("oxigraph", f"fresh-{len(builds)}")
        load_into(fresh, load_mapping(["mapping"]))
        assert _store_quads(tmp_path / "store") == _store_quads(tmp_path / fresh.location)
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".store")) == [".store.lock"]

    unchanged = load_into(spec, load_mapping(["mapping"]))
    assert unchanged.replaced == [] and unchanged.added == [] and len(unchanged.unchanged) == 2

    mapping_file = folder / "mapping.yaml"
    mapping_file.write_text(
        mapping_file.read_text(encoding="utf-8").replace("Shire ICB", "Shire Integrated Care Board"), encoding="utf-8"
    )
    again = load_mapping(["mapping"])
    report = load_into(spec, again)
    assert report.replaced == ["mapping/mapping.yaml"]
    assert report.unchanged == ["mapping/catalogue.yaml"] and report.added == [] and report.removed == []
    stored = open_mapping(spec)
    assert to_ntriples(stored.data_triples()) == to_ntriples(again.data_triples())
    assert stored.label("https://w3id.org/ics-graph/id/body/shire-icb") == "NHS Shire Integrated Care Board"
    assert stored.location("https://w3id.org/ics-graph/id/body/shire-icb").line == 24
    same_as_a_first_load()

    # A file no longer loaded is removed, with its source locations.
    (folder / "extra.yaml").write_text(
        "functions:\n  - {id: extra-fn, name: Extra function, category: corporate}\n", encoding="utf-8"
    )
    load_into(spec, load_mapping(["mapping"]))
    assert "mapping/extra.yaml" in open_mapping(spec).files
    (folder / "extra.yaml").unlink()
    report = load_into(spec, load_mapping(["mapping"]))
    assert report.removed == ["mapping/extra.yaml"]
    stored = open_mapping(spec)
    assert stored.location("https://w3id.org/ics-graph/id/function/extra-fn") is None
    assert not stored.ask("ASK { <https://w3id.org/ics-graph/id/function/extra-fn> ?p ?o }")
    same_as_a_first_load()
    # each reload's way (the load that changed nothing built nothing); the fresh loads built afresh
    assert builds == [edited_copy, False, edited_copy, edited_copy, False]


def test_after_some_edited_copies_a_reload_builds_the_store_afresh(tmp_path, monkeypatch):
    """Each edited copy leaves the store's tables larger than a fresh build would, so the
    manifest counts them, and the reload after the last one allowed builds afresh (and
    counts from nought again). The store holds what a first load writes either way."""
    monkeypatch.chdir(tmp_path)
    folder = copy_mini(tmp_path)
    spec = StoreSpec("oxigraph", "store")
    load_into(spec, load_mapping(["mapping"]))
    monkeypatch.setattr(persistent, "_EDITED_AT_MOST", 1.0)
    monkeypatch.setattr(persistent, "_EDITED_COPIES_AT_MOST", 2)
    builds: list[bool] = []
    real_build = persistent._build

    def build(*args):
        builds.append(args[-2] is not None)  # handed a copy of the old store
        return real_build(*args)

    monkeypatch.setattr(persistent, "_build", build)
    counted = []
    for round_number in range(4):
        path = folder / "mapping.yaml"
        path.write_text(path.read_text(encoding="utf-8") + f"# round {round_number}\n", encoding="utf-8")
        path.write_text(path.read_text(encoding="utf-8").replace("Shire ICB", "Shire ICB."), encoding="utf-8")
        edited = load_mapping(["mapping"])
        assert load_into(spec, edited).replaced == ["mapping/mapping.yaml"]
        stored = open_mapping(spec)
        assert to_ntriples(stored.data_triples()) == to_ntriples(edited.data_triples())
        counted.append(persistent._edited_copies(stored.store.query))
        del stored
    assert builds == [True, True, False, True]
    assert counted == [1, 2, 0, 1]


def test_cli_load_then_query_the_store_without_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy_mini(tmp_path)
    loaded = run("load", "mapping", "--store", "oxigraph:store")
    assert loaded.exit_code == 0, loaded.output
    assert "2 added" in loaded.stderr
    from_files = run("check", "mapping", "--format", "sarif", "--fail-on", "never")
    from_store = run("check", "--store", "oxigraph:store", "--format", "sarif", "--fail-on", "never")
    assert from_store.exit_code == 0 and from_store.output == from_files.output
    assert run("load", "mapping", "--store", "oxigraph:store").stderr.startswith(
        "Loaded into oxigraph:store: 0 added, 0 replaced, 0 removed, 2 unchanged"
    )


def test_store_mistakes_are_usage_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy_mini(tmp_path)
    missing = run("check", "--store", "oxigraph:nowhere")
    assert missing.exit_code == 2 and "no store at 'nowhere'" in missing.stderr and "ics-graph load" in missing.stderr
    both = run("check", "mapping", "--store", "oxigraph:nowhere")
    assert both.exit_code == 2 and "not both" in both.stderr
    neither = run("check")
    assert neither.exit_code == 2 and "give the mapping" in neither.stderr
    bad = run("check", "--store", "mongodb:x")
    assert bad.exit_code == 2 and "unknown store" in bad.stderr
    # A folder with someone's files in it is never turned into a store.
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("mine", encoding="utf-8")
    refused = run("load", "mapping", "--store", "oxigraph:notes")
    assert refused.exit_code == 2 and "not an Oxigraph store" in refused.stderr
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == ["keep.txt"]


def test_a_reload_with_bad_input_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = copy_mini(tmp_path)
    spec = StoreSpec("oxigraph", "store")
    load_into(spec, load_mapping(["mapping"]))
    before = to_ntriples(open_mapping(spec).data_triples())
    (folder / "mapping.yaml").write_text("areas: [\n", encoding="utf-8")
    result = run("load", "mapping", "--store", "oxigraph:store")
    assert result.exit_code == 2 and "mapping/mapping.yaml:" in result.stderr
    with pytest.raises(InputError):
        load_mapping(["mapping"])
    assert to_ntriples(open_mapping(spec).data_triples()) == before


# -- a load of files that have not changed ------------------------------------------------


@pytest.fixture
def reads(monkeypatch):
    """Each time the files are read as a mapping (the load cache off, so that every
    load that reads them shows here)."""
    from ics_graph.stores import cache

    monkeypatch.setenv("ICS_GRAPH_CACHE", "off")
    seen: list[list[str]] = []
    real = cache.load_mapping

    def reading(paths, **options):
        seen.append([str(p) for p in paths])
        return real(paths, **options)

    monkeypatch.setattr(cache, "load_mapping", reading)
    return seen


def _load_ok(*args) -> str:
    result = run("load", *args)
    assert result.exit_code == 0, result.stderr
    return result.stderr


def test_loading_files_that_have_not_changed_reads_none_of_them(tmp_path, monkeypatch, reads):
    monkeypatch.chdir(tmp_path)
    folder = copy_mini(tmp_path)
    spec = StoreSpec("oxigraph", "store")
    assert "2 added" in _load_ok("mapping", "--store", "oxigraph:store") and len(reads) == 1
    stored = to_ntriples(open_mapping(spec).data_triples())

    said = _load_ok("mapping", "--store", "oxigraph:store")
    assert len(reads) == 1 and "0 replaced, 0 removed, 2 unchanged" in said and "none was read again" in said
    assert to_ntriples(open_mapping(spec).data_triples()) == stored

    # A comment added: the files are read; the graph is the same, so the store is not
    # rebuilt, only the manifest's note of what was read, and the next load reads none.
    copy, built = Path("store") / MEMORY_COPY, Path("store").stat().st_ino
    written = copy.stat().st_mtime_ns
    with (folder / "mapping.yaml").open("a", encoding="utf-8") as text:
        text.write("# reviewed on Monday\n")
    said = _load_ok("mapping", "--store", "oxigraph:store")
    assert len(reads) == 2 and "2 unchanged" in said and "none was read" not in said
    assert copy.stat().st_mtime_ns == written and Path("store").stat().st_ino == built
    assert "none was read again" in _load_ok("mapping", "--store", "oxigraph:store") and len(reads) == 2

    # A file added to the folder, then removed: read both times.
    (folder / "extra.yaml").write_text(
        "functions:\n  - {id: extra-fn, name: Extra function, category: corporate}\n", encoding="utf-8"
    )
    assert "1 added" in _load_ok("mapping", "--store", "oxigraph:store") and len(reads) == 3
    (folder / "extra.yaml").unlink()
    assert "1 removed" in _load_ok("mapping", "--store", "oxigraph:store") and len(reads) == 4

    # An edit of the graph: read and replaced, as always.
    mapping_file = folder / "mapping.yaml"
    mapping_file.write_text(mapping_file.read_text(encoding="utf-8").replace("Shire ICB", "Shire Board"), "utf-8")
    assert "1 replaced" in _load_ok("mapping", "--store", "oxigraph:store") and len(reads) == 5
    assert open_mapping(spec).label("https://w3id.org/ics-graph/id/body/shire-icb") == "NHS Shire Board"

    # The canonical output (-o) is written from the files, so they are read.
    said = _load_ok("mapping", "--store", "oxigraph:store", "-o", "mapping.ttl")
    assert len(reads) == 6 and "2 unchanged" in said and Path("mapping.ttl").read_text(encoding="utf-8")
    assert to_ntriples(open_mapping(spec).data_triples()) == to_ntriples(load_mapping(["mapping"]).data_triples())


def test_a_note_of_another_shape_in_the_store_is_never_compared(tmp_path, monkeypatch, reads):
    import gc

    import pyoxigraph as ox

    monkeypatch.chdir(tmp_path)
    copy_mini(tmp_path)
    _load_ok("mapping", "--store", "oxigraph:store")
    store = ox.Store("store")  # what another program wrote there: the files' digests as numbers
    node, ics = "<urn:ics-graph:manifest>", "https://w3id.org/ics-graph/ontology#"
    store.update(
        f"DELETE WHERE {{ GRAPH {node} {{ {node} <{ics}inputsReadJson> ?o }} }} ; "
        f'INSERT DATA {{ GRAPH {node} {{ {node} <{ics}inputsReadJson> "{{\\"files\\": [[1, 2]], '
        f'\\"expansions\\": []}}" }} }}'
    )
    del store
    gc.collect()
    said = _load_ok("mapping", "--store", "oxigraph:store")
    assert len(reads) == 2 and "2 unchanged" in said and "none was read" not in said
    assert "none was read again" in _load_ok("mapping", "--store", "oxigraph:store") and len(reads) == 2


def test_a_load_reads_the_files_again_whenever_it_could_answer_otherwise(tmp_path, monkeypatch, reads):
    import ics_graph.stores.persistent as stores

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()  # a checkout: the pack imports ../catalogue, inside it
    for name in ("northamptonshire", "catalogue", "national"):
        shutil.copytree(ROOT / "data" / name, tmp_path / "data" / name)
    pack = "data/northamptonshire"
    _load_ok(pack, "--store", "oxigraph:store")
    assert "none was read again" in _load_ok(pack, "--store", "oxigraph:store") and len(reads) == 1

    # A file the pack imports (not given on the command line) was edited.
    functions = tmp_path / "data" / "catalogue" / "functions.yaml"
    functions.write_text(functions.read_text(encoding="utf-8") + "# checked\n", encoding="utf-8")
    assert "none was read" not in _load_ok(pack, "--store", "oxigraph:store") and len(reads) == 2
    assert "none was read again" in _load_ok(pack, "--store", "oxigraph:store") and len(reads) == 2

    # Another ics-graph (its rules changed): the findings must be computed again.
    with monkeypatch.context() as patched:
        patched.setattr(stores, "rules_digest", lambda: "sha256:other-rules")
        assert "none was read" not in _load_ok(pack, "--store", "oxigraph:store") and len(reads) == 3

    # A load that may reach outside the mapping's folders reads them, and what it writes
    # (here: the findings of the real rules again) is not noted as read from these
    # files, so the next load without --allow-outside reads them, to refuse what it must.
    _load_ok(pack, "--store", "oxigraph:store", "--allow-outside")
    assert len(reads) == 4
    assert "none was read" not in _load_ok(pack, "--store", "oxigraph:store") and len(reads) == 5
    assert "none was read again" in _load_ok(pack, "--store", "oxigraph:store") and len(reads) == 5

    # The same bytes, but now through a link leading outside the folder tree: refused.
    outside = tmp_path.parent / f"{tmp_path.name}-outside.yaml"
    shutil.copy(functions, outside)
    functions.unlink()
    functions.symlink_to(outside)
    refused = run("load", pack, "--store", "oxigraph:store")
    assert refused.exit_code == 2 and "leads outside" in refused.stderr and len(reads) == 6
    outside.unlink()


# -- a SPARQL endpoint: the Oxigraph server on loopback ------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(location: Path, *, read_only: bool = False):
    port = _free_port()
    command = [
        OXIGRAPH,
        "serve-read-only" if read_only else "serve",
        "--location",
        str(location),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=1).read()
            return process, url
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the Oxigraph server did not start")


@pytest.fixture
def server(tmp_path):
    process, url = _serve(tmp_path / "server-data")
    yield url
    process.terminate()
    process.wait(timeout=10)


def _graphs(url: str) -> list[str]:
    query = urllib.parse.urlencode({"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"})
    request = urllib.request.Request(f"{url}/query?{query}", headers={"Accept": "text/tab-separated-values"})
    return urllib.request.urlopen(request, timeout=10).read().decode().split("\n")[1:]


def test_the_server_gives_the_same_findings_as_memory_and_the_folder(server, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    pack = PACK.relative_to(ROOT)
    loaded = run("load", pack, "--store", f"sparql:{server}/query")
    assert loaded.exit_code == 0, loaded.stderr
    run("load", pack, "--store", f"oxigraph:{tmp_path / 'store'}")
    outputs = {}
    for where in ([pack], ["--store", f"sparql:{server}/query"], ["--store", f"oxigraph:{tmp_path / 'store'}"]):
        for fmt in ("json", "sarif"):
            result = run("check", *where, "--format", fmt)
            assert result.exit_code == 1  # the pack has known errors
            outputs.setdefault(fmt, set()).add(result.output)
    assert len(outputs["json"]) == 1 and len(outputs["sarif"]) == 1
    assert '"rule": "dependency-cycle"' in next(iter(outputs["json"]))
    # Queries and SPARQL run on the endpoint.
    where = run("where", "chc", "--store", f"sparql:{server}/query", "--format", "json")
    assert where.exit_code == 0 and where.output == run("where", "chc", pack, "--format", "json").output
    count = run(
        "sparql",
        "SELECT (COUNT(*) AS ?n) WHERE { ?f a ics:Function }",
        "--store",
        f"sparql:{server}/query",
        "--format",
        "csv",
    )
    assert (
        count.output
        == run("sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?f a ics:Function }", pack, "--format", "csv").output
    )
    # Nothing but the mapping's own graphs: no staging graph left behind.
    assert not [g for g in _graphs(server) if "staging" in g]


def test_loading_unchanged_files_into_the_server_reads_none_of_them(server, tmp_path, monkeypatch, reads):
    monkeypatch.chdir(tmp_path)
    folder = copy_mini(tmp_path)
    store = f"sparql:{server}/query"
    assert "2 added" in _load_ok("mapping", "--store", store)
    assert "none was read again" in _load_ok("mapping", "--store", store) and len(reads) == 1
    with (folder / "catalogue.yaml").open("a", encoding="utf-8") as text:
        text.write("# reviewed\n")
    said = _load_ok("mapping", "--store", store)  # read; the graph is the same: only the note is rewritten
    assert len(reads) == 2 and "2 unchanged" in said and "none was read" not in said
    assert "none was read again" in _load_ok("mapping", "--store", store) and len(reads) == 2
    assert to_ntriples(open_mapping(parse_store(store)).data_triples()) == to_ntriples(
        load_mapping(["mapping"]).data_triples()
    )


def test_a_reload_into_the_server_reads_only_the_edited_file(server, tmp_path, monkeypatch):
    """For a ``sparql:`` store what was learned of each file is kept in the load cache's
    folder, one folder per endpoint, whatever the mapping's size: after an edit, a
    reload reads only the edited file, and the server holds what the files say."""
    from ics_graph.inputs import loader
    from ics_graph.stores import cache

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ICS_GRAPH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "KEPT_BYTES", 0)  # as for a mapping too large for the cache to keep its files
    folder = copy_mini(tmp_path)
    parsed: list[str] = []
    real = loader.read_file
    monkeypatch.setattr(
        loader, "read_file", lambda path, shown, *rest: parsed.append(shown) or real(path, shown, *rest)
    )
    store = f"sparql:{server}/query"
    assert "2 added" in _load_ok("mapping", "--store", store)
    assert sorted(parsed) == ["mapping/catalogue.yaml", "mapping/mapping.yaml"]
    [kept] = (tmp_path / "cache" / "stores").iterdir()
    assert len(list(kept.glob("*.json"))) == 2 and not (tmp_path / "cache" / "files").exists()
    mapping_file = folder / "mapping.yaml"
    mapping_file.write_text(
        mapping_file.read_text(encoding="utf-8").replace("Shire ICB", "Shire Integrated Care Board"), encoding="utf-8"
    )
    parsed.clear()
    assert "replaced: mapping/mapping.yaml" in _load_ok("mapping", "--store", store)
    assert parsed == ["mapping/mapping.yaml"]
    assert to_ntriples(open_mapping(parse_store(store)).data_triples()) == to_ntriples(
        load_mapping(["mapping"]).data_triples()
    )


def test_an_unreachable_endpoint_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy_mini(tmp_path)
    url = f"http://127.0.0.1:{_free_port()}/query"
    for args in (["check", "--store", f"sparql:{url}"], ["load", "mapping", "--store", f"sparql:{url}"]):
        result = run(*args)
        assert result.exit_code == 2
        assert f"cannot reach the SPARQL endpoint {url}" in result.stderr


def test_an_empty_endpoint_says_to_load_first(server):
    result = run("check", "--store", f"sparql:{server}/query")
    assert result.exit_code == 2 and "holds no ics-graph mapping" in result.stderr and "ics-graph load" in result.stderr


class _FailingUpdates(http.server.BaseHTTPRequestHandler):
    """A proxy in front of the server that passes everything on except SPARQL Update
    requests, which fail: the step that would make a load visible."""

    target = ""
    refuse_updates = True

    def _forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.refuse_updates and self.path.startswith("/update") and b"ADD" in body:
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"update refused by the test proxy")
            return
        request = urllib.request.Request(
            self.target + self.path,
            data=body or None,
            method=self.command,
            headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, headers, data = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, data = error.code, error.headers, error.read()
        self.send_response(status)
        for key in ("Content-Type",):
            if headers.get(key):
                self.send_header(key, headers[key])
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _forward

    def log_message(self, *args):
        pass


def test_a_failing_endpoint_leaves_no_partial_writes(server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = copy_mini(tmp_path)
    assert run("load", "mapping", "--store", f"sparql:{server}/query").exit_code == 0
    before = to_ntriples(open_mapping(parse_store(f"sparql:{server}/query")).data_triples())
    graphs_before = _graphs(server)

    _FailingUpdates.target = server
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FailingUpdates)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        mapping_file = folder / "mapping.yaml"
        mapping_file.write_text(
            mapping_file.read_text(encoding="utf-8").replace("Shire ICB", "Changed ICB"), encoding="utf-8"
        )
        result = run("load", "mapping", "--store", f"sparql:http://127.0.0.1:{proxy.server_port}/query")
    finally:
        proxy.shutdown()
    assert result.exit_code == 2
    assert "HTTP 500" in result.stderr and "update refused by the test proxy" in result.stderr
    # The staged copy was written (the graph store protocol worked), then dropped; the
    # mapping's graphs are as they were.
    assert _graphs(server) == graphs_before
    assert to_ntriples(open_mapping(parse_store(f"sparql:{server}/query")).data_triples()) == before


class _AsksWhoIsCalling(_FailingUpdates):
    """A proxy in front of the server that asks for HTTP Basic credentials (as a
    reverse proxy guarding a graph server does) and passes on only requests that give the
    right ones; it counts the requests that came with credentials."""

    refuse_updates = False
    expected = "Basic " + base64.b64encode(b"transition-lead:s3cret pass").decode()
    with_credentials = 0

    def _forward(self):
        if self.headers.get("Authorization") != self.expected:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="ics"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        type(self).with_credentials += 1
        del self.headers["Authorization"]
        super()._forward()

    do_GET = do_POST = do_PUT = do_DELETE = _forward


def test_credentials_come_from_the_environment_and_only_when_asked(server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy_mini(tmp_path)
    _AsksWhoIsCalling.target = server
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AsksWhoIsCalling)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    guarded = f"sparql:http://127.0.0.1:{proxy.server_port}/query"
    try:
        # none given: a clear error naming the variables, exit 2
        monkeypatch.delenv("ICS_GRAPH_SPARQL_USER", raising=False)
        monkeypatch.delenv("ICS_GRAPH_SPARQL_PASSWORD", raising=False)
        refused = run("load", "mapping", "--store", guarded)
        assert refused.exit_code == 2
        assert "asks who is calling (HTTP 401)" in refused.stderr and "ICS_GRAPH_SPARQL_USER" in refused.stderr
        # wrong ones: refused, and the password is never shown
        monkeypatch.setenv("ICS_GRAPH_SPARQL_USER", "transition-lead")
        monkeypatch.setenv("ICS_GRAPH_SPARQL_PASSWORD", "wrong guess")
        wrong = run("check", "--store", guarded)
        assert wrong.exit_code == 2 and "refused the user name and password" in wrong.stderr
        assert "wrong guess" not in wrong.stderr
        # the right ones: load and check through the proxy, the files' findings
        monkeypatch.setenv("ICS_GRAPH_SPARQL_PASSWORD", "s3cret pass")
        loaded = run("load", "mapping", "--store", guarded)
        assert loaded.exit_code == 0, loaded.stderr
        checked = run("check", "--store", guarded, "--format", "json")
        assert checked.output == run("check", "mapping", "--format", "json").output
        assert _AsksWhoIsCalling.with_credentials > 3
    finally:
        proxy.shutdown()
    # in a URL they would be seen by anyone listing processes: refused, not repeated
    for args in (
        ["check", "--store", "sparql:http://transition-lead:s3cret@127.0.0.1:9/query"],
        ["load", "mapping", "--store", guarded, "--update-url", "http://transition-lead:s3cret@127.0.0.1:9/update"],
    ):
        result = run(*args)
        assert (
            result.exit_code == 2
            and "user name or password" in result.stderr
            and "ICS_GRAPH_SPARQL_PASSWORD" in result.stderr
        )
        assert "s3cret" not in result.stderr
    with pytest.raises(StoreError, match="graph store URL: the URL holds a user name"):
        RemoteStore(f"{server}/query", graph_store_url="https://a:b@example.org/store")


class _RefusesARule(_FailingUpdates):
    """A proxy in front of the server whose engine cannot take one rule's query (as
    Virtuoso 7.2's compiler refuses function-continuity's): HTTP 500 with the first line
    of its error, then the query, as Virtuoso words it. It counts the queries refused."""

    refuse_updates = False
    marker = b"cover_from"  # a variable only function-continuity's query names
    refused = 0

    def _forward(self):
        if self.command == "POST" and self.path.startswith("/query"):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.marker in body:
                type(self).refused += 1
                data = (
                    b"Virtuoso 37000 Error SP031: SPARQL: Internal error: The optimizer gave up\n\nSPARQL query:\n..."
                )
                self.send_response(500)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self.headers.replace_header("Content-Length", str(len(body)))
            self.rfile = io.BytesIO(body)
        super()._forward()

    do_GET = do_POST = do_PUT = do_DELETE = _forward


#: A function whose one allocation ends with nobody to pick it up: a function-continuity finding.
_LAPSES = """\
functions:
  - {id: lapsed, name: Lapsed function, holder: icb, lowest_level: system, minimum_level: system}
allocations:
  - {function: lapsed, area: shire, accountable: shire-icb, effective_to: 2023-03-31}
"""


def test_a_rule_the_endpoint_refuses_runs_in_ics_graph_and_says_so(server, tmp_path, monkeypatch):
    """An endpoint that holds the graph but cannot run one rule's query: the check goes
    on, the rule runs on the graph read from the endpoint, and the report is the files'
    byte for byte (JSON and SARIF); a note on stderr names the rule and the endpoint's
    reason. A refusal with the graph in memory has nothing to fall back on."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "tests" / "fixtures" / "clean", tmp_path / "mapping")
    (tmp_path / "mapping" / "lapses.yaml").write_text(_LAPSES, encoding="utf-8")
    assert run("load", "mapping", "--store", f"sparql:{server}/query").exit_code == 0
    _RefusesARule.target, _RefusesARule.refused = server, 0
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RefusesARule)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    refusing = f"sparql:http://127.0.0.1:{proxy.server_port}/query"
    try:
        for fmt in ("json", "sarif"):
            on_server = run("check", "--store", refusing, "--format", fmt)
            from_files = run("check", "mapping", "--format", fmt)
            assert on_server.exit_code == from_files.exit_code == 1, on_server.stderr
            assert on_server.stdout == from_files.stdout  # the report; the note is on stderr
            assert "function-continuity" in on_server.stdout
            assert on_server.stderr.splitlines() == [
                "note: rule 'function-continuity': the SPARQL endpoint cannot run its query (Virtuoso 37000 "
                "Error SP031: SPARQL: Internal error: The optimizer gave up); it ran in ics-graph, on the graph "
                f"read from the endpoint ({_statements(server):,} statements)"
            ]
            assert "note:" not in from_files.stderr
        assert _RefusesARule.refused == 2  # asked once a check; the copy was not asked again
        found = json.loads(
            run("check", "--store", refusing, "--select", "function-continuity", "--format", "json").stdout
        )
        assert [f["message"] for f in found["findings"]] == [
            "Lapsed function is held in Shire by NHS Shire ICB until 2023-03-31; from 2023-04-01 nobody holds it in Shire"
        ]
    finally:
        proxy.shutdown()
    # in memory, a query the engine refuses is an error of the rule, as before
    mapping = load_mapping(["mapping"])
    assert mapping.in_memory() is mapping


def _statements(url: str) -> int:
    """How many quads the mapping's graphs hold on the server (the ontology's too)."""
    mapping = open_mapping(parse_store(f"sparql:{url}/query"))
    return sum(1 for _ in mapping.store)


class _AsksForAToken(http.server.BaseHTTPRequestHandler):
    """An endpoint that wants a bearer token, which ics-graph does not give."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Bearer realm="graphs"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("user", [None, "transition-lead"])
def test_an_endpoint_asking_for_another_kind_of_credentials_says_so(user, monkeypatch):
    if user is None:
        monkeypatch.delenv("ICS_GRAPH_SPARQL_USER", raising=False)
    else:
        monkeypatch.setenv("ICS_GRAPH_SPARQL_USER", user)
        monkeypatch.setenv("ICS_GRAPH_SPARQL_PASSWORD", "s3cret")
    endpoint = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AsksForAToken)
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()
    try:
        result = run("check", "--store", f"sparql:http://127.0.0.1:{endpoint.server_port}/query")
    finally:
        endpoint.shutdown()
    assert result.exit_code == 2, result.output
    assert "asks for" in result.stderr and "Bearer" in result.stderr and "Basic and Digest" in result.stderr
    assert "Traceback" not in result.output + result.stderr and "s3cret" not in result.stderr


def test_a_read_only_endpoint_refuses_the_load_and_nothing_changes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy_mini(tmp_path)
    process, url = _serve(tmp_path / "ro-data", read_only=False)
    process.terminate()
    process.wait(timeout=10)
    process, url = _serve(tmp_path / "ro-data", read_only=True)
    try:
        result = run("load", "mapping", "--store", f"sparql:{url}/query")
        assert result.exit_code == 2 and "the SPARQL endpoint" in result.stderr and "HTTP" in result.stderr
        assert _graphs(url) == [""] or _graphs(url) == []
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_store_errors_reach_the_library_user_as_store_error(tmp_path):
    with pytest.raises(StoreError, match="no store at"):
        open_mapping(StoreSpec("oxigraph", str(tmp_path / "absent")))


def test_findings_kept_at_load_match_a_fresh_check_and_expire_with_the_rules(tmp_path, monkeypatch):
    import ics_graph.stores.persistent as stores

    monkeypatch.chdir(ROOT)
    spec = StoreSpec("oxigraph", str(tmp_path / "store"))
    load_into(spec, load_mapping([PACK.relative_to(ROOT)]))
    stored = open_mapping(spec)
    kept = stored.findings_at_load()
    assert kept and kept == check(stored).findings  # where and visualise show these
    # Other rules (an upgrade of ics-graph): the kept findings are not used, and the
    # next load recomputes them although no file changed.
    monkeypatch.setattr(stores, "rules_digest", lambda: "sha256:other-rules")
    assert open_mapping(spec).findings_at_load() is None
    assert default_findings(open_mapping(spec)) == kept  # computed instead
    report = load_into(spec, load_mapping([PACK.relative_to(ROOT)]))
    assert report.replaced == [] and report.added == []
    assert open_mapping(spec).findings_at_load() == kept


def test_a_question_on_a_store_whose_findings_are_of_other_rules_says_how_to_keep_them(tmp_path, monkeypatch):
    """After an upgrade the kept findings are not used and every question runs the rules
    again (20 s at a million triples): `where` and `visualise` say so, and how to keep
    them, answering the same; a load keeps them again and the note goes."""
    import ics_graph.stores.persistent as stores

    monkeypatch.chdir(tmp_path)
    copy_mini(tmp_path)
    _load_ok("mapping", "--store", "oxigraph:store")
    before = run("where", "chc", "--store", "oxigraph:store", "--format", "json")
    assert before.exit_code == 0 and "note:" not in before.stderr
    monkeypatch.setattr(stores, "rules_digest", lambda: "sha256:other-rules")
    for args in (["where", "chc", "--format", "json"], ["visualise", "-o", "page.html"]):
        asked = run(*args, "--store", "oxigraph:store")
        assert asked.exit_code == 0, asked.stderr
        assert "note: the store oxigraph:store keeps no findings of this ics-graph's rules" in asked.stderr
        assert "ics-graph load PATH --store oxigraph:store" in asked.stderr
    assert (
        asked.stdout == ""
        and run("where", "chc", "--store", "oxigraph:store", "--format", "json").stdout == before.stdout
    )
    _load_ok("mapping", "--store", "oxigraph:store")
    after = run("where", "chc", "--store", "oxigraph:store", "--format", "json")
    assert after.exit_code == 0 and "note:" not in after.stderr and after.stdout == before.stdout


def test_a_check_runs_its_queries_two_at_a_time_with_the_same_findings(monkeypatch):
    from ics_graph.engine import checking

    mapping = load_mapping([PACK])
    monkeypatch.setenv("ICS_GRAPH_WORKERS", "1")
    assert checking._workers([1, 2]) == 1
    alone = check(mapping).findings
    monkeypatch.setenv("ICS_GRAPH_WORKERS", "2")
    assert checking._workers([1, 2]) == 2
    threads = []
    select = mapping.select

    def spy(*args, **kwargs):
        import threading

        threads.append(threading.current_thread().name)
        return select(*args, **kwargs)

    monkeypatch.setattr(mapping, "select", spy)
    assert check(mapping).findings == alone and alone
    assert any(name.startswith("ics-graph-rule") for name in threads)  # the rules' queries ran in the pool


def test_commands_that_need_a_copy_work_on_the_server_too(server, monkeypatch):
    """--as-of and export work on a copy of the graph: on an endpoint they download the
    mapping's graphs (and only those), and answer as from the files."""
    monkeypatch.chdir(ROOT)
    pack = PACK.relative_to(ROOT)
    assert run("load", pack, "--store", f"sparql:{server}/query").exit_code == 0
    remote = ["--store", f"sparql:{server}/query"]
    for args in (
        ["where", "chc", "--as-of", "2022-06-30", "--format", "json"],
        ["export", "--format", "ttl"],
        ["impact", "chc", "--move-to", "place", "--format", "json"],
    ):
        from_files, from_server = run(*args, pack), run(*args, *remote)
        assert from_server.exit_code == from_files.exit_code == 0, from_server.stderr
        assert from_server.output == from_files.output


def test_findings_kept_as_of_the_load_day_answer_every_day_of_its_era(tmp_path, monkeypatch):
    """`where`, `at` and `body` answer as of today, and a view as of a day is checked
    again (its rules judge that day): a national store kept the findings as of the day
    it was loaded, for the span of days in which nothing the mapping states changes."""
    import datetime as dt

    import ics_graph.app.findings as app_findings
    from ics_graph.model.timeline import as_of, era

    monkeypatch.chdir(ROOT)
    pack = Path("data/lancashire-south-cumbria")
    day = dt.date(2021, 1, 15)  # between the seed paper (2 December 2020) and 31 March 2021
    monkeypatch.setenv("ICS_GRAPH_TODAY", day.isoformat())
    spec = StoreSpec("oxigraph", str(tmp_path / "store"))
    files = load_mapping([pack])
    load_into(spec, files)
    first, last = era(files, day)
    assert first == dt.date(2020, 12, 3) and last == dt.date(2021, 3, 30)
    on_day = check(as_of(files, day)).findings
    assert on_day != check(files).findings  # a day's question differs from the timeline's
    for inside in (first, day, last):
        assert open_mapping(spec).findings_on(inside) == on_day
        assert check(as_of(files, inside)).findings == on_day  # what the span promises
    for outside in (first - dt.timedelta(days=1), last + dt.timedelta(days=1)):
        assert open_mapping(spec).findings_on(outside) is None
    # the store's view as of a day of the span is not checked again, and answers as the files do
    from_files = run("where", "resource-allocation", pack, "--as-of", "2021-03-30").output
    monkeypatch.setattr(app_findings, "check", lambda mapping: pytest.fail("checked again"))
    store = f"oxigraph:{spec.location}"
    assert run("where", "resource-allocation", "--store", store, "--as-of", "2021-03-30").output == from_files


def test_where_on_a_store_reads_only_the_findings_it_shows(tmp_path, monkeypatch):
    """A national store keeps thousands of findings; `where` shows those about one
    function's allocations and delegations, and reads only those (kept by entity)."""
    import ics_graph.stores.persistent as stores

    monkeypatch.chdir(ROOT)
    pack = PACK.relative_to(ROOT)
    spec = StoreSpec("oxigraph", str(tmp_path / "store"))
    store = f"oxigraph:{spec.location}"
    _load_ok(pack, "--store", store)
    stored = open_mapping(spec)
    kept = stored.findings_at_load()
    target = next(f for f in kept if f.related)
    assert stored.findings_about([target.focus, *target.related]) == [
        f for f in kept if {f.focus, *f.related} & {target.focus, *target.related}
    ]
    assert stored.findings_about(["_:b0"]) is None  # kept by IRI only: every finding is read instead
    asked = [
        [function, *when]
        for function in ("integrated-neighbourhood-teams", "strategic-planning", "continuing-healthcare")
        for when in ([], ["--all-dates"], ["--as-of", "2021-06-30"])
    ]
    expected = {tuple(args): run("where", *args, pack, "--format", "json").output for args in asked}
    assert sum(text.count('"rule"') for text in expected.values()) >= 4  # findings are shown
    outside = [args for args in expected if "--as-of" in args]  # a day outside the span kept: computed
    for args in outside:
        assert run("where", *args, "--store", store, "--format", "json").output == expected[args]
    monkeypatch.setattr(stores._KeptFindings, "whole", lambda self: pytest.fail("read every finding"))
    monkeypatch.setattr(stores._KeptFindings, "on", lambda self, day: pytest.fail("read every finding"))
    for args, text in expected.items():
        if args not in outside:
            assert run("where", *args, "--store", store, "--format", "json").output == text


def test_findings_as_of_a_day_with_nothing_dated_out_rerun_only_the_rules_that_judge_a_day(tmp_path, monkeypatch):
    """Nothing is dated out on the load day, so the view is the same graph: the findings
    of the rules that do not ask for the day are taken from the whole timeline's, and
    the stored findings are still exactly those of a check of the view."""
    import datetime as dt

    from ics_graph.model.timeline import as_of

    folder = tmp_path / "mapping"
    shutil.copytree(ROOT / "tests" / "fixtures" / "clean", folder)
    (folder / "extra.yaml").write_text(
        """
functions:
  - {id: ifr, name: Individual funding requests, holder: icb, lowest_level: place, minimum_level: place}
  - {id: new-duty, name: A duty from 2030, holder: icb, lowest_level: system, minimum_level: system, in_force_from: 2030-01-01}
allocations:
  - {function: ifr, area: shire, accountable: shire-icb}
""",
        encoding="utf-8",
    )
    day = dt.date(2026, 12, 6)
    monkeypatch.setenv("ICS_GRAPH_TODAY", day.isoformat())
    files = load_mapping([folder])
    view = as_of(files, day)
    assert view.store is files.store  # nothing dated out: the shared graph
    on_day = check(view).findings
    rules = {f.rule for f in on_day}
    assert {"subsidiarity-above-lowest-level"} <= rules  # a rule that does not judge a day
    whole = check(files).findings
    assert [f for f in whole if f.rule == "unowned-function"] and on_day != whole  # the 2030 duty
    spec = StoreSpec("oxigraph", str(tmp_path / "store"))
    load_into(spec, files)
    assert open_mapping(spec).findings_on(day) == on_day


@pytest.mark.parametrize("dated_out", [False, True], ids=["nothing dated out", "something dated out"])
def test_a_load_checks_the_whole_timeline_and_the_day_at_once(tmp_path, monkeypatch, dated_out):
    """The two checks a load keeps findings of (the whole timeline, and as of today) run
    at the same time: each waits here for the other to have started, which one after
    the other would never happen. What is kept is what each check finds on its own."""
    import datetime as dt

    from ics_graph.model.timeline import as_of

    monkeypatch.setenv("ICS_GRAPH_TODAY", "2026-12-06")
    folder = tmp_path / "mapping"
    shutil.copytree(ROOT / "tests" / "fixtures" / "clean", folder)
    if dated_out:
        (folder / "extra.yaml").write_text(
            "bodies:\n  - {id: old-ccg, name: NHS Old CCG, type: ccg, operates_in: shire, valid_to: 2022-06-30}\n",
            encoding="utf-8",
        )
    files = load_mapping([folder])
    day = dt.date(2026, 12, 6)
    assert (as_of(files, day).store is not files.store) is dated_out
    both = threading.Barrier(2, timeout=20)
    calls: list[bool] = []
    real = persistent.check

    def together(mapping, *args, **kwargs):
        calls.append(mapping.as_of is not None)
        both.wait()  # BrokenBarrierError after 20 s if the other check has not started
        return real(mapping, *args, **kwargs)

    monkeypatch.setattr(persistent, "check", together)
    spec = StoreSpec("oxigraph", str(tmp_path / "store"))
    load_into(spec, files)
    assert sorted(calls) == [False, True]
    monkeypatch.setattr(persistent, "check", real)
    stored = open_mapping(spec)
    assert stored.findings_at_load() == check(files).findings
    assert stored.findings_on(day) == check(as_of(files, day)).findings


def test_a_question_on_a_store_asks_its_queries_two_at_a_time_with_the_same_answer(tmp_path, monkeypatch):
    """`where`, `at` and `body` fetch what they need with several queries; on two cores
    two run at once (the first two wait for each other: one after the other, the first
    would wait in vain), and the answers are those of one at a time."""
    import itertools
    import threading

    from ics_graph.model.graph import Mapping

    monkeypatch.chdir(ROOT)
    pack = PACK.relative_to(ROOT)
    store = f"oxigraph:{tmp_path / 'store'}"
    _load_ok(pack, "--store", store)
    questions = [
        ["where", "continuing healthcare"],
        ["at", "West Northamptonshire"],
        ["body", "NHS Northamptonshire ICB"],
    ]
    monkeypatch.setenv("ICS_GRAPH_WORKERS", "1")
    alone = {tuple(q): run(*q, "--store", store, "--format", "json").output for q in questions}
    monkeypatch.setenv("ICS_GRAPH_WORKERS", "2")
    select = Mapping.select
    for question in questions:
        together = threading.Barrier(2, timeout=10)
        arrivals = itertools.count()

        def spy(self, query, bindings=None, together=together, arrivals=arrivals):
            if threading.current_thread().name.startswith("ics-graph-query-") and next(arrivals) < 2:
                together.wait()  # the first two of the pool's queries wait for each other
            return select(self, query, bindings)

        monkeypatch.setattr(Mapping, "select", spy)
        answer = run(*question, "--store", store, "--format", "json")
        assert answer.exit_code == 0, answer.output
        assert answer.output == alone[tuple(question)] and '"' in answer.output
        assert next(arrivals) > 2 and not together.broken  # both were in flight at once


def test_locations_read_entity_by_entity_are_those_of_the_whole_store(tmp_path):
    """A store reads where entities were written for the few a question shows, each by an
    index lookup; they are the locations it holds for the whole mapping, and those of
    the mapping loaded from the files."""
    from ics_graph.stores.persistent import StoredLocations

    spec = StoreSpec("oxigraph", str(tmp_path / "store"))
    in_memory = load_mapping([PACK])
    load_into(spec, in_memory)
    stored = open_mapping(spec)
    whole = dict(StoredLocations(stored.locations.store, stored.files).items())
    assert len(whole) > 100
    by_entity = StoredLocations(stored.locations.store, stored.files)
    by_entity.prefetch([*whole, "not an IRI", "urn:ics-graph:nowhere"])
    assert {iri: loc for iri, loc in by_entity.cache.items() if loc is not None} == whole
    assert by_entity.get("not an IRI") is None and by_entity.get("urn:ics-graph:nowhere") is None
    assert all(whole[iri] == in_memory.locations.get(iri) for iri in whole)


def test_a_store_knows_the_days_its_mapping_is_whole_and_asks_nothing_for_them(tmp_path, monkeypatch):
    """A load notes whether anything is dated out on its day. For the days of that day's
    era a question (as of today, the default) then asks the store itself without
    looking for what has ended, a scan of every date of a national graph; outside the era
    it looks, and the answers are the files' either way."""
    import datetime as dt

    from ics_graph.model import timeline
    from ics_graph.model.graph import Mapping

    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "tests" / "fixtures" / "clean", tmp_path / "mapping")  # all from 2022-07-01
    spec = StoreSpec("oxigraph", str(tmp_path / "store"))
    store = f"oxigraph:{spec.location}"
    _load_ok("mapping", "--store", store)
    stored = open_mapping(spec)
    assert stored.whole_on(timeline.today()) and stored.whole_on(dt.date(2022, 7, 2))
    assert not stored.whole_on(dt.date(2022, 6, 30))  # before its era: its allocations not yet in force
    looked: list[str] = []
    select = Mapping.select

    def spy(self, query, bindings=None):
        if query.startswith(timeline._NOT_IN_FORCE.split("?day")[0]):
            looked.append(query)
        return select(self, query, bindings)

    monkeypatch.setattr(Mapping, "select", spy)
    for day in ([], ["--as-of", "2030-01-01"], ["--as-of", "2022-06-30"]):
        question = ["where", "continuing healthcare", *day, "--format", "json"]
        from_files = run(*question, "mapping").output
        looked.clear()
        from_store = run(*question, "--store", store)
        assert from_store.exit_code == 0 and from_store.output == from_files
        assert bool(looked) == ("2022-06-30" in day), day  # looked only outside the era
    assert '"systems": []' in from_files  # as of 2022-06-30 nothing is mapped yet
    pack_store = f"oxigraph:{tmp_path / 'pack-store'}"
    _load_ok(PACK, "--store", pack_store)  # its CCGs ended in 2022
    assert not open_mapping(StoreSpec("oxigraph", str(tmp_path / "pack-store"))).whole_on(timeline.today())
