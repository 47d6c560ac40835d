"""The findings that ``where`` and ``visualise`` show beside their answers."""

from __future__ import annotations

from collections.abc import Iterable

from ics_graph.engine.checking import check
from ics_graph.model.findings import Finding
from ics_graph.model.graph import Mapping

__all__ = ["default_findings", "findings_about"]


def default_findings(mapping: Mapping) -> list[Finding]:
    """The findings of the built-in rules with no configuration: those a store or the
    load cache kept when the mapping was loaded, else computed now (and handed back to
    the cache to keep)."""
    if mapping.findings_at_load is not None:
        found = mapping.findings_at_load()
        if found is not None:
            return found
    found = check(mapping).findings
    if mapping.keep_findings is not None:
        mapping.keep_findings(found)
    return found


def findings_about(mapping: Mapping, entities: Iterable[str]) -> list[Finding]:
    """Those of :func:`default_findings` about any of ``entities`` (their focus or a
    related entity), or all of them: a store that kept them by entity reads only
    those a question shows, instead of every finding of a national graph."""
    if mapping.findings_about is not None:
        found = mapping.findings_about(entities)
        if found is not None:
            return found
    return default_findings(mapping)
