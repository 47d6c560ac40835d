"""Output formats of ``ics-graph check``: one module per format, chosen by name.

Every renderer is a function ``render(result, *, fail_level, colour, version) -> str``
in its own module; :data:`_MODULES` maps a format name to that module, so adding a
format is one module plus one line here. Modules are imported only when their
format is asked for, and use the standard library only.

Every format is byte-deterministic: the same findings, given in any order, render
to the same text (findings are put in one fixed order with :func:`ordered`; JSON
keys are written in a fixed order; nothing depends on the clock or the machine).
"""

from __future__ import annotations

import importlib
import re

from ics_graph.model.findings import CheckResult, Finding, Severity, sort_findings
from ics_graph.model.vocabulary import short_id
from ics_graph.util.errors import UsageError, did_you_mean

__all__ = [
    "FORMATS",
    "counts",
    "cycle_text",
    "entity_id",
    "first_sentence",
    "hint_for",
    "ordered",
    "render",
    "rules_by_slug",
]

# format name -> module in this package (the module defines ``render``)
_MODULES = {
    "text": "text",
    "json": "json_report",
    "junit": "junit",
    "sarif": "sarif",
    "github": "github",
}
FORMATS = tuple(_MODULES)


def render(result: CheckResult, fmt: str, *, fail_level: Severity | None, colour: bool = False, version: str) -> str:
    """``result`` as text in format ``fmt`` (one of :data:`FORMATS`).

    ``fail_level`` is the severity at or above which a finding fails the check
    (``None``: nothing fails); ``colour`` asks for ANSI colour (text only);
    ``version`` is the ics-graph version written into machine-readable formats."""
    if fmt not in _MODULES:
        raise UsageError(f"unknown output format '{fmt}'{did_you_mean(fmt, FORMATS)}; use one of: {', '.join(FORMATS)}")
    module = importlib.import_module(f"{__name__}.{_MODULES[fmt]}")
    return module.render(result, fail_level=fail_level, colour=colour, version=version)


# --- helpers shared by the renderers -------------------------------------------------


def _tiebreak(finding: Finding) -> tuple:
    """Everything that :meth:`Finding.sort_key` leaves out, so that two findings equal
    under it still come out in one order whatever order they came in."""
    loc = finding.location
    return (
        int(finding.severity),
        finding.focus_label,
        finding.area_label,
        finding.hint,
        finding.cycle,
        finding.cycle_labels,
        loc.column if loc else 0,
        (loc.cell or "") if loc else "",
    )


def ordered(findings) -> list[Finding]:
    """Findings in the one stable order every format uses (rule, file, line, focus,
    message, related; then the remaining fields)."""
    return sort_findings(sorted(findings, key=_tiebreak))


def entity_id(iri: str) -> str:
    """An entity IRI as ``kind/id`` when it is a data entity, else the IRI unchanged."""

    return short_id(iri)


def rules_by_slug(result: CheckResult) -> dict:
    return {rule.slug: rule for rule in result.rules}


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` with its whitespace folded to single spaces."""
    flat = " ".join(text.split())
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z0-9`'\"(])", flat)
    return flat[: match.start()] if match else flat


def hint_for(finding: Finding, rule) -> str:
    """What to do about a finding: its own hint, else the first sentence of the rule's fix."""
    if finding.hint.strip():
        return " ".join(finding.hint.split())
    fix = getattr(rule, "fix", "") if rule is not None else ""
    return first_sentence(fix) if fix else ""


def cycle_text(finding: Finding) -> str:
    """A cycle written out ``A -> B -> A``, with labels where known and ``kind/id`` otherwise."""
    labels = finding.cycle_labels if len(finding.cycle_labels) == len(finding.cycle) else ()
    parts = []
    for index, iri in enumerate(finding.cycle):
        label = labels[index] if labels else ""
        if not label and iri == finding.focus:
            label = finding.focus_label
        parts.append(label or entity_id(iri))
    return " -> ".join(parts)


def counts(result: CheckResult) -> dict[str, int]:
    """Findings per severity word (``error``, ``warning``, ``info``)."""
    tally = {"error": 0, "warning": 0, "info": 0}
    for finding in result.findings:
        tally[finding.severity.word] += 1
    return tally
