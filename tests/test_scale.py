"""Robust at size: a 100,000-step delegation chain and a 100,000-function dependency
cycle are checked, and the chain is followed by ``where``, with no recursion error and
within the 2 GB memory bound (both run in a fresh process, so the peak is theirs). And
the generated mapping in which arrangements end (the national graph
`function-continuity` is measured on) has the gaps it says it has."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml
from conftest import ROOT

from ics_graph.engine.checking import check
from ics_graph.inputs.loader import load_mapping
from ics_graph.model.vocabulary import ID

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import extremes_ntriples, generate

STEPS = 100_000

SCRIPT = """
import json, resource, sys
from ics_graph.engine.checking import check
from ics_graph.inputs.loader import load_mapping
from ics_graph.queries.where import where_is
mapping = load_mapping([sys.argv[1]])
result = check(mapping)  # every built-in rule
cycles = {f.rule: {"count": sum(1 for g in result.findings if g.rule == f.rule), "length": len(f.cycle),
                   "message": f.message} for f in result.findings if f.cycle}
report = where_is(mapping, "https://w3id.org/ics-graph/id/function/chained", findings=result.findings)
chain = report.as_dict()["systems"][0]["holdings"][0]["chain"]
print(json.dumps({"cycles": cycles, "chain": len(chain), "last": chain[-1]["to_body"],
                  "other": sorted({f.rule for f in result.findings} - set(cycles)),
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""


def test_a_100000_step_chain_and_cycle_are_checked_without_recursion(tmp_path):
    data = extremes_ntriples(tmp_path, STEPS)
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(data)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    # Each circle is one finding, with one shortest cycle written out in full in its field:
    # the delegation chain body 1 -> ... -> body 100,000 -> body 1, and the dependency ring.
    assert out["cycles"]["delegation-cycle"]["count"] == 1
    assert out["cycles"]["delegation-cycle"]["length"] == STEPS + 1
    assert out["cycles"]["dependency-cycle"]["count"] == 1
    assert out["cycles"]["dependency-cycle"]["length"] == STEPS + 1
    assert "more steps" in out["cycles"]["dependency-cycle"]["message"]  # the message is cut, the field is whole
    # The ring's functions are allocated nowhere (unowned, rightly); nothing else is found:
    # no spurious delegator, upward-delegation or date findings along the chain.
    assert out["other"] == ["unowned-function"]
    # where follows the whole chain from the ICB down, stopping where it comes round again.
    assert out["chain"] == STEPS and out["last"] == f"Body {STEPS}"
    assert out["peak_mib"] < 2048


def test_generated_arrangements_that_end_leave_the_gaps_continuity_reports(tmp_path):
    """`generate.py --ending`: of the allocations that end on 31 March 2024, the ones not
    taken over the next day are exactly the ones function-continuity reports (one finding
    each), and the ones taken over are not reported."""
    generate(tmp_path, 2, 3, 2, 40, 1.5, 0.05, 7, ending=0.3)
    rows = [row for path in sorted(tmp_path.glob("s*.yaml")) for row in yaml.safe_load(path.read_text())["allocations"]]
    ended = {(r["function"], r["area"], r["accountable"]) for r in rows if str(r.get("effective_to")) == "2024-03-31"}
    taken_over = {
        (r["function"], r["area"], r["accountable"]) for r in rows if str(r["effective_from"]) == "2024-04-01"
    }
    assert taken_over and ended - taken_over and taken_over < ended
    expected = {f"{ID}allocation/{f}--{a}--{b}--2022-07-01" for f, a, b in ended - taken_over}
    findings = check(load_mapping(sorted(tmp_path.glob("*.yaml")))).findings
    assert sorted(f.focus for f in findings if f.rule == "function-continuity") == sorted(expected)
