"""Bounded work: no input makes a command expand, store or run without limit, and Ctrl-C
always ends it (issue 22, "Bounded work"; review defects 4, 5 and 9).

Timeouts and Ctrl-C are tested on the real command in a fresh process: a query past its
time cannot be stopped, so the command leaves with the process, and a signal reaches
only a real process. The runaway query is a cartesian product over a small generated
mapping, which would run for hours; nothing here asserts on wall time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MINI, ROOT

from ics_graph.cli import main
from ics_graph.stores import cache
from ics_graph.util.threads import QueryTimeout, bounded, in_order, set_query_timeout

SMALL = ["--systems", "2", "--places", "2", "--neighbourhoods", "2", "--functions", "30"]
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def _command(*args, cwd: Path, cache_folder: Path | None = None, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "ICS_GRAPH_CACHE": str(cache_folder) if cache_folder else "off"}
    return subprocess.Popen(
        [sys.executable, "-m", "ics_graph", *map(str, args)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _finish(process: subprocess.Popen, seconds: float = 120) -> tuple[int, str, str]:
    """The exit code and output of a command; one still running after ``seconds`` is
    killed (and the test fails), never left behind."""
    try:
        out, err = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"still running after {seconds} s: {err[-2000:]}")
    return process.returncode, out, err


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A small generated mapping (four files, a few thousand triples)."""
    folder = tmp_path_factory.mktemp("generated") / "mapping"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "-o", str(folder), *SMALL],
        check=True,
        capture_output=True,
    )
    return folder


# -- RDF/XML entities (defect 4) -------------------------------------------------------------


def _laughs(path: Path, levels: int = 12) -> Path:
    """A billion-laughs RDF/XML file: a few hundred bytes that expand to 10**levels."""
    entities = "".join(f'  <!ENTITY e{n} "{f"&e{n - 1};" * 10 if n else "ha"}">\n' for n in range(levels))
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<!-- a comment first -->\n"
        "<!DOCTYPE rdf:RDF [\n"
        f"{entities}]>\n"
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"\n'
        '         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
        f'  <rdf:Description rdf:about="https://w3id.org/ics-graph/id/function/laughs">'
        f"<rdfs:label>&e{levels - 1};</rdfs:label></rdf:Description>\n"
        "</rdf:RDF>\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("name", ["laughs.rdf", "laughs.owl"])
def test_rdf_xml_declaring_entities_is_refused_at_the_declaration(tmp_path, name):
    laughs = _laughs(tmp_path / name)
    assert laughs.stat().st_size < 2000
    cache_folder = tmp_path / "cache"
    code, out, err = _finish(_command("info", laughs.name, cwd=tmp_path, cache_folder=cache_folder))
    assert code == 2, err
    assert (
        f"error: {name}:4:3: entity declarations are not allowed in RDF/XML (they can expand without limit); "
        "write the values out" in err
    )
    assert "Traceback" not in err and out == ""
    # Nothing was expanded, so nothing large was kept: a load with problems is never cached.
    kept = sum(p.stat().st_size for p in cache_folder.rglob("*") if p.is_file()) if cache_folder.exists() else 0
    assert kept < 100_000


def test_rdf_xml_without_entities_still_loads(tmp_path):
    plain = tmp_path / "plain.rdf"
    plain.write_text(
        '<?xml version="1.0"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
        '  <rdf:Description rdf:about="https://w3id.org/ics-graph/id/function/plain">'
        '<rdf:type rdf:resource="https://w3id.org/ics-graph/ontology#Function"/>'
        "<rdfs:label>Plain &amp; simple</rdfs:label></rdf:Description>\n</rdf:RDF>\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["load", str(plain), "--format", "nt"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert '"Plain & simple"' in result.stdout


# -- the load cache: bounded, and a wrong-shaped entry is a miss (defect 9) ----------------------


def _entry(folder: Path) -> Path:
    (entry,) = folder.glob("*.json")
    return entry


def test_the_cache_never_keeps_more_than_a_fixed_multiple_of_its_input(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("ICS_GRAPH_CACHE", str(folder))
    inputs = sum(p.stat().st_size for p in MINI.rglob("*") if p.is_file())
    # With the ordinary bound the mini mapping is kept, and within it.
    assert CliRunner().invoke(main, ["info", str(MINI)]).exit_code == 0
    (quads,) = folder.glob("*.nq")
    assert quads.stat().st_size <= cache.GROWTH * inputs + cache.GROWTH_ROOM
    # A graph larger than the bound allows (here: any graph, with the bound made tiny) is
    # not kept: the next run parses again, without an error.
    assert sum(kept.stat().st_size for kept in (folder / "files").glob("*.json")) <= cache.GROWTH * inputs
    shutil.rmtree(folder)
    monkeypatch.setattr(cache, "GROWTH", 1)
    monkeypatch.setattr(cache, "GROWTH_ROOM", 0)
    first = CliRunner().invoke(main, ["info", str(MINI)])
    second = CliRunner().invoke(main, ["info", str(MINI)])
    assert first.exit_code == second.exit_code == 0 and first.output == second.output
    assert not list(folder.glob("*.nq")) and not list(folder.glob("*.json"))
    assert not (folder / "files").exists()  # nor each file on its own (ics_graph.inputs.kept)


def _shapes(key: str, quads: str, locations_ok: dict) -> list[object]:
    good = {"format": cache.FORMAT, "key": key, "files": [], "expansions": [], "quads": quads}
    return [
        [],
        3,
        "text",
        None,
        {"format": cache.FORMAT, "key": key, "files": 5},
        {"format": cache.FORMAT, "key": key},
        {"format": cache.FORMAT, "key": key, "files": [[1, 2, 3]]},
        {"format": cache.FORMAT, "key": key, "files": [["x"]]},
        {**good, "expansions": 7},
        {**good, "expansions": [["a", "b", "c"]]},
        {**good, "locations": []},
        {**good, "locations": {"x": [1, 2, 3, 4, 5, 6]}},
        {**good, "locations": locations_ok, "findings": []},
        {**good, "locations": locations_ok, "findings": {"any": 5}},
        {**good, "quads": 12},
    ]


def test_a_cache_entry_of_any_other_shape_is_a_miss_never_a_crash(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("ICS_GRAPH_CACHE", str(folder))
    expected = CliRunner().invoke(main, ["where", "chc", str(MINI), "--format", "json"])
    assert expected.exit_code == 0
    entry_path = _entry(folder)
    written = json.loads(entry_path.read_text("utf-8"))
    quads = hashlib.sha256((folder / f"{entry_path.stem}.nq").read_bytes()).hexdigest()
    for shape in _shapes(written["key"], quads, written["locations"]):
        entry_path.write_text(json.dumps(shape), encoding="utf-8")
        for _ in range(2):  # the miss rewrites the entry; the second run reads it back
            again = CliRunner().invoke(main, ["where", "chc", str(MINI), "--format", "json"])
            assert again.exit_code == 0, (shape, again.output)
            assert again.output == expected.output, shape


def test_kept_findings_of_another_shape_are_computed_again(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("ICS_GRAPH_CACHE", str(folder))

    def page() -> bytes:  # the page shows every finding of the built-in rules
        out = tmp_path / "page.html"
        out.unlink(missing_ok=True)
        assert CliRunner().invoke(main, ["visualise", str(MINI), "-o", str(out)], catch_exceptions=False).exit_code == 0
        return out.read_bytes()

    expected = page()
    entry_path = _entry(folder)
    entry = json.loads(entry_path.read_text("utf-8"))
    assert entry["findings"], "the first run keeps the built-in rules' findings"
    (digest,) = entry["findings"]
    record = entry["findings"][digest][0]
    broken_records = [
        {"rule": 5},
        {**record, "focus": 5},
        {**record, "message": ["a"]},
        {**record, "related": 5},
        {**record, "location": [1]},
        {**record, "location": ["f", "one", 2, None]},
        {**record, "severity": "dreadful"},
    ]
    for broken in broken_records:
        entry["findings"] = {digest: [broken]}
        entry_path.write_text(json.dumps(entry), encoding="utf-8")
        assert page() == expected, broken


# -- --timeout (defect 5) -------------------------------------------------------------------


def test_a_query_past_the_time_limit_exits_2_saying_so(generated):
    process = _command("sparql", CARTESIAN, generated.name, "--timeout", "1", cwd=generated.parent)
    code, out, err = _finish(process)
    assert code == 2, err
    assert err.startswith("error: the query ran longer than 1 s")
    assert "--timeout" in err and "Traceback" not in err and out == ""


def test_the_time_limit_holds_on_a_store_too(generated, tmp_path):
    store = tmp_path / "store"
    loaded = _finish(_command("load", generated.name, "--store", f"oxigraph:{store}", cwd=generated.parent))
    assert loaded[0] == 0, loaded[2]
    code, _out, err = _finish(
        _command("sparql", CARTESIAN, "--store", f"oxigraph:{store}", "--timeout", "1", cwd=tmp_path)
    )
    assert code == 2 and "the query ran longer than 1 s" in err and "Traceback" not in err


def test_a_user_rule_past_the_time_limit_is_named(generated, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "everything-twice.rq").write_text(
        "# ---\n# slug: everything-twice\n# severity: info\n# title: Everything against everything\n"
        '# message: "{focus_label}"\n# rationale: A runaway query.\n# sources: ["none"]\n# fix: None.\n'
        '# example: "none"\n# ---\n'
        "SELECT ?focus WHERE { ?focus ?p ?o . ?x ?y ?z . ?u ?v ?w . ?r ?s ?t }\n",
        encoding="utf-8",
    )
    for workers in ("1", "2"):  # one query at a time, and two at once
        env = {**os.environ, "ICS_GRAPH_CACHE": "off", "ICS_GRAPH_WORKERS": workers}
        process = subprocess.Popen(
            [sys.executable, "-m", "ics_graph", "check", generated.name, "--rules", str(rules), "--timeout", "1"],
            cwd=generated.parent,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        code, _out, err = _finish(process)
        assert code == 2, err
        assert "the query ran longer than 1 s (rule everything-twice)" in err
        assert "Traceback" not in err


def test_timeout_is_offered_by_every_command_that_runs_queries():
    for command in ("check", "where", "at", "body", "impact", "sparql", "visualise", "map", "export", "info", "load"):
        shown = CliRunner().invoke(main, [command, "--help"]).output
        assert "--timeout SECONDS" in shown, command
    bad = CliRunner().invoke(main, ["info", str(MINI), "--timeout", "soon"])
    assert bad.exit_code == 2


def test_bounded_calls_give_their_result_or_error_and_stop_at_the_limit():
    set_query_timeout(5)
    try:
        assert bounded(lambda a, b: a + b, 2, 3) == 5
        with pytest.raises(KeyError):
            bounded(lambda: {}["missing"])
        set_query_timeout(0.2)
        with pytest.raises(QueryTimeout, match=r"the query ran longer than 0.2 s \(slow one\)"):
            bounded(time.sleep, 3, what="slow one")
        with pytest.raises(QueryTimeout, match=r"\(item 1\)"):
            list(in_order(lambda n: time.sleep(3 if n == 1 else 0), [0, 1, 2], 2, what=lambda n: f"item {n}"))
    finally:
        set_query_timeout(None)


# -- Ctrl-C (defect 5) -----------------------------------------------------------------------


def _threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def _running(process: subprocess.Popen, seconds: float) -> None:
    """Wait until the command runs (past Python's start: it has its watchdog thread), then
    ``seconds`` more."""
    for _ in range(600):
        if process.poll() is not None or _threads(process.pid) >= 2:
            break
        time.sleep(0.05)
    time.sleep(seconds)
    assert process.poll() is None, process.communicate()


needs_proc = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="watches the process through /proc")


@needs_proc
@pytest.mark.parametrize("where", ["files", "store"])
def test_ctrl_c_stops_a_running_query_with_exit_130(generated, tmp_path, where):
    args: list[object] = [generated.name]
    if where == "store":
        store = tmp_path / "store"
        assert _finish(_command("load", generated.name, "--store", f"oxigraph:{store}", cwd=generated.parent))[0] == 0
        args = ["--store", f"oxigraph:{store}"]
    process = _command("sparql", CARTESIAN, *args, "--timeout", "600", cwd=generated.parent)
    _running(process, 2)
    process.send_signal(signal.SIGINT)
    code, _out, err = _finish(process, 60)
    assert code == 130, err
    assert err.strip() == "interrupted"
    assert "Traceback" not in err and "Aborted" not in err


@needs_proc
def test_ctrl_c_ends_the_process_even_inside_a_native_call(tmp_path):
    """The watchdog: a main thread inside a long Oxigraph call cannot run Python's Ctrl-C
    handler; the process still ends, exit 130, saying what the note says."""
    script = tmp_path / "stuck.py"
    script.write_text(
        "import pyoxigraph as ox\n"
        "from ics_graph.util.threads import guard_interrupts, noting\n"
        "guard_interrupts()\n"
        "store = ox.Store()\n"
        "store.bulk_load(''.join(f'<http://e/{i}> <http://p> <http://e/{i + 1}> .\\n' for i in range(3000)).encode(),"
        " format=ox.RdfFormat.N_TRIPLES)\n"
        f"with noting(lambda: 'nothing was written'):\n"
        f"    print(list(store.query({CARTESIAN!r})))  # on the main thread, for hours\n",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    _running(process, 1.5)
    process.send_signal(signal.SIGINT)
    code, _out, err = _finish(process, 60)
    assert code == 130
    assert err.strip() == "interrupted: nothing was written"
