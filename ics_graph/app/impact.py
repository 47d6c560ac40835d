"""``ics-graph impact``: what a function touches, and with ``--move-to`` a dry run that
checks the mapping as it is and as it would be with the function moved."""

from __future__ import annotations

from ics_graph.engine.checking import check
from ics_graph.engine.policy import Config
from ics_graph.engine.rulefiles import Rule, load_rules
from ics_graph.model.graph import Mapping
from ics_graph.model.vocabulary import parse_level
from ics_graph.queries.impact import ImpactReport, move_result, moved_copy
from ics_graph.queries.impact import impact as function_impact
from ics_graph.util.errors import UsageError

__all__ = ["impact"]


def impact(
    mapping: Mapping,
    function_iri: str,
    *,
    move_to: str | None = None,
    area_iri: str | None = None,
    rules: list[Rule] | None = None,
    config: Config | None = None,
) -> ImpactReport:
    """The impact of function ``function_iri``; with ``move_to``, also a dry run of
    moving it to that level (everywhere it is allocated, or with ``area_iri`` only in
    that area's system, to that one area), checked with ``rules`` (default: the
    built-in ones and the configuration's) before and after. Raises
    :class:`UsageError` for an unknown function or level, an area at another level than
    ``move_to``, or a move with nowhere to go. The mapping is never changed."""
    if area_iri is not None and move_to is None:
        raise UsageError("an area for the move was given without the level to move to")
    report = function_impact(mapping, function_iri)
    if move_to is None:
        return report
    key = parse_level(move_to)
    after, removed, added = moved_copy(mapping, function_iri, key, area_iri)
    if rules is None:
        rules = load_rules([*(config.rules if config else [])])
    before_found = check(mapping, rules=rules, config=config).findings
    after_found = check(after, rules=rules, config=config).findings
    report.move = move_result(mapping, key, area_iri, (removed, added), before_found, after_found)
    return report
