"""`ics-graph check` and `ics-graph rules` end to end, through the CLI."""

from __future__ import annotations

import json
import shutil
import textwrap
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, HASH_SEEDS, cli_process

from ics_graph.cli import main

CLEAN = FIXTURES / "clean"
DEFECTS = """
functions:
  - {id: ifr, name: Individual funding requests, lowest_level: system, minimum_level: system}
allocations:
  - {id: eprr-north, function: eprr, area: north, accountable: shire-icb, effective_from: 2022-07-01}
collaboratives:
  - {id: undecided, name: Undecided collaborative, model: undecided, members: [shire-acute]}
"""


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def mapping(tmp_path):
    folder = tmp_path / "mapping"
    shutil.copytree(CLEAN, folder)
    (folder / "defects.yaml").write_text(DEFECTS, encoding="utf-8")
    return folder


def test_clean_mapping_exits_0():
    result = run("check", CLEAN)
    assert result.exit_code == 0
    assert "No findings." in result.output


def test_findings_exit_1_and_are_reported_once_with_their_source_line(mapping):
    result = run("check", mapping)
    assert result.exit_code == 1
    out = result.output
    assert out.count("Individual funding requests has no allocation anywhere in Shire from 2022-07-01") == 1
    assert "defects.yaml:3:5:" in out  # the ifr function, line 3
    assert "Emergency preparedness sits at place level in North Shire, below the minimum scale it needs (system)" in out
    assert "hint:" in out and "\x1b[" not in out  # no colour when not on a terminal


def test_fail_on_levels(mapping):
    assert run("check", mapping, "--fail-on", "never").exit_code == 0
    only_info = run("check", mapping, "--select", "collaborative-lead")
    assert only_info.exit_code == 0  # an info finding does not fail at the default level
    assert run("check", mapping, "--select", "collaborative-lead", "--fail-on", "info").exit_code == 1


def test_select_and_ignore(mapping):
    data = json.loads(
        run("check", mapping, "--format", "json", "--ignore", "unowned-function,place-coverage-gap").output
    )
    assert {f["rule"] for f in data["findings"]} == {"subsidiarity-below-required-scale", "collaborative-lead"}
    bad = run("check", mapping, "--select", "unowned")
    assert bad.exit_code == 2 and "unknown rule 'unowned'" in bad.output


def test_every_format_is_deterministic_and_parseable(mapping, tmp_path):
    """Two processes with different hash seeds write the same bytes in every format."""
    suffixes = {"text": ".txt", "json": ".json", "junit": ".xml", "sarif": ".sarif", "github": ".log"}
    for fmt, suffix in suffixes.items():
        first, second = tmp_path / f"a-{fmt}{suffix}", tmp_path / f"b-{fmt}{suffix}"
        for seed, out in zip(HASH_SEEDS, (first, second)):
            done = cli_process("check", mapping, "--format", fmt, "-o", out, seed=seed)
            assert done.returncode == 1, done.stderr.decode()
        assert first.read_bytes() == second.read_bytes(), fmt
    report = json.loads((tmp_path / "a-json.json").read_text())
    assert report["summary"] == {"error": 2, "warning": 1, "info": 1, "waived": 0, "baselined": 0}
    suite = ET.parse(tmp_path / "a-junit.xml").getroot()
    assert len(suite.findall(".//testcase")) == 19
    sarif = json.loads((tmp_path / "a-sarif.sarif").read_text())
    assert sarif["version"] == "2.1.0" and len(sarif["runs"][0]["results"]) == 4
    assert "::error file=" in (tmp_path / "a-github.log").read_text()


def test_baseline_round_trip_through_the_cli(mapping, tmp_path):
    baseline = tmp_path / "baseline.json"
    assert run("check", mapping, "--write-baseline", baseline, "--fail-on", "never").exit_code == 0
    quiet = run("check", mapping, "--baseline", baseline)
    assert quiet.exit_code == 0 and "4 by the baseline" in quiet.output
    (mapping / "new.yaml").write_text("functions:\n  - {id: brand-new, name: Brand new function}\n")
    noisy = run("check", mapping, "--baseline", baseline)
    assert noisy.exit_code == 1 and "Brand new function has no allocation" in noisy.output


def test_configuration_beside_the_data(mapping):
    (mapping / "ics-graph.toml").write_text(
        textwrap.dedent("""
        ignore = ["unowned-function"]
        fail-on = "warning"
        [[waivers]]
        rule = "subsidiarity-below-required-scale"
        entity = "allocation/eprr-north"
        reason = "temporary, agreed at board"
        expires = 2099-01-01
        """)
    )
    result = run("check", mapping, "--format", "json")
    data = json.loads(result.output)
    assert {f["rule"] for f in data["findings"]} == {"place-coverage-gap", "collaborative-lead"}
    assert data["summary"]["waived"] == 1
    assert result.exit_code == 1  # fail-on warning from the configuration


def test_a_broken_configuration_is_an_input_error(mapping):
    (mapping / "ics-graph.toml").write_text('ignore = ["no-such-rule"]\n')
    result = run("check", mapping)
    assert result.exit_code == 2
    assert "ics-graph.toml:1: unknown rule 'no-such-rule' in 'ignore'" in result.output


USER_RULE = """\
# ---
# slug: committee-receives-chc
# severity: warning
# title: CHC delegated to a committee
# message: "{function_label} is delegated to {to_label}"
# rationale: Our board keeps CHC decisions with the board (a local policy).
# sources: ["Shire ICB board minutes"]
# fix: Remove the delegation.
# example: "delegations: [...]"
# ---
SELECT ?focus ?function_label ?to_label WHERE {
  ?focus a ics:Delegation ; ics:function ?f ; ics:delegate ?to .
  ?to a ics:PlaceCommittee ; rdfs:label ?to_label .
  ?f rdfs:label ?function_label .
}
"""

USER_SHAPE = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ics: <https://w3id.org/ics-graph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ics:WorkstreamNeedsRag a sh:NodeShape ;
    ics:ruleSlug "workstream-needs-rag" ;
    rdfs:label "Every workstream has a RAG status" ;
    rdfs:comment "Transition boards read RAG first." ;
    ics:fixHint "Add rag: to the workstream." ;
    sh:severity sh:Warning ;
    sh:targetClass ics:Workstream ;
    sh:property [ sh:path ics:ragStatus ; sh:minCount 1 ; sh:message "workstream has no RAG status" ] .
"""


def test_user_rules_from_a_folder(tmp_path):
    rules = tmp_path / "my-rules"
    rules.mkdir()
    (rules / "committee-receives-chc.rq").write_text(USER_RULE)
    (rules / "needs-rag.ttl").write_text(USER_SHAPE)
    listing = run("rules", "--rules", rules).output
    assert "committee-receives-chc" in listing and "workstream-needs-rag" in listing
    (folder := tmp_path / "m").mkdir()
    shutil.copytree(CLEAN, folder, dirs_exist_ok=True)
    (folder / "ws.yaml").write_text("workstreams:\n  - {id: ws-z, name: Workstream Z}\n")
    data = json.loads(run("check", folder, "--rules", rules, "--format", "json").output)
    messages = {(f["rule"], f["message"]) for f in data["findings"]}
    assert ("committee-receives-chc", "Continuing healthcare is delegated to North Shire committee") in messages
    assert ("workstream-needs-rag", "workstream has no RAG status") in messages


@pytest.mark.parametrize(
    ("requires", "found"),
    [
        ("{ ?d a ics:Delegation ; ics:instrument ics:CommitteeOfBoard }", True),  # the fixture has one
        ("{ ?d ics:effectiveTo ?end }", False),  # nothing in the fixture ends: the rule is not run
    ],
)
def test_a_rule_runs_only_when_the_graph_holds_what_it_requires(tmp_path, requires, found):
    rules = tmp_path / "my-rules"
    rules.mkdir()
    header_end = USER_RULE.index("# ---\nSELECT")
    text = USER_RULE[:header_end] + f"# requires: {json.dumps(requires)}\n" + USER_RULE[header_end:]
    (rules / "committee-receives-chc.rq").write_text(text)
    data = json.loads(run("check", CLEAN, "--rules", rules, "--format", "json").output)
    assert any(f["rule"] == "committee-receives-chc" for f in data["findings"]) is found


def test_a_rule_whose_requires_is_not_a_pattern_is_an_input_error(tmp_path):
    rules = tmp_path / "my-rules"
    rules.mkdir()
    header_end = USER_RULE.index("# ---\nSELECT")
    (rules / "r.rq").write_text(
        USER_RULE[:header_end] + '# requires: "{ ?d ics:effectiveTo "\n' + USER_RULE[header_end:]
    )
    result = run("rules", "--rules", rules)
    assert result.exit_code == 2
    assert "r.rq:1:1: 'requires' is not a SPARQL group pattern" in result.output


def test_a_broken_rule_file_is_an_input_error(tmp_path):
    rules = tmp_path / "bad-rules"
    rules.mkdir()
    (rules / "bad.rq").write_text("# ---\n# slug: Bad Slug\n# ---\nSELECT ?focus WHERE { ?focus ?p ?o }\n")
    result = run("rules", "--rules", rules)
    assert result.exit_code == 2
    assert "bad.rq:1:1: rule header is missing 'severity'" in result.output


def test_rules_explain():
    result = run("rules", "explain", "place-coverage-gap")
    assert result.exit_code == 0
    for part in ("place-coverage-gap (warning)", "Why:", "Sources:", "How to fix:", "Example that triggers it:"):
        assert part in result.output
    unknown = run("rules", "explain", "place-coverage")
    assert unknown.exit_code == 2 and "did you mean 'place-coverage-gap'" in unknown.output
