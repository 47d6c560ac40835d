"""Configuration of ``check``: which rules, at which severity, with which waivers.

Read from ``ics-graph.toml`` or the ``[tool.ics-graph]`` table of ``pyproject.toml``,
found beside the data (the first PATH's folder, then its parents), or named with
``--config``. A waiver names a rule, an entity, a reason and an expiry date; an
expired waiver stops suppressing and is itself reported, and so is a waiver that
matches nothing (stale), so waivers cannot rot unnoticed.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ics_graph.engine.rulefiles import Rule
from ics_graph.model.findings import Finding, Severity
from ics_graph.model.vocabulary import short_id
from ics_graph.util.errors import InputError, Location, Problem, did_you_mean
from ics_graph.util.paths import display_path

__all__ = [
    "WAIVER_RULES",
    "Config",
    "Waiver",
    "apply_waivers",
    "baseline_text",
    "find_config",
    "read_baseline",
    "read_config",
]

KEYS = ("select", "ignore", "severity", "rules", "fail-on", "waivers")
WAIVER_KEYS = ("rule", "entity", "reason", "expires")


@dataclass(frozen=True)
class Waiver:
    rule: str
    entity: str
    reason: str
    expires: _dt.date
    location: Location


@dataclass
class Config:
    path: str | None = None
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    rules: list[Path] = field(default_factory=list)
    fail_on: str | None = None
    waivers: list[Waiver] = field(default_factory=list)


def find_config(paths) -> Path | None:
    """The nearest ``ics-graph.toml``, or ``pyproject.toml`` with ``[tool.ics-graph]``,
    beside the first path or in a folder above it."""
    if not paths:
        return None
    start = Path(paths[0]).resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in [folder, *folder.parents]:
        if (candidate / "ics-graph.toml").is_file():
            return candidate / "ics-graph.toml"
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and re.search(r"^\[tool\.ics-graph\]", pyproject.read_text(encoding="utf-8"), re.M):
            return pyproject
    return None


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 0


def read_config(path: Path, known_rules: list[str] | None = None) -> Config:
    """Parse and validate a configuration file; every problem is reported at once."""
    import tomllib

    shown = display_path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        loc = Location(shown, int(match.group(1)), int(match.group(2))) if match else Location(shown)
        raise InputError([Problem(loc, f"malformed TOML: {str(exc).split(' (at line')[0]}")]) from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("ics-graph", {})
    problems: list[Problem] = []
    config = Config(path=shown)
    at = lambda needle: Location(shown, _line_of(text, needle))
    for key in data:
        if key not in KEYS:
            problems.append(
                Problem(
                    at(key), f"unknown configuration key '{key}'{did_you_mean(key, KEYS)}; allowed: {', '.join(KEYS)}"
                )
            )

    def slugs(key: str) -> list[str]:
        value = data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            problems.append(Problem(at(key), f"'{key}' must be a list of rule slugs"))
            return []
        for slug in value:
            if known_rules is not None and slug not in known_rules:
                problems.append(Problem(at(slug), f"unknown rule '{slug}' in '{key}'{did_you_mean(slug, known_rules)}"))
        return value

    config.select, config.ignore = slugs("select"), slugs("ignore")
    for slug, word in (data.get("severity") or {}).items():
        if known_rules is not None and slug not in known_rules:
            problems.append(Problem(at(slug), f"unknown rule '{slug}' in 'severity'{did_you_mean(slug, known_rules)}"))
        try:
            config.severity[slug] = Severity.parse(str(word))
        except ValueError as exc:
            problems.append(Problem(at(slug), str(exc)))
    for folder in data.get("rules", []) or []:
        config.rules.append((path.parent / folder).resolve())
    if "fail-on" in data:
        if data["fail-on"] not in ("error", "warning", "info", "never"):
            problems.append(
                Problem(at("fail-on"), f"invalid fail-on '{data['fail-on']}'; allowed: error, warning, info, never")
            )
        config.fail_on = data["fail-on"]
    for number, waiver in enumerate(data.get("waivers", []) or [], start=1):
        loc = at(f'"{waiver.get("entity", "")}"') if isinstance(waiver, dict) else at("waivers")
        if not isinstance(waiver, dict):
            problems.append(Problem(loc, "each waiver must be a table with rule, entity, reason and expires"))
            continue
        for key in waiver:
            if key not in WAIVER_KEYS:
                problems.append(
                    Problem(
                        loc,
                        f"unknown waiver key '{key}'{did_you_mean(key, WAIVER_KEYS)}; allowed: {', '.join(WAIVER_KEYS)}",
                    )
                )
        missing = [k for k in WAIVER_KEYS if not waiver.get(k)]
        if missing:
            problems.append(
                Problem(
                    loc,
                    f"waiver {number} is missing {', '.join(missing)}: every waiver needs a rule, an entity, a reason and an expiry date",
                )
            )
            continue
        expires = waiver["expires"]
        if isinstance(expires, str):
            try:
                expires = _dt.date.fromisoformat(expires)
            except ValueError:
                problems.append(Problem(loc, f"waiver expiry {expires!r} is not a date (YYYY-MM-DD)"))
                continue
        if known_rules is not None and waiver["rule"] not in known_rules:
            problems.append(
                Problem(loc, f"unknown rule '{waiver['rule']}' in waiver{did_you_mean(waiver['rule'], known_rules)}")
            )
        config.waivers.append(Waiver(str(waiver["rule"]), str(waiver["entity"]), str(waiver["reason"]), expires, loc))
    if problems:
        raise InputError(problems)
    return config


def _rule(slug: str, title: str, message: str, rationale: str, fix: str) -> Rule:
    return Rule(
        slug=slug,
        severity=Severity.WARNING,
        title=title,
        message=message,
        rationale=rationale,
        fix=fix,
        example="",
        query="",
        path="(configuration)",
        kind="config",
        builtin=True,
    )


#: Findings about the configuration itself.
WAIVER_RULES = {
    "waiver-expired": _rule(
        "waiver-expired",
        "A waiver has expired",
        "waiver for {rule} on {entity} expired on {expires}",
        "A waiver hides a known finding until a date by which it should be fixed. Once that date passes the finding "
        "shows again, and the expired waiver is reported so that it is renewed with a reason or removed.",
        "Fix the finding and delete the waiver, or renew it with a new `expires` date and an updated `reason`.",
    ),
    "waiver-stale": _rule(
        "waiver-stale",
        "A waiver matches no finding",
        "waiver for {rule} on {entity} matches no finding",
        "A waiver that hides nothing is stale: the finding was fixed or the entity renamed. Stale waivers are "
        "reported so that they cannot silently hide a future finding.",
        "Delete the waiver, or correct its `rule` and `entity` (entity ids are written kind/id, e.g. function/eprr).",
    ),
}


def _matches(waiver: Waiver, finding: Finding) -> bool:
    if waiver.rule != finding.rule:
        return False

    entity = waiver.entity.strip()
    candidates = {finding.focus, finding.focus_id, *finding.related, *(short_id(r) for r in finding.related)}
    if entity in candidates:
        return True
    # A bare id ("eprr") matches any kind with that id.
    return "/" not in entity and any(c.rsplit("/", 1)[-1] == entity for c in candidates)


def apply_waivers(
    findings: list[Finding], waivers: list[Waiver], today: _dt.date | None = None
) -> tuple[list[Finding], int]:
    """Drop findings covered by live waivers; report expired and stale waivers.

    Returns the findings to show and how many were waived."""
    today = today or _dt.date.today()
    shown, waived, used = [], 0, set()
    for finding in findings:
        live = [w for w in waivers if _matches(w, finding) and w.expires >= today]
        if live:
            waived += 1
            used.update(live)
        else:
            shown.append(finding)
    for waiver in waivers:
        values = {"rule": waiver.rule, "entity": waiver.entity, "expires": waiver.expires.isoformat()}
        if waiver.expires < today:
            rule = WAIVER_RULES["waiver-expired"]
        elif waiver not in used:
            rule = WAIVER_RULES["waiver-stale"]
        else:
            continue
        message = rule.message.format(**values)
        shown.append(
            Finding(
                rule=rule.slug,
                severity=rule.severity,
                message=message,
                focus=f"waiver:{waiver.rule}:{waiver.entity}",
                focus_label=waiver.entity,
                location=waiver.location,
                hint=rule.fix,
            )
        )
    return shown, waived


def read_baseline(path: Path) -> set[str]:
    """Fingerprints recorded in a baseline file."""

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {entry["fingerprint"] for entry in data["findings"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError([Problem(Location(display_path(path)), f"not a readable ics-graph baseline: {exc}")]) from None


def baseline_text(findings: list[Finding]) -> str:
    """A baseline in stable order: one entry per finding, keyed by fingerprint."""
    entries = sorted(
        ({"rule": f.rule, "focus": f.focus_id, "fingerprint": f.fingerprint, "message": f.message} for f in findings),
        key=lambda e: (e["rule"], e["focus"], e["fingerprint"]),
    )
    return json.dumps({"version": 1, "findings": entries}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
