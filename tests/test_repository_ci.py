"""The repository's own CI configuration works on its own data (README: "Checking a
mapping in CI"): the pre-commit hook's command and the workflow's check pass against
the committed baseline, and new findings would fail them. And a command run from the
checkout writes nothing into it."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, in_ci

SCRIPT = Path(sys.executable).parent / "ics-graph"


def _hook_command() -> list[str]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    (hook,) = [h for h in config["repos"][0]["hooks"] if h["id"] == "ics-graph-check"]
    words = shlex.split(hook["entry"])
    assert words[0].endswith("ics-graph") and words[1] == "check"
    return [str(SCRIPT), *words[1:]]


def test_pre_commit_hook_passes_on_this_repository():
    result = subprocess.run(_hook_command(), cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "by the baseline" in result.stdout


def test_workflow_checks_the_same_packs_with_the_same_baseline():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ics-graph.yml").read_text())
    runs = [
        step["run"] for step in workflow["jobs"]["check"]["steps"] if "run" in step and "ics-graph check" in step["run"]
    ]
    assert len(runs) == 2
    hook = _hook_command()
    for run in runs:
        words = shlex.split(run)
        assert words[2:6] == hook[2:6]  # the four packs
        assert "--baseline" in words and "data/ics-graph-baseline.json" in words


def test_a_new_finding_fails_the_hook(tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "data", copy / "data")
    (copy / ".git").mkdir()  # a checkout: the packs import ../catalogue, inside the repository
    (copy / "data" / "northamptonshire" / "new.yaml").write_text(
        "functions:\n  - {id: nhn-new-function, name: A function nobody has placed}\n"
    )
    result = subprocess.run(_hook_command(), cwd=copy, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "A function nobody has placed has no allocation anywhere in Northamptonshire" in result.stdout


# -- nothing is written into the checkout -----------------------------------------------------

NOT_SOURCE_CHANGES = (".venv/", ".pytest_cache/")


def _checkout_status() -> set[str]:
    """`git status` of the checkout, ignored files included, one file a line (the virtual
    environment and Python's caches left out)."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all", "--", ".", ":(exclude).venv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if status.returncode != 0:
        message = f"not a git work tree, so writes into it cannot be seen: {status.stderr.strip()}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return {
        line
        for line in status.stdout.splitlines()
        if "__pycache__/" not in line and not line[3:].startswith(NOT_SOURCE_CHANGES)
    }


def test_a_command_run_end_to_end_writes_nothing_into_the_checkout(tmp_path):
    """A check of a real pack, run as a user would from the checkout, with the load cache in
    a temporary folder: afterwards git sees no new or changed file in the source tree."""
    before = _checkout_status()
    env = {**os.environ, "ICS_GRAPH_CACHE": str(tmp_path / "cache")}
    for _ in range(2):  # cold, then answered from the cache
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "ics_graph",
                "check",
                "data/northamptonshire",
                "--format",
                "json",
                "--fail-on",
                "never",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["findings"]
    assert any((tmp_path / "cache").iterdir())  # the cache was written, where it was told to be
    assert _checkout_status() - before == set()
