"""Plain-text report for people: findings grouped by rule (rules with errors first, then
warnings, then info), then a one-line summary.

::

    delegation-cycle  error  A chain of delegations returns to a body already in it  (1 finding)
      data/delegations.yaml:12: Delegation of CHC goes round in a circle: ...
        entity: Shire ICB to North committee (delegation/chc--shire-icb--north-committee)
        area: North
        cycle: Shire ICB -> North committee -> Shire ICB
        hint: Remove or retire the delegation that closes the circle; ...

    1 error, 0 warnings, 0 info.

Colour (ANSI) only when asked for: the severity words are coloured.
"""

from __future__ import annotations

from itertools import groupby

from ics_graph.outputs.renderers import counts, cycle_text, entity_id, hint_for, ordered, rules_by_slug

_COLOURS = {"error": "\x1b[1;31m", "warning": "\x1b[33m", "info": "\x1b[36m"}
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"


def _paint(text: str, code: str, colour: bool) -> str:
    return f"{code}{text}{_RESET}" if colour and text else text


def _word(severity_word: str, colour: bool) -> str:
    return _paint(severity_word, _COLOURS[severity_word], colour)


def _indented(text: str, prefix: str) -> str:
    """Continuation lines of a multi-line value indented under the first."""
    lines = text.splitlines() or [""]
    return ("\n" + prefix).join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 or word == "info" else "s")


def summary_line(result, colour: bool = False) -> str:
    hidden = ""
    if result.waived or result.baselined:
        hidden = f" ({result.waived} hidden by waivers, {result.baselined} by the baseline)"
    if not result.findings:
        return f"No findings{hidden}."
    tally = counts(result)
    parts = []
    for word in ("error", "warning", "info"):
        part = _plural(tally[word], word)
        parts.append(_paint(part, _COLOURS[word], colour and tally[word] > 0))
    return ", ".join(parts) + hidden + "."


def render(result, *, fail_level=None, colour: bool = False, version: str = "") -> str:
    rules = rules_by_slug(result)
    out: list[str] = []
    groups = [(slug, list(group)) for slug, group in groupby(ordered(result.findings), key=lambda f: f.rule)]
    # Errors first, then warnings, then info: what fails a run is read first.
    groups.sort(key=lambda g: (-max(f.severity for f in g[1]).value, g[0]))
    for slug, findings in groups:
        rule = rules.get(slug)
        top = max(f.severity for f in findings)
        title = getattr(rule, "title", "") if rule is not None else ""
        header = f"{_paint(slug, _BOLD, colour)}  {_word(top.word, colour)}"
        if title:
            header += f"  {title}"
        header += f"  ({len(findings)} finding{'' if len(findings) == 1 else 's'})"
        if out:
            out.append("")
        out.append(header)
        for finding in findings:
            where = f"{finding.location}: " if finding.location is not None and finding.location.file else ""
            own = f"[{_word(finding.severity.word, colour)}] " if finding.severity != top else ""
            out.append(f"  {where}{own}{_indented(finding.message, '    ')}")
            ident = entity_id(finding.focus)
            out.append(
                f"    entity: {finding.focus_label} ({ident})" if finding.focus_label else f"    entity: {ident}"
            )
            if finding.area_label:
                out.append(f"    area: {finding.area_label}")
            if finding.cycle:
                out.append(f"    cycle: {cycle_text(finding)}")
            hint = hint_for(finding, rule)
            if hint:
                out.append(f"    hint: {hint}")
    if out:
        out.append("")
    out.append(summary_line(result, colour))
    return "\n".join(out) + "\n"
