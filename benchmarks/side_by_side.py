"""Two versions of ics-graph side by side: alternating rounds, medians and ranges.

    python benchmarks/side_by_side.py BEFORE_TREE AFTER_TREE --graph DIR [--rounds 5]
    python benchmarks/side_by_side.py BEFORE_TREE AFTER_TREE --step site --graph DIR [DIR ...]
    python benchmarks/side_by_side.py BEFORE_TREE AFTER_TREE --step store --graph DIR [--rounds 5]
    python benchmarks/side_by_side.py BEFORE_TREE AFTER_TREE --step edit --graph DIR --edit FILE --ask "where f0003"

BEFORE_TREE and AFTER_TREE are source trees (a checkout, or `git worktree add /tmp/before
REV`); each step runs in a fresh process with that tree first on PYTHONPATH, so the two share
the installed dependencies and differ only in ics-graph. DIR is a folder made by
`benchmarks/generate.py --ntriples` (graph.nt beside the YAML files). The steps, timed inside
the process (start-up and imports left out): reading the YAML files, and `check` of the graph
read from N-Triples; with `--step site`, `ics-graph site` of the folders given (loading them,
with the load cache off, answering every page and writing the folder); with `--step store`,
the questions a transition lead asks of a national store (`where` a function, `at` a place
and a system, `body` an ICB, each as of today), timed as whole processes as a user waits for
them, on an `oxigraph:` store that each version first loads from graph.nt itself (untimed:
a store keeps what its version computed at load); with `--step edit`, a question asked of the
YAML right after an edit, as a whole process with the load cache on (each version its own
cache, filled by a first run that is not timed): before each run one line is added to FILE
(relative to DIR), so every run is the first after an edit. DIR's parent folder is copied
first (a pack and the catalogue and frame it imports beside it): the inputs given are never
edited. Rounds alternate (before, after, before, ...) so that whatever else the
host does falls on both alike. Prints one line per step and version: median, min-max, and
the ratio of the medians; then the host's steal while the rounds ran (how busy it was).
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import counting_steal, steal_pct

_LOAD_YAML = """
import glob, sys, time
from ics_graph.inputs.loader import load_mapping
paths = sorted(glob.glob(sys.argv[1] + '/*.yaml'))
start = time.perf_counter(); load_mapping(paths); print(time.perf_counter() - start)
"""
_CHECK_NT = """
import sys, time
from ics_graph.inputs.loader import load_mapping
from ics_graph.engine.checking import check
mapping = load_mapping([sys.argv[1] + '/graph.nt'])
start = time.perf_counter(); report = check(mapping); print(time.perf_counter() - start, len(report.findings))
"""
_SITE = """
import os, sys, tempfile, time
os.environ["ICS_GRAPH_CACHE"] = "off"
from ics_graph.app.site import build_site
with tempfile.TemporaryDirectory() as folder:
    start = time.perf_counter(); built = build_site(sys.argv[1:], folder + "/site")
    print(time.perf_counter() - start, built.pages)
"""
STEPS = {"load YAML (s)": _LOAD_YAML, "check N-Triples (s)": _CHECK_NT, "site (s)": _SITE}
#: --step store: the questions, on ids every preset of benchmarks/generate.py has.
STORE_QUESTIONS = {
    "where, store (s)": ["where", "f0003"],
    "at a place, store (s)": ["at", "s000-p4"],
    "at a system, store (s)": ["at", "s000"],
    "body (an ICB), store (s)": ["body", "s000-icb"],
}
DEFAULT_STEPS = ["load YAML (s)", "check N-Triples (s)"]


def _run(tree: Path, code: str, graphs: list[Path]) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    with counting_steal():
        done = subprocess.run(
            [sys.executable, "-c", code, *map(str, graphs)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd="/",
        )
    return done.stdout.split()


def _store(tree: Path, graph: Path, side: str) -> str:
    """An oxigraph: store of graph.nt made by the version in ``tree`` (made again each run)."""
    import shutil

    folder = graph / f".side-by-side-store-{side}"
    shutil.rmtree(folder, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    load = [sys.executable, "-m", "ics_graph", "load", str(graph / "graph.nt"), "--store", f"oxigraph:{folder}"]
    subprocess.run(load, env=env, check=True, capture_output=True, cwd="/")
    return f"oxigraph:{folder}"


def _ask(tree: Path, store: str, question: list[str]) -> float:
    """One question as a whole process, in seconds."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    with counting_steal():
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "ics_graph", *question, "--store", store],
            env=env,
            check=True,
            capture_output=True,
            cwd="/",
        )
        return time.perf_counter() - start


def _store_step(before: Path, after: Path, graph: Path, rounds: int) -> None:
    stores = {side: _store(tree, graph, side) for side, tree in (("before", before), ("after", after))}
    for step, question in STORE_QUESTIONS.items():
        times: dict[str, list[float]] = {"before": [], "after": []}
        for _ in range(rounds):
            for side, tree in (("before", before), ("after", after)):
                times[side].append(_ask(tree, stores[side], question))
        _report(step, times)


def _edit_step(before: Path, after: Path, graph: Path, edit: str, ask: list[str], rounds: int) -> None:
    """A question right after an edit of one file, with each version's load cache."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "mapping"
        shutil.copytree(graph.parent, copy, ignore=shutil.ignore_patterns(".side-by-side-store-*", "graph.nt"))
        (copy / ".git").mkdir(exist_ok=True)  # a checkout: imports of sibling folders stay inside it
        mapping, edited = copy / graph.name, copy / graph.name / edit
        caches = {side: Path(folder) / f"cache-{side}" for side in ("before", "after")}
        times: dict[str, list[float]] = {"before": [], "after": []}
        for number in range(rounds + 1):
            for side, tree in (("before", before), ("after", after)):
                with edited.open("a", encoding="utf-8") as text:
                    text.write(f"# edit {number} {side}\n")
                env = {**os.environ, "PYTHONPATH": str(tree), "ICS_GRAPH_CACHE": str(caches[side])}
                with counting_steal():
                    start = time.perf_counter()
                    subprocess.run(
                        [sys.executable, "-m", "ics_graph", *ask, str(mapping), "--format", "json"],
                        env=env,
                        check=True,
                        capture_output=True,
                        cwd=folder,
                    )
                    if number:  # the first run of each fills its cache
                        times[side].append(time.perf_counter() - start)
        _report(f"{' '.join(ask)} after an edit (s)", times)


def _report(step: str, times: dict[str, list[float]], extra: dict[str, str] | None = None) -> None:
    medians = {side: statistics.median(values) for side, values in times.items()}
    for side, values in times.items():
        print(
            f"{step:26} {side:6} median {medians[side]:6.2f}  range {min(values):.2f}-{max(values):.2f}"
            f"  ({len(values)} rounds{(extra or {}).get(side, '')})",
            flush=True,
        )
    print(f"{step:26} after / before: {medians['after'] / medians['before']:.2f}x", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--graph", type=Path, nargs="+", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--step", choices=["load", "check", "site", "store", "edit"], action="append")
    parser.add_argument("--edit", default="s000.yaml", help="--step edit: the file edited, relative to DIR")
    parser.add_argument("--ask", default="where f0003", help="--step edit: the question asked after each edit")
    args = parser.parse_args(argv)
    for tree in (args.before, args.after):  # compiled once, as an install is (see bench.py)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree.resolve() / "ics_graph")], check=True)
    chosen = [s for s in STEPS if s.split()[0] in args.step] if args.step else DEFAULT_STEPS
    graphs = [g.resolve() for g in args.graph]
    if args.step and "store" in args.step:
        _store_step(args.before.resolve(), args.after.resolve(), graphs[0], args.rounds)
    if args.step and "edit" in args.step:
        ask = shlex.split(args.ask)
        _edit_step(args.before.resolve(), args.after.resolve(), graphs[0], args.edit, ask, args.rounds)
    for step in chosen:
        code = STEPS[step]
        times: dict[str, list[float]] = {"before": [], "after": []}
        extra: dict[str, str] = {}
        for _ in range(args.rounds):
            for side, tree in (("before", args.before), ("after", args.after)):
                out = _run(tree.resolve(), code, graphs if step == "site (s)" else graphs[:1])
                times[side].append(float(out[0]))
                if len(out) > 1:
                    extra[side] = f", {out[1]} {'pages' if step == 'site (s)' else 'findings'}"
        _report(step, times, extra)
    print(f"host's steal: {steal_pct():.1f}% of a core")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
