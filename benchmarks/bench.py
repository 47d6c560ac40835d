"""Benchmarks: each step in a fresh process, wall time and peak memory, side by side.

    python benchmarks/bench.py                         # one-system size
    python benchmarks/bench.py --sizes one-system,0.1m,0.3m,1m --json out.json

For each size it generates a deterministic synthetic mapping (benchmarks/generate.py),
then measures, each in its own process:
- ``load``: ``ics_graph.load_mapping`` of the YAML in-process (the library's time);
- ``check, YAML``: ``ics-graph check`` on the YAML files, as a user runs it;
- ``check, N-Triples``: ``ics-graph check`` on the same graph as N-Triples;
- ``pySHACL``: a fresh Python process parsing the same N-Triples with rdflib and
  validating benchmarks/shapes/structural.ttl with pySHACL (import time included, as
  for ``check``);
- ``Oxigraph floor``: pyoxigraph bulk-loading the same N-Triples (reading the data once);
- ``where``: ``ics-graph where`` for one function on the YAML, as a fresh process;
- ``visualise``: ``ics-graph visualise`` writing the page, as a fresh process, then the
  page opened in headless Chromium (networking off) until its layout has settled and it
  reports the nodes and edges drawn (``--browser``; needs Debian's chromium).
``check`` runs all 15 built-in rules; the SHACL shapes cover only the structural ones.
It prints a markdown table and can write JSON. Performance is reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
CLI = str(Path(PY).parent / "ics-graph")

LOAD = """
import sys, time, glob
from ics_graph.loader import load_mapping
t = time.perf_counter(); m = load_mapping(sorted(glob.glob(sys.argv[1] + '/*.yaml'))); e = time.perf_counter() - t
print(f'{e:.4f} {len(m)}')
"""
FLOOR = """
import sys, time, pyoxigraph as ox
t = time.perf_counter(); s = ox.Store(); s.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_TRIPLES); e = time.perf_counter() - t
print(f'{e:.4f} {len(s)}')
"""
PYSHACL = """
import sys, time, rdflib, pyshacl
t = time.perf_counter()
g = rdflib.Graph().parse(sys.argv[1], format='nt'); s = rdflib.Graph().parse(sys.argv[2], format='turtle')
conforms, report, _ = pyshacl.validate(g, shacl_graph=s, inference='none')
e = time.perf_counter() - t
print(f'{e:.4f} {len(list(report.subjects(rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/shacl#ValidationResult"))))}')
"""


def measure(argv: list[str], timeout: float = 3600) -> dict:
    """Run a command; wall time, peak RSS (MiB) of that process, its last stdout line."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=ROOT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        lines = out.read().decode().strip().splitlines()
        error = err.read().decode().strip()
    code = os.waitstatus_to_exitcode(status)
    return {"wall_s": round(wall, 3), "peak_mib": round(usage.ru_maxrss / 1024, 1), "exit": code,
            "last": lines[-1] if lines else "", "stderr": error[-500:] if code not in (0, 1) else ""}


BROWSER = False


def browser_settle(page: Path) -> tuple[int | None, float | None]:
    """Open the page in headless Chromium; seconds until its layout settled and it
    reported what it drew (window.icsGraph), and the number of nodes drawn."""
    sys.path.insert(0, str(ROOT / "tests"))
    from chromium import Browser, find_chromium

    binary = find_chromium()
    if not binary:
        return None, None
    with tempfile.TemporaryDirectory() as profile:
        browser = Browser(binary, Path(profile))
        try:
            browser.send("Target.getTargets", session=False)  # the browser is up before timing starts
            start = time.perf_counter()
            browser.open(page.resolve().as_uri())
            browser.wait_for("window.icsGraph && window.icsGraph.ready", timeout=120)
            settled = time.perf_counter() - start
            nodes = browser.evaluate("window.icsGraph.nodes")
        finally:
            browser.close()
    return nodes, round(settled, 2)


def bench_size(name: str, work: Path) -> dict:
    folder = work / name
    if not (folder / "graph.nt").exists():
        subprocess.run([PY, str(HERE / "generate.py"), "--preset", name, "-o", str(folder), "--ntriples"], check=True)
    yamls = sorted(str(p) for p in folder.glob("*.yaml"))
    row: dict = {"size": name}
    load = measure([PY, "-c", LOAD, str(folder)])
    seconds, triples = load["last"].split()
    row["triples"] = int(triples)
    row["load_s"], row["load_peak_mib"] = float(seconds), load["peak_mib"]
    check = measure([CLI, "check", *yamls, "--format", "json", "-o", str(work / f"{name}-findings.json")])
    row["check_yaml_s"], row["check_yaml_peak_mib"] = check["wall_s"], check["peak_mib"]
    row["findings"] = len(json.loads((work / f"{name}-findings.json").read_text())["findings"]) if check["exit"] in (0, 1) else None
    check_nt = measure([CLI, "check", str(folder / "graph.nt"), "--format", "json", "-o", str(work / f"{name}-findings-nt.json")])
    row["check_s"], row["check_peak_mib"] = check_nt["wall_s"], check_nt["peak_mib"]
    where = measure([CLI, "where", "f0003", *yamls, "--format", "json"])
    row["where_s"] = where["wall_s"] if where["exit"] == 0 else None
    page = work / f"{name}-graph.html"
    drawn = measure([CLI, "visualise", *yamls, "-o", str(page)])
    row["visualise_s"] = drawn["wall_s"] if drawn["exit"] in (0, 1) else None
    row["visualise_nodes"], row["browser_settle_s"] = browser_settle(page) if BROWSER else (None, None)
    floor = measure([PY, "-c", FLOOR, str(folder / "graph.nt")])
    row["oxigraph_floor_s"] = float(floor["last"].split()[0])
    try:
        import pyshacl  # noqa: F401
        shacl = measure([PY, "-c", PYSHACL, str(folder / "graph.nt"), str(HERE / "shapes" / "structural.ttl")])
        row["pyshacl_s"] = shacl["wall_s"] if shacl["exit"] == 0 else None
        row["pyshacl_inprocess_s"] = float(shacl["last"].split()[0]) if shacl["exit"] == 0 else None
        row["pyshacl_peak_mib"] = shacl["peak_mib"]
    except ImportError:
        row["pyshacl_s"] = None
    return row


def table(rows: list[dict]) -> str:
    head = ("| size | triples | load YAML (s) | check, YAML (s) | check, N-Triples (s) | check peak (MiB) | findings "
            "| pySHACL (s) | pySHACL peak (MiB) | Oxigraph floor (s) | check vs pySHACL |")
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        speedup = f"{r['pyshacl_s'] / r['check_s']:.1f}x faster" if r.get("pyshacl_s") else "n/a"
        shacl = f"{r['pyshacl_s']:.2f}" if r.get("pyshacl_s") is not None else "n/a"
        lines.append(f"| {r['size']} | {r['triples']:,} | {r['load_s']:.2f} | {r['check_yaml_s']:.2f} | {r['check_s']:.2f} "
                     f"| {r['check_peak_mib']:.0f} | {r['findings']} | {shacl} | {r.get('pyshacl_peak_mib', 0):.0f} "
                     f"| {r['oxigraph_floor_s']:.2f} | {speedup} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="one-system")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ics-graph-bench")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--browser", action="store_true", help="also time the page in headless Chromium")
    args = parser.parse_args(argv)
    global BROWSER
    BROWSER = args.browser
    args.work.mkdir(parents=True, exist_ok=True)
    help_run = measure([CLI, "--help"])
    rows = [bench_size(size, args.work) for size in args.sizes.split(",")]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"Machine: {machine}; `ics-graph --help`: {help_run['wall_s']:.2f} s\n")
    print(table(rows))
    print()
    print("| size | where, fresh process (s) | visualise, write (s) | nodes drawn | open and settle in Chromium (s) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['size']} | {r['where_s']} | {r['visualise_s']} | {r['visualise_nodes']} | {r['browser_settle_s']} |")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "help_s": help_run["wall_s"], "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
