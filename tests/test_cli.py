"""The command line: through click's CliRunner and through the installed console script."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import HASH_SEEDS, MINI, ROOT, cli_process, copy_checkout

from ics_graph.cli import main

SCRIPT = Path(sys.executable).parent / "ics-graph"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_info_text_and_json():
    result = run("info", MINI)
    assert result.exit_code == 0
    assert "Function" in result.output and "Allocations by level" in result.output
    data = json.loads(run("info", MINI, "--format", "json").output)
    assert data["totals"]["Function"] == 3
    assert data["totals"]["Body"] == 4
    assert data["areas_by_level"] == {"national": 1, "system": 1, "place": 2}
    assert data["bodies_by_type"]["nhs-trust-acute"] == 1
    assert data["delegations_by_instrument"] == {"s65z5-delegation": 1}
    assert data["systems"] == [{"id": "shire", "name": "Shire", "places": 2, "allocations": 1}]


def test_load_writes_deterministic_turtle(tmp_path):
    """Two processes with different hash seeds write the same bytes, as does this one."""
    first, second = tmp_path / "a.ttl", tmp_path / "b.ttl"
    for seed, out in zip(HASH_SEEDS, (first, second)):
        done = cli_process("load", MINI, "-o", out, seed=seed)
        assert done.returncode == 0, done.stderr.decode()
    assert first.read_bytes() == second.read_bytes()
    assert b"allocation:chc--shire--shire-icb--2022-07-01 a ics:Allocation" in first.read_bytes()
    stdout = run("load", MINI).output
    assert stdout.encode() == first.read_bytes()


def test_load_ntriples_by_extension(tmp_path):
    out = tmp_path / "g.nt"
    assert run("load", MINI, "-o", out).exit_code == 0
    assert out.read_text().splitlines()[0].startswith("<https://w3id.org/ics-graph/id/")


def test_load_refuses_to_overwrite_an_input(tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(MINI, copy)
    target = copy / "mapping.yaml"
    before = target.read_bytes()
    result = run("load", copy, "--format", "ttl", "-o", copy / "catalogue.ttl", "--force")
    assert result.exit_code == 2
    assert "inside the mapping folder" in result.output
    result = run("load", target, "-o", target, "--force")
    assert result.exit_code == 2
    assert "does not look like Turtle" in result.output
    assert target.read_bytes() == before


def test_input_errors_exit_2_on_stderr(write):
    bad = write("bad.yaml", "areas:\n  - {id: a, name: A, level: sistem}\n")
    result = CliRunner().invoke(main, ["info", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml:2:29: invalid level 'sistem' (did you mean 'system'?)" in result.stderr
    assert result.stdout == ""


def test_usage_errors_exit_2():
    assert run("info").exit_code == 2
    assert run("info", MINI, "--format", "xml").exit_code == 2


def test_every_command_has_help():
    for command in main.commands:
        result = run(command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output


def test_installed_console_script_runs_in_a_subprocess(tmp_path):
    result = subprocess.run(
        [str(SCRIPT), "info", str(MINI), "--format", "json"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["Allocation"] == 2
    version = subprocess.run([str(SCRIPT), "--version"], capture_output=True, text=True, check=False)
    assert version.stdout.startswith("ics-graph, version ")


def test_console_script_flushes_everything_and_keeps_the_exit_code_when_it_leaves_early(tmp_path):
    # The installed command leaves with os._exit (no freeing of the graph): a long output
    # on a pipe must still arrive whole, and findings must still give exit 1.
    pack = ROOT / "data" / "northamptonshire"
    found = subprocess.run(
        [str(SCRIPT), "check", str(pack), "--format", "json", "--fail-on", "info"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 1, found.stderr
    report = json.loads(found.stdout)
    assert report["findings"]
    turtle = subprocess.run([str(SCRIPT), "load", str(pack)], cwd=tmp_path, capture_output=True, check=True).stdout
    assert len(turtle) > 65536 and turtle.endswith(b" .\n")  # many pipe buffers, down to the last statement
    assert turtle == CliRunner().invoke(main, ["load", str(pack)]).stdout_bytes
    clean = subprocess.run(
        [str(SCRIPT), "check", str(pack), "--format", "json", "--fail-on", "never"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert clean.returncode == 0 and json.loads(clean.stdout) == report
    written = tmp_path / "report.sarif"
    subprocess.run(
        [str(SCRIPT), "check", str(pack), "--format", "sarif", "-o", str(written), "--fail-on", "never"],
        cwd=tmp_path,
        check=True,
    )
    assert json.loads(written.read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_console_script_closes_a_store_the_usual_way(tmp_path):
    # With --store the command exits normally, so the database is closed and reopens whole.
    pack = ROOT / "data" / "northamptonshire"
    store = f"oxigraph:{tmp_path / 'store'}"
    subprocess.run([str(SCRIPT), "load", str(pack), "--store", store], cwd=tmp_path, capture_output=True, check=True)
    stored = subprocess.run(
        [str(SCRIPT), "check", "--store", store, "--format", "json", "--fail-on", "never"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    direct = subprocess.run(
        [str(SCRIPT), "check", str(pack), "--format", "json", "--fail-on", "never"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(stored.stdout)["findings"] == json.loads(direct.stdout)["findings"]


def test_console_script_reports_input_errors_with_exit_2(write):
    bad = write("bad.ttl", "@prefix : <http://x/> .\n:a :b \n")
    result = subprocess.run([str(SCRIPT), "info", str(bad)], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "bad.ttl:" in result.stderr and "malformed Turtle" in result.stderr


def test_help_imports_no_heavy_library():
    code = (
        "import sys, runpy; sys.argv = ['ics-graph', '--help']\n"
        "try:\n    from ics_graph.cli import main; main()\nexcept SystemExit: pass\n"
        "heavy = [m for m in ('pyoxigraph', 'rdflib', 'owlready2', 'networkx', 'pyvis', 'yaml', 'openpyxl', 'rapidfuzz', 'pyshacl') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "HEAVY=\n" in result.stdout


def test_a_question_on_a_store_never_imports_the_readers_nor_one_on_files_the_store(tmp_path):
    """Two use cases (ics_graph.app.stores, ics_graph.app.loading): each command pays
    only for the modules its case needs."""
    store = f"oxigraph:{tmp_path / 'store'}"
    loaded = subprocess.run(
        [sys.executable, "-m", "ics_graph", "load", "tests/fixtures/mini", "--store", store],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr
    code = (
        "import sys\n"
        "from ics_graph.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit: pass\n"
        "print('MODULES=' + ' '.join(sorted(m for m in sys.modules if m.startswith('ics_graph.'))))"
    )

    def modules(*args: str) -> set[str]:
        result = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True)
        assert "Shire" in result.stdout, result.stderr  # it answered
        return set(result.stdout.split("MODULES=")[1].split())

    on_store = modules("where", "chc", "--store", store)
    assert "ics_graph.queries.where" in on_store and not {m for m in on_store if m.startswith("ics_graph.inputs")}
    on_files = modules("where", "chc", "tests/fixtures/mini")
    assert "ics_graph.inputs.loader" in on_files and "ics_graph.stores.persistent" not in on_files


def test_packaged_install_finds_ontology_outside_the_checkout(tmp_path):
    """A non-editable install carries the ontology and rules inside the package. It is made
    from a copy of the checkout: building in place would write build/ and *.egg-info there."""
    source = copy_checkout(tmp_path / "checkout")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(source)],
        check=True,
        capture_output=True,
    )
    assert (target / "ics_graph" / "ontology" / "ics.ttl").is_file()
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = "import ics_graph.util.resources as r, sys; print(r.ontology_path()); print(r.rules_dir())"
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r}); " + code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert str(target) in result.stdout.splitlines()[0]
    assert str(target) in result.stdout.splitlines()[1]


@pytest.mark.java
def test_reason_consistent_mapping_exits_0():
    result = run("reason", MINI)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Consistent:")


@pytest.mark.java
def test_reason_explains_an_inconsistency_and_exits_1():
    sample = Path(__file__).parent / "fixtures" / "reasoning" / "place_and_neighbourhood.ttl"
    result = run("reason", sample)
    assert result.exit_code == 1
    assert "Inconsistent:" in result.output
    assert "Place" in result.output and "Neighbourhood" in result.output
    data = json.loads(run("reason", sample, "--format", "json").output)
    assert data["consistent"] is False and data["problems"]


class _Terminal:
    def isatty(self):
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    from ics_graph.util.files import use_colour

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(_Terminal()) is True
    with open(os.devnull, "w") as devnull:
        assert use_colour(devnull) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_colour(_Terminal()) is False


def test_write_atomic_writes_with_the_usual_permissions_and_leaves_nothing_beside(tmp_path):
    from ics_graph.util import files as output

    umask = os.umask(0o027)
    try:
        (tmp_path / "out").mkdir()
        output.write_atomic(tmp_path / "out" / "report.json", "{}\n")
    finally:
        os.umask(umask)
    written = tmp_path / "out" / "report.json"
    assert written.read_text() == "{}\n"
    assert written.stat().st_mode & 0o777 == 0o640  # 0666 less the umask, not a temporary file's 0600
    assert [p.name for p in written.parent.iterdir()] == ["report.json"]


def test_write_atomic_leaves_no_partial_file(tmp_path, monkeypatch):
    from ics_graph.util import files as output

    target = tmp_path / "report.txt"
    target.write_text("old report")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(output.os, "replace", broken_replace)
    with contextlib.suppress(OSError):
        output.write_atomic(target, "new report")
    assert target.read_text() == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_a_check_writing_its_report_skips_the_slow_standard_imports(tmp_path):
    """concurrent.futures brings in logging, tempfile brings in shutil: 10-15 ms together,
    a twentieth of checking one system. The threads and the atomic write do without."""
    triples = tmp_path / "graph.nt"
    triples.write_text(
        "<https://example.org/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        "<https://w3id.org/ics-graph/ontology#Place> .\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.json"
    code = (
        "import sys\nfrom ics_graph import cli\n"
        "try:\n    cli.main(['check', *sys.argv[1:]], standalone_mode=False)\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('logging', 'concurrent.futures', 'tempfile', 'shutil') if m in sys.modules))"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(ROOT / "tests" / "fixtures" / "mini"),
            str(triples),
            "--format",
            "json",
            "--output",
            str(report),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "ICS_GRAPH_CACHE": "off"},
    )
    assert json.loads(report.read_text())["findings"]  # the check ran and wrote its report
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_pack_copied_out_of_the_checkout_says_first_that_its_imports_were_not_read(tmp_path, monkeypatch):
    """A pack copied beside its catalogue and frame, outside any checkout: its imports
    lead outside its folder tree and are refused, and every id they define is then
    unknown (hundreds of errors). The refused imports come first, and the last line says
    to start there; with --allow-outside the same pack answers."""
    for folder in ("northamptonshire", "catalogue", "national"):
        shutil.copytree(ROOT / "data" / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    refused = run("where", "continuing healthcare", "northamptonshire")
    assert refused.exit_code == 2
    lines = refused.stderr.splitlines()
    assert len(lines) > 100
    assert all("leads outside the mapping's folder tree" in line for line in lines[:2]), lines[:3]
    assert "unknown" in lines[2] and not any("leads outside" in line for line in lines[2:])
    assert lines[-2] == f"{len(lines) - 2} problems in the input; nothing was produced."
    assert lines[-1].startswith("The first 2 are paths that were not read: ")
    missing = run("where", "continuing healthcare", "northamptonshire/nothing-here.yaml")
    assert missing.exit_code == 2 and "not read" not in missing.stderr  # nothing else to blame it for
    allowed = run("where", "continuing healthcare", "northamptonshire", "--allow-outside")
    assert allowed.exit_code == 0 and "NHS continuing healthcare" in allowed.output
