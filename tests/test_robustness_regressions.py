"""Regressions from the robustness review (shared/reviews/robustness.md): each test fails
on the code the review was made against."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ics_graph.engine.checking import check
from ics_graph.inputs.loader import load_mapping
from ics_graph.outputs.answers import to_csv
from ics_graph.util.errors import InputError
from ics_graph.util.spreadsheet import safe_cell

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"


def _mini(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    mapping = folder / "mapping.yaml"
    text = mapping.read_text(encoding="utf-8")
    assert old in text
    mapping.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def _allocations(folder: Path) -> int:
    rows = load_mapping([folder]).select("SELECT (COUNT(?a) AS ?n) WHERE { ?a a ics:Allocation }")
    return int(rows[0]["n"])


# Defect 1: a date with a time made its allocation disappear without a word.
def test_a_date_with_a_time_of_day_is_an_error_at_its_line(tmp_path):
    folder = _mini(tmp_path, "effective_from: 2022-07-01", "effective_from: 2022-07-01T10:00:00")
    with pytest.raises(InputError) as raised:
        load_mapping([folder])
    (problem,) = raised.value.problems
    assert problem.location.file.endswith("mapping.yaml") and problem.location.line > 0
    assert "not a date and time (2022-07-01T10:00:00)" in problem.message


@pytest.mark.parametrize("written", ["2022-07-01T00:00:00", '"2022-07-01 "'])
def test_a_date_at_midnight_or_with_spaces_keeps_its_allocation(tmp_path, written):
    folder = _mini(tmp_path, "effective_from: 2022-07-01", f"effective_from: {written}")
    assert _allocations(folder) == _allocations(MINI)
    assert [f.rule for f in check(load_mapping([folder])).findings] == [
        f.rule for f in check(load_mapping([MINI])).findings
    ]


# Defect 3: text that begins like a date crashed every command.
def test_text_that_begins_like_a_date_is_text(tmp_path):
    folder = _mini(
        tmp_path,
        "effective_from: 2022-07-01",
        "effective_from: 2022-07-01\n    source: {ref: src-test, locator: 2022-07-01 10 people attended}",
    )
    mapping = load_mapping([folder])
    rows = mapping.select('SELECT ?r WHERE { ?s ?p ?r FILTER(STRSTARTS(STR(?r), "2022-07-01 10")) }')
    assert [row["r"] for row in rows] == ["2022-07-01 10 people attended"]


def test_a_date_field_holding_text_that_begins_like_a_date_is_an_error(tmp_path):
    folder = _mini(tmp_path, "effective_from: 2022-07-01", "effective_from: 2022-07-01 10 people")
    with pytest.raises(InputError, match=r"must be a date \(YYYY-MM-DD\)"):
        load_mapping([folder])


# Defect 4: entities in RDF/XML expanded without limit.
def test_rdf_xml_entity_declarations_are_refused_before_parsing(tmp_path):
    laughs = tmp_path / "lol.rdf"
    entities = "".join(f' <!ENTITY e{n} "{f"&e{n - 1};" * 10 if n else "lol"}">\n' for n in range(9))
    laughs.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + entities + "]>\n"
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
        ' <rdf:Description rdf:about="https://w3id.org/ics-graph/id/area/x"><rdfs:label>&e8;</rdfs:label>'
        "</rdf:Description>\n</rdf:RDF>\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as raised:
        load_mapping([laughs])
    (problem,) = raised.value.problems
    assert problem.location.line == 3 and "entity declarations are not allowed in RDF/XML" in problem.message


# Defect 9: a cache entry of the wrong shape broke every command until it was deleted.
@pytest.mark.parametrize("entry", ["[]", '{"format": 1, "key": "%s", "files": 5}', '{"format": 1, "key": "%s"}', "3"])
def test_a_cache_entry_of_another_shape_is_a_miss(tmp_path, entry):
    cache = tmp_path / "cache"
    env = {**os.environ, "ICS_GRAPH_CACHE": str(cache)}
    command = [sys.executable, "-m", "ics_graph", "where", "chc", str(MINI), "--format", "json"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    (kept,) = cache.glob("*.json")
    kept.write_text(entry.replace("%s", kept.stem), encoding="utf-8")
    again = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == json.loads(first.stdout)


# Defect 6: CSV cells a spreadsheet would run as formulas.
def test_csv_cells_that_would_run_as_formulas_are_made_inert():
    text = to_csv([{"name": '=HYPERLINK("http://x","y")', "note": "+44 1604", "at": "@SUM(A1)", "n": -1, "ok": "CHC"}])
    row = text.splitlines()[1]
    assert row.startswith("\"'=HYPERLINK(")
    assert ",'+44 1604,'@SUM(A1),-1,CHC" in row
    assert [safe_cell(c) for c in ("-x", "\tx", "\rx", "x-")] == ["'-x", "'\tx", "'\rx", "x-"]


def test_sparql_csv_makes_formula_text_inert(tmp_path):
    folder = _mini(tmp_path, 'rationale: "scale"', 'rationale: "=1+1"')
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ics_graph",
            "sparql",
            "SELECT ?r WHERE { ?a ics:rationale ?r }",
            str(folder),
            "--format",
            "csv",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "ICS_GRAPH_CACHE": "off"},
    )
    assert "'=1+1" in result.stdout.splitlines()


# Defect 7: check -o overwrote its own baseline.
def test_check_never_writes_over_its_baseline(tmp_path):
    baseline = tmp_path / "baseline.json"
    baseline.write_text('{"findings": [], "version": 1}\n', encoding="utf-8")
    before = baseline.read_bytes()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ics_graph",
            "check",
            str(MINI),
            "--baseline",
            str(baseline),
            "-o",
            str(baseline),
            "--format",
            "json",
            "--force",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "ICS_GRAPH_CACHE": "off"},
    )
    assert result.returncode == 2 and "baseline.json" in result.stderr
    assert baseline.read_bytes() == before


# Defect 16: messages. A misspelt query form was "expected CONSTRUCT", a slash in a
# prefixed name "expected [_]", and a misspelt ics: term silently answered no rows.
def _sparql(query: str, *paths: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ics_graph", "sparql", query, *(paths or (str(MINI),))],
        capture_output=True,
        text=True,
        env={**os.environ, "ICS_GRAPH_CACHE": "off"},
    )


def test_a_misspelt_query_form_is_named_with_what_was_meant():
    result = _sparql("SELCT ?s WHERE { ?s ?p ?o }")
    assert result.returncode == 2
    assert "not 'SELCT' (did you mean 'SELECT'?)" in result.stderr
    assert "CONSTRUCT" not in result.stderr.split("not 'SELCT'")[1]


def test_a_slash_in_a_prefixed_name_gets_both_spellings_that_work():
    result = _sparql("SELECT ?l WHERE { id:area/x rdfs:label ?l }")
    assert result.returncode == 2
    assert r"write id:area\/x or <https://w3id.org/ics-graph/id/area/x>" in result.stderr
    # and the spelling suggested is one the parser takes
    assert _sparql(r"SELECT ?l WHERE { id:area\/x rdfs:label ?l }").returncode == 0


def test_a_misspelt_ics_term_warns_instead_of_answering_nothing_in_silence():
    result = _sparql("SELECT ?s WHERE { ?s a ics:Fnction }")
    assert result.returncode == 0 and "(0 rows)" in result.stdout
    assert "warning: ics:Fnction is not a term of the ontology" in result.stderr
    assert "did you mean 'ics:Function'?" in result.stderr
    clean = _sparql("SELECT ?s WHERE { ?s a ics:Function ; rdfs:label 'ics:Nothing' } # ics:Neither")
    assert clean.returncode == 0 and "warning" not in clean.stderr  # strings and comments are not terms


def test_a_user_rule_naming_an_undefined_ics_term_is_an_error_at_the_rule(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "never.rq").write_text(
        "# ---\n# slug: never-fires\n# severity: warning\n# title: Never fires\n# message: never\n"
        "# rationale: none\n# fix: none\n# ---\n"
        "SELECT ?focus WHERE { ?focus a ics:Alocation }\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "ics_graph", "check", str(MINI), "--rules", str(rules)],
        capture_output=True,
        text=True,
        env={**os.environ, "ICS_GRAPH_CACHE": "off"},
    )
    assert result.returncode == 2, result.stderr
    assert "never.rq" in result.stderr and "ics:Alocation is not a term of the ontology" in result.stderr
    assert "did you mean 'ics:Allocation'?" in result.stderr


def test_a_mermaid_export_too_long_for_mermaid_says_so():
    result = subprocess.run(
        [sys.executable, "-m", "ics_graph", "export", str(ROOT / "data" / "northamptonshire"), "--format", "mermaid"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(result.stdout) > 50_000
    assert "draws at most 50,000" in result.stderr
    small = subprocess.run(
        [sys.executable, "-m", "ics_graph", "export", str(MINI), "--format", "mermaid"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(small.stdout) < 50_000 and "warning" not in small.stderr


# Defect 15: control characters reached the terminal. Values are escaped where they are
# quoted; every error line is escaped once more as it is written, whatever built it.
def test_no_error_line_carries_a_raw_control_character(tmp_path):
    folder = tmp_path / "rules\x07\rbell"
    result = subprocess.run(
        [sys.executable, "-m", "ics_graph", "check", str(MINI), "--rules", str(folder)],
        capture_output=True,
        env={**os.environ, "ICS_GRAPH_CACHE": "off"},
    )
    assert result.returncode == 2
    assert b"\x07" not in result.stderr and b"\r" not in result.stderr
    assert b"rules\\x07\\rbell" in result.stderr


def test_terminal_safe_escapes_controls_and_overrides_and_keeps_line_feeds_and_tabs():
    from ics_graph.util.errors import terminal_safe

    assert terminal_safe("a\x1b[2Jb\rc\u202ed\x85") == "a\\x1b[2Jb\\rc\\u202ed\\x85"
    assert terminal_safe("one\n\ttwo") == "one\n\ttwo"


def test_a_remote_json_ld_context_is_refused_in_words(tmp_path):
    (tmp_path / "remote.jsonld").write_text(
        '{"@context": "http://example.org/context.jsonld", "@id": "http://example.org/x"}', encoding="utf-8"
    )
    with pytest.raises(InputError) as raised:
        load_mapping([tmp_path / "remote.jsonld"])
    (problem,) = raised.value.problems
    assert problem.location.file.endswith("remote.jsonld")
    assert "its @context is a remote document" in problem.message and "LoadDocumentCallback" not in problem.message
