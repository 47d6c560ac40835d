"""JUnit XML, for CI systems that show test reports: each rule that ran is a test case.

A rule with findings at or above the fail level *fails* (one ``<failure>`` listing them);
its findings below the fail level, and all findings of a rule that does not fail, are
listed in the test case's ``<system-out>``. A rule with no findings passes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import groupby

from ics_graph.outputs.renderers import ordered

# characters XML 1.0 cannot carry at all (even escaped); replaced so the report stays well-formed
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _line(finding) -> str:
    where = f"{finding.location}: " if finding.location is not None and finding.location.file else ""
    return _clean(f"{where}{finding.message}")


def render(result, *, fail_level=None, colour: bool = False, version: str = "") -> str:
    by_rule = {slug: list(group) for slug, group in groupby(ordered(result.findings), key=lambda f: f.rule)}
    slugs = sorted({rule.slug for rule in result.rules} | set(by_rule))
    cases, failures = [], 0
    for slug in slugs:
        findings = by_rule.get(slug, [])
        fails = lambda f: fail_level is not None and f.severity >= fail_level
        failing = [f for f in findings if fails(f)]
        passing = [f for f in findings if not fails(f)]
        case = ET.Element("testcase", {"classname": "ics-graph.rules", "name": slug})
        if failing:
            failures += 1
            worst = max(f.severity for f in failing)
            failure = ET.SubElement(
                case,
                "failure",
                {
                    "message": f"{len(failing)} finding{'' if len(failing) == 1 else 's'}",
                    "type": worst.word,
                },
            )
            failure.text = "\n".join(f"[{f.severity.word}] {_line(f)}" for f in failing) + "\n"
        if passing:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(f"[{f.severity.word}] {_line(f)}" for f in passing) + "\n"
        cases.append(case)
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": "0", "skipped": "0"}
    root = ET.Element("testsuites", {"name": "ics-graph", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": "ics-graph check", **counts})
    suite.extend(cases)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
