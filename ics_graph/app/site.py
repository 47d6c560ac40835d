"""``ics-graph site``: a static website of a mapping, built from the answers the other
commands give (``where``, ``at``, ``body``, ``check``, ``map``, ``visualise``) and written
into a folder all at once.

The folder is checked before anything is loaded: a non-empty folder is replaced only
with ``force``, and then only when it holds nothing but a site's files (``.html``,
``.js``, ``.css``); a folder holding one of the mapping's files is refused. The site is
built in a temporary folder beside it and renamed into place, so the folder is either
the complete new site or what it was before.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ics_graph.app.checking import list_rules
from ics_graph.app.findings import default_findings
from ics_graph.app.loading import open_files
from ics_graph.engine.policy import WAIVER_RULES
from ics_graph.model.findings import sort_findings
from ics_graph.model.graph import Mapping
from ics_graph.model.timeline import parse_date
from ics_graph.model.vocabulary import ID, short_id
from ics_graph.outputs.decisions import to_html
from ics_graph.outputs.site import page_name, render_site, with_home_link, with_policy
from ics_graph.outputs.visualise import visualise
from ics_graph.queries.decisions import DecisionsMap, decisions_map
from ics_graph.queries.entities import entity_index, key_dates, records, sources_of
from ics_graph.queries.info import summarise
from ics_graph.queries.projection import project
from ics_graph.queries.where import body_report, projections, what_sits_at, where_is
from ics_graph.util.collector import no_cyclic_collection
from ics_graph.util.errors import UsageError
from ics_graph.util.threads import Background

__all__ = ["SITE_SUFFIXES", "SiteBuilt", "build_site", "site_files"]

#: What a site folder holds: with --force, only a folder of these files is replaced.
SITE_SUFFIXES = (".html", ".js", ".css")
GRAPH_PAGE = "graph.html"


@dataclass
class SiteBuilt:
    folder: str
    files: int
    pages: int
    findings: int


def _check_folder(folder: str | Path, force: bool) -> Path:
    """Refuse an output folder before any work (UsageError): its parent missing, a file
    in its place, or a non-empty folder (without ``force``; with it, one holding anything
    but a site's files)."""
    target = Path(folder).resolve()
    if target.exists() and not target.is_dir():
        raise UsageError(f"'{folder}' exists and is not a folder")
    if not target.parent.is_dir():
        raise UsageError(f"folder '{Path(folder).parent}' does not exist: create it first")
    existing = sorted(target.rglob("*")) if target.exists() else []
    if existing and not force:
        raise UsageError(f"folder '{folder}' is not empty; use --force to replace it")
    others = [p for p in existing if not p.is_dir() and p.suffix.lower() not in SITE_SUFFIXES]
    if others:
        raise UsageError(
            f"refusing to replace folder '{folder}': it holds files a site does not "
            f"(e.g. '{others[0].relative_to(target).as_posix()}')"
        )
    return target


def _refuse_inputs(target: Path, folder: str | Path, inputs: Sequence[str | Path]) -> None:
    for one in inputs:
        resolved = Path(one).resolve()
        if resolved == target or target in resolved.parents:
            raise UsageError(f"refusing to write into '{folder}': it holds the input '{one}'")


def _finding(f, about: dict[str, dict[str, str]], system_of) -> dict:
    """A finding as the site shows it; one on an allocation or delegation is also about
    its function and area, whose pages show it and link to it. ``systems``: the mapped
    systems it concerns (those around any area it is about), for the findings filter."""
    record = about.get(f.focus, {})
    related = [*f.related, *(iri for iri in (record.get("function"), record.get("area")) if iri)]
    systems = sorted({system for iri in (f.focus, *related) for system in system_of(iri)})
    return {
        "systems": systems,
        "rule": f.rule,
        "severity": f.severity.word,
        "message": f.message,
        "hint": f.hint,
        "focus": short_id(f.focus),
        "related": [short_id(r) for r in dict.fromkeys(related)],
        "location": str(f.location) if f.location else "",
    }


class _Remembered:
    """``mapping``, its queries without bindings answered once: the answers for each
    area and body (``what_sits_at``, ``body_report``) read the same projections of the
    whole mapping, hundreds of times for a site, and the map, the graph page and the
    summary ask many of the same. Each caller gets its own copy of the rows."""

    def __init__(self, mapping):
        self._mapping = mapping
        self._answers: dict[str, list[dict]] = {}

    def select(self, query: str, bindings: dict | None = None) -> list[dict]:
        if bindings:
            return self._mapping.select(query, bindings)
        if query not in self._answers:
            self._answers[query] = self._mapping.select(query)
        return [dict(row) for row in self._answers[query]]

    def select_many(self, queries) -> list[list[dict]]:
        queries = list(queries)
        missing = [query for query in dict.fromkeys(queries) if query not in self._answers]
        self._answers.update(zip(missing, self._mapping.select_many(missing), strict=True))
        return [[dict(row) for row in self._answers[query]] for query in queries]

    def __len__(self) -> int:
        return len(self._mapping)

    def __getattr__(self, name: str):
        return getattr(self._mapping, name)


def site_files(mapping, *, title: str | None = None, as_of: str = "") -> dict[str, str]:
    """Every file of the site of ``mapping``: ``{name: text}``."""
    with no_cyclic_collection():  # the answers are many small objects, and no cycles
        return _site_files(mapping, title=title, as_of=as_of)


def _site_files(mapping, *, title: str | None, as_of: str) -> dict[str, str]:
    # The checks run mostly inside the store, with the interpreter lock released: on
    # another thread they take the other core while this one answers the area and body
    # pages, which do not show findings.
    checking = Background(default_findings, mapping, name="ics-graph-site-check")
    # Every answer below reads the mapping through this: the map, the graph page and
    # the pages ask many of the same whole-mapping queries, which then run once.
    remembered = _Remembered(mapping)
    graph = project(cast(Mapping, remembered))  # it answers as the mapping does
    entities = entity_index(remembered, graph)
    summary = summarise(remembered).as_dict()
    names = [s["name"] for s in summary["systems"]]
    title = title or ("ICS functions map: " + ", ".join(names) if names else "ICS functions map")
    reports: dict[str, dict] = {}
    shared = projections(remembered)  # every area and body answer reads the same projections
    for e in entities:
        if e.kind == "area":
            reports[e.id] = what_sits_at(remembered, e.iri, context=shared).as_dict()
        elif e.kind == "body":
            reports[e.id] = body_report(remembered, e.iri, context=shared).as_dict()
    findings = sort_findings(checking.result())
    for e in entities:
        if e.kind == "function":
            reports[e.id] = where_is(remembered, e.iri, findings=findings, context=shared).as_dict()
    related: dict[str, dict[str, list[str]]] = {}
    for edge in graph.edges:
        if edge.kind == "part-of":
            related.setdefault(edge.source, {}).setdefault("part_of", []).append(edge.target)
            related.setdefault(edge.target, {}).setdefault("parts", []).append(edge.source)
        elif edge.kind == "member-of":
            related.setdefault(edge.target, {}).setdefault("members", []).append(edge.source)
    labels = {e.id: (e.label, e.id) for e in entities}
    for lists in related.values():
        for key, ids in lists.items():
            lists[key] = sorted(set(ids), key=lambda i: labels.get(i, (i, i)))
    by_iri = sources_of(remembered)
    about = records(remembered)
    mapped = {ID + "area/" + s["id"]: s["id"] for s in summary["systems"]}

    def system_of(iri: str) -> list[str]:
        """The mapped systems (their ids) around an area; none for anything else."""
        return [mapped[a] for a in shared.tree.ancestors(iri) if a in mapped]

    sources = {e.id: by_iri.get(e.iri, []) for e in entities}
    rules = {r.slug: {"title": r.title, "explain": r.explain()} for r in [*list_rules(), *WAIVER_RULES.values()]}
    decisions = decisions_map(remembered, as_of=as_of)
    pages: dict[str, str] = {}
    maps = []
    for system in decisions.systems:
        name = page_name("decisions/" + system.area_id.rsplit("/", 1)[-1])
        one = DecisionsMap([system], decisions.reserved, decisions.nhse_delegations, decisions.as_of)
        pages[name] = with_policy(with_home_link(to_html(one), title))
        maps.append({"system": system.area_id.rsplit("/", 1)[-1], "nav": f"Map: {system.area}", "file": name})
    pages[GRAPH_PAGE] = with_home_link(visualise(remembered, findings, title=title), title)
    files = render_site(
        title=title,
        as_of=as_of,
        entities=[e.__dict__ for e in entities],
        reports=reports,
        related=related,
        findings=[_finding(f, about, system_of) for f in findings],
        rules=rules,
        summary=summary,
        dates=key_dates(remembered),
        sources=sources,
        maps=maps,
        graph=GRAPH_PAGE,
    )
    clash = set(files) & set(pages)
    if clash:  # an entity id that names a page of the site's own
        raise UsageError(f"an entity's page would replace the site's own '{sorted(clash)[0]}'")
    return {**files, **pages}


def _write(files: dict[str, str], target: Path) -> None:
    """Write ``files`` into a temporary folder beside ``target``, then rename it into
    place (the previous folder, if any, is removed only once the new one is there)."""
    import shutil
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    old = None
    try:
        for name, text in sorted(files.items()):
            (tmp / name).write_bytes(text.encode("utf-8"))
        os.chmod(tmp, 0o777 & ~_umask())
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
            old.rmdir()
            os.replace(target, old)
        os.replace(tmp, target)
    except BaseException:
        if old is not None and old.exists() and not target.exists():
            os.replace(old, target)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def build_site(
    paths: Sequence[str],
    folder: str,
    *,
    as_of: str | None = None,
    title: str | None = None,
    force: bool = False,
    allow_outside: bool = False,
) -> SiteBuilt:
    """Build the site of the mapping in ``paths`` (as it stands on ``as_of``,
    YYYY-MM-DD, if given) into ``folder``."""
    day = parse_date(as_of) if as_of else None
    target = _check_folder(folder, force)
    _refuse_inputs(target, folder, paths)
    mapping = open_files(paths, as_of=day, allow_outside=allow_outside)
    _refuse_inputs(target, folder, [*mapping.files, *(f for f, _ in mapping.expansions)])
    files = site_files(mapping, title=title, as_of=day.isoformat() if day else "")
    _write(files, target)
    findings = files["findings.html"].count('<li data-severity="')
    return SiteBuilt(str(folder), len(files), sum(1 for n in files if n.endswith(".html")), findings)
