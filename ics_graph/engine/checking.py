"""Run rules over a mapping and turn their rows into findings.

The core knows nothing about files, terminals or output formats: it takes a
:class:`~ics_graph.model.graph.Mapping` and :class:`~ics_graph.engine.rulefiles.Rule` objects and returns
:class:`~ics_graph.model.findings.Finding` objects. SPARQL rules run unchanged on any store
the mapping wraps; algorithm rules fetch only the edges they need.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from ics_graph.engine.algorithms import find_cycles
from ics_graph.engine.policy import WAIVER_RULES, Config, apply_waivers
from ics_graph.engine.rulefiles import Rule, load_rules
from ics_graph.model import vocabulary as v
from ics_graph.model.findings import CheckResult, Finding, Severity, sort_findings
from ics_graph.model.graph import Mapping
from ics_graph.model.turtle import to_ntriples
from ics_graph.util.errors import InputError, Location, Problem, QueryRefused, did_you_mean
from ics_graph.util.threads import QueryTimeout, bounded, cores, in_order

__all__ = ["check", "judges_one_day", "run_rule", "run_rules"]

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _format(template: str, values: dict) -> str:
    """Fill ``{name}`` placeholders; a missing value shows as '?' rather than failing."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "?")), template)


class _Labels:
    """Labels for many entities in one query per batch, not one query per finding,
    each looked up once (see :meth:`ics_graph.model.graph.Mapping.labels`)."""

    def __init__(self, mapping):
        self.mapping, self.cache = mapping, {}

    def fetch(self, iris) -> None:
        self.cache.update(self.mapping.labels(i for i in iris if i and i not in self.cache))

    def __getitem__(self, iri: str) -> str:
        if iri not in self.cache:
            self.fetch([iri])
        return self.cache[iri]


def _location(mapping, *iris):
    for iri in iris:
        if not iri:
            continue
        loc = mapping.location(iri)
        if loc is not None:
            return loc
    return None


#: A rule that judges a timeline asks for the day of a ``--as-of`` check as ``?as_of``.
_AS_OF = re.compile(r"[?$]as_of\b")


def judges_one_day(rule: Rule) -> bool:
    """Whether the rule asks for the day of a view as of a date (``?as_of``): on the same
    graph, only such a rule can find otherwise as of a day than over the whole timeline."""
    return rule.kind == "sparql" and _AS_OF.search(rule.query) is not None


def _rows(mapping, rule: Rule, notes: list[str] | None = None) -> list[dict] | None:
    """What a rule's query returns (None for a SHACL rule, which has no query). This is
    the part that runs in the store, and the part that runs in parallel.

    A SPARQL endpoint whose engine cannot take the query (Virtuoso 7.2's compiler refuses
    ``function-continuity``) is not the end of the check: the rule runs on a copy of the
    graph read from the endpoint (:meth:`Mapping.in_memory`), the same query on the same
    triples, and ``notes`` says so, since the endpoint did not evaluate it."""
    if rule.kind == "shacl":
        return None
    try:
        return _asked(mapping, rule)
    except QueryRefused as refused:
        here = mapping.in_memory()
        if here is mapping:
            raise
        rows = _asked(here, rule)
        if notes is not None:
            notes.append(
                f"rule '{rule.slug}': the SPARQL endpoint cannot run its query ({refused.reason}); it ran "
                f"in ics-graph, on the graph read from the endpoint ({len(here.store):,} statements)"
            )
        return rows


def _asked(mapping, rule: Rule) -> list[dict]:
    if rule.requires is not None and not mapping.ask(f"ASK {{ {rule.requires} }}"):
        return []  # the graph holds nothing the rule could find
    as_of = getattr(mapping, "as_of", None)
    if as_of is not None and judges_one_day(rule):
        return mapping.select(rule.query, bindings={"as_of": as_of})
    return mapping.select(rule.query)


def _is_entity(group: str) -> bool:
    """Whether a cycle rule's ``?group`` is an entity a finding is about (the function a
    delegation chain is of) rather than a class of the ontology that only keeps kinds of
    edges apart (functions and workstreams): only entities are related."""
    return bool(group) and not group.startswith(v.ICS)


def _is_iri(value) -> bool:
    """Whether a row value is an IRI (an absolute one, with none of the characters an
    IRI may not hold), so that it can be looked up in a query safely."""
    return isinstance(value, str) and _IRI.match(value) is not None


_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>\"{}|^`\\]*\Z")


def _template(rule: Rule, row: dict) -> str:
    """The message template of a row: its own ``?message`` if the query chose one."""
    message = row.get("message")
    return message if isinstance(message, str) and message else rule.message


def _named(template: str, row: dict) -> dict[str, str]:
    """``{x_label}`` and ``{x_labels}`` placeholders the row does not fill itself, with the
    variable whose IRI (or space-separated IRIs) they name: labels are looked up here, not
    joined in the query, so a missing or second label never changes which findings there are."""
    wanted = {}
    for name in _PLACEHOLDER.findall(template):
        for suffix in ("_label", "_labels"):
            if name.endswith(suffix) and name not in row and isinstance(row.get(name[: -len(suffix)]), str):
                wanted[name] = name[: -len(suffix)]
    return wanted


def _sparql_findings(mapping, rule: Rule, rows: list[dict], labels: _Labels) -> list[Finding]:
    templates = [_template(rule, row) for row in rows]
    named = [_named(template, row) for template, row in zip(templates, rows, strict=True)]
    labels.fetch(
        [r.get("focus") for r in rows]
        + [r.get("area") for r in rows]
        + [
            iri
            for row, names in zip(rows, named, strict=True)
            for var in names.values()
            for iri in str(row[var]).split()
        ]
    )
    mapping.prefetch_locations(
        {str(v) for r in rows for k, v in r.items() if k in ("at", "focus") or k.startswith("related")}
    )
    findings = []
    for row, template, names in zip(rows, templates, named, strict=True):
        focus = row.get("focus")
        if focus is None:
            continue
        # A related variable may hold several IRIs separated by spaces (a GROUP_CONCAT).
        related = tuple(sorted({iri for k, v in row.items() if k.startswith("related") for iri in str(v).split()}))
        severity = rule.severity
        if "severity" in row:
            severity = Severity.parse(str(row["severity"]))
        values = dict(row)
        for name, value in row.items():  # SPARQL leaves GROUP_CONCAT's order open: sort it
            if name.endswith("_list") and isinstance(value, str):
                values[name] = ", ".join(sorted(value.split(", ")))
        for name, var in names.items():
            if name.endswith("_labels"):
                values[name] = ", ".join(sorted(labels[iri] if _is_iri(iri) else iri for iri in row[var].split()))
            else:
                values[name] = labels[row[var]] if _is_iri(row[var]) else row[var]
        values.setdefault("focus_label", labels[focus])
        area_label = labels[row["area"]] if row.get("area") else ""
        values.setdefault("area_label", area_label)
        findings.append(
            Finding(
                rule=rule.slug,
                severity=severity,
                message=_format(template, values),
                focus=focus,
                focus_label=labels[focus],
                related=related,
                location=_location(mapping, row.get("at"), focus, *related),
                hint=rule.fix,
                area_label=area_label,
            )
        )
    return findings


_WRITTEN_STEPS = 24


def _written(path: tuple, labels: _Labels) -> str:
    """A cycle written out (A -> B -> C -> A); a very long one is cut in the middle of the
    message, since nobody reads 100,000 names (the finding's cycle field keeps all)."""
    if len(path) <= _WRITTEN_STEPS + 1:
        return " -> ".join(labels[node] for node in path)
    half = _WRITTEN_STEPS // 2
    return (
        " -> ".join(labels[node] for node in path[:half])
        + f" -> ... ({len(path) - 1 - _WRITTEN_STEPS:,} more steps) -> "
        + " -> ".join(labels[node] for node in path[-half:])
    )


def _cycle_findings(mapping, rule: Rule, rows: list[dict], labels: _Labels) -> list[Finding]:
    edges_by_group: dict = defaultdict(list)
    edge_of: dict = {}  # (from, to) -> the entity that states the edge (a delegation), if the query says
    for row in rows:
        if "from" in row and "to" in row:
            edges_by_group[row.get("group", "")].append((row["from"], row["to"]))
            if "edge" in row:
                edge_of.setdefault((row["from"], row["to"]), row["edge"])
    findings = []
    for group in sorted(edges_by_group):
        for cycle in find_cycles(edges_by_group[group]):
            labels.fetch([*cycle.members, group])
            mapping.prefetch_locations(
                [*cycle.members, *(edge_of.get(pair) for pair in itertools.pairwise(cycle.path))]
            )
            focus = cycle.members[0]
            written = _written(cycle.path, labels)
            names = [labels[m] for m in cycle.members[:10]] + (["..."] if len(cycle.members) > 10 else [])
            circle = (
                f"{names[0]} depends on itself"
                if len(cycle.members) == 1
                else f"{', '.join(names[:-1])} and {names[-1]} depend on each other in a circle"
            )
            values = {
                "cycle": written,
                "size": len(cycle.members),
                "focus_label": labels[focus],
                "circle": circle,
                "group_label": labels[group] if group else "",
                "members": ", ".join(labels[m] for m in cycle.members[:10])
                + (", ..." if len(cycle.members) > 10 else ""),
            }
            findings.append(
                Finding(
                    rule=rule.slug,
                    severity=rule.severity,
                    message=_format(rule.message, values),
                    focus=focus,
                    focus_label=labels[focus],
                    related=tuple(cycle.members[1:]) + ((group,) if _is_entity(group) else ()),
                    location=_location(
                        mapping, *[edge_of.get(pair) for pair in itertools.pairwise(cycle.path)], *cycle.members
                    ),
                    cycle=cycle.path,
                    cycle_labels=tuple(labels[node] for node in cycle.path),
                    hint=rule.fix,
                )
            )
    return findings


def _shacl_findings(mapping, rule: Rule, labels: _Labels) -> list[Finding]:
    """User SHACL rules, validated by pySHACL (imported only when such a rule exists)."""
    import pyshacl
    import rdflib

    data = rdflib.Graph().parse(data=to_ntriples(mapping.data_triples()), format="nt")
    shapes = rdflib.Graph().parse(data=rule.query, format="turtle")
    try:
        _conforms, report, _text = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    except pyshacl.errors.ReportableRuntimeError as exc:  # a shape pySHACL cannot load
        report = exc
    if isinstance(report, Exception):  # pySHACL returns some failures (a MINUS in sh:select) rather than raising
        why = " ".join(str(report).split())
        raise InputError([Problem(Location(rule.path), f"SHACL rule '{rule.slug}' cannot run: {why}")])
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    findings = []
    for result in sorted(report.subjects(rdflib.RDF.type, sh.ValidationResult), key=str):
        focus = str(report.value(result, sh.focusNode))
        message = str(report.value(result, sh.resultMessage) or rule.message)
        findings.append(
            Finding(
                rule=rule.slug,
                severity=rule.severity,
                message=_format(message, {"focus_label": labels[focus]}),
                focus=focus,
                focus_label=labels[focus],
                location=_location(mapping, focus),
                hint=rule.fix,
            )
        )
    return findings


def run_rule(
    mapping: Mapping, rule: Rule, labels: _Labels | None = None, notes: list[str] | None = None
) -> list[Finding]:
    """The findings of one rule (its query within the limit of
    :func:`~ics_graph.util.threads.set_query_timeout`); ``notes`` as :func:`run_rules`."""
    rows = bounded(_rows, mapping, rule, notes, what=f"rule {rule.slug}")
    return _findings(mapping, rule, rows, labels or _Labels(mapping))


def _findings(mapping, rule: Rule, rows: list[dict] | None, labels: _Labels) -> list[Finding]:
    if rule.kind == "shacl":  # its queries run inside pyshacl: bounded as one
        return bounded(_shacl_findings, mapping, rule, labels, what=f"rule {rule.slug}")
    assert rows is not None  # every rule but a SHACL one has a query (see _rows)
    if rule.algorithm == "strongly-connected-cycles":
        return _cycle_findings(mapping, rule, rows, labels)
    return _sparql_findings(mapping, rule, rows, labels)


def _workers(rules: list[Rule]) -> int:
    """How many rule queries run at once (see :func:`ics_graph.util.threads.cores`).
    Oxigraph evaluates a query with the interpreter lock released (see
    :func:`ics_graph.model.graph.plain_rows`), so threads share the one loaded store with
    no copy, in memory or on disk; on a SPARQL endpoint they wait for two answers at once."""
    return max(1, min(cores(), len(rules)))


def _run_parallel(
    mapping, rules: list[Rule], labels: _Labels, workers: int, notes: list[str] | None
) -> list[list[Finding]]:
    """Queries on a few threads; each rule's rows are turned into findings here, in
    rule order, while the later rules' queries are still running."""
    rows = in_order(
        lambda rule: _rows(mapping, rule, notes),
        rules,
        workers,
        name="ics-graph-rule",
        what=lambda rule: f"rule {rule.slug}",
    )
    try:
        return [_findings(mapping, rule, of_rule, labels) for rule, of_rule in zip(rules, rows, strict=True)]
    except (KeyboardInterrupt, QueryTimeout):
        raise  # the process ends: the running queries cannot be stopped, and are not waited for
    except BaseException:
        rows.close()  # after a failure here, start no more queries and wait for those running
        raise


def run_rules(
    mapping: Mapping,
    rules: list[Rule],
    *,
    severities: dict[str, Severity] | None = None,
    notes: list[str] | None = None,
) -> list[Finding]:
    """Run ``rules`` and return their findings in stable order. ``severities`` overrides
    the severity of every finding of a rule (from configuration). The rules' queries run
    two at a time (see :func:`_workers`); the findings are the same. A user's rule may
    read where things were written, so those graphs are written first when one runs.
    ``notes`` gets a line for each rule that did not run where the mapping is (see
    :func:`_rows`), in no particular order."""
    if any(not rule.builtin for rule in rules):
        mapping.write_sources()
    labels = _Labels(mapping)
    workers = _workers(rules)
    found = (
        _run_parallel(mapping, rules, labels, workers, notes)
        if workers > 1
        else [run_rule(mapping, rule, labels, notes) for rule in rules]
    )
    findings: list[Finding] = []
    for rule, of_rule in zip(rules, found, strict=True):
        for finding in of_rule:
            if severities and rule.slug in severities:
                finding = Finding(**{**finding.__dict__, "severity": severities[rule.slug]})
            findings.append(finding)
    return sort_findings(findings)


def check(
    mapping: Mapping,
    *,
    config: Config | None = None,
    rule_dirs: Iterable[Path] = (),
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    baseline: set[str] | None = None,
    today: _dt.date | None = None,
    rules: list[Rule] | None = None,
) -> CheckResult:
    """Check a mapping: choose rules (built in, from folders, filtered by configuration
    and by ``select``/``ignore``), run them, apply waivers and a baseline.

    ``rules``, when given, are the already loaded rules (built in and from folders);
    otherwise they are loaded here. Returns a :class:`~ics_graph.model.findings.CheckResult`. Raises
    :class:`~ics_graph.util.errors.InputError` for broken rule files or unknown slugs.
    """

    config = config or Config()
    if rules is None:
        rules = load_rules([*config.rules, *rule_dirs])
    known = [r.slug for r in rules]
    chosen = list(select) or config.select
    dropped = set(ignore) | set(config.ignore)
    unknown = [s for s in [*chosen, *dropped] if s not in known]
    if unknown:
        raise InputError(
            [Problem(Location("<command line>"), f"unknown rule '{s}'{did_you_mean(s, known)}") for s in unknown]
        )
    rules = [r for r in rules if (not chosen or r.slug in chosen) and r.slug not in dropped]
    notes: list[str] = []
    findings = run_rules(mapping, rules, severities=config.severity, notes=notes)
    findings, waived = apply_waivers(findings, config.waivers, today)
    used_meta = sorted({f.rule for f in findings if f.rule in WAIVER_RULES})
    baselined = 0
    if baseline is not None:
        kept = [f for f in findings if f.fingerprint not in baseline]
        baselined = len(findings) - len(kept)
        findings = kept
    return CheckResult(
        findings=sort_findings(findings),
        rules=rules + [WAIVER_RULES[s] for s in used_meta],
        waived=waived,
        baselined=baselined,
        files=list(mapping.files),
        notes=sorted(notes),
    )
