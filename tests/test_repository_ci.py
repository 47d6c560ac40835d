"""The repository's own CI configuration works on its own data (README: "Checking a
mapping in CI"): the pre-commit hook's command and the workflow's check pass against
the committed baseline, and new findings would fail them."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import ROOT

SCRIPT = Path(sys.executable).parent / "ics-graph"


def _hook_command() -> list[str]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    (hook,) = config["repos"][0]["hooks"]
    words = shlex.split(hook["entry"])
    assert words[0].endswith("ics-graph") and words[1] == "check"
    return [str(SCRIPT), *words[1:]]


def test_pre_commit_hook_passes_on_this_repository():
    result = subprocess.run(_hook_command(), cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "by the baseline" in result.stdout


def test_workflow_checks_the_same_packs_with_the_same_baseline():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ics-graph.yml").read_text())
    runs = [step["run"] for step in workflow["jobs"]["check"]["steps"] if "run" in step and "ics-graph check" in step["run"]]
    assert len(runs) == 2
    hook = _hook_command()
    for run in runs:
        words = shlex.split(run)
        assert words[2:6] == hook[2:6]  # the four packs
        assert "--baseline" in words and "data/ics-graph-baseline.json" in words


def test_a_new_finding_fails_the_hook(tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "data", copy / "data")
    (copy / "data" / "northamptonshire" / "new.yaml").write_text(
        "functions:\n  - {id: nhn-new-function, name: A function nobody has placed}\n")
    result = subprocess.run(_hook_command(), cwd=copy, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "A function nobody has placed has no allocation anywhere in Northamptonshire" in result.stdout
