"""Where the graph lives: in memory (the default), in an Oxigraph folder, or on a
SPARQL 1.1 endpoint (``--store memory|oxigraph:DIR|sparql:URL``).

A store holds what :func:`~ics_graph.inputs.loader.load_mapping` builds, graph for graph: each
source file's data in ``urn:ics-graph:file:PATH``, where its entities were written in
``urn:ics-graph:sources:PATH``, the ontology in ``urn:ics-graph:ontology``, and a
manifest (``urn:ics-graph:manifest``) giving each of those a digest of its content and
its place in the load order.

Loading into a store (``ics-graph load PATH --store ...``) parses and validates every
source as always (a reference into another file must still resolve), then compares
each file's digest with the manifest's: nothing is written when nothing changed. The
manifest also notes what the load read (:class:`Inputs`), so that a load of files none
of which changed is known as such before they are read (:func:`last_load`). Writes
are all or nothing, whatever stops them (an error, Ctrl-C, a kill). An Oxigraph folder's
mapping is never changed in place: the new store is bulk-loaded in a folder beside it and
the two are swapped in one step, so it holds exactly the old mapping or exactly the new
one (only the manifest's note of what was read is rewritten in place, in one transaction,
when the files changed but their graph did not).
An endpoint gets the changed graphs as staging graphs first, then one SPARQL Update
request (atomic, as SPARQL 1.1 Update asks of every service) moves them into place and
rewrites the manifest; staging graphs an interrupted load left are dropped by the next.

Querying a store (``--store`` without PATH) gives a :class:`~ics_graph.model.graph.Mapping`
whose queries run where the data is: nothing is parsed again, and an endpoint sends
back only query results (the cycle rules ask only for the edges they need).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ics_graph.engine.checking import check, judges_one_day
from ics_graph.engine.rulefiles import load_rules, rules_digest
from ics_graph.model import vocabulary as v
from ics_graph.model.findings import from_records, sort_findings, to_records
from ics_graph.model.graph import Mapping
from ics_graph.model.schema import printable
from ics_graph.model.sources import sources_ntriples
from ics_graph.model.sparql import plain_rows as _plain_rows
from ics_graph.model.sparql import query_form as _query_form
from ics_graph.model.timeline import as_of, era, overlap, today
from ics_graph.model.turtle import literal as _literal
from ics_graph.model.vocabulary import MANIFEST_GRAPH, ONTOLOGY_GRAPH, SOURCES_GRAPH, file_graph, sources_graph
from ics_graph.stores.spec import PASSWORD_VARIABLE, USER_VARIABLE, StoreSpec, refuse_credentials_in
from ics_graph.util.errors import Location, QueryRefused, StoreError, UsageError
from ics_graph.util.resources import ontology_path
from ics_graph.util.threads import Background, Interrupted, QueryTimeout, interrupts_deferred, noting

__all__ = [
    "Inputs",
    "LoadReport",
    "RemoteStore",
    "StoreError",
    "StoredLocations",
    "kept_files_folder",
    "last_load",
    "load_into",
    "open_mapping",
]

SCHEMES = ("memory", "oxigraph", "sparql")
_STAGING = "urn:ics-graph:staging:"
#: The findings of the built-in rules, computed at load, for where/visualise to show.
FINDINGS_GRAPH = "urn:ics-graph:findings"
_TIMEOUT = float(os.environ.get("ICS_GRAPH_SPARQL_TIMEOUT", "300"))
#: Headers an endpoint's answer may have (Virtuoso sends one per graph of the default graph).
_MAX_HEADERS = 100_000
#: In an Oxigraph store's folder, beside the database: its data and ontology graphs as
#: N-Quads (not the sources graphs, manifest or findings), written with the store. A
#: whole-graph job (``check``) parses it into memory instead of dumping the database (a
#: dump walks every index, sources graphs included, then is parsed again). Its first
#: line names the manifest's units it was written for and the digest of the rest, so a
#: copy that is not the store's own, or is damaged, is never read.
MEMORY_COPY = "ics-graph-memory.nq"
_COPY_HEADER = re.compile(rb"# ics-graph memory copy of (\S+); sha256 ([0-9a-f]{64})\n")


# -- what the manifest says -----------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    """One loaded file (or the ontology): its graphs, digest and place in the load order."""

    graph: str
    file: str | None
    digest: str
    order: int

    @property
    def graphs(self) -> tuple[str, ...]:
        return (self.graph, sources_graph(self.graph)) if self.file is not None else (self.graph,)


_MANIFEST_QUERY = f"""
SELECT ?g ?file ?digest ?order WHERE {{
  GRAPH <{MANIFEST_GRAPH}> {{
    ?g a <{v.ICS}SourceGraph> ; <{v.ICS}contentDigest> ?digest ; <{v.ICS}loadOrder> ?order .
    OPTIONAL {{ ?g <{v.ICS}definedInFile> ?file }}
  }}
}}"""


def _read_manifest(rows: list[dict]) -> dict[str, _Unit]:
    return {row["g"]: _Unit(row["g"], row.get("file"), row["digest"], int(row["order"])) for row in rows}


def _manifest_ntriples(units: list[_Unit], inputs: Inputs | None = None) -> str:
    ics, integer = v.ICS, v.PREFIXES["xsd"] + "integer"
    lines = []
    for unit in sorted(units, key=lambda u: u.order):
        lines.append(f"<{unit.graph}> <{v.PREFIXES['rdf']}type> <{ics}SourceGraph> .")
        lines.append(f'<{unit.graph}> <{ics}contentDigest> "{unit.digest}" .')
        lines.append(f'<{unit.graph}> <{ics}loadOrder> "{unit.order}"^^<{integer}> .')
        if unit.file is not None:
            lines.append(f"<{unit.graph}> <{ics}definedInFile> {_literal(unit.file)} .")
    return "\n".join(lines) + "\n" + (inputs.ntriples() if inputs is not None else "")


def _units_of(mapping) -> tuple[list[_Unit], dict[str, bytes]]:
    """The units of an in-memory mapping and the N-Triples of each of their graphs. A
    unit's digest covers its sorted triples, so it changes exactly when its content does;
    the ontology's is its file's (its blank nodes get new ids at every load, which would
    make it look changed every time)."""
    import pyoxigraph as ox

    # A store keeps where each entity was written, for findings and users: written here
    # as text, not added to the mapping's graph to be read back (the built-in rules never
    # read them; 1.2 s of parsing and indexing at a million triples)
    written = sources_ntriples(mapping.sources) if mapping.sources is not None else {}
    payload: dict[str, bytes] = {}
    units = []
    entries = [(ONTOLOGY_GRAPH, None)] + [(file_graph(f), f) for f in mapping.files]
    for order, (graph, file) in enumerate(entries):
        digest = hashlib.sha256()
        unit_graphs = (graph, sources_graph(graph)) if file is not None else (graph,)
        for name in unit_graphs:
            raw = written.get(name)
            if raw is None:  # data, or where things were written once they are in the mapping's graph
                raw = mapping.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(name))
            payload[name] = raw
            digest.update(b"\n".join(sorted(raw.splitlines())) + b"\n--\n")
        if file is None:
            digest = hashlib.sha256(b"ontology file\0" + ontology_path().read_bytes())
        units.append(_Unit(graph, file, "sha256:" + digest.hexdigest(), order))
    return units, payload


def _findings_ntriples(findings, digest: str, on_day=None) -> str:
    """The findings graph: the whole timeline's findings, and ``on_day`` = ((findings,
    whole), first day, last day): those as of the day of the load, for every day of its
    era (see :func:`ics_graph.model.timeline.era`; None for an open end), and whether
    the mapping as of those days is the whole mapping (nothing dated out)."""

    def records(found) -> str:
        return _json_literal(to_records(found))

    node = f"<{FINDINGS_GRAPH}>"
    lines = [f"{node} <{v.ICS}rulesDigest> {_literal(digest)} .", f"{node} <{v.ICS}findingsJson> {records(findings)} ."]
    lines.extend(_by_entity("whole", findings))
    if on_day is not None:
        (found, whole), first, last = on_day
        lines.append(f"{node} <{v.ICS}dayFindingsJson> {records(found)} .")
        lines.append(f'{node} <{v.ICS}dayWhole> "{str(whole).lower()}"^^<http://www.w3.org/2001/XMLSchema#boolean> .')
        for name, day in (("dayFindingsFrom", first), ("dayFindingsTo", last)):
            if day is not None:
                lines.append(f'{node} <{v.ICS}{name}> "{day.isoformat()}"^^<http://www.w3.org/2001/XMLSchema#date> .')
        lines.extend(_by_entity("day", found))
    return "".join(line + "\n" for line in lines)


def _json_literal(value: Any) -> str:
    """``value`` as compact JSON in an N-Triples literal."""
    import json

    return _literal(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


#: An IRI as findings name entities, that can go between < and > in a query as it is.
_PLAIN_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>\"{}|^`\\]*")


def _by_entity(kept: str, findings) -> Iterator[str]:
    """Each finding of those ``kept`` ("whole" or "day") again, on its own node
    (``urn:ics-graph:findings:KEPT:N``, N its place in their order) with each entity it
    is about (its focus and related entities, IRIs only): a question reads those about
    its entities alone (see :class:`_KeptFindings`)."""
    for number, record in enumerate(to_records(findings)):
        finding = f"<{FINDINGS_GRAPH}:{kept}:{number}>"
        yield f"{finding} <{v.ICS}findingJson> {_json_literal(record)} ."
        about = {findings[number].focus, *findings[number].related}
        for iri in sorted(iri for iri in about if iri and _PLAIN_IRI.fullmatch(iri)):
            yield f"{finding} <{v.ICS}aboutEntity> <{iri}> ."


def _findings_whole_and_on(mapping: Mapping, day) -> tuple[list, tuple[list, bool]]:
    """The built-in rules' findings over the whole timeline, and as of ``day`` with
    whether nothing is dated out that day. Then the view is the same graph, and only the
    rules that judge one day can find otherwise than over the whole timeline: only they
    run again (at a million triples the view's check would otherwise double the load).
    The check as of the day runs on a thread while the whole timeline's runs here, so
    that the two cores stay busy to the end instead of one rule running alone."""
    view = as_of(mapping, day)
    rules = load_rules([])
    again = [rule.slug for rule in rules if judges_one_day(rule)]
    shared = view.store is mapping.store
    if shared and not again:
        whole = check(mapping, rules=rules).findings
        return whole, (whole, True)
    select = again if shared else []
    on_day = Background(lambda: check(view, select=select, rules=rules).findings, name="ics-graph-day-rules")
    try:
        whole = check(mapping, rules=rules).findings
    except Exception:
        on_day.wait()  # no query left running on the mapping after this returns
        raise
    found = on_day.result()
    if not shared:
        return whole, (found, False)
    kept = [finding for finding in whole if finding.rule not in again]
    return whole, (sort_findings(kept + found), True)


class _KeptFindings:
    """The findings a load kept in the store (see :func:`_findings_ntriples`), read when
    asked: all of them, or only those about some entities (a question shows a few of a
    national graph's thousands). Each reader gives None when the rules have changed
    since they were computed, or, for those as of a day, when the day is outside the
    span kept: they are then computed again."""

    _ABOUT = (
        f"SELECT ?f ?json WHERE {{ GRAPH <{FINDINGS_GRAPH}> {{ VALUES ?e {{ %s }} "
        f"?f <{v.ICS}aboutEntity> ?e ; <{v.ICS}findingJson> ?json }} }}"
    )

    def __init__(self, store: Any) -> None:
        self.store = store

    def _header(self, names: str) -> dict[str, Any] | None:
        """The findings node's values ``names`` (of the current rules), or None."""
        optional = " ".join(f"OPTIONAL {{ <{FINDINGS_GRAPH}> <{v.ICS}{name}> ?{name} }}" for name in names.split())
        rows = _plain_rows(
            self.store.query(
                f"SELECT * WHERE {{ GRAPH <{FINDINGS_GRAPH}> {{ "
                f"<{FINDINGS_GRAPH}> <{v.ICS}rulesDigest> ?rulesDigest {optional} }} }}"
            )
        )
        return rows[0] if rows and rows[0]["rulesDigest"] == rules_digest() else None

    def _day_header(self, day, names: str) -> dict[str, Any] | None:
        header = self._header(f"dayFindingsFrom dayFindingsTo {names}")
        if header is None:
            return None
        span = (str(header.get("dayFindingsFrom") or ""), str(header.get("dayFindingsTo") or ""))
        return header if overlap((day.isoformat(), day.isoformat()), span) else None

    def current(self) -> bool:
        """Whether findings of the current rules are kept."""
        return self._header("") is not None

    def whole(self) -> list | None:
        header = self._header("findingsJson")
        return None if header is None or "findingsJson" not in header else _records(header["findingsJson"])

    def on(self, day) -> list | None:
        header = self._day_header(day, "dayFindingsJson")
        return None if header is None or "dayFindingsJson" not in header else _records(header["dayFindingsJson"])

    def whole_on(self, day) -> bool:
        """Whether the mapping as of ``day`` is known to be the whole mapping: nothing
        was dated out on the load day, and ``day`` is in its era."""
        header = self._day_header(day, "dayWhole")
        return header is not None and header.get("dayWhole") is True

    def whole_about(self, entities: Iterable[str]) -> list | None:
        return self._about("whole", entities) if self.current() else None

    def on_about(self, day, entities: Iterable[str]) -> list | None:
        return None if self._day_header(day, "") is None else self._about("day", entities)

    def _about(self, kept: str, entities: Iterable[str]) -> list | None:
        """Those of the findings ``kept`` ("whole" or "day") whose focus or a related
        entity is one of ``entities``, in their order; None when one of them is not an
        IRI (findings are kept by IRI only). A store written before findings were kept
        by entity is never asked: its rules digest covers an older ontology."""
        import json

        wanted = sorted(set(entities))
        if not all(_PLAIN_IRI.fullmatch(iri) for iri in wanted):
            return None
        prefix = f"{FINDINGS_GRAPH}:{kept}:"
        records: dict[int, str] = {}
        for start in range(0, len(wanted), 500):
            values = " ".join(f"<{iri}>" for iri in wanted[start : start + 500])
            for row in _plain_rows(self.store.query(self._ABOUT % values)):
                if row["f"].startswith(prefix):
                    records[int(row["f"][len(prefix) :])] = row["json"]
        return from_records([json.loads(records[n]) for n in sorted(records)])


def _records(text: str) -> list:
    import json

    return from_records(json.loads(text))


@dataclass(frozen=True)
class Inputs:
    """What a load of files read, as :mod:`ics_graph.stores.fingerprint` says: the key
    of its inputs, and every file it read (imports too) with its digest and every
    folder with the files it named. The manifest keeps it, so that loading the same
    files again is known to change nothing without reading them as a mapping."""

    key: str
    files: list[list[str]]
    expansions: list[list[Any]]

    def ntriples(self) -> str:
        node, read = f"<{MANIFEST_GRAPH}>", _json_literal({"files": self.files, "expansions": self.expansions})
        return f"{node} <{v.ICS}inputKey> {_literal(self.key)} .\n{node} <{v.ICS}inputsReadJson> {read} .\n"


def _stored_inputs(query) -> Inputs | None:
    """What the last load into a store read, as its manifest says (None: not said, as
    after a load of a mapping that reached outside its folder, or not JSON of that form)."""
    import json

    rows = _plain_rows(
        query(
            f"SELECT ?key ?read WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ "
            f"<{MANIFEST_GRAPH}> <{v.ICS}inputKey> ?key ; <{v.ICS}inputsReadJson> ?read }} }}"
        )
    )
    if len(rows) != 1:
        return None
    try:
        read = json.loads(rows[0]["read"])
        files, expansions = read["files"], read["expansions"]
    except (ValueError, KeyError, TypeError):
        return None
    return Inputs(str(rows[0]["key"]), files, expansions)  # compared as read: any other shape is not as read


def _current_rules_digest(query) -> str | None:
    rows = _plain_rows(
        query(
            f"SELECT ?digest WHERE {{ GRAPH <{FINDINGS_GRAPH}> {{ <{FINDINGS_GRAPH}> <{v.ICS}rulesDigest> ?digest }} }}"
        )
    )
    return rows[0]["digest"] if rows else None


@dataclass
class LoadReport:
    """What ``load --store`` did, file by file."""

    store: str
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    #: False when no file had changed since the last load, so none was read as a mapping.
    read_again: bool = True

    def render_text(self) -> str:
        def names(items):
            return ", ".join(items[:5]) + (f" and {len(items) - 5} more" if len(items) > 5 else "")

        parts = [
            f"{len(self.added)} added",
            f"{len(self.replaced)} replaced",
            f"{len(self.removed)} removed",
            f"{len(self.unchanged)} unchanged",
        ]
        lines = [f"Loaded into {self.store}: " + ", ".join(parts) + " (files)."]
        if not self.read_again:
            lines.append("  no file changed since the last load into it: none was read again")
        for word, items in (("added", self.added), ("replaced", self.replaced), ("removed", self.removed)):
            if items:
                lines.append(f"  {word}: {names(items)}")
        return "\n".join(lines) + "\n"


# -- writing --------------------------------------------------------------------------

#: What an interrupted load says of the store it was writing.
_STATES = {
    "before": "the store is as it was before this load",
    "after": "the store was updated",
    "staged": "the mapping on the endpoint is as it was before this load (the next load drops the staging "
    "graphs this one left there)",
    "unknown": "the final update was sent to the endpoint but not answered: the endpoint holds either the old "
    "or the new mapping; run the load again to be sure",
}


class LoadState:
    """Where a load has got to with its store, for what Ctrl-C reports. A caller that
    goes on after the load (the command line prints its report) holds one across the
    whole command, so that Ctrl-C after the store was swapped says so too."""

    def __init__(self) -> None:
        self.now = "before"

    def said(self) -> str:
        return _STATES[self.now]


def load_into(
    spec: StoreSpec,
    mapping: Mapping,
    *,
    update_url: str | None = None,
    graph_store_url: str | None = None,
    state: LoadState | None = None,
    inputs: Inputs | None = None,
) -> LoadReport:
    """Write an in-memory mapping into a persistent store, replacing only the files whose
    content changed. All or nothing: after an error, Ctrl-C or a kill at any moment, an
    ``oxigraph:`` store holds exactly what it held before or exactly the new mapping.
    Ctrl-C raises :class:`~ics_graph.util.threads.Interrupted` saying which, and a query
    past the time limit :class:`~ics_graph.util.threads.QueryTimeout` (nothing written).
    ``inputs`` is kept in the manifest, for the next load to compare its files with
    (see :func:`last_load`)."""
    state = LoadState() if state is None else state
    said = state.said
    with noting(said):  # what Ctrl-C reports, even when the main thread cannot hear it
        try:
            return _load(spec, mapping, update_url, graph_store_url, state, inputs)
        except QueryTimeout as exc:
            raise QueryTimeout(exc.seconds, exc.what, note=said()) from None
        except KeyboardInterrupt:
            raise Interrupted(said()) from None


def last_load(
    spec: StoreSpec, *, update_url: str | None = None, graph_store_url: str | None = None
) -> tuple[list[str], Inputs] | None:
    """The files a store holds, in load order, and what the load that wrote them read,
    for the next load to compare its files with (see
    :func:`ics_graph.app.storing.loaded_already`): if the same ics-graph would read the
    same bytes, the store already holds what it would write. None when that cannot be
    said: no store yet, no note (a load that reached outside its folders), findings of
    other rules, an interrupted load to repair, staging graphs left on an endpoint, a
    store that cannot be read. The full load then deals with it and says what is wrong."""
    try:
        if spec.scheme == "oxigraph":
            folder = Path(spec.location).absolute()
            if not folder.is_dir():
                return None
            with _locked(folder):
                _recover(folder)
                _require_store_folder(folder)
                store = _open_local_read_only(folder)
                try:
                    found = _as_loaded(store.query)
                    if any(getattr(graph, "value", "").startswith(_STAGING) for graph in store.named_graphs()):
                        return None
                finally:
                    del store
        elif spec.scheme == "sparql":
            remote = RemoteStore(spec.location, update_url=update_url, graph_store_url=graph_store_url)
            found = _as_loaded(remote.query)
            if found is not None and _leftover_staging(remote):
                return None
        else:
            return None
    except (StoreError, OSError, ValueError):
        return None
    if found is None:
        return None
    units, stored = found
    return [u.file for u in units if u.file is not None], stored


def kept_files_folder(spec: StoreSpec) -> Path | None:
    """Where an ``oxigraph:`` store keeps what its last load learned of each YAML file
    (``.DIR.files`` beside it; see :mod:`ics_graph.inputs.kept`), so that a reload reads
    only the files edited since; None for other stores. Entries are named by the files'
    bytes and the version of ics-graph, so an entry is right for any store, or none."""
    if spec.scheme != "oxigraph":
        return None
    return _beside(Path(spec.location).absolute(), ".files")


def _as_loaded(query) -> tuple[list[_Unit], Inputs] | None:
    """The units a store holds and what their load read, when its findings are for the
    current rules."""
    units = _read_manifest(_plain_rows(query(_MANIFEST_QUERY)))
    stored = _stored_inputs(query)
    if not units or stored is None or _current_rules_digest(query) != rules_digest():
        return None
    return sorted(units.values(), key=lambda u: u.order), stored


def _load(
    spec: StoreSpec, mapping: Mapping, update_url, graph_store_url, state: LoadState, inputs: Inputs | None
) -> LoadReport:
    if spec.scheme not in ("oxigraph", "sparql"):
        raise StoreError("'memory' is not a persistent store: give oxigraph:DIR or sparql:URL")
    units, payload = _units_of(mapping)

    def findings() -> str:  # computed only when something changed, while the new store is built
        # (nothing is swapped in before they are); and as of today, for the questions (where,
        # at, body) that answer as of today by default: they reuse these until the next
        # date the mapping states
        day = today()
        whole, on_day = _findings_whole_and_on(mapping, day)
        return _findings_ntriples(whole, rules_digest(), (on_day, *era(mapping, day)))

    if spec.scheme == "oxigraph":
        return _load_local(Path(spec.location), spec, units, payload, findings, state, inputs)
    remote = RemoteStore(spec.location, update_url=update_url, graph_store_url=graph_store_url)
    return _sync(remote, spec, units, payload, findings, state, inputs)


def _compare(
    spec: StoreSpec, units: list[_Unit], current: dict[str, _Unit], stored_digest: str | None
) -> tuple[LoadReport, bool]:
    """What a load changes, file by file, and whether the store must be written at all
    (the findings too are rewritten when the rules have changed)."""
    report = LoadReport(str(spec))
    for unit in units:
        before = current.get(unit.graph)
        if before is not None and before.digest == unit.digest:
            if unit.file is not None:
                report.unchanged.append(unit.file)
        elif unit.file is not None:
            (report.added if before is None else report.replaced).append(unit.file)
    kept = {u.graph for u in units}
    gone = [unit for graph, unit in sorted(current.items(), key=lambda item: item[1].order) if graph not in kept]
    report.removed = [unit.file or unit.graph for unit in gone]
    same = all(unit.graph in current and current[unit.graph] == unit for unit in units) and not gone
    return report, not (same and stored_digest == rules_digest())


# An Oxigraph folder is never changed in place: the new store is built beside it, then
# the two folders are swapped in one step, so that a reader, an error, Ctrl-C or a kill
# finds either the old store or the new one. Beside DIR, while a load runs:
# .DIR.lock (kept: loads take turns on it), .DIR.loading-PID (the store being built;
# after the swap, the old one, removed at the end) and, only where folders cannot be
# swapped in one step, .DIR.previous (the old store between two renames). A load first
# repairs what an interrupted one left (see _recover).


def _load_local(
    folder: Path, spec: StoreSpec, units, payload, findings, state: LoadState, inputs: Inputs | None
) -> LoadReport:
    import gc

    import pyoxigraph as ox

    folder = folder.absolute()
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the store at '{folder}': {exc}") from None
    with _locked(folder):
        _recover(folder)
        if not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
            report = LoadReport(str(spec), added=[u.file for u in units if u.file is not None])
            _replace(folder, units, payload, findings, state, inputs)
            return report
        _require_store_folder(folder)
        try:
            store = ox.Store(str(folder))  # for writing: refused while another program has it open
        except OSError as exc:
            raise StoreError(
                f"cannot open the store at '{folder}' for writing (is another program using it?): {exc}"
            ) from None
        current = _read_manifest(_plain_rows(store.query(_MANIFEST_QUERY)))
        stored_digest = _current_rules_digest(store.query)
        # Staging graphs an earlier version of ics-graph left when interrupted: a rebuild drops them.
        held = {getattr(graph, "value", "") for graph in store.named_graphs()}
        stale = any(name.startswith(_STAGING) for name in held)
        report, changed = _compare(spec, units, current, stored_digest)
        if current and not changed and not stale and inputs is not None and _stored_inputs(store.query) != inputs:
            # the same content from files that read differently (a comment edited, a
            # list reordered, an upgrade): only the manifest's note of them is rewritten,
            # in one transaction, so that the next load of these files is known unchanged
            store.update(_noting_update(inputs))
        building = _beside(folder, f".loading-{os.getpid()}")
        previous, copies = None, 0
        try:
            listed = {name for unit in current.values() for name in unit.graphs} | {MANIFEST_GRAPH, FINDINGS_GRAPH}
            only_ours = (
                held <= listed
                and next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is None
            )
            edits = _edited_copies(store.query)
            if (
                changed
                and not stale
                and only_ours
                and edits < _EDITED_COPIES_AT_MOST
                and _few_changed(units, current, payload)
            ):
                # RocksDB's checkpoint: hard links to the old store's files, which stay as they are
                store.backup(str(building))
                previous, copies = current, edits + 1
        except OSError:  # no checkpoint (no room, say): the new store is built afresh instead
            shutil.rmtree(building, ignore_errors=True)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        del store
        gc.collect()  # closed before anything else opens the folder
        if not current:
            raise StoreError(
                f"'{folder}' is an Oxigraph store but holds no ics-graph mapping (no manifest graph); "
                f"give an empty or new folder"
            )
        if changed or stale:
            _replace(folder, units, payload, findings, state, inputs, previous, copies)
        return report


#: A load that changes at most this share of a store's statements (by their N-Triples'
#: bytes) edits a copy of the store; one that changes more builds the new store afresh.
_EDITED_AT_MOST = 0.25
#: After this many edited copies in a row the next reload builds the store afresh: each
#: leaves its tables larger than a fresh build's, compacted or not (at a million
#: statements about 14 MB a reload, 309 MB of tables built afresh, 434 MB after nine).
_EDITED_COPIES_AT_MOST = 8
#: The node of the manifest that says how the store was last written (not the manifest
#: graph's own node, whose statements a load that only notes its inputs rewrites).
_STORE_NODE = f"{MANIFEST_GRAPH}:store"


def _edited_copies(query) -> int:
    """How many reloads in a row have edited a copy of the store (0 when not said)."""
    rows = _plain_rows(
        query(f"SELECT ?n WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ <{_STORE_NODE}> <{v.ICS}editedCopies> ?n }} }}")
    )
    try:
        return max(int(row["n"]) for row in rows) if rows else 0
    except (TypeError, ValueError):
        return _EDITED_COPIES_AT_MOST  # not a number: built afresh, which says it again


def _few_changed(units: list[_Unit], current: dict[str, _Unit], payload: dict[str, bytes]) -> bool:
    """Whether the graphs a load replaces or removes are few enough that editing a copy
    of the old store is cheaper than bulk-loading every graph again (an author's edit
    to one file of a national mapping), rather than most of them (a first load, a new
    version of ics-graph, a mapping rewritten). A file gone counts as an average one:
    what its graphs held is not read to know."""
    total = sum(len(payload[name]) for unit in units for name in unit.graphs)
    replaced = sum(
        len(payload[name])
        for unit in units
        if current.get(unit.graph) is None or current[unit.graph].digest != unit.digest
        for name in unit.graphs
    )
    kept = {unit.graph for unit in units}
    gone = sum(1 for graph in current if graph not in kept)
    return replaced + gone * total / max(1, len(units)) <= _EDITED_AT_MOST * total


def _noting_update(inputs: Inputs) -> str:
    """The SPARQL Update that replaces the manifest's note of what the last load read."""
    node = f"<{MANIFEST_GRAPH}>"
    return (
        f"DELETE WHERE {{ GRAPH {node} {{ {node} ?p ?o }} }} ;\n"
        f"INSERT DATA {{ GRAPH {node} {{\n{inputs.ntriples()}}} }}"
    )


def _replace(
    folder: Path,
    units: list[_Unit],
    payload: dict[str, bytes],
    findings: Callable[[], str],
    state: LoadState,
    inputs: Inputs | None,
    previous: dict[str, _Unit] | None = None,
    copies: int = 0,
) -> None:
    """Build the store beside ``folder`` (on a thread, so that Ctrl-C is heard), then
    swap it into place. The rules run here (``findings``) while the data is written
    there: the build waits for their findings only at the end, and if they fail (a
    rule's error, Ctrl-C) what was built is removed and the store is as it was.

    The new store is a bulk load of every graph (faster than a transaction), or, with
    ``previous``, a copy of the old store already made beside it (holding those units),
    in which only the graphs of the files that changed are replaced (the manifest
    counts such ``copies`` in a row): either way it is a folder of its own until the
    swap, so readers of the old store and an interrupted load see the same as before."""
    building = _beside(folder, f".loading-{os.getpid()}")
    stop = threading.Event()
    found: Future[str] = Future()
    task = Background(_build, building, units, payload, found, inputs, stop, previous, copies, name="ics-graph-build")
    try:
        found.set_result(findings())
    except BaseException as exc:  # a rule's error, Ctrl-C: the build stops, what it built is removed
        found.set_exception(exc)
        stop.set()
        if task.finish(None if isinstance(exc, Exception) else 0.5):
            shutil.rmtree(building, ignore_errors=True)
        raise  # as it was raised (after Ctrl-C, a build not stopped in time is removed by the next load)
    try:
        task.result()
    except OSError as exc:
        shutil.rmtree(building, ignore_errors=True)
        raise StoreError(f"cannot write the store at '{folder}', nothing was changed: {exc}") from None
    except BaseException:  # Ctrl-C: stop building, and remove what was built if it stops in time
        stop.set()
        if task.finish(0.5):
            shutil.rmtree(building, ignore_errors=True)
        raise  # otherwise the next load removes it
    try:
        with interrupts_deferred():  # the swap and the note of it happen together
            _swap(building, folder)
            state.now = "after"
    except OSError as exc:
        shutil.rmtree(building, ignore_errors=True)
        raise StoreError(f"cannot move the new store into '{folder}', nothing was changed: {exc}") from None
    shutil.rmtree(building, ignore_errors=True)  # now the old store (or the empty folder)


def _units_digest(units: Iterable[_Unit]) -> str:
    """What a store holds, as its manifest says: every unit's graph, digest and order."""
    digest = hashlib.sha256()
    for unit in sorted(units, key=lambda u: u.order):
        digest.update(f"{unit.graph}\0{unit.digest}\0{unit.order}\n".encode())
    return digest.hexdigest()


def _as_quads(ntriples: bytes, graph: str) -> bytes:
    """N-Triples (as pyoxigraph writes them: one triple a line, ending " .") in ``graph``."""
    if not ntriples:
        return b""
    return ntriples.replace(b" .\n", f" <{graph}> .\n".encode())


def _build(
    building: Path,
    units: list[_Unit],
    payload: dict[str, bytes],
    findings: Future[str],
    inputs: Inputs | None,
    stop: threading.Event,
    previous: dict[str, _Unit] | None = None,
    copies: int = 0,
):
    """Write the new store into ``building``: every unit's graphs, or (``previous``: a
    copy of the old store is there, holding those units) only those of the units that
    changed, after removing what they and the units gone held; then the text copy
    rules read (:data:`MEMORY_COPY`), and last the manifest and the findings."""
    import gc

    import pyoxigraph as ox

    store: Any = ox.Store(str(building))
    try:
        written = units
        if previous is not None:
            kept = {
                unit.graph for unit in units if unit.graph in previous and previous[unit.graph].digest == unit.digest
            }
            gone = [name for unit in previous.values() if unit.graph not in kept for name in unit.graphs]
            for name in [*gone, MANIFEST_GRAPH, FINDINGS_GRAPH]:  # (written again below)
                if stop.is_set():
                    return
                store.remove_graph(ox.NamedNode(name))
            written = [unit for unit in units if unit.graph not in kept]
        for unit in written:
            for name in unit.graphs:
                if stop.is_set():
                    return
                store.bulk_load(payload[name], format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(name))
        copy = b"".join(_as_quads(payload[unit.graph], unit.graph) for unit in units)
        header = f"# ics-graph memory copy of {_units_digest(units)}; sha256 {hashlib.sha256(copy).hexdigest()}\n"
        (building / MEMORY_COPY).write_bytes(header.encode() + copy)
        del copy
        found = _waited(findings, stop)  # computed by the loader meanwhile
        if found is None:
            return
        manifest = _manifest_ntriples(units, inputs)
        if copies:
            manifest += f'<{_STORE_NODE}> <{v.ICS}editedCopies> "{copies}"^^<{v.PREFIXES["xsd"]}integer> .\n'
        for graph, text in ((MANIFEST_GRAPH, manifest), (FINDINGS_GRAPH, found)):
            store.bulk_load(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
        if not stop.is_set():
            # compact the tables, bulk-loaded or edited: reads of an uncompacted store crawl
            # (`where` on a million statements 0.9-1.2 s after three edits, 0.5-0.6 s compacted)
            store.optimize()
    finally:
        store = None
        gc.collect()  # the database is closed before it moves


def _waited(findings: Future[str], stop: threading.Event) -> str | None:
    """The findings once computed (raising what computing them raised); None if the
    load is stopped first."""
    while not stop.is_set():
        try:
            return findings.result(timeout=0.1)
        except TimeoutError:  # not yet
            continue
    return None


def _beside(folder: Path, suffix: str) -> Path:
    return folder.with_name(f".{folder.name}{suffix}")


def _swap(building: Path, folder: Path) -> None:
    """Put the store built in ``building`` at ``folder``; what was at ``folder`` (the old
    store, or an empty folder) ends up in ``building``, to be removed."""
    if not folder.exists():
        building.rename(folder)
    elif not _exchange(building, folder):  # two renames, repaired by the next load if cut between them
        previous = _beside(folder, ".previous")
        folder.rename(previous)
        try:
            building.rename(folder)
        except OSError:
            previous.rename(folder)
            raise
        previous.rename(building)


def _exchange(one: Path, other: Path) -> bool:
    """Swap two folders in one step (Linux's renameat2 RENAME_EXCHANGE, macOS's
    renamex_np RENAME_SWAP). False where the system or file system cannot."""
    import ctypes
    import errno
    import sys

    first, second = os.fsencode(one), os.fsencode(other)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        call = libc.renameat2
        call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        result = call(-100, first, -100, second, 2)  # AT_FDCWD, RENAME_EXCHANGE
    elif sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        call = libc.renamex_np
        call.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
        result = call(first, second, 2)  # RENAME_SWAP
    else:
        return False
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(other))


def _recover(folder: Path) -> None:
    """Repair what an interrupted load left beside ``folder`` (called holding the lock,
    so no other load is running): a store moved aside by a swap cut between its two
    renames goes back (the new one had not arrived), or is removed (it had); stores
    being built, or replaced but not yet removed, are removed."""

    previous = _beside(folder, ".previous")
    if previous.exists():
        if folder.exists():
            shutil.rmtree(previous, ignore_errors=True)
        else:
            previous.rename(folder)
    prefix = f".{folder.name}.loading-"
    for leftover in folder.parent.iterdir():
        if leftover.name.startswith(prefix) and leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Loads into one folder take turns: a second one is refused while the first runs
    (a lock on ``.DIR.lock`` beside it, released by the system if the process dies)."""
    try:
        import fcntl
    except ImportError:  # Windows: Oxigraph's own lock on the open store is the guard
        yield
        return
    path = _beside(folder, ".lock")
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot lock the store at '{folder}': {exc}") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise StoreError(
                f"another ics-graph is loading into '{folder}': run this load when it has finished"
            ) from None
        yield
    finally:
        os.close(handle)


def _require_store_folder(folder: Path) -> None:
    """Refuse to write into a folder that is not an Oxigraph database: it may be the
    user's data."""
    if not folder.is_dir():
        raise StoreError(f"'{folder}' is a file, not a store folder")
    if not (folder / "CURRENT").is_file() or not any(p.name.startswith("OPTIONS") for p in folder.iterdir()):
        raise StoreError(f"'{folder}' is not empty and is not an Oxigraph store; give a new or empty folder")


def _leftover_staging(remote: RemoteStore) -> list[str]:
    """Staging graphs on an endpoint that an interrupted load left behind."""
    rows = _plain_rows(
        remote.query(f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ }} FILTER(STRSTARTS(STR(?g), "{_STAGING}")) }}')
    )
    return sorted(row["g"] for row in rows)


def _sync(
    remote: RemoteStore, spec: StoreSpec, units, payload, findings, state: LoadState, inputs: Inputs | None
) -> LoadReport:
    """A load into a SPARQL endpoint. The protocol has no transaction across requests:
    changed graphs are PUT as staging graphs, then one update request (atomic, as SPARQL
    1.1 Update asks of every service) moves them into place and rewrites the manifest.
    Staging graphs are outside the mapping's graphs, so no query of ics-graph sees them;
    ones an interrupted load left are dropped by the next load, first."""
    leftover = _leftover_staging(remote)
    if leftover:
        remote.update(" ;\n".join(f"DROP SILENT GRAPH <{graph}>" for graph in leftover))
    current = _read_manifest(_plain_rows(remote.query(_MANIFEST_QUERY)))
    report, changed = _compare(spec, units, current, _current_rules_digest(remote.query))
    if not changed:
        if current and inputs is not None and _stored_inputs(remote.query) != inputs:
            remote.update(_noting_update(inputs))  # one request: atomic (see _load_local)
        return report
    staged: dict[str, str] = {}  # staging graph -> target graph
    token = uuid.uuid4().hex
    operations = []
    for unit in units:
        before = current.get(unit.graph)
        if before is not None and before.digest == unit.digest:
            continue
        for name in unit.graphs:
            stage = f"{_STAGING}{token}:{len(staged)}"
            staged[stage] = name
            operations.append(f"DROP SILENT GRAPH <{name}>")
            operations.append(f"ADD SILENT <{stage}> TO <{name}>")
            operations.append(f"DROP SILENT GRAPH <{stage}>")
    kept = {u.graph for u in units}
    for graph, unit in sorted(current.items(), key=lambda item: item[1].order):
        if graph not in kept:
            operations.extend(f"DROP SILENT GRAPH <{name}>" for name in unit.graphs)
    operations.append(f"DROP SILENT GRAPH <{MANIFEST_GRAPH}>")
    operations.append(f"INSERT DATA {{ GRAPH <{MANIFEST_GRAPH}> {{\n{_manifest_ntriples(units, inputs)}}} }}")
    operations.append(f"DROP SILENT GRAPH <{FINDINGS_GRAPH}>")
    operations.append(f"INSERT DATA {{ GRAPH <{FINDINGS_GRAPH}> {{\n{findings()}}} }}")
    try:
        for stage, name in staged.items():
            state.now = "staged"
            remote.put(stage, payload[name])
        state.now = "unknown"  # from here until the endpoint answers
        remote.update(" ;\n".join(operations))
        state.now = "after"
    except (StoreError, OSError, ValueError) as exc:
        state.now = "before"  # the endpoint answered with an error: it applied nothing
        try:
            if staged:
                remote.update(" ;\n".join(f"DROP SILENT GRAPH <{stage}>" for stage in staged))
        except (StoreError, OSError, ValueError):
            pass  # the endpoint is gone; the next load drops them
        if isinstance(exc, StoreError):
            raise
        raise StoreError(f"writing to {spec} failed, nothing was changed: {exc}") from None
    return report


# -- reading --------------------------------------------------------------------------


def open_mapping(spec: StoreSpec, *, into_memory: bool = False) -> Mapping:
    """The mapping held in a persistent store, queried where it lives.

    ``into_memory`` copies an Oxigraph folder into memory first: a whole-graph job such
    as ``check`` runs so much faster on Oxigraph's memory store than on its disk store
    that it saves more time than the copy takes.
    Targeted queries (where, at, body) stay on disk, where they are index lookups."""

    on_disk = None
    if spec.scheme == "oxigraph":
        store = _open_local_read_only(Path(spec.location))
        if into_memory:
            units = _read_manifest(_plain_rows(store.query(_MANIFEST_QUERY)))
            on_disk, store = store, _into_memory(store, Path(spec.location), units)
    elif spec.scheme == "sparql":
        store = RemoteStore(spec.location)
    else:
        raise StoreError("'memory' holds nothing until a mapping is loaded: give PATH")
    units = _read_manifest(_plain_rows(store.query(_MANIFEST_QUERY)))
    if not units:
        raise StoreError(
            f"{spec} holds no ics-graph mapping (no manifest graph): load one with 'ics-graph load PATH --store {spec}'"
        )
    ordered = sorted(units.values(), key=lambda u: u.order)
    if isinstance(store, RemoteStore):
        store.graphs = [name for unit in ordered for name in unit.graphs]
    files = [u.file for u in ordered if u.file is not None]
    kept = on_disk or store  # where entities were written, and the findings, stay on disk
    found = _KeptFindings(kept)
    return Mapping(
        store=store,
        locations=StoredLocations(kept, files),
        files=files,
        findings_at_load=found.whole,
        findings_on=found.on,
        whole_on=found.whole_on,
        findings_about=found.whole_about,
        findings_on_about=found.on_about,
        findings_kept=found.current,
    )


def _into_memory(store: Any, folder: Path, units: dict[str, _Unit]) -> Any:
    """An in-memory copy of the graphs of an Oxigraph store that rules read (its data,
    the ontology, and the manifest): parsed from the store's :data:`MEMORY_COPY` when it
    was written for the units the manifest lists and is whole, else dumped from the
    database (a store written before the copy existed)."""
    import pyoxigraph as ox

    memory = ox.Store()
    try:
        copy = (folder / MEMORY_COPY).read_bytes()
    except OSError:
        copy = b""
    header = _COPY_HEADER.match(copy)
    body = copy[header.end() :] if header else b""
    if (
        header
        and header[1].decode() == _units_digest(units.values())
        and header[2].decode() == hashlib.sha256(body).hexdigest()
    ):
        memory.bulk_load(body, format=ox.RdfFormat.N_QUADS)
        memory.extend(store.quads_for_pattern(None, None, None, ox.NamedNode(MANIFEST_GRAPH)))
    else:
        memory.bulk_load(store.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
    return memory


def _open_local_read_only(folder: Path):
    import pyoxigraph as ox

    if not folder.is_dir():
        if _beside(folder.absolute(), ".previous").is_dir():  # a swap of folders cut between its two renames
            raise StoreError(
                f"no store at '{folder}': a load into it was interrupted; run it again "
                f"('ics-graph load PATH --store oxigraph:{folder}'), which puts the store back first"
            )
        raise StoreError(f"no store at '{folder}': create it with 'ics-graph load PATH --store oxigraph:{folder}'")
    _require_store_folder(folder)
    try:
        return ox.Store.read_only(str(folder))
    except OSError as exc:
        raise StoreError(f"cannot open the store at '{folder}': {exc}") from None


class StoredLocations:
    """Where entities were written, read from the store's sources graphs when asked
    (in batches), instead of all at once: a national store has many entities and a
    check reports on few. When several files describe an entity, the first loaded wins,
    as in memory."""

    # Subject-bound, so each entity is an index lookup (a GRAPH ?g pattern with OPTIONALs
    # and a FILTER on ?g made Oxigraph scan the store for every batch).
    _QUERY = "SELECT ?e ?g ?p ?o WHERE { VALUES ?e { %s } GRAPH ?g { ?e ?p ?o } }"
    _ALL = (
        f"SELECT ?e ?g ?p ?o WHERE {{ VALUES ?p {{ <{v.ICS}definedInFile> <{v.ICS}definedAtLine> "
        f"<{v.ICS}definedAtColumn> <{v.ICS}definedAtCell> }} GRAPH ?g {{ ?e ?p ?o }} }}"
    )
    _FIELDS: ClassVar[dict[str, str]] = {
        v.ICS + "definedInFile": "file",
        v.ICS + "definedAtLine": "line",
        v.ICS + "definedAtColumn": "column",
        v.ICS + "definedAtCell": "cell",
    }

    def __init__(self, store: Any, files: list[str]) -> None:
        self.store = store
        self.cache: dict[str, Location | None] = {}  # None: asked, and written nowhere
        self.order = {f: i for i, f in enumerate(files)}

    def _take(self, quads) -> None:
        found: dict[tuple[str, str], dict] = {}
        for quad in quads:
            name = self._FIELDS.get(quad["p"])
            if name and quad["g"].startswith(SOURCES_GRAPH + ":"):
                found.setdefault((quad["e"], quad["g"]), {"e": quad["e"]})[name] = quad["o"]
        best: dict[str, tuple[int, Location]] = {}
        for row in found.values():
            if "file" not in row:
                continue
            loc = Location(row["file"], int(row.get("line", 0)), int(row.get("column", 0)), row.get("cell"))
            rank = self.order.get(row["file"], len(self.order))
            if row["e"] not in best or rank < best[row["e"]][0]:
                best[row["e"]] = (rank, loc)
        self.cache.update({iri: loc for iri, (_rank, loc) in best.items()})

    def prefetch(self, iris: Iterable[str]) -> None:
        wanted = sorted({i for i in iris if i and i not in self.cache and ">" not in i and " " not in i})
        self.cache.update(dict.fromkeys(wanted))
        if isinstance(self.store, RemoteStore):
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                self._take(_plain_rows(self.store.query(self._QUERY % " ".join(f"<{i}>" for i in chunk))))
            return
        # An Oxigraph store is asked for each entity's location triples directly: each
        # is an index lookup on subject and predicate, three times faster than the query
        # above, which reads every triple of the entity in every graph.
        import pyoxigraph as ox

        predicates = [ox.NamedNode(p) for p in self._FIELDS]
        quads = []
        for iri in wanted:
            try:
                subject = ox.NamedNode(iri)
            except ValueError:  # not an IRI: written nowhere
                continue
            for predicate in predicates:
                for quad in self.store.quads_for_pattern(subject, predicate, None, None):
                    graph = getattr(quad.graph_name, "value", "")
                    quads.append({"e": iri, "g": graph, "p": predicate.value, "o": quad.object.value})
        self._take(quads)

    def get(self, iri: str, default: Any = None) -> Any:
        if iri not in self.cache:
            self.prefetch([iri])
        found = self.cache.get(iri)
        return default if found is None else found

    def items(self) -> Iterator[tuple[str, Location]]:
        self._take(_plain_rows(self.store.query(self._ALL)))
        return ((k, loc) for k, loc in sorted(self.cache.items()) if loc is not None)


# -- a SPARQL 1.1 endpoint ------------------------------------------------------------


def _sibling(url: str, name: str, option: str) -> str:
    """The update or graph store URL beside a query URL ending in /query or /sparql
    (the layout of Oxigraph and Fuseki); otherwise it must be given."""
    base, _, last = url.rstrip("/").rpartition("/")
    if last in ("query", "sparql") and base:
        return f"{base}/{name}"
    raise StoreError(f"cannot tell the {name} URL from '{url}': give it with {option}")


class RemoteStore:
    """A SPARQL 1.1 endpoint, queried through the protocol with the standard library's
    HTTP client. It answers ``query`` like a pyoxigraph Store (results are parsed by
    pyoxigraph), so rules and queries run on it unchanged. The union of the mapping's
    graphs is the default graph, named by ``default-graph-uri`` as the protocol allows."""

    def __init__(self, query_url: str, *, update_url: str | None = None, graph_store_url: str | None = None) -> None:
        for role, url in (("query", query_url), ("update", update_url), ("graph store", graph_store_url)):
            try:
                refuse_credentials_in(url or "")
            except UsageError as exc:
                raise StoreError(f"the SPARQL {role} URL: {exc}") from None
        self.query_url = query_url
        self._update_url, self._graph_store_url = update_url, graph_store_url
        self.graphs: list[str] = []

    @property
    def update_url(self) -> str:
        return self._update_url or _sibling(self.query_url, "update", "--update-url")

    @property
    def graph_store_url(self) -> str:
        return self._graph_store_url or _sibling(self.query_url, "store", "--graph-store-url")

    # pyoxigraph-like reading
    def query(
        self, query: str, *, prefixes: dict[str, str] | None = None, use_default_graph_as_union: bool = False
    ) -> Any:  # as pyoxigraph's Store.query: solutions for SELECT, triples for CONSTRUCT
        from urllib.parse import urlencode

        import pyoxigraph as ox

        text = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in (prefixes or {}).items()) + query
        # Triples are asked for as N-Triples only: Virtuoso answers a CONSTRUCT with JSON
        # solutions (?s ?p ?o) when JSON results are acceptable at all.
        graph_form = _query_form(query) in ("CONSTRUCT", "DESCRIBE")
        params = [("query", text)]
        if use_default_graph_as_union:
            params += [("default-graph-uri", g) for g in self.graphs]
        raw, kind = _http(
            "POST",
            self.query_url,
            urlencode(params).encode("utf-8"),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/n-triples, text/plain;q=0.5"
                if graph_form
                else "application/sparql-results+json",
            },
            asking=True,
        )
        try:
            if kind == "application/sparql-results+json":
                return ox.parse_query_results(raw, ox.QueryResultsFormat.JSON)
            if kind in ("application/n-triples", "text/plain"):
                return [
                    ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(raw, format=ox.RdfFormat.N_TRIPLES)
                ]
        except SyntaxError as exc:
            raise StoreError(f"the SPARQL endpoint {self.query_url} sent results that cannot be read: {exc}") from None
        raise StoreError(f"the SPARQL endpoint {self.query_url} answered with '{kind}', not SPARQL results")

    def __iter__(self) -> Iterator:
        """Every quad of the mapping's graphs (a download: only for views that copy the
        graph, such as ``--as-of`` and the ``impact --move-to`` dry run)."""
        import pyoxigraph as ox

        for graph in self.graphs:
            for triple in self.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"):
                yield ox.Quad(triple.subject, triple.predicate, triple.object, ox.NamedNode(graph))

    def quads_for_pattern(
        self, subject: Any, predicate: Any = None, obj: Any = None, graph: Any = None
    ) -> Iterator[Any]:
        import pyoxigraph as ox

        if subject is None or predicate is not None or obj is not None or graph is not None:
            raise NotImplementedError("only quads_for_pattern(subject, None, None, None) is supported on an endpoint")
        values = " ".join(f"<{g}>" for g in self.graphs)
        for row in self.query(f"SELECT ?p ?o ?g WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ {subject} ?p ?o }} }}"):
            yield ox.Quad(subject, row["p"], row["o"], row["g"])

    # writing, for load
    def put(self, graph: str, ntriples: bytes) -> None:
        from urllib.parse import quote

        separator = "&" if "?" in self.graph_store_url else "?"
        _http(
            "PUT",
            f"{self.graph_store_url}{separator}graph={quote(graph, safe='')}",
            ntriples,
            {"Content-Type": "application/n-triples"},
        )

    def update(self, text: str) -> None:
        from urllib.parse import urlencode

        _http(
            "POST",
            self.update_url,
            urlencode([("update", text)]).encode("utf-8"),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )


def _opener(url: str):
    """The HTTP client for one exchange with ``url``: with the credentials of
    :data:`~ics_graph.stores.spec.USER_VARIABLE` and
    :data:`~ics_graph.stores.spec.PASSWORD_VARIABLE` when they are set, given (by HTTP
    Basic or Digest, whichever the endpoint asks for) only when it asks, and only to that
    URL: a redirect elsewhere does not carry them."""
    import urllib.request

    user = os.environ.get(USER_VARIABLE, "")
    if not user:
        return urllib.request.build_opener()
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, url, user, os.environ.get(PASSWORD_VARIABLE, ""))
    return urllib.request.build_opener(
        urllib.request.HTTPBasicAuthHandler(passwords), urllib.request.HTTPDigestAuthHandler(passwords)
    )


def _unauthorised(url: str, challenge: str) -> str:
    """What to say when an endpoint answers 401: it asks who is calling in a way we cannot
    answer, or asks and we were not told, or refused who we said."""
    scheme = challenge.split(None, 1)[0] if challenge.strip() else ""
    if scheme and scheme.lower() not in ("basic", "digest"):
        return (
            f"the SPARQL endpoint {url} asks for {printable(scheme, 40)} authentication (HTTP 401), which "
            f"ics-graph cannot give: it answers Basic and Digest, with {USER_VARIABLE} and {PASSWORD_VARIABLE}"
        )
    if not os.environ.get(USER_VARIABLE, ""):
        return (
            f"the SPARQL endpoint {url} asks who is calling (HTTP 401): set the environment variables "
            f"{USER_VARIABLE} and {PASSWORD_VARIABLE}"
        )
    return (
        f"the SPARQL endpoint {url} refused the user name and password in {USER_VARIABLE} and "
        f"{PASSWORD_VARIABLE} (HTTP 401)"
    )


def _http(
    method: str, url: str, data: bytes | None, headers: dict[str, str], *, asking: bool = False
) -> tuple[bytes, str]:
    """One HTTP exchange; every failure becomes a :class:`StoreError` naming the endpoint.
    When ``asking`` (a query), an answer of HTTP 400 or 500 is a
    :class:`~ics_graph.util.errors.QueryRefused`: the endpoint is there and holds the
    graph, and cannot take this query."""
    import http.client
    import urllib.error
    import urllib.request

    # Virtuoso answers a query with one X-SPARQL-default-graph header per default-graph-uri
    # it was given, and a national mapping names more graphs than http.client's limit of
    # 100 headers (a module setting, read as each answer's headers are parsed).
    if getattr(http.client, "_MAXHEADERS", 0) < _MAX_HEADERS:
        setattr(http.client, "_MAXHEADERS", _MAX_HEADERS)  # noqa: B010 (a private name)
    request = urllib.request.Request(url, data=data, method=method, headers={"User-Agent": "ics-graph", **headers})
    try:
        with _opener(url).open(request, timeout=_TIMEOUT) as response:
            kind = response.headers.get_content_type()
            return response.read(), kind
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:400].decode("utf-8", errors="replace").strip()
        if exc.code == 401:
            raise StoreError(_unauthorised(url, exc.headers.get("WWW-Authenticate") or "")) from None
        if asking and exc.code in (400, 500):
            # Virtuoso says what went wrong on the first line, then repeats the whole query
            reason = printable(detail.splitlines()[0] if detail else f"HTTP {exc.code} {exc.reason}", 300)
            raise QueryRefused(
                f"the SPARQL endpoint {url} refused the query (HTTP {exc.code} {exc.reason})"
                + (f": {detail}" if detail else ""),
                reason,
            ) from None
        raise StoreError(
            f"the SPARQL endpoint {url} answered HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
        ) from None
    except urllib.error.URLError as exc:
        raise StoreError(f"cannot reach the SPARQL endpoint {url}: {exc.reason}") from None
    except ValueError as exc:  # urllib's Digest handler, challenged in a scheme it does not know
        raise StoreError(
            f"the SPARQL endpoint {url} asks for authentication ics-graph cannot give: it answers Basic and "
            f"Digest only ({printable(str(exc), 120)})"
        ) from None
    except TimeoutError:
        raise StoreError(
            f"the SPARQL endpoint {url} did not answer within {_TIMEOUT:g} s "
            f"(set ICS_GRAPH_SPARQL_TIMEOUT to wait longer)"
        ) from None
    except (ConnectionError, OSError, http.client.HTTPException) as exc:
        raise StoreError(f"the connection to the SPARQL endpoint {url} failed: {exc}") from None
