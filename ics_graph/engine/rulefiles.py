"""Rules are files: SPARQL SELECT queries with a documented header, or SHACL shapes.

A ``.rq`` rule starts with a YAML header in comment lines between ``# ---`` markers::

    # ---
    # slug: place-coverage-gap
    # severity: warning
    # title: A function sits at place in some places of a system but not others
    # message: "{focus_label} is allocated at {level_word} level in part of {area_label} ..."
    # rationale: ...        (why, citing DOMAIN.md sources)
    # fix: ...              (what to do)
    # example: ...          (a short YAML example that triggers it)
    # ---
    SELECT ?focus ?area ... WHERE { ... }

Each row of the query is one finding. Reserved variables: ``?focus`` (required: the
entity the finding is about), ``?related``/``?related2``... (other entities; an empty
string counts as none), ``?area`` (where; its label is shown), ``?at`` (an entity whose
source line the finding should point at, when that is not the focus), ``?severity``
(overrides the default for this row: "error", "warning" or "info"), ``?message`` (this
row's message template, a constant in the query; empty means the header's),
``?..._list`` (a ``GROUP_CONCAT(...; separator=", ")`` that the engine sorts, since SPARQL
leaves the order of GROUP_CONCAT open and it differs between stores). Every variable may
appear in the message as ``{name}``; ``{x_label}`` is the label of the entity in ``?x``
and ``{x_labels}`` those of the space-separated entities in ``?x``, looked up by the
engine (see :mod:`ics_graph.engine.checking`), so that labels never decide what is found.

A rule may instead name a graph ``algorithm`` (``strongly-connected-cycles``): its
query then returns the edges (``?from ?to``, optionally ``?group``) of a small
projection of the graph, and the algorithm in :mod:`ics_graph.engine.algorithms` finds the
findings; its message may use ``{cycle}`` (written out), ``{circle}`` (the members in
words), ``{members}``, ``{size}`` and ``{group_label}``. SPARQL cannot write out a cycle; that is the only Python in a rule.

A rule may say what the graph must hold for it to find anything at all: ``requires:`` is a
SPARQL group pattern (``{ ?x ics:effectiveTo ?d } UNION { ?x ics:validTo ?d }``), asked
first (``ASK``); when the graph has no match the rule is not run and finds nothing. It is
for a rule whose query is costly on graphs where it cannot match (function-continuity
needs an arrangement that ends).

A ``.ttl`` rule is a SHACL shapes graph; its shape carries ``ics:ruleSlug``,
``sh:severity``, ``sh:message``, ``rdfs:comment`` (rationale) and ``ics:fixHint``.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ics_graph.model.findings import Severity
from ics_graph.model.sparql import explain_syntax_error, refuse_federation, unknown_terms, wrong_form
from ics_graph.model.vocabulary import ICS, PREFIXES
from ics_graph.util.errors import InputError, Location, Problem, QueryError, did_you_mean
from ics_graph.util.paths import display_path
from ics_graph.util.resources import ontology_path, rules_dir

__all__ = ["ALGORITHMS", "HEADER_KEYS", "Rule", "load_rules", "rules_digest"]

ALGORITHMS = ("strongly-connected-cycles",)
HEADER_KEYS = (
    "slug",
    "severity",
    "title",
    "message",
    "rationale",
    "sources",
    "fix",
    "example",
    "algorithm",
    "tags",
    "requires",
)
_SLUG = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class Rule:
    """A rule's documentation and how to run it."""

    slug: str
    severity: Severity
    title: str
    message: str
    rationale: str
    fix: str
    example: str
    query: str
    path: str
    kind: str = "sparql"  # "sparql" or "shacl"
    algorithm: str | None = None
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    builtin: bool = False
    requires: str | None = None  # a group pattern the graph must match for the rule to run

    def explain(self) -> str:
        """The rule's documentation as plain text (``ics-graph rules explain``)."""
        parts = [f"{self.slug} ({self.severity.word})", "", self.title, "", "Why:", _indent(self.rationale)]
        if self.sources:
            parts += ["", "Sources:"] + [f"  - {s}" for s in self.sources]
        parts += ["", "How to fix:", _indent(self.fix)]
        if self.example:
            parts += ["", "Example that triggers it:", _indent(self.example)]
        parts += ["", f"Defined in: {self.path}" + (" (built in)" if self.builtin else "")]
        return "\n".join(parts) + "\n"


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else "" for line in text.strip().splitlines())


def _parse_header(text: str, path: str, problems: list[Problem]) -> tuple[dict, str]:
    import yaml

    lines = text.splitlines()
    if not lines or lines[0].strip() != "# ---":
        problems.append(
            Problem(
                Location(path, 1, 1),
                "a rule file must start with a '# ---' header (slug, severity, title, message, rationale, fix, example)",
            )
        )
        return {}, text
    header, end = [], None
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "# ---":
            end = number
            break
        if not line.startswith("#"):
            problems.append(
                Problem(Location(path, number, 1), "header lines must start with '#' until the closing '# ---'")
            )
            return {}, text
        header.append(line[2:] if line.startswith("# ") else line[1:])
    if end is None:
        problems.append(Problem(Location(path, 1, 1), "the rule header has no closing '# ---'"))
        return {}, text
    try:
        meta = yaml.load("\n".join(header), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(
            Problem(
                Location(path, (mark.line + 2) if mark else 1, (mark.column + 3) if mark else 1),
                f"malformed rule header: {getattr(exc, 'problem', exc)}",
            )
        )
        return {}, text
    if not isinstance(meta, dict):
        problems.append(Problem(Location(path, 2, 1), "the rule header must be a mapping of keys"))
        return {}, text
    return meta, "\n".join(lines[end:])


def _read(path: Path, shown: str, problems: list[Problem]) -> str | None:
    """A rule file's text, or None with a problem when it is not UTF-8 or cannot be read."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem(Location(shown), f"not UTF-8 text (byte {exc.start})"))
    except OSError as exc:
        problems.append(Problem(Location(shown), f"cannot read the rule file: {exc.strerror or exc}"))
    return None


_POSITION = re.compile(r"^error at (\d+):(\d+): ?(.*)$", re.DOTALL)


def _syntax_problem(query: str, prefixes: dict[str, str], shown: str, line: int, column: int) -> Problem | None:
    """A problem if ``query`` is not valid SPARQL (parsed by Oxigraph, as it will run,
    with ``prefixes`` declared; nothing is evaluated against data), at its place in the
    rule file: the query's first character is at ``line`` and ``column`` there."""
    import pyoxigraph as ox

    wrong = wrong_form(query)
    if wrong:
        return Problem(Location(shown, line, column), f"SPARQL syntax error: {wrong}")
    try:
        ox.Store().query(query, prefixes=prefixes)  # an empty store: only the parse costs anything
    except SyntaxError as exc:
        match = _POSITION.match(str(exc))
        if not match:
            return Problem(Location(shown, line, column), f"SPARQL syntax error: {_short(str(exc))}")
        at_line, at_column, detail = int(match.group(1)), int(match.group(2)), match.group(3)
        where = Location(shown, line + at_line - 1, (column if at_line == 1 else 1) + at_column - 1)
        if "Prefix not found" in detail:
            return Problem(where, f"SPARQL syntax error: unknown prefix; declared: {', '.join(sorted(prefixes))}")
        return Problem(where, f"SPARQL syntax error: {explain_syntax_error(detail, query)}")
    except (OSError, ValueError, RuntimeError) as exc:  # refused before it ran (an empty store has no data)
        return Problem(Location(shown, line, column), f"the query cannot run: {_short(str(exc))}")
    if prefixes.get("ics") == ICS:
        unknown = unknown_terms(query, ontology_terms())
        if unknown:  # a rule that can never match would pass every mapping in silence
            return Problem(Location(shown, line, column), "; ".join(unknown))
    return None


@functools.cache
def ontology_terms() -> frozenset[str]:
    """The IRIs the ontology defines under ``ics:``: every subject of ``ontology/ics.ttl``."""
    import pyoxigraph as ox

    with ontology_path().open("rb") as handle:
        return frozenset(
            t.subject.value
            for t in ox.parse(handle, format=ox.RdfFormat.TURTLE)
            if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(ICS)
        )


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 160 else text[:157] + "..."


def _rule_from_sparql(path: Path, shown: str, builtin: bool, problems: list[Problem]) -> Rule | None:
    text = _read(path, shown, problems)
    if text is None:
        return None
    before = len(problems)
    meta, query = _parse_header(text, shown, problems)
    if len(problems) > before:
        return None
    for key in meta:
        if key not in HEADER_KEYS:
            problems.append(
                Problem(
                    Location(shown, 1, 1),
                    f"unknown rule header key '{key}'{did_you_mean(key, HEADER_KEYS)}; allowed: {', '.join(HEADER_KEYS)}",
                )
            )
    for key in ("slug", "severity", "title", "message", "rationale", "fix"):
        if not meta.get(key):
            problems.append(Problem(Location(shown, 1, 1), f"rule header is missing '{key}'"))
    if len(problems) > before:
        return None
    slug = str(meta["slug"])
    if not _SLUG.match(slug):
        problems.append(Problem(Location(shown, 1, 1), f"invalid slug '{slug}': lower-case letters, digits and '-'"))
        return None
    try:
        severity = Severity.parse(str(meta["severity"]))
    except ValueError as exc:
        problems.append(Problem(Location(shown, 1, 1), str(exc)))
        return None
    algorithm = meta.get("algorithm")
    if algorithm is not None and algorithm not in ALGORITHMS:
        problems.append(
            Problem(
                Location(shown, 1, 1),
                f"unknown algorithm '{algorithm}'{did_you_mean(str(algorithm), ALGORITHMS)}; allowed: {', '.join(ALGORITHMS)}",
            )
        )
        return None
    if not re.search(r"\bSELECT\b", query, re.IGNORECASE):
        problems.append(Problem(Location(shown, 1, 1), "a .rq rule must be a SPARQL SELECT query"))
        return None
    try:
        refuse_federation(query)
    except QueryError:
        problems.append(Problem(Location(shown, 1, 1), "rules run offline: a SERVICE (federated) query is not allowed"))
        return None
    if algorithm is None and not re.search(r"\?focus\b", query):
        problems.append(Problem(Location(shown, 1, 1), "the query must bind ?focus (the entity each finding is about)"))
        return None
    requires = str(meta["requires"]).strip() if meta.get("requires") else None
    if not builtin:  # a user's query is parsed now, so that a typo is an error at its line, not a crash
        first = len(text.splitlines()) - len(query.split("\n")) + 1
        bad = _syntax_problem(query, PREFIXES, shown, first, 1)
        if bad is None and requires is not None:
            bad = _syntax_problem(f"ASK {{ {requires} }}", PREFIXES, shown, 1, 1)
            if bad is not None:
                bad = Problem(Location(shown, 1, 1), f"'requires' is not a SPARQL group pattern: {bad.message}")
        if bad is not None:
            problems.append(bad)
            return None
    sources = meta.get("sources") or ()
    return Rule(
        slug=slug,
        severity=severity,
        title=str(meta["title"]).strip(),
        message=str(meta["message"]).strip(),
        rationale=str(meta["rationale"]).strip(),
        fix=str(meta["fix"]).strip(),
        example=str(meta.get("example") or "").strip(),
        query=query,
        path=shown,
        algorithm=algorithm,
        sources=tuple(str(s) for s in ([sources] if isinstance(sources, str) else sources)),
        tags=tuple(str(t) for t in (meta.get("tags") or ())),
        builtin=builtin,
        requires=requires,
    )


def _rules_from_shacl(path: Path, shown: str, builtin: bool, problems: list[Problem]) -> list[Rule]:
    """A SHACL shapes file: each node shape with an ``ics:ruleSlug`` is a rule."""
    import pyoxigraph as ox

    text = _read(path, shown, problems)
    if text is None:
        return []
    store = ox.Store()
    try:
        store.load(text, format=ox.RdfFormat.TURTLE)
    except SyntaxError as exc:
        problems.append(
            Problem(Location(shown, exc.lineno or 0, exc.offset or 0), f"malformed SHACL shapes: {exc.msg}")
        )
        return []
    before = len(problems)
    _check_shacl_queries(store, text, shown, problems)
    if len(problems) > before:
        return []
    rows = store.query(f"""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        SELECT ?shape ?slug ?severity ?message ?rationale ?fix ?title WHERE {{
          ?shape <{ICS}ruleSlug> ?slug .
          OPTIONAL {{ ?shape sh:severity ?severity }} OPTIONAL {{ ?shape sh:message ?message }}
          OPTIONAL {{ ?shape <{PREFIXES["rdfs"]}comment> ?rationale }} OPTIONAL {{ ?shape <{ICS}fixHint> ?fix }}
          OPTIONAL {{ ?shape <{PREFIXES["rdfs"]}label> ?title }}
        }} ORDER BY ?slug""")
    assert isinstance(rows, ox.QuerySolutions)  # a SELECT query
    rules = []
    words = {
        "http://www.w3.org/ns/shacl#Violation": Severity.ERROR,
        "http://www.w3.org/ns/shacl#Warning": Severity.WARNING,
        "http://www.w3.org/ns/shacl#Info": Severity.INFO,
    }
    for row in rows:

        def value(name: str, row=row) -> str:
            return row[name].value if row[name] is not None else ""

        slug = value("slug")
        if not _SLUG.match(slug):
            problems.append(Problem(Location(shown), f"invalid slug '{slug}' in SHACL shape"))
            continue
        rules.append(
            Rule(
                slug=slug,
                severity=words.get(value("severity"), Severity.ERROR),
                title=value("title") or slug,
                message=value("message") or slug,
                rationale=value("rationale") or "(no rationale given)",
                fix=value("fix") or "(no fix hint given)",
                example="",
                query=text,
                path=shown,
                kind="shacl",
                builtin=builtin,
            )
        )
    if not rules:
        problems.append(Problem(Location(shown), "no SHACL shape in this file has ics:ruleSlug, so it defines no rule"))
    return rules


_SH = "http://www.w3.org/ns/shacl#"
#: Prefixes pySHACL declares in every SHACL-SPARQL query, besides those the shapes
#: graph declares with ``sh:declare``.
_SHACL_PREFIXES = {k: PREFIXES[k] for k in ("rdf", "rdfs", "owl")}


def _check_shacl_queries(store, text: str, shown: str, problems: list[Problem]) -> None:
    """The SPARQL inside a SHACL shapes file (``sh:select``, ``sh:ask``, ``sh:construct``)
    is checked as the rule is read: a federated query (SERVICE) is refused, as in every
    rule, and one that does not parse is an error at its line, instead of failing
    inside pySHACL when the rule runs."""
    prefixes = dict(_SHACL_PREFIXES)
    declared = store.query(
        f"SELECT ?prefix ?namespace WHERE {{ ?s <{_SH}declare> ?d . ?d <{_SH}prefix> ?prefix ; "
        f"<{_SH}namespace> ?namespace }}"
    )
    for row in declared:
        prefixes[str(row["prefix"].value)] = str(row["namespace"].value)
    rows = store.query(
        f"SELECT ?kind ?query WHERE {{ VALUES ?kind {{ <{_SH}select> <{_SH}ask> <{_SH}construct> }} "
        f"?s ?kind ?query FILTER(isLiteral(?query)) }}"
    )
    found = sorted((str(row["query"].value), str(row["kind"].value)[len(_SH) :]) for row in rows)
    for query, kind in found:
        line, column = _place(text, query, f"sh:{kind}")
        try:
            refuse_federation(query)
        except QueryError:
            problems.append(
                Problem(
                    Location(shown, line, column),
                    f"rules run offline: a SERVICE (federated) query is not allowed (in sh:{kind})",
                )
            )
            continue
        bad = _syntax_problem(query, prefixes, shown, line, column)
        if bad is not None:
            problems.append(Problem(bad.location, f"{bad.message} (in sh:{kind})"))


def _place(text: str, literal: str, keyword: str) -> tuple[int, int]:
    """Where a literal's text starts in the file (line and column, both from 1), or the
    line of ``keyword`` when it was written with escapes and cannot be found as it is."""
    at = text.find(literal)
    if at < 0:
        at = text.find(literal.strip().split("\n", 1)[0])
    if at < 0:
        at = text.find(keyword)
        if at < 0:
            return 0, 0
    start = text.rfind("\n", 0, at) + 1
    return text.count("\n", 0, at) + 1, at - start + 1


def load_rules(folders: list[Path] | None = None, *, builtin: bool = True) -> list[Rule]:
    """The built-in rules plus those in ``folders`` (``*.rq`` and ``*.ttl`` files).

    A user rule with the slug of a built-in rule is an error (change its slug, or
    ignore the built-in one in the configuration)."""

    problems: list[Problem] = []
    rules: dict[str, Rule] = {}
    sources = ([(rules_dir(), True)] if builtin else []) + [(Path(f), False) for f in folders or []]
    for folder, is_builtin in sources:
        if not folder.is_dir():
            problems.append(Problem(Location(display_path(folder)), "rules folder not found"))
            continue
        for path in sorted(folder.glob("*")):
            shown = display_path(path)
            found: Sequence[Rule | None]
            if path.suffix == ".rq":
                found = [_rule_from_sparql(path, shown, is_builtin, problems)]
            elif path.suffix == ".ttl":
                found = _rules_from_shacl(path, shown, is_builtin, problems)
            else:
                continue
            for rule in filter(None, found):
                if rule.slug in rules:
                    problems.append(
                        Problem(
                            Location(shown, 1, 1),
                            f"rule slug '{rule.slug}' is already defined in {rules[rule.slug].path}",
                        )
                    )
                else:
                    rules[rule.slug] = rule
    if problems:
        raise InputError(problems)
    return sorted(rules.values(), key=lambda r: r.slug)


def rules_digest() -> str:
    """What the built-in rules and the ontology are: stored findings are only used while
    it is unchanged (an upgrade of ics-graph recomputes them at the next load)."""
    digest = hashlib.sha256()
    for path in [ontology_path(), *sorted(rules_dir().iterdir())]:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()
