"""Machine-readable JSON report with a stable, documented schema (``findings.schema.json``).

Shape (format ``version`` 1; a change that removes or retypes a field bumps it)::

    {
      "version": 1,
      "tool": {"name": "ics-graph", "version": "0.1.0"},
      "summary": {"error": 1, "warning": 0, "info": 0, "waived": 0, "baselined": 0},
      "findings": [
        {
          "rule": "delegation-cycle", "severity": "error", "message": "...",
          "focus": "delegation/...", "focus_iri": "https://w3id.org/ics-graph/id/delegation/...",
          "focus_label": "...", "related": ["body/shire-icb"], "area": "North" | null,
          "file": "data/delegations.yaml" | null, "line": 12 | null, "cell": "Allocations!D14" | null,
          "cycle": ["body/a", "body/b", "body/a"] | null, "hint": "..." | null,
          "fingerprint": "0123456789abcdef"
        }
      ]
    }

Entities are written ``kind/id`` (the part of the IRI after ``https://w3id.org/ics-graph/id/``);
an entity outside that namespace is written as its full IRI. Findings are in the fixed
order of :func:`ics_graph.outputs.renderers.ordered`; keys are in the order shown.
"""

from __future__ import annotations

import json

from ics_graph.outputs.renderers import counts, entity_id, hint_for, ordered, rules_by_slug

FORMAT_VERSION = 1


def finding_record(finding, rule) -> dict:
    loc = finding.location
    has_file = loc is not None and bool(loc.file)
    return {
        "rule": finding.rule,
        "severity": finding.severity.word,
        "message": finding.message,
        "focus": entity_id(finding.focus),
        "focus_iri": finding.focus,
        "focus_label": finding.focus_label,
        "related": [entity_id(r) for r in finding.related],
        "area": finding.area_label or None,
        "file": loc.file if has_file else None,
        "line": loc.line if has_file and loc.line > 0 else None,
        "cell": (loc.cell or None) if has_file else None,
        "cycle": [entity_id(c) for c in finding.cycle] if finding.cycle else None,
        "hint": hint_for(finding, rule) or None,
        "fingerprint": finding.fingerprint,
    }


def report(result, *, version: str) -> dict:
    rules = rules_by_slug(result)
    summary = counts(result)
    summary.update(waived=result.waived, baselined=result.baselined)
    return {
        "version": FORMAT_VERSION,
        "tool": {"name": "ics-graph", "version": version},
        "summary": summary,
        "findings": [finding_record(f, rules.get(f.rule)) for f in ordered(result.findings)],
    }


def render(result, *, fail_level=None, colour: bool = False, version: str = "") -> str:
    return json.dumps(report(result, version=version), indent=2, ensure_ascii=False) + "\n"
