"""Every example in the README and the docs is run, and its output compared with the
text shown, so an example that drifts from what ics-graph does fails CI.

Each document gets a workspace (a copy of ``data/``), and its examples run there in
the order they appear, so one example may use what an earlier one wrote (``mkdir -p
out``, then ``-o out/graph.html``). A fenced block is read by what it is and by the HTML
comment just above it (invisible when the page is rendered):

- a ``sh`` block: each line is an ``ics-graph`` or ``mkdir`` command, and is run; it
  must exit 0, or 1 for ``check`` (findings). ``<!-- not-run: REASON -->`` leaves the
  block out, saying why (``make demo``, a server);
- ``<!-- output: COMMAND -->`` above a ``text`` block: COMMAND is run and what it
  prints (standard output, then standard error) must be the block, line for line; a
  line ``...`` stands for any number of lines;
- ``<!-- illustration: WHAT -->`` above a ``text`` block: a diagram or a sketch, not
  output. Every ``text`` block is one or the other, so no output goes unchecked;
- ``<!-- file: PATH -->`` above any block (an annotated YAML file): the block is saved
  as PATH in the workspace, so the examples after it run on it as written;
- ``<!-- given: SOURCE as TARGET -->`` (before either) copies SOURCE (relative to the
  repository) to TARGET in the workspace first: an example about "data/my-system" runs
  on a real mapping with the mistakes it shows.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```(\w*)\s*$")
_MARKER = re.compile(r"^<!--\s*(output|illustration|not-run|given|file):\s*(.*?)\s*-->$")


@dataclass
class Block:
    """A fenced block of a document, with the markers just above it."""

    line: int
    language: str
    text: str
    markers: list[tuple[str, str]]


def blocks(document: Path) -> list[Block]:
    lines = document.read_text(encoding="utf-8").splitlines()
    found, number = [], 0
    while number < len(lines):
        fence = _FENCE.match(lines[number])
        if not fence:
            number += 1
            continue
        end = number + 1
        while not lines[end].startswith("```"):
            end += 1
        markers, above = [], number - 1
        while above >= 0 and (lines[above].strip() == "" or _MARKER.match(lines[above].strip())):
            marker = _MARKER.match(lines[above].strip())
            if marker:
                markers.insert(0, (marker.group(1), marker.group(2)))
            above -= 1
        found.append(Block(number + 1, fence.group(1), "\n".join(lines[number + 1 : end]), markers))
        number = end + 1
    return found


def _run(command: str, workspace: Path) -> subprocess.CompletedProcess:
    words = shlex.split(command, comments=True)
    if words[0] == "mkdir":
        return subprocess.run(words, cwd=workspace, capture_output=True, text=True)
    assert words[0] == "ics-graph", command
    env = {**os.environ, "ICS_GRAPH_CACHE": str(workspace / ".cache"), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "ics_graph", *words[1:]],
        cwd=workspace,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` is ``expected`` line for line, a line ``...`` matching any number of lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[skip:]) for skip in range(len(actual) + 1))
    return bool(actual) and actual[0] == expected[0] and matches(expected[1:], actual[1:])


def _commands(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith(("ics-graph ", "mkdir "))]


@pytest.mark.parametrize("document", DOCUMENTS, ids=[str(d.relative_to(ROOT)) for d in DOCUMENTS])
def test_every_example_runs_and_shows_what_it_prints(document, tmp_path):
    workspace = tmp_path / "work"
    shutil.copytree(ROOT / "data", workspace / "data")
    # a repository, as a mapping kept in git is: the packs import ../catalogue, which
    # stays inside the repository (outside one, that needs --allow-outside)
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    problems = []
    for block in blocks(document):
        where = f"{document.relative_to(ROOT)}:{block.line}"
        kinds = dict(block.markers)
        for kind, value in block.markers:
            if kind == "given":
                source, _, target = value.partition(" as ")
                destination = workspace / target
                if (ROOT / source).is_dir():
                    shutil.rmtree(destination, ignore_errors=True)
                    shutil.copytree(ROOT / source, destination)
                else:
                    shutil.copyfile(ROOT / source, destination)
        if "file" in kinds:
            saved = workspace / kinds["file"]
            saved.parent.mkdir(parents=True, exist_ok=True)
            saved.write_text(block.text + "\n", encoding="utf-8")
        if block.language == "sh":
            if "not-run" in kinds:
                assert kinds["not-run"], f"{where}: not-run needs a reason"
                continue
            others = [line for line in block.text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
            others = [line for line in others if line.strip() not in _commands(block.text)]
            if others:  # nothing in a block goes unchecked in silence
                problems.append(f"{where}: the test runs only ics-graph and mkdir; mark the block not-run: {others}")
            for command in _commands(block.text):
                done = _run(command, workspace)
                allowed = (0, 1) if command.split()[1] == "check" else (0,)
                if done.returncode not in allowed:
                    problems.append(f"{where}: `{command}` exited {done.returncode}:\n{done.stderr}")
        elif block.language == "text":
            if "output" not in kinds and "illustration" not in kinds:
                problems.append(f"{where}: a text block needs <!-- output: COMMAND --> or <!-- illustration: WHAT -->")
            if "output" not in kinds:
                continue
            done = _run(kinds["output"], workspace)
            printed = [line.rstrip() for line in (done.stdout + done.stderr).splitlines()]
            shown = [line.rstrip() for line in block.text.splitlines()]
            if not matches(shown, printed):
                problems.append(
                    f"{where}: `{kinds['output']}` printed (exit {done.returncode}):\n"
                    + "\n".join(printed)
                    + "\n--- but the document shows:\n"
                    + "\n".join(shown)
                )
    assert not problems, "\n\n".join(problems)


def test_the_ellipsis_matches_any_number_of_lines_and_nothing_else():
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["a", "...", "d"], ["a", "d"])
    assert not matches(["a", "...", "d"], ["a", "b", "c"])
    assert not matches(["a", "b"], ["a", "b", "c"])
    assert matches(["...", "c"], ["a", "b", "c"])


def test_a_block_reads_the_markers_just_above_it(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "Text.\n\n<!-- given: tests/fixtures/mini as data/x -->\n<!-- output: ics-graph info data/x -->\n\n"
        "```text\nshown\n```\n\n```sh\nics-graph where x\n```\n",
        encoding="utf-8",
    )
    first, second = blocks(page)
    assert first.markers == [("given", "tests/fixtures/mini as data/x"), ("output", "ics-graph info data/x")]
    assert (first.language, first.text, first.line) == ("text", "shown", 6)
    assert second.markers == [] and _commands(second.text) == ["ics-graph where x"]
