"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run; ``tool.driver.rules`` describes every rule that ran (sorted by slug) and each
result points at its rule by ``ruleId`` and ``ruleIndex``. Choices made for GitHub
code scanning (docs.github.com, "SARIF support for code scanning"):

* file locations are relative URIs (forward slashes, percent-encoded) with
  ``uriBaseId: "%SRCROOT%"``; GitHub resolves relative URIs against the repository
  root, so no ``originalUriBaseIds`` (which would need an absolute, machine-specific
  path) is written. A file given as an absolute path becomes a ``file://`` URI.
* ``region.startLine`` only when the line is known; a workbook cell is kept in
  ``physicalLocation.properties.cell`` and in the message text.
* a finding with no known file still gets a location with its logical location (the
  entity, ``kind/id``); it is valid SARIF, but GitHub shows only results with a file.
* ``partialFingerprints["icsGraph/v1"]`` is the finding's fingerprint (rule, focus,
  related); GitHub's upload action adds its own line hash next to it.
* descriptions are cut to GitHub's 1024-character limit.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

from ics_graph.outputs.renderers import cycle_text, entity_id, ordered, rules_by_slug

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://w3id.org/ics-graph"
FINGERPRINT_KEY = "icsGraph/v1"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "info": "recommendation"}
_LIMIT = 1024


def camel_case(slug: str) -> str:
    """``place-coverage-gap`` -> ``PlaceCoverageGap``."""
    return "".join(part[:1].upper() + part[1:] for part in slug.split("-") if part)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _cut(text: str, limit: int = _LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def artifact_uri(path: str) -> tuple[str, bool]:
    """A file path as a URI; the flag says whether it is relative (to the repository root)."""
    posix = path.replace("\\", "/")
    if re.match(r"^[A-Za-z]:/", posix):  # Windows drive path
        return "file:///" + quote(posix, safe="/:"), False
    if posix.startswith("/"):
        return "file://" + quote(posix, safe="/"), False
    while posix.startswith("./"):
        posix = posix[2:]
    return quote(posix, safe="/"), True


def _unique(items) -> list:
    seen, out = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def descriptor(rule) -> dict:
    word = rule.severity.word
    help_text = f"How to fix: {rule.fix.strip()}"
    help_md = f"**How to fix.** {rule.fix.strip()}\n\n**Why.** {rule.rationale.strip()}"
    if rule.example:
        help_text += f"\n\nExample that triggers it:\n{rule.example.strip()}"
        help_md += f"\n\n**Example that triggers it:**\n\n```yaml\n{rule.example.strip()}\n```"
    if rule.sources:
        help_md += "\n\n**Sources:**\n\n" + "\n".join(f"- {s}" for s in rule.sources)
    return {
        "id": rule.slug,
        "name": camel_case(rule.slug),
        "shortDescription": {"text": _cut(_flat(rule.title))},
        "fullDescription": {"text": _cut(_flat(rule.rationale))},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": _LEVEL[word]},
        "properties": {"tags": _unique(rule.tags)[:20], "problem.severity": _PROBLEM_SEVERITY[word]},
    }


def _bare_descriptor(slug: str) -> dict:
    """For a finding whose rule is not among the rules that ran (should not happen)."""
    return {"id": slug, "name": camel_case(slug), "shortDescription": {"text": slug}}


def _logical(iri: str, label: str = "") -> dict:
    ident = entity_id(iri)
    return {"fullyQualifiedName": ident, "name": label or ident, "kind": "object"}


def result_object(finding, index: int) -> dict:
    loc = finding.location
    text = finding.message
    location: dict = {}
    if loc is not None and loc.file:
        uri, relative = artifact_uri(loc.file)
        artifact = {"uri": uri, "uriBaseId": "%SRCROOT%"} if relative else {"uri": uri}
        physical: dict = {"artifactLocation": artifact}
        if loc.cell:
            physical["properties"] = {"cell": loc.cell}
            text = f"{text} (cell {loc.cell})"
        elif loc.line > 0:
            region = {"startLine": loc.line}
            if loc.column > 0:
                region["startColumn"] = loc.column
            physical["region"] = region
        location["physicalLocation"] = physical
    location["logicalLocations"] = [_logical(finding.focus, finding.focus_label)]
    result = {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": _LEVEL[finding.severity.word],
        "message": {"text": text},
        "locations": [location],
    }
    related = _unique(finding.related)
    if related:
        result["relatedLocations"] = [
            {"id": number, "logicalLocations": [_logical(iri)], "message": {"text": entity_id(iri)}}
            for number, iri in enumerate(related, start=1)
        ]
    result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    properties: dict = {"focus": entity_id(finding.focus)}
    if finding.area_label:
        properties["area"] = finding.area_label
    if finding.cycle:
        properties["cycle"] = [entity_id(c) for c in finding.cycle]
        properties["cycleText"] = cycle_text(finding)
    if finding.hint:
        properties["hint"] = _flat(finding.hint)
    result["properties"] = properties
    return result


def log(result, *, version: str) -> dict:
    rules = rules_by_slug(result)
    findings = ordered(result.findings)
    slugs = sorted(set(rules) | {f.rule for f in findings})
    index = {slug: number for number, slug in enumerate(slugs)}
    driver = {
        "name": "ics-graph",
        "version": version,
        "informationUri": INFORMATION_URI,
        "rules": [descriptor(rules[s]) if s in rules else _bare_descriptor(s) for s in slugs],
    }
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "results": [result_object(f, index[f.rule]) for f in findings],
            }
        ],
    }


def render(result, *, fail_level=None, colour: bool = False, version: str = "") -> str:
    return json.dumps(log(result, version=version), indent=2, ensure_ascii=False) + "\n"
