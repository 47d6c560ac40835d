"""``ics-graph check`` and ``rules``: rules from the configuration and folders, waivers,
baselines, and the severity that fails a run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ics_graph.engine.checking import check
from ics_graph.engine.policy import WAIVER_RULES, Config, find_config, read_baseline, read_config
from ics_graph.engine.rulefiles import Rule, load_rules
from ics_graph.model.findings import CheckResult, Severity
from ics_graph.model.graph import Mapping
from ics_graph.util.errors import UsageError, did_you_mean

__all__ = ["FAIL_LEVELS", "CheckRun", "explain_rule", "list_rules", "run_check"]

#: ``--fail-on`` words and the least severity that fails a run (None: never).
FAIL_LEVELS: dict[str, Severity | None] = {
    "error": Severity.ERROR,
    "warning": Severity.WARNING,
    "info": Severity.INFO,
    "never": None,
}


@dataclass
class CheckRun:
    """What a check found, and the least severity that makes it fail."""

    result: CheckResult
    fail_level: Severity | None
    #: Every file the check read besides the mapping (configuration, baseline, rule
    #: files): an output may be written over none of them.
    read: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return bool(self.result.at_or_above(self.fail_level))


def run_check(
    mapping: Mapping,
    paths: Sequence[str],
    *,
    config_path: str | None = None,
    rule_dirs: Sequence[str] = (),
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    baseline: str | None = None,
    fail_on: str | None = None,
    allow_outside: bool = False,
) -> CheckRun:
    """Check ``mapping`` with the configuration found beside ``paths`` (or
    ``config_path``), its rule folders and ``rule_dirs``, hiding what ``baseline``
    knows. ``fail_on`` overrides the configuration's fail level (default: error). The
    configuration's rule folders stay inside its folder tree (or repository) unless
    ``allow_outside``, as a mapping's imports do."""
    found = Path(config_path) if config_path else find_config(list(paths) or ["."])
    config: Config | None = (
        read_config(found, allow_outside=allow_outside) if found else None
    )  # first for its rule folders
    rules = load_rules([*(config.rules if config else []), *(Path(d) for d in rule_dirs)])
    if found:  # then validated against the rules that exist
        config = read_config(found, [r.slug for r in rules], allow_outside=allow_outside)
    known = read_baseline(Path(baseline)) if baseline else None
    result = check(mapping, config=config, rules=rules, select=list(select), ignore=list(ignore), baseline=known)
    word = fail_on or (config.fail_on if config and config.fail_on else "error")
    read = [str(found)] if found else []
    read += [baseline] if baseline else []
    read += [str(rule.path) for rule in rules if not rule.builtin and rule.path]
    return CheckRun(result, FAIL_LEVELS[word], tuple(read))


def list_rules(rule_dirs: Sequence[str] = ()) -> list[Rule]:
    """The built-in rules and those in ``rule_dirs``."""
    return load_rules([Path(d) for d in rule_dirs])


def explain_rule(slug: str, rule_dirs: Sequence[str] = ()) -> str:
    """A rule's documentation (the waiver checks' too), or a UsageError naming the
    closest slug."""
    found: dict[str, Rule] = {r.slug: r for r in list_rules(rule_dirs)}
    found.update(WAIVER_RULES)
    if slug not in found:
        raise UsageError(f"unknown rule '{slug}'{did_you_mean(slug, found)}; see 'ics-graph rules'")
    return found[slug].explain()
