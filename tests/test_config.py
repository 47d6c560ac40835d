"""Configuration, waivers (live, expired, stale) and baselines."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from conftest import FIXTURES

from ics_graph.engine.checking import check
from ics_graph.engine.policy import baseline_text, find_config, read_baseline, read_config
from ics_graph.inputs.loader import load_mapping
from ics_graph.model.findings import Severity
from ics_graph.util.errors import InputError

TODAY = dt.date(2026, 11, 23)
EXTRA = """
functions:
  - {id: ifr, name: Individual funding requests, lowest_level: system, minimum_level: system}
  - {id: phm, name: Population health management, lowest_level: place, minimum_level: place}
allocations:
  - {function: phm, area: shire, accountable: shire-icb, effective_from: 2022-07-01}
"""


@pytest.fixture
def mapping_dir(tmp_path):
    folder = tmp_path / "mapping"
    shutil.copytree(FIXTURES / "clean", folder)
    (folder / "extra.yaml").write_text(EXTRA, encoding="utf-8")
    return folder


def run(folder, config_text: str | None = None, **kwargs):
    config = None
    if config_text is not None:
        (folder / "ics-graph.toml").write_text(config_text, encoding="utf-8")
        config = read_config(find_config([folder]), known_rules=None)
    return check(load_mapping([folder]), config=config, today=TODAY, **kwargs)


def test_without_configuration_all_rules_run(mapping_dir):
    result = run(mapping_dir)
    assert sorted(f.rule for f in result.findings) == ["subsidiarity-above-lowest-level", "unowned-function"]
    assert len(result.rules) == 19


def test_select_ignore_and_severity(mapping_dir):
    result = run(mapping_dir, 'ignore = ["unowned-function"]\n[severity]\nsubsidiarity-above-lowest-level = "error"\n')
    assert [(f.rule, f.severity) for f in result.findings] == [("subsidiarity-above-lowest-level", Severity.ERROR)]
    assert "unowned-function" not in {r.slug for r in result.rules}
    result = run(mapping_dir, 'select = ["unowned-function"]\n')
    assert [f.rule for f in result.findings] == ["unowned-function"]


def test_config_in_pyproject_is_found_from_a_subfolder(mapping_dir):
    (mapping_dir.parent / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.ics-graph]\nfail-on = "warning"\n'
    )
    found = find_config([mapping_dir / "extra.yaml"])
    assert found.name == "pyproject.toml"
    assert read_config(found).fail_on == "warning"


def test_live_waiver_hides_its_finding(mapping_dir):
    result = run(
        mapping_dir,
        """
[[waivers]]
rule = "unowned-function"
entity = "function/ifr"
reason = "allocated in the 2023 revision"
expires = 2027-03-31
""",
    )
    assert [f.rule for f in result.findings] == ["subsidiarity-above-lowest-level"]
    assert result.waived == 1


def test_expired_waiver_stops_suppressing_and_is_reported(mapping_dir):
    result = run(
        mapping_dir,
        """
[[waivers]]
rule = "unowned-function"
entity = "ifr"
reason = "was to be fixed"
expires = 2025-01-31
""",
    )
    rules = sorted(f.rule for f in result.findings)
    assert rules == ["subsidiarity-above-lowest-level", "unowned-function", "waiver-expired"]
    expired = next(f for f in result.findings if f.rule == "waiver-expired")
    assert expired.message == "waiver for unowned-function on ifr expired on 2025-01-31"
    assert expired.location.file.endswith("ics-graph.toml") and expired.location.line == 4
    assert "waiver-expired" in {r.slug for r in result.rules}


def test_stale_waiver_is_reported(mapping_dir):
    result = run(
        mapping_dir,
        """
[[waivers]]
rule = "dependency-cycle"
entity = "function/chc"
reason = "old cycle"
expires = 2030-01-01
""",
    )
    stale = [f for f in result.findings if f.rule == "waiver-stale"]
    assert [f.message for f in stale] == ["waiver for dependency-cycle on function/chc matches no finding"]


def test_bad_configuration_is_an_input_error(mapping_dir):
    (mapping_dir / "ics-graph.toml").write_text('selct = ["x"]\n[[waivers]]\nrule = "unowned-function"\nentity = "f"\n')
    with pytest.raises(InputError) as caught:
        read_config(mapping_dir / "ics-graph.toml", known_rules=["unowned-function"])
    text = str(caught.value)
    assert "ics-graph.toml:1: unknown configuration key 'selct' (did you mean 'select'?)" in text
    assert "missing reason, expires" in text


def test_unknown_rule_in_select_is_an_input_error(mapping_dir):
    with pytest.raises(InputError, match="unknown rule 'unowned-functions' \\(did you mean 'unowned-function'\\?\\)"):
        check(load_mapping([mapping_dir]), select=["unowned-functions"])


def test_baseline_round_trip(mapping_dir, tmp_path):
    first = run(mapping_dir)
    path = tmp_path / "baseline.json"
    path.write_text(baseline_text(first.findings))
    assert baseline_text(first.findings) == baseline_text(list(reversed(first.findings)))  # stable order
    data = json.loads(path.read_text())
    assert [e["rule"] for e in data["findings"]] == ["subsidiarity-above-lowest-level", "unowned-function"]
    # Nothing new: everything is hidden, and counted.
    again = run(mapping_dir, baseline=read_baseline(path))
    assert again.findings == [] and again.baselined == 2
    # A new finding shows through the baseline.
    (mapping_dir / "more.yaml").write_text("functions:\n  - {id: new, name: A new function}\n")
    newer = run(mapping_dir, baseline=read_baseline(path))
    assert [f.message for f in newer.findings] == ["A new function has no allocation anywhere in Shire from 2022-07-01"]
    assert newer.baselined == 2


def test_unreadable_baseline(tmp_path):
    bad = tmp_path / "b.json"
    bad.write_text("not json")
    with pytest.raises(InputError, match="not a readable ics-graph baseline"):
        read_baseline(bad)
