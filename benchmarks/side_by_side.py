"""Two versions of ics-graph side by side: alternating rounds, medians and ranges.

    python benchmarks/side_by_side.py BEFORE_TREE AFTER_TREE --graph DIR [--rounds 5]
    python benchmarks/side_by_side.py BEFORE_TREE AFTER_TREE --step site --graph DIR [DIR ...]

BEFORE_TREE and AFTER_TREE are source trees (a checkout, or `git worktree add /tmp/before
REV`); each step runs in a fresh process with that tree first on PYTHONPATH, so the two share
the installed dependencies and differ only in ics-graph. DIR is a folder made by
`benchmarks/generate.py --ntriples` (graph.nt beside the YAML files). The steps, timed inside
the process (start-up and imports left out): reading the YAML files, and `check` of the graph
read from N-Triples; with `--step site`, `ics-graph site` of the folders given (loading them,
with the load cache off, answering every page and writing the folder). Rounds alternate (before, after, before, ...) so that whatever else the
host does falls on both alike. Prints one line per step and version: median, min-max, and
the ratio of the medians; then the host's steal while the rounds ran (how busy it was).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--graph", type=Path, nargs="+", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--step", choices=["load", "check", "site"], action="append")
    args = parser.parse_args(argv)
    chosen = [s for s in STEPS if s.split()[0] in args.step] if args.step else DEFAULT_STEPS
    graphs = [g.resolve() for g in args.graph]
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
        medians = {side: statistics.median(values) for side, values in times.items()}
        for side, values in times.items():
            print(
                f"{step:22} {side:6} median {medians[side]:6.2f}  range {min(values):.2f}-{max(values):.2f}"
                f"  ({len(values)} rounds{extra.get(side, '')})"
            )
        print(f"{step:22} after / before: {medians['after'] / medians['before']:.2f}x")
    print(f"host's steal: {steal_pct():.1f}% of a core")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
