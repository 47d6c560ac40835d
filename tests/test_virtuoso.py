"""A SPARQL store on Virtuoso 7 (Debian's virtuoso-opensource), started by these tests on
loopback with a database of its own in a temporary folder: the five data folders, and
cases of the rules rewritten for Virtuoso, loaded with `load --store sparql:...`; then
`check` (JSON and SARIF) and questions answered on the server byte for byte as from the
files."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, ROOT

from ics_graph.cli import main

pytestmark = pytest.mark.virtuoso

FOLDERS = [
    "data/national",
    "data/northamptonshire",
    "data/cambridgeshire-peterborough",
    "data/greater-manchester",
    "data/lancashire-south-cumbria",
]
#: Rules whose queries Virtuoso 7.2 cannot run (its SPARQL compiler refuses them: see
#: docs/stores.md): `check` runs them in ics-graph on the graph read from the server, and
#: says so on stderr. Every other built-in rule runs on the server.
REFUSED_BY_VIRTUOSO = ("function-continuity",)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ini(folder: Path, sql_port: int, http_port: int) -> str:
    """A virtuoso.ini of the least it needs: its files in ``folder``, both ports on
    loopback, and no limit on the rows of an answer or the time of a query."""
    return f"""\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DirsAllowed = ., {folder}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
MaxQueryMem = 2G
ThreadsPerQuery = 4
MaxMemPoolSize = 200000000

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
ServerThreads = 10
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 0
"""


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    """A private Virtuoso on loopback: its URL (``/sparql``, ``/sparql-graph-crud``)."""
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if not server or not isql:  # outside CI the marker has already skipped the test
        pytest.fail("Virtuoso is not installed: sudo apt-get install -y virtuoso-opensource")
    folder = tmp_path_factory.mktemp("virtuoso")
    sql_port, http_port = _free_port(), _free_port()
    (folder / "virtuoso.ini").write_text(_ini(folder, sql_port, http_port), encoding="utf-8")
    process = subprocess.Popen(
        [server, "+foreground", "+configfile", str(folder / "virtuoso.ini")],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{http_port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(url + "/sparql?query=ASK%7B%7D", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"Virtuoso stopped: see {folder / 'virtuoso.log'}") from None
                time.sleep(0.1)
        else:
            raise RuntimeError("Virtuoso did not start within 60 s")
        # SPARQL requests run as the SQL user SPARQL: it may update (the graph store too).
        subprocess.run(
            [isql, str(sql_port), "dba", "dba", 'exec=grant SPARQL_UPDATE to "SPARQL";'],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def load(url: str, *paths) -> list[str]:
    """Load PATHs into the server (a reload of the same files writes nothing); the
    ``--store`` arguments that query it."""
    result = run(
        "load",
        *paths,
        "--store",
        f"sparql:{url}/sparql",
        "--update-url",
        f"{url}/sparql",
        "--graph-store-url",
        f"{url}/sparql-graph-crud",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"Loaded into sparql:{url}/sparql: ")
    return ["--store", f"sparql:{url}/sparql"]


def same_check(paths, store: list[str], *options: str) -> tuple[str, list[str]]:
    """``check`` in JSON and in SARIF, on the server and from the files: byte for byte the
    same (exit 1: there are findings). Only rules of REFUSED_BY_VIRTUOSO may have run in
    ics-graph, each with a note on stderr. The JSON, and the rules noted."""
    for fmt in ("json", "sarif"):
        from_files = run("check", *paths, "--format", fmt, *options)
        on_server = run("check", *store, "--format", fmt, *options)
        assert from_files.exit_code == 1, from_files.stderr
        assert on_server.exit_code == 1, on_server.stderr
        assert on_server.stdout == from_files.stdout, (
            _differences(on_server.stdout, from_files.stdout) if fmt == "json" else fmt
        )
        notes = on_server.stderr.splitlines()
        assert all(
            line.startswith("note: rule '") and "the SPARQL endpoint cannot run its query (Virtuoso " in line
            for line in notes
        ), on_server.stderr
        noted = [line.split("'")[1] for line in notes]
        assert set(noted) <= set(REFUSED_BY_VIRTUOSO), noted
        if fmt == "json":
            found = from_files.stdout, noted
    return found


def _differences(on_server: str, from_files: str) -> str:
    """The findings only one side has, to say which rule differs."""
    server, files = (
        Counter((f["rule"], f["message"]) for f in json.loads(text)["findings"]) for text in (on_server, from_files)
    )
    return f"only on the server: {sorted(server - files)}; only from the files: {sorted(files - server)}"


def test_check_of_the_five_folders_on_virtuoso_is_byte_identical(virtuoso, monkeypatch):
    monkeypatch.chdir(ROOT)  # paths in findings are shown as given to load and to check
    found, noted = same_check(FOLDERS, load(virtuoso, *FOLDERS))
    assert noted == list(REFUSED_BY_VIRTUOSO)  # each ran in ics-graph, and the report says nothing of it
    assert '"rule": "dependency-cycle"' in found and '"rule": "place-coverage-gap"' in found


def test_questions_on_virtuoso_answer_as_from_the_files(virtuoso, monkeypatch):
    monkeypatch.chdir(ROOT)
    store = load(virtuoso, *FOLDERS)
    for args in (
        ["where", "continuing healthcare", "--format", "json"],
        ["where", "continuing healthcare", "--all-dates", "--format", "json"],
        ["at", "West Northamptonshire", "--format", "json"],
    ):
        from_files, on_server = run(*args, *FOLDERS), run(*args, *store)
        assert on_server.exit_code == from_files.exit_code == 0, on_server.stderr
        assert on_server.output == from_files.output


#: Beside the clean fixture, cases of the rules rewritten for Virtuoso (most of which the
#: five folders do not trigger): dates out of order, a delegation before its delegator holds the
#: function, an ICB before ICBs, a place in force one day; a delegate outside its footprint
#: (and a collaborative inside it through its members); an s65Z6 arrangement with a joint
#: committee of someone else (and one with a joint committee of the delegator); functions
#: unowned before they are first held and after one lapses.
CASES = """\
functions:
  - {id: lapsed, name: Lapsed function, holder: icb, lowest_level: system, minimum_level: system}
areas:
  - {id: old, name: Old Place, level: place, part_of: shire, valid_from: 2022-07-01, valid_to: 2021-03-31}
  - {id: new, name: New Place, level: place, part_of: shire, valid_from: 2022-07-01, valid_to: 2022-07-01}
bodies:
  - {id: council-joint, name: Council joint committee, type: joint-committee, operates_in: north, committee_of: north-council}
  - {id: north-joint, name: North joint committee, type: joint-committee, operates_in: north, committee_of: [shire-icb, north-council]}
allocations:
  - {function: eprr, area: shire, accountable: shire-icb, effective_from: 2021-04-01, effective_to: 2022-06-30}
  - {function: chc, area: new, accountable: shire-icb, effective_from: 2022-07-01}
  - {function: lapsed, area: shire, accountable: shire-icb, effective_to: 2023-03-31}
delegations:
  - {function: chc, from: shire-icb, to: south-committee, area: south, instrument: committee-of-board,
     effective_from: 2022-04-01, effective_to: 2022-03-01}
  - {function: chc, from: shire-icb, to: south-committee, area: north, instrument: committee-of-board}
  - {function: chc, from: shire-icb, to: shire-collab, area: north, instrument: other}
  - {function: chc, from: shire-icb, to: council-joint, area: north, instrument: s65z6-joint-committee, effective_from: 2023-04-01}
  - {function: chc, from: shire-icb, to: north-joint, area: north, instrument: s65z6-joint-committee, effective_from: 2023-04-01}
"""


def test_the_rewritten_rules_find_the_same_on_virtuoso(virtuoso, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(FIXTURES / "clean", tmp_path / "mapping")
    (tmp_path / "mapping" / "extra.yaml").write_text(CASES, encoding="utf-8")
    store = load(virtuoso, "mapping")
    found = json.loads(same_check(["mapping"], store)[0])["findings"]
    rules = Counter(f["rule"] for f in found)
    assert rules["date-inconsistency"] == 5 and rules["delegate-outside-footprint"] == 1
    assert rules["delegation-instrument-mismatch"] == 1
    unowned = sorted(f["message"] for f in found if f["rule"] == "unowned-function")
    assert unowned == [
        "Continuing healthcare has no allocation in Shire before 2022-07-01",
        "Emergency preparedness has no allocation in Shire before 2021-04-01",
        "Lapsed function has no allocation in Shire from 2023-04-01",
    ]
    # as of one day: the mapping as it stood then, and that day's question
    found = json.loads(same_check(["mapping"], store, "--as-of", "2023-06-01")[0])["findings"]
    assert "Lapsed function has no allocation anywhere in Shire" in {f["message"] for f in found}


@pytest.mark.parametrize("rule", REFUSED_BY_VIRTUOSO)
def test_a_rule_virtuoso_refuses_runs_in_ics_graph_with_the_files_findings(virtuoso, rule, tmp_path, monkeypatch):
    """Virtuoso's compiler still refuses the rule (the note quotes it), and the check
    goes on: the rule runs on the graph read from the server and finds what it finds
    from the files (with CASES, a function that lapses), JSON and SARIF."""
    monkeypatch.chdir(tmp_path)  # a folder of its own name: the next test loads "mapping" anew
    shutil.copytree(FIXTURES / "clean", tmp_path / "lapses")
    (tmp_path / "lapses" / "extra.yaml").write_text(CASES, encoding="utf-8")
    store = load(virtuoso, "lapses")
    for fmt in ("json", "sarif"):
        on_server = run("check", *store, "--format", fmt, "--select", rule)
        from_files = run("check", "lapses", "--format", fmt, "--select", rule)
        assert on_server.exit_code == from_files.exit_code == 1, on_server.stderr
        assert on_server.stdout == from_files.stdout
        assert on_server.stderr.startswith(f"note: rule '{rule}': the SPARQL endpoint cannot run its query (Virtuoso ")
        assert "it ran in ics-graph, on the graph read from the endpoint" in on_server.stderr
        if fmt == "json":
            assert json.loads(from_files.stdout)["findings"], "CASES should give the rule something to find"


def test_the_guarded_endpoints_take_credentials_from_the_environment(virtuoso, tmp_path, monkeypatch):
    """Virtuoso's /sparql-auth and /sparql-graph-crud-auth ask for HTTP Digest credentials:
    a load and questions through them, as dba, with the credentials in the environment
    (no grant to the anonymous SPARQL user needed for these)."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(FIXTURES / "clean", tmp_path / "mapping")
    guarded = ["--store", f"sparql:{virtuoso}/sparql-auth"]
    monkeypatch.delenv("ICS_GRAPH_SPARQL_USER", raising=False)
    monkeypatch.delenv("ICS_GRAPH_SPARQL_PASSWORD", raising=False)
    asked = run("where", "continuing healthcare", *guarded)
    assert asked.exit_code == 2 and "asks who is calling (HTTP 401)" in asked.stderr
    monkeypatch.setenv("ICS_GRAPH_SPARQL_USER", "dba")
    monkeypatch.setenv("ICS_GRAPH_SPARQL_PASSWORD", "dba")
    loaded = run(
        "load",
        "mapping",
        *guarded,
        "--update-url",
        f"{virtuoso}/sparql-auth",
        "--graph-store-url",
        f"{virtuoso}/sparql-graph-crud-auth",
    )
    assert loaded.exit_code == 0, loaded.stderr
    assert "added: mapping/" in loaded.stderr  # written through the guarded graph store
    question = ["where", "continuing healthcare", "--format", "json"]
    on_server = run(*question, *guarded)
    assert on_server.exit_code == 0, on_server.stderr
    assert on_server.stdout == run(*question, "mapping").stdout
    monkeypatch.setenv("ICS_GRAPH_SPARQL_PASSWORD", "not the password")
    refused = run(*question, *guarded)
    assert refused.exit_code == 2 and "refused the user name and password" in refused.stderr
