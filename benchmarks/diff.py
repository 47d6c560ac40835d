"""How long ``ics-graph diff`` takes on the four packs: a copy of ``data/`` as it is (base)
and one where a function moved (head), each run in a fresh process.

    python benchmarks/diff.py               # three runs of each, medians
    python benchmarks/diff.py --runs 5

The head copy moves the joint strategic needs assessment in Northamptonshire from its two
places (the ICB-era allocations nhn-alloc-jsna-north and -west) to the system. Measured:

- ``diff, files read``: ``ics-graph diff base/data head/data`` (the four packs with the
  catalogue and the national frame), folder against folder, with
  ``ICS_GRAPH_CACHE=off`` (every file read, both versions checked);
- ``diff, cached``: the same with the load cache warm (the files and findings of both
  versions read back: a second diff of the same versions);
- ``diff --git``: two commits of a temporary repository holding the two copies, read with
  ``git archive`` (cache off);
- ``check``: one ``ics-graph check`` of the four packs (cache off), for scale: a diff
  checks both versions, on two threads.

Reported, never asserted; prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "ics-graph")
PACKS = [
    "data/northamptonshire",
    "data/cambridgeshire-peterborough",
    "data/greater-manchester",
    "data/lancashire-south-cumbria",
]

MOVED = """allocations:
  - id: nhn-alloc-jsna-system
    function: joint-strategic-needs-assessment
    area: northamptonshire
    accountable: [northamptonshire-icb, nhn-nnc, nhn-wnc]
    joint: yes
    effective_from: 2022-07-01
    level_reason: population-scale
"""


def move_jsna(data: Path) -> None:
    """Move the joint strategic needs assessment of Northamptonshire from place to system."""
    import yaml

    place = data / "northamptonshire" / "allocations-place.yaml"
    document = yaml.safe_load(place.read_text(encoding="utf-8"))
    document["allocations"] = [
        a for a in document["allocations"] if a.get("id") not in ("nhn-alloc-jsna-north", "nhn-alloc-jsna-west")
    ]
    place.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    (data / "northamptonshire" / "moved.yaml").write_text(MOVED, encoding="utf-8")


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="ics-graph-diff-bench-") as tmp:
        work = Path(tmp)
        for side in ("base", "head"):
            shutil.copytree(ROOT / "data", work / side / "data")
            (work / side / ".git").mkdir()  # a checkout: the packs import ../catalogue
        move_jsna(work / "head" / "data")
        repo = work / "repo"
        shutil.copytree(ROOT / "data", repo / "data")
        git = lambda *args: subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)
        git("init", "-q")
        git("-c", "user.name=bench", "-c", "user.email=bench@example.org", "add", "-A")
        git("-c", "user.name=bench", "-c", "user.email=bench@example.org", "commit", "-q", "-m", "base")
        move_jsna(repo / "data")
        git("-c", "user.name=bench", "-c", "user.email=bench@example.org", "add", "-A")
        git("-c", "user.name=bench", "-c", "user.email=bench@example.org", "commit", "-q", "-m", "head")

        off = {**os.environ, "ICS_GRAPH_CACHE": "off"}
        warm = {**os.environ, "ICS_GRAPH_CACHE": str(work / "cache")}
        # a folder version is one path: data/, the four packs with the catalogue and national frame
        base, head = [str(work / side / "data") for side in ("base", "head")]
        steps = {
            "diff, files read": ([CLI, "diff", base, head], work, off),
            "diff, cached": ([CLI, "diff", base, head], work, warm),
            "diff --git": ([CLI, "diff", "--git", "HEAD~1", "HEAD", *PACKS], repo, off),
            "check": ([CLI, "check", *PACKS, "--fail-on", "never"], work / "base", off),
        }
        timed(steps["diff, cached"][0], work, warm)  # fill the cache
        print("| step | median (s) | runs (s) |\n|---|---|---|")
        for name, (argv, cwd, env) in steps.items():
            times = [timed(argv, cwd, env) for _ in range(runs)]
            print(f"| {name} | {statistics.median(times):.2f} | {', '.join(f'{t:.2f}' for t in times)} |")


if __name__ == "__main__":
    main()
