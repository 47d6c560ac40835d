"""What a check reports: findings, their severities, and their stable fingerprints.

A :class:`Finding` is plain data; the checking core builds them and renderers
(text, JSON, JUnit, SARIF, GitHub) only read them. Findings sort in one stable order
(rule, file, line, focus, message) so every output format is deterministic.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import IntEnum

from ics_graph.model.vocabulary import short_id
from ics_graph.util.errors import Location

__all__ = ["CheckResult", "Finding", "Severity", "sort_findings"]


class Severity(IntEnum):
    """Ordered so that ``severity >= fail_level`` decides the exit code."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, word: str) -> Severity:
        try:
            return cls[word.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity '{word}': use error, warning or info") from None

    @property
    def word(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Finding:
    """One problem found by a rule.

    ``focus`` is the IRI of the entity the finding is about (an allocation, a function,
    a delegation ...); ``related`` are other entities involved (the area, the other
    allocation); ``cycle`` is a written-out cycle (IRIs, first == last) for cycle rules.
    ``location`` is where the focus entity was written, when known. ``cycle_labels``,
    when given, are the labels of the ``cycle`` entities in the same order (renderers
    show them instead of ids); they take no part in sorting or the fingerprint.
    """

    rule: str
    severity: Severity
    message: str
    focus: str
    focus_label: str = ""
    related: tuple[str, ...] = ()
    location: Location | None = None
    cycle: tuple[str, ...] = ()
    hint: str = ""
    area_label: str = ""
    cycle_labels: tuple[str, ...] = ()  # labels parallel to ``cycle`` ("" where unknown), for display only

    @property
    def fingerprint(self) -> str:
        """Stable identity for baselines and SARIF: rule, focus and related entities —
        not the message or line, so rewording or moving a file keeps it."""
        text = "\x1f".join([self.rule, self.focus, *sorted(self.related)])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @property
    def focus_id(self) -> str:
        """The focus as ``kind/id`` (``allocation/chc--shire--...``) when it is a data entity."""

        return short_id(self.focus)

    def sort_key(self) -> tuple:
        loc = self.location or Location("")
        return (self.rule, loc.file, loc.line, self.focus, self.message, self.related)


def sort_findings(findings) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)


def to_records(findings) -> list[dict]:
    """Findings as plain JSON-ready records, every field kept: what a store or the load
    cache keeps, so that ``where`` and ``visualise`` can show them without checking again."""
    return [
        {
            "rule": f.rule,
            "severity": f.severity.word,
            "message": f.message,
            "focus": f.focus,
            "focus_label": f.focus_label,
            "related": list(f.related),
            "location": list(f.location) if f.location else None,
            "cycle": list(f.cycle),
            "hint": f.hint,
            "area_label": f.area_label,
            "cycle_labels": list(f.cycle_labels),
        }
        for f in findings
    ]


def from_records(records) -> list[Finding]:
    """The findings :func:`to_records` kept."""
    return [
        Finding(
            rule=r["rule"],
            severity=Severity.parse(r["severity"]),
            message=r["message"],
            focus=r["focus"],
            focus_label=r["focus_label"],
            related=tuple(r["related"]),
            location=Location(*r["location"]) if r["location"] else None,
            cycle=tuple(r["cycle"]),
            hint=r["hint"],
            area_label=r["area_label"],
            cycle_labels=tuple(r["cycle_labels"]),
        )
        for r in records
    ]


@dataclass
class CheckResult:
    """Everything ``check`` produced: findings to show, and bookkeeping about what was
    hidden by waivers and baselines, so renderers can say so."""

    findings: list[Finding] = field(default_factory=list)
    rules: list = field(default_factory=list)  # the Rule objects that ran
    waived: int = 0
    baselined: int = 0
    files: list[str] = field(default_factory=list)
    #: What the user should know about how the check ran, not about the mapping (a rule
    #: run in ics-graph because the endpoint could not): shown apart from the report,
    #: which stays the same wherever the mapping is.
    notes: list[str] = field(default_factory=list)

    def at_or_above(self, level: Severity | None) -> list[Finding]:
        if level is None:
            return []
        return [f for f in self.findings if f.severity >= level]
