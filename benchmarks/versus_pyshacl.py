"""`check` and pySHACL on the same N-Triples, in alternating rounds: medians and ranges.

    python benchmarks/versus_pyshacl.py --graph DIR [--rounds 5]

DIR is a folder made by `benchmarks/generate.py --ntriples` (graph.nt beside the YAML
files). Each round runs, as separate processes, `ics-graph check DIR/graph.nt --format json`
and pySHACL validating the same file against the structural shapes in
benchmarks/shapes/structural.ttl (the shapes bench.py uses), the order swapped every round
so that whatever else the host does falls on both alike. Both are timed as whole processes
(start-up, imports, parsing, checking, writing the report) and inside the process (from
before the file is read to the report). Prints, for each, the median and min-max over the
rounds; the ratio pySHACL / check of the medians and the median and range of the per-round
ratios; and the host's steal time, which says how busy the host was.

bench.py runs each step once per size; a single round's ratio swung from 4.2x to 9.1x over
a day on this host, so a claim about the ratio needs this script's medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from bench import CHECK, CLI, PY, PYSHACL, measure, steal_pct

HERE = Path(__file__).resolve().parent


def _span(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def _ratios(ours: list[float], theirs: list[float]) -> str:
    per_round = [t / o for o, t in zip(ours, theirs, strict=True)]
    return (
        f"{statistics.median(theirs) / statistics.median(ours):.1f}x of the medians; "
        f"per round median {statistics.median(per_round):.1f}x ({min(per_round):.1f}-{max(per_round):.1f}x)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--graph", type=Path, required=True, help="a folder with graph.nt (generate.py --ntriples)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    graph = args.graph / "graph.nt"
    if not graph.is_file():
        parser.error(f"{graph} does not exist: make it with benchmarks/generate.py --ntriples")
    shapes = str(HERE / "shapes" / "structural.ttl")
    times: dict[str, list[float]] = {k: [] for k in ("check", "check in", "pyshacl", "pyshacl in")}
    with tempfile.TemporaryDirectory() as work:
        report = str(Path(work) / "findings.json")
        steps = {
            "check": [CLI, "check", str(graph), "--format", "json", "-o", report, "--force"],
            "check in": [PY, "-c", CHECK, str(graph)],
            "pyshacl": [PY, "-c", PYSHACL, str(graph), shapes],
        }
        for number in range(args.rounds):
            order = ["check", "check in", "pyshacl"] if number % 2 == 0 else ["pyshacl", "check in", "check"]
            for step in order:
                result = measure(steps[step])
                if result["exit"] not in (0, 1):
                    print(f"{step} failed: {result['stderr']}", file=sys.stderr)
                    return 2
                # CHECK and PYSHACL print their own time first; "check in" is kept only as that
                times[step].append(float(result["last"].split()[0]) if step == "check in" else result["wall_s"])
                if step == "pyshacl":
                    times["pyshacl in"].append(float(result["last"].split()[0]))
            print(
                f"round {number + 1}: check {times['check'][-1]:.2f} s, pySHACL {times['pyshacl'][-1]:.2f} s",
                file=sys.stderr,
            )
    print(f"{graph} ({args.rounds} alternating rounds)")
    print(f"check, as a process:     {_span(times['check'])}")
    print(f"pySHACL, as a process:   {_span(times['pyshacl'])}")
    print(f"  pySHACL / check: {_ratios(times['check'], times['pyshacl'])}")
    print(f"check, in-process:       {_span(times['check in'])}")
    print(f"pySHACL, in-process:     {_span(times['pyshacl in'])}")
    print(f"  pySHACL / check: {_ratios(times['check in'], times['pyshacl in'])}")
    print(f"host's steal: {steal_pct():.1f}% of a core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
