"""What a mapping holds, as text (``ics-graph info``)."""

from __future__ import annotations

from ics_graph.queries.info import Summary

__all__ = ["render_text"]


def render_text(summary: Summary) -> str:
    """The summary as aligned plain text."""
    lines = [f"Loaded {len(summary.files)} file(s), {summary.triples} triples."]
    lines.append("")
    lines.append("Entities:")
    for name, n in summary.totals.items():
        lines.append(f"  {name:<24}{n:>7}")
    lines.append(f"  {'Dependency edges':<24}{summary.dependencies:>7}")
    for title, table in [
        ("Areas by level", summary.areas_by_level),
        ("Bodies by type", summary.bodies_by_type),
        ("Allocations by level", summary.allocations_by_level),
        ("Allocations by status", summary.allocations_by_status),
        ("Delegations by instrument", summary.delegations_by_instrument),
    ]:
        if table:
            lines.append("")
            lines.append(f"{title}:")
            for k, n in table.items():
                lines.append(f"  {k:<24}{n:>7}")
    if summary.systems:
        lines.append("")
        lines.append("Systems with places or allocations:")
        for s in summary.systems:
            lines.append(f"  {s['name']} ({s['id']}): {s['places']} place(s), {s['allocations']} allocation(s)")
    return "\n".join(lines) + "\n"
