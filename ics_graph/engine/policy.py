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
from ics_graph.model.schema import printable
from ics_graph.model.vocabulary import short_id
from ics_graph.util.errors import InputError, Location, Problem, did_you_mean
from ics_graph.util.paths import display_path, is_inside, mapping_roots

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
FAIL_ON = ("error", "warning", "info", "never")
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
    beside the first path or in a folder above it. A ``pyproject.toml`` that cannot be
    read or parsed but names ics-graph is found too, so that :func:`read_config` reports
    what is wrong with it rather than the configuration being passed over in silence."""
    if not paths:
        return None
    start = Path(paths[0]).resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in [folder, *folder.parents]:
        if (candidate / "ics-graph.toml").is_file():
            return candidate / "ics-graph.toml"
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _configures(pyproject):
            return pyproject
    return None


def _configures(pyproject: Path) -> bool:
    """Whether a ``pyproject.toml`` holds a ``[tool.ics-graph]`` table (in any TOML
    spelling: a header, dotted keys, ``[[tool.ics-graph.waivers]]`` alone); also when it
    names ics-graph but cannot be read or parsed."""
    try:
        raw = pyproject.read_bytes()
    except OSError:
        return True  # cannot tell: read_config names the file and the reason
    if b"ics-graph" not in raw:
        return False
    import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True
    tool = data.get("tool")
    return isinstance(tool, dict) and "ics-graph" in tool


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 0


def _kind(value: object) -> str:
    """What a TOML value is, in TOML's words, for messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, _dt.datetime):
        return "a date and time"
    if isinstance(value, _dt.date):
        return "a date"
    if isinstance(value, _dt.time):
        return "a time"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "text"


def _waiver_lines(text: str) -> list[int]:
    """The line of each ``[[waivers]]`` (or ``[[tool.ics-graph.waivers]]``) header, in order."""
    header = re.compile(r"^\s*\[\[\s*(?:tool\s*\.\s*\"?ics-graph\"?\s*\.\s*)?waivers\s*\]\]")
    return [number for number, line in enumerate(text.splitlines(), start=1) if header.match(line)]


def read_config(path: Path, known_rules: list[str] | None = None, *, allow_outside: bool = False) -> Config:
    """Parse and validate a configuration file; every problem is reported at once, at
    the file and line where it can be told, and a value of the wrong type is a problem
    like any other (never a crash)."""
    import tomllib

    shown = display_path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(Location(shown), f"not UTF-8 text (byte {exc.start})")]) from None
    except OSError as exc:
        raise InputError([Problem(Location(shown), f"cannot read the configuration: {exc.strerror or exc}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        loc = Location(shown, int(match.group(1)), int(match.group(2))) if match else Location(shown)
        raise InputError([Problem(loc, f"malformed TOML: {str(exc).split(' (at line')[0]}")]) from None
    at = lambda needle: Location(shown, _line_of(text, needle))
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        data = tool.get("ics-graph", {}) if isinstance(tool, dict) else {}
        if not isinstance(data, dict):
            raise InputError([Problem(at("ics-graph"), f"'tool.ics-graph' must be a table, not {_kind(data)}")])
    problems: list[Problem] = []
    config = Config(path=shown)
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
            wrong = "each slug is text" if isinstance(value, list) else f"not {_kind(value)}"
            problems.append(Problem(at(key), f"'{key}' must be a list of rule slugs ({wrong})"))
            return []
        for slug in value:
            if known_rules is not None and slug not in known_rules:
                problems.append(Problem(at(slug), f"unknown rule '{slug}' in '{key}'{did_you_mean(slug, known_rules)}"))
        return value

    config.select, config.ignore = slugs("select"), slugs("ignore")
    severity = data.get("severity", {})
    if not isinstance(severity, dict):
        problems.append(
            Problem(at("severity"), f"'severity' must be a table of rule = severity, not {_kind(severity)}")
        )
        severity = {}
    for slug, word in severity.items():
        if known_rules is not None and slug not in known_rules:
            problems.append(Problem(at(slug), f"unknown rule '{slug}' in 'severity'{did_you_mean(slug, known_rules)}"))
        if not isinstance(word, str):
            problems.append(
                Problem(at(slug), f"the severity of '{slug}' must be error, warning or info, not {_kind(word)}")
            )
            continue
        try:
            config.severity[slug] = Severity.parse(word)
        except ValueError as exc:
            problems.append(Problem(at(slug), str(exc)))
    folders = data.get("rules", [])
    if isinstance(folders, str):
        folders = [folders]
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        wrong = "each folder is text" if isinstance(folders, list) else f"not {_kind(folders)}"
        problems.append(Problem(at("rules"), f"'rules' must be a list of folders, relative to this file ({wrong})"))
        folders = []
    tree = mapping_roots([path])[0]  # the configuration's folder, or the repository holding it
    for folder in folders:
        resolved = (path.parent / folder).resolve()
        if not allow_outside and not is_inside(resolved, [tree]):
            problems.append(
                Problem(
                    at("rules"),
                    f"rule folder '{printable(folder)}' leads outside the configuration's folder tree "
                    f"'{display_path(tree)}'; move the rules inside it, or give --allow-outside",
                )
            )
            continue
        config.rules.append(resolved)
    if "fail-on" in data:
        word = data["fail-on"]
        if not isinstance(word, str) or word not in FAIL_ON:
            shown_word = f"'{word}'" if isinstance(word, str) else f"({_kind(word)})"
            problems.append(Problem(at("fail-on"), f"invalid fail-on {shown_word}; allowed: {', '.join(FAIL_ON)}"))
        else:
            config.fail_on = word
    waivers = data.get("waivers", [])
    if not isinstance(waivers, list):
        problems.append(
            Problem(at("waivers"), f"'waivers' must be an array of tables ([[waivers]]), not {_kind(waivers)}")
        )
        waivers = []
    headers = _waiver_lines(text)
    for number, waiver in enumerate(waivers, start=1):
        entity = waiver.get("entity") if isinstance(waiver, dict) else None
        line = _line_of(text, f'"{entity}"') if isinstance(entity, str) and entity else 0
        if not line:
            line = headers[number - 1] if number <= len(headers) else _line_of(text, "waivers")
        loc = Location(shown, line)
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
        missing = [k for k in WAIVER_KEYS if waiver.get(k) in (None, "")]
        if missing:
            problems.append(
                Problem(
                    loc,
                    f"waiver {number} is missing {', '.join(missing)}: every waiver needs a rule, an entity, a reason and an expiry date",
                )
            )
            continue
        untyped = [k for k in ("rule", "entity", "reason") if not isinstance(waiver[k], str)]
        for key in untyped:
            problems.append(Problem(loc, f"waiver {number}: '{key}' must be text, not {_kind(waiver[key])}"))
        expires = _expiry(waiver["expires"], number, loc, problems)
        if untyped or expires is None:
            continue
        if known_rules is not None and waiver["rule"] not in known_rules:
            problems.append(
                Problem(loc, f"unknown rule '{waiver['rule']}' in waiver{did_you_mean(waiver['rule'], known_rules)}")
            )
        config.waivers.append(Waiver(waiver["rule"], waiver["entity"], waiver["reason"], expires, loc))
    if problems:
        raise InputError(problems)
    return config


def _expiry(value: object, number: int, loc: Location, problems: list[Problem]) -> _dt.date | None:
    """A waiver's ``expires`` as a date: a TOML date (``2027-03-31``) or text holding one;
    a date and time, or anything else, is a problem (a waiver ends on a day)."""
    if isinstance(value, _dt.datetime):
        problems.append(
            Problem(
                loc, f"waiver {number}: expires must be a date (YYYY-MM-DD), not a date and time ({value.isoformat()})"
            )
        )
        return None
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            problems.append(Problem(loc, f"waiver expiry {value!r} is not a date (YYYY-MM-DD)"))
            return None
    problems.append(Problem(loc, f"waiver {number}: expires must be a date (YYYY-MM-DD), not {_kind(value)}"))
    return None


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
