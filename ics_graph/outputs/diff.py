"""``ics-graph diff`` as text, Markdown or JSON (schema: ``renderers/diff.schema.json``).

Every entity is shown by its label with its id in parentheses, "Continuing healthcare
(function/chc)"; the JSON gives both. Markdown escapes every text that comes from the
mapping (labels, ids, dates, messages, the paths and revisions compared), so a label
cannot make a link, an image, HTML, emphasis or a table: it is for a pull-request comment
or ``$GITHUB_STEP_SUMMARY``. The order is the diff's own (sorted), so the same two
versions always give the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ics_graph.model.vocabulary import short_id
from ics_graph.queries.diff import (
    AccountabilityChange,
    AllocationChange,
    AllocationItem,
    DelegationChange,
    DelegationEnd,
    DelegationItem,
    EntityItem,
    FieldChange,
    FindingItem,
    MappingDiff,
    Move,
    Placement,
    Rename,
)

__all__ = ["as_dict", "render"]

FORMATS = ("text", "markdown", "json")

# Markdown punctuation that could act mid-line (the mapping's text never starts a line):
# escapes, code, emphasis, links and images, HTML and autolinks, entities, tables,
# strikethrough, maths. (``>`` quotes only at the start of a line.)
_MARKDOWN = re.compile(r"([\\`*_\[\]<|~&$])")


def markdown_text(text: str) -> str:
    """``text`` as Markdown shows it literally, on one line.

    >>> print(markdown_text("<b>[x](y)</b> *a* | b"))
    \\<b>\\[x\\](y)\\</b> \\*a\\* \\| b
    """
    one_line = " ".join(str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return _MARKDOWN.sub(r"\\\1", one_line)


class _Words:
    """How a renderer writes what comes from the mapping: labels with ids, values."""

    def __init__(self, labels: dict[str, str], escape: Callable[[str], str]):
        self.labels, self.escape = labels, escape

    def ref(self, iri: str | None) -> str:
        if not iri:
            return "nobody"
        label, ident = self.labels.get(iri, ""), short_id(iri)
        return self.escape(f"{label} ({ident})" if label and label != ident else ident)

    def refs(self, iris: tuple[str, ...] | list[str], joint: bool | None = None) -> str:
        if not iris:
            return "no accountable body"
        shown = [self.ref(iri) for iri in iris]
        text = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
        if joint is not None and len(shown) > 1:
            text += " (jointly)" if joint else " (not joint)"
        return text

    def value(self, text: str | None) -> str:
        return "none" if text is None else self.escape(text)


def _level(level: str | None) -> str:
    return f"{level} level" if level else "an unknown level"


def _placements(w: _Words, places: tuple[Placement, ...]) -> str:
    by_level: dict[str | None, list[str]] = {}
    for place in places:
        by_level.setdefault(place.level, []).append(place.area)
    return "; ".join(f"{_level(level)} in {w.refs(areas)}" for level, areas in by_level.items())


def _moved(w: _Words, m: Move) -> str:
    return f"{w.ref(m.function)} in {w.ref(m.system)}: from {_placements(w, m.before)} to {_placements(w, m.after)}"


def _accountability(w: _Words, c: AccountabilityChange) -> str:
    return (
        f"{w.ref(c.function)} in {w.ref(c.area)}: {w.refs(c.before, c.before_joint)} "
        f"-> {w.refs(c.after, c.after_joint)}"
    )


def _allocation(w: _Words, a: AllocationItem) -> str:
    return f"{w.ref(a.function)} at {_level(a.level)} in {w.ref(a.area)}, accountable: {w.refs(a.accountable, a.joint)}"


def _field(w: _Words, c: FieldChange) -> str:
    if isinstance(c.before, tuple) or isinstance(c.after, tuple):  # bodies (delivered_by)
        before, after = (w.refs(list(x)) if x else "nobody" for x in (c.before, c.after))
        return f"{c.field} {before} -> {after}"
    shown = w.ref if c.field == "to" else w.value
    return f"{c.field} {shown(c.before)} -> {shown(c.after)}"


def _allocation_change(w: _Words, c: AllocationChange) -> str:
    return f"{w.ref(c.function)} in {w.ref(c.area)}: " + "; ".join(_field(w, one) for one in c.changes)


def _delegation(w: _Words, d: DelegationItem, *, end: bool = True) -> str:
    """A delegation in words; ``end``: with its end date (a delegation that ends says so apart)."""
    dates = [f"from {w.value(d.start)}"] if d.start else []
    dates += [f"to {w.value(d.end)}"] if d.end and end else []
    dates_text = ", " + " ".join(dates) if dates else ""
    return (
        f"{w.ref(d.function)} in {w.ref(d.area)}: {w.ref(d.delegator)} -> {w.ref(d.delegate)}"
        f", {w.value(d.instrument or 'no instrument')}{dates_text}"
    )


def _delegation_end(w: _Words, e: DelegationEnd) -> str:
    how = {"removed": "removed", "retired": "retired"}.get(e.how, f"ends on {w.value(e.end)}")
    return f"{_delegation(w, e.delegation, end=e.how != 'ends')}: {how}"


def _delegation_change(w: _Words, c: DelegationChange) -> str:
    return f"{_delegation(w, c.delegation)}: " + "; ".join(_field(w, one) for one in c.changes)


def _entity(w: _Words, e: EntityItem) -> str:
    if e.how == "ends":
        return f"{w.ref(e.iri)}: ends on {w.value(e.end)}"
    return w.ref(e.iri) + (": removed" if e.how == "removed" else "")


def _rename(w: _Words, r: Rename) -> str:
    return f"{w.value(r.before)} -> {w.value(r.after)} ({w.value(short_id(r.iri))})"


def _dependency(w: _Words, pair: tuple[str, str]) -> str:
    return f"{w.ref(pair[0])} depends on {w.ref(pair[1])}"


def _finding(w: _Words, f: FindingItem, markdown: bool) -> str:
    where = f" ({w.value(f.file + (f':{f.line}' if f.line else ''))})" if f.file else ""
    if markdown:
        return f"{f.severity} `{f.rule}`: {w.value(f.message)}{where}"
    return f"{f.severity:<7}  {f.rule}  {f.message}{where}"


_KINDS = {"function": "Functions", "body": "Bodies", "area": "Areas", "collaborative": "Collaboratives"}


def _sections(diff: MappingDiff, w: _Words, markdown: bool) -> list[tuple[str, str, list[str]]]:
    """(title, mark, lines) of every group, in the order they are shown; empty ones too."""
    sections: list[tuple[str, str, list[str]]] = [
        ("Functions moved", "~", [_moved(w, m) for m in diff.moved]),
        ("Accountability changed", "~", [_accountability(w, c) for c in diff.accountability]),
        ("Allocations added", "+", [_allocation(w, a) for a in diff.allocations_added]),
        ("Allocations removed", "-", [_allocation(w, a) for a in diff.allocations_removed]),
        ("Allocations changed", "~", [_allocation_change(w, c) for c in diff.allocations_changed]),
        ("Delegations added", "+", [_delegation(w, d) for d in diff.delegations_added]),
        ("Delegations ended", "-", [_delegation_end(w, e) for e in diff.delegations_ended]),
        ("Delegations changed", "~", [_delegation_change(w, c) for c in diff.delegations_changed]),
    ]
    for kind, title in _KINDS.items():
        sections.append((f"{title} added", "+", [_entity(w, e) for e in diff.entities_added if e.kind == kind]))
        sections.append((f"{title} ended", "-", [_entity(w, e) for e in diff.entities_ended if e.kind == kind]))
    sections += [
        ("Renamed", "~", [_rename(w, r) for r in diff.renamed]),
        ("Dependencies added", "+", [_dependency(w, d) for d in diff.dependencies_added]),
        ("Dependencies removed", "-", [_dependency(w, d) for d in diff.dependencies_removed]),
        ("Findings that appear", "+", [_finding(w, f, markdown) for f in diff.appear]),
        ("Findings resolved", "-", [_finding(w, f, markdown) for f in diff.resolved]),
    ]
    return sections


def _summary(diff: MappingDiff) -> str:
    changes = diff.change_count()
    if not changes and not diff.appear and not diff.resolved:
        return "No change to the mapping, and no finding appears or is resolved."
    counted = f"{changes} change{'s' if changes != 1 else ''} to the mapping" if changes else "No change to the mapping"
    appear = f"{len(diff.appear)} finding{' appears' if len(diff.appear) == 1 else 's appear'}"
    return f"{counted}; {appear}, {len(diff.resolved)} resolved."


def render_text(diff: MappingDiff, base: str, head: str) -> str:
    w = _Words(diff.labels, lambda text: text)
    out = [f"ics-graph diff: {base} -> {head}", ""]
    for title, mark, lines in _sections(diff, w, markdown=False):
        if lines:
            out.append(f"{title} ({len(lines)}):")
            out += [f"  {mark} {line}" for line in lines]
    if out[-1]:
        out.append("")
    out.append(_summary(diff))
    return "\n".join(out) + "\n"


def render_markdown(diff: MappingDiff, base: str, head: str) -> str:
    w = _Words(diff.labels, markdown_text)
    out = [
        "## ics-graph diff",
        "",
        f"From {markdown_text(base)} to {markdown_text(head)}: {_summary(diff)}",
    ]
    for title, _mark, lines in _sections(diff, w, markdown=True):
        if lines:
            out += ["", f"### {title} ({len(lines)})", ""]
            out += [f"- {line}" for line in lines]
    return "\n".join(out) + "\n"


# -- JSON ------------------------------------------------------------------------------------


def as_dict(diff: MappingDiff, base: str, head: str, paths: list[str], version: str) -> dict[str, Any]:
    """The diff as the JSON report holds it (see ``renderers/diff.schema.json``)."""
    labels = diff.labels

    def entity(iri: str | None) -> dict[str, str] | None:
        if iri is None:
            return None
        return {"id": short_id(iri), "iri": iri, "label": labels.get(iri, short_id(iri))}

    def entities(iris) -> list[dict[str, str] | None]:
        return [entity(iri) for iri in iris]

    def placement(p: Placement) -> dict[str, Any]:
        return {"area": entity(p.area), "level": p.level}

    def allocation(a: AllocationItem) -> dict[str, Any]:
        return {
            "allocation": short_id(a.iri),
            "function": entity(a.function),
            "area": entity(a.area),
            "level": a.level,
            "accountable": entities(a.accountable),
            "joint": a.joint,
        }

    def change(c: FieldChange) -> dict[str, Any]:
        def shown(value):
            if isinstance(value, tuple):  # bodies (delivered_by)
                return [short_id(iri) for iri in value]
            return None if value is None else short_id(value) if c.field == "to" else value

        return {"field": c.field, "before": shown(c.before), "after": shown(c.after)}

    def delegation(d: DelegationItem) -> dict[str, Any]:
        return {
            "delegation": short_id(d.iri),
            "function": entity(d.function),
            "area": entity(d.area),
            "from": entity(d.delegator),
            "to": entity(d.delegate),
            "instrument": d.instrument,
            "effective_from": d.start,
            "effective_to": d.end,
        }

    def finding(f: FindingItem) -> dict[str, Any]:
        return {
            "rule": f.rule,
            "severity": f.severity,
            "message": f.message,
            "focus": short_id(f.focus),
            "fingerprint": f.fingerprint,
            "file": f.file,
            "line": f.line,
        }

    return {
        "version": 1,
        "tool": {"name": "ics-graph", "version": version},
        "base": base,
        "head": head,
        "paths": list(paths),
        "summary": {"changes": diff.change_count(), "appear": len(diff.appear), "resolved": len(diff.resolved)},
        "functions_moved": [
            {
                "function": entity(m.function),
                "system": entity(m.system),
                "before": [placement(p) for p in m.before],
                "after": [placement(p) for p in m.after],
            }
            for m in diff.moved
        ],
        "accountability_changed": [
            {
                "allocation": short_id(c.allocation),
                "function": entity(c.function),
                "area": entity(c.area),
                "before": {"accountable": entities(c.before), "joint": c.before_joint},
                "after": {"accountable": entities(c.after), "joint": c.after_joint},
            }
            for c in diff.accountability
        ],
        "allocations_added": [allocation(a) for a in diff.allocations_added],
        "allocations_removed": [allocation(a) for a in diff.allocations_removed],
        "allocations_changed": [
            {
                "allocation": short_id(c.allocation),
                "function": entity(c.function),
                "area": entity(c.area),
                "changes": [change(one) for one in c.changes],
            }
            for c in diff.allocations_changed
        ],
        "delegations_added": [delegation(d) for d in diff.delegations_added],
        "delegations_ended": [
            {"delegation": delegation(e.delegation), "how": e.how, "end": e.end} for e in diff.delegations_ended
        ],
        "delegations_changed": [
            {"delegation": delegation(c.delegation), "changes": [change(one) for one in c.changes]}
            for c in diff.delegations_changed
        ],
        "entities_added": [{"kind": e.kind, "entity": entity(e.iri)} for e in diff.entities_added],
        "entities_ended": [
            {"kind": e.kind, "entity": entity(e.iri), "how": e.how, "end": e.end} for e in diff.entities_ended
        ],
        "renamed": [
            {"kind": r.kind, "entity": entity(r.iri), "before": r.before, "after": r.after} for r in diff.renamed
        ],
        "dependencies_added": [{"function": entity(a), "depends_on": entity(b)} for a, b in diff.dependencies_added],
        "dependencies_removed": [
            {"function": entity(a), "depends_on": entity(b)} for a, b in diff.dependencies_removed
        ],
        "findings": {"appear": [finding(f) for f in diff.appear], "resolved": [finding(f) for f in diff.resolved]},
    }


def render(diff: MappingDiff, fmt: str, *, base: str, head: str, paths: list[str], version: str) -> str:
    """The diff in format ``fmt`` (text, markdown or json); ``base`` and ``head`` name
    the two versions as the user gave them, ``paths`` the PATHs read from each (with
    ``--git``)."""
    shown_base = f"{base}:{' '.join(paths)}" if paths else base
    shown_head = f"{head}:{' '.join(paths)}" if paths else head
    if fmt == "json":
        data = as_dict(diff, base, head, paths, version)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return render_markdown(diff, shown_base, shown_head)
    return render_text(diff, shown_base, shown_head)
