"""The paths users check a mapping by, against the floor: alternating rounds, medians, ranges.

    python benchmarks/generate.py --preset 1m -o /tmp/national --ntriples --csv-workbook
    python benchmarks/paths.py /tmp/national [--rounds 5]

One mapping, four ways in, each a fresh process of this version of ics-graph (the load
cache off, so every round reads its input):

- ``floor``: Oxigraph bulk-loading graph.nt into a store in memory, the least any check of
  the graph must do (read it once);
- ``check N-Triples``: ``check`` of graph.nt (load, every built-in rule, the JSON report);
- ``check YAML``: the same ``check`` of the YAML files the generator wrote;
- ``check CSV workbook``: the same ``check`` of workbook/, the same mapping as a folder of
  CSV files (one per sheet, as ``import`` reads them).

Each is timed two ways: inside its process (after starting Python and importing) and as
the whole process, as a user waits for it; the time to load the input is given apart.
Rounds alternate (floor, N-Triples, YAML, workbook, floor, ...) so whatever else the host
does falls on every path alike. Prints, per path, the median and range of both times, the
load's median, the largest resident set (of the process and the processes it starts, together:
``bench.TreeMemory``), and the ratios of the medians to the floor and to
``check`` of the N-Triples; then the host's steal while the rounds ran. The four checks must
report the same number of findings, or the comparison is void and the script says so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import FLOOR, TreeMemory, counting_steal, median_range, steal_pct

ROOT = Path(__file__).resolve().parent.parent

_CHECK = """
import os, sys, time
os.environ["ICS_GRAPH_CACHE"] = "off"
from ics_graph.engine.checking import check
from ics_graph.inputs.loader import load_mapping
from ics_graph.outputs.renderers import render
start = time.perf_counter(); mapping = load_mapping(sys.argv[1:]); loaded = time.perf_counter()
result = check(mapping); render(result, "json", fail_level=None, colour=False, version="bench")
print(time.perf_counter() - start, loaded - start, len(result.findings))
"""


def _inputs(folder: Path) -> dict[str, tuple[str, list[Path]]]:
    """Path name -> (the code run, its arguments)."""
    yaml_files = sorted(folder.glob("*.yaml"))
    return {
        "floor (Oxigraph bulk load)": (FLOOR, [folder / "graph.nt"]),
        "check N-Triples": (_CHECK, [folder / "graph.nt"]),
        "check YAML": (_CHECK, yaml_files),
        "check CSV workbook": (_CHECK, [folder / "workbook"]),
    }


def _run(code: str, args: list[Path]) -> tuple[float, float, float, str, float]:
    """(in-process s, load s, whole process s, what it counted, peak resident MiB)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile() as out, counting_steal():
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", code, *map(str, args)], env=env, stdout=out, cwd="/")
        with TreeMemory(child.pid) as tree:
            _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise SystemExit(f"{args[0]}: the step failed with exit code {child.returncode}")
        out.seek(0)
        said = out.read().decode().split()  # seconds [load seconds] count: the floor only loads
        inside, load, counted = said if len(said) == 3 else (said[0], said[0], said[1])
    return float(inside), float(load), wall, counted, max(usage.ru_maxrss / 1024, tree.peak_mib)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="made by generate.py --ntriples --csv-workbook")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    folder = args.folder.resolve()
    paths = _inputs(folder)
    missing = [str(p) for _, files in paths.values() for p in files if not p.exists()]
    if missing or not paths["check YAML"][1]:
        parser.error(
            f"{folder} lacks {', '.join(missing) or 'YAML files'}: make it with generate.py --ntriples --csv-workbook"
        )
    runs: dict[str, list[tuple[float, float, float, str, float]]] = {name: [] for name in paths}
    for round_number in range(1, args.rounds + 1):
        for name, (code, files) in paths.items():
            runs[name].append(_run(code, files))
        print(f"round {round_number} of {args.rounds} done", file=sys.stderr, flush=True)
    medians = {name: statistics.median(r[0] for r in done) for name, done in runs.items()}
    walls = {name: statistics.median(r[2] for r in done) for name, done in runs.items()}
    floor, check_nt = "floor (Oxigraph bulk load)", "check N-Triples"
    print(f"{folder}: {runs[floor][0][3]} triples; medians (ranges) of {args.rounds} alternating rounds, seconds")
    print(
        "| path | in process | load (in process) | whole process | peak MiB "
        "| / floor (in process, process) | / check N-Triples (in process, process) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, done in runs.items():
        print(
            f"| {name} | {median_range([r[0] for r in done])} | {statistics.median(r[1] for r in done):.2f} "
            f"| {median_range([r[2] for r in done])} | {max(r[4] for r in done):.0f} "
            f"| {medians[name] / medians[floor]:.1f}x, {walls[name] / walls[floor]:.1f}x "
            f"| {medians[name] / medians[check_nt]:.2f}x, {walls[name] / walls[check_nt]:.2f}x |"
        )
    findings = {name: {r[3] for r in done} for name, done in runs.items() if name != floor}
    if len(set().union(*findings.values())) != 1:
        print(f"the checks disagree on the number of findings: {findings}; the comparison is void")
        return 1
    print(f"each check reported {runs[check_nt][0][3]} findings; host's steal: {steal_pct():.1f}% of a core")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
