"""Reloading an Oxigraph store after the edits authors make: alternating rounds, medians, ranges.

    python benchmarks/generate.py --preset 1m -o /tmp/national
    python benchmarks/reloads.py /tmp/national [--rounds 5]

The YAML files of a generated mapping are copied into a scratch folder (the folder given
is only read), and each round runs ``ics-graph load FILES --store oxigraph:STORE`` there,
as whole processes of this version of ics-graph with the load cache off, five ways:

- ``fresh load``: into a new store (and without the files a store keeps beside it);
- ``nothing changed``: the same files again;
- ``a comment added``: a comment appended to one system's file (the graph is the same);
- ``one file's graph edited``: a place in that file renamed (its graph is replaced);
- ``nothing changed, after the edit``: the same files again.

Prints the median and range of each, and the largest resident set (the load and the
processes it starts, together: ``bench.TreeMemory``), with what each load
said it did (files added, replaced, unchanged, and whether it read them again); then the
host's steal while the rounds ran.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import TreeMemory, counting_steal, median_range, steal_pct

ROOT = Path(__file__).resolve().parent.parent
_PLACE = re.compile(r"(name: System \d+ Place 0)(?: \(round \d+\))?,")


def _load(workspace: Path, files: list[str]) -> tuple[float, float, str]:
    """(whole process s, peak resident MiB, the report's first line and note)."""
    env = {**os.environ, "ICS_GRAPH_CACHE": "off", "PYTHONPATH": str(ROOT)}  # this tree's ics-graph
    command = [sys.executable, "-m", "ics_graph", "load", *files, "--store", "oxigraph:store"]
    with tempfile.TemporaryFile() as said, counting_steal():
        start = time.perf_counter()
        child = subprocess.Popen(command, env=env, cwd=workspace, stdout=subprocess.DEVNULL, stderr=said)
        with TreeMemory(child.pid) as tree:
            _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        said.seek(0)
        text = said.read().decode()
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"the load failed:\n{text[-2000:]}")
    lines = text.splitlines()
    summary = lines[0].split(": ", 1)[1] if lines else ""
    if any("none was read again" in line for line in lines):
        summary += " (none read again)"
    return wall, max(usage.ru_maxrss / 1024, tree.peak_mib), summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="made by generate.py")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    sources = sorted(args.folder.resolve().glob("*.yaml"))
    systems = [path for path in sources if path.name.startswith("s")]
    if not systems:
        parser.error(f"{args.folder} holds no generated systems (s000.yaml ...): make it with generate.py")
    steps = ["fresh load", "nothing changed", "a comment added", "one file's graph edited", "nothing changed, after"]
    runs: dict[str, list[tuple[float, float, str]]] = {step: [] for step in steps}
    with tempfile.TemporaryDirectory(prefix="ics-graph-reloads-") as scratch:
        workspace = Path(scratch)
        (workspace / ".git").mkdir()  # the mapping's folder tree
        for path in sources:
            shutil.copyfile(path, workspace / path.name)
        files = [path.name for path in sources]
        edited = workspace / systems[len(systems) // 2].name
        for round_number in range(1, args.rounds + 1):
            shutil.rmtree(workspace / "store", ignore_errors=True)
            shutil.rmtree(workspace / ".store.files", ignore_errors=True)  # what it kept of each file
            runs["fresh load"].append(_load(workspace, files))
            runs["nothing changed"].append(_load(workspace, files))
            with edited.open("a", encoding="utf-8") as text:
                text.write(f"# reviewed in round {round_number}\n")
            runs["a comment added"].append(_load(workspace, files))
            content = edited.read_text(encoding="utf-8")
            renamed, count = _PLACE.subn(rf"\1 (round {round_number}),", content, count=1)
            if count != 1:
                raise SystemExit(f"{edited.name}: found no place to rename")
            edited.write_text(renamed, encoding="utf-8")
            runs["one file's graph edited"].append(_load(workspace, files))
            runs["nothing changed, after"].append(_load(workspace, files))
            print(f"round {round_number} of {args.rounds} done", file=sys.stderr, flush=True)
    print(f"{args.folder}: {len(files)} files, {edited.name} edited; medians (ranges) of {args.rounds} rounds, seconds")
    print("| reload | whole process | peak MiB | what the load said |")
    print("|---|---|---|---|")
    for step, done in runs.items():
        said = sorted({r[2] for r in done})
        print(f"| {step} | {median_range([r[0] for r in done])} | {max(r[1] for r in done):.0f} | {'; '.join(said)} |")
    print(f"host's steal: {steal_pct():.1f}% of a core")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
