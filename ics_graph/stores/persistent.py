"""Where the graph lives: in memory (the default), in an Oxigraph folder, or on a
SPARQL 1.1 endpoint (``--store memory|oxigraph:DIR|sparql:URL``).

A store holds what :func:`~ics_graph.inputs.loader.load_mapping` builds, graph for graph: each
source file's data in ``urn:ics-graph:file:PATH``, where its entities were written in
``urn:ics-graph:sources:PATH``, the ontology in ``urn:ics-graph:ontology``, and a
manifest (``urn:ics-graph:manifest``) giving each of those a digest of its content and
its place in the load order.

Loading into a store (``ics-graph load PATH --store ...``) parses and validates every
source as always (a reference into another file must still resolve), then writes only
the files whose triples changed and drops the graphs of files no longer loaded. Writes
are all or nothing: changed graphs go to staging graphs first, then one SPARQL Update
request moves them into place and rewrites the manifest. Oxigraph runs an update
request in one transaction, and SPARQL 1.1 Update asks every service to treat a request
atomically. If any step fails, the staging graphs are dropped and the store is as it was.

Querying a store (``--store`` without PATH) gives a :class:`~ics_graph.model.graph.Mapping`
whose queries run where the data is: nothing is parsed again, and an endpoint sends
back only query results (the cycle rules ask only for the edges they need).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ics_graph.engine.checking import check
from ics_graph.engine.rulefiles import rules_digest
from ics_graph.model import vocabulary as v
from ics_graph.model.findings import from_records, to_records
from ics_graph.model.graph import Mapping
from ics_graph.model.sparql import plain_rows as _plain_rows
from ics_graph.model.turtle import literal as _literal
from ics_graph.model.vocabulary import MANIFEST_GRAPH, ONTOLOGY_GRAPH, SOURCES_GRAPH, file_graph, sources_graph
from ics_graph.stores.spec import StoreSpec
from ics_graph.util.errors import Location, StoreError

__all__ = [
    "LoadReport",
    "RemoteStore",
    "StoreError",
    "StoredLocations",
    "load_into",
    "open_mapping",
]

SCHEMES = ("memory", "oxigraph", "sparql")
_STAGING = "urn:ics-graph:staging:"
#: The findings of the built-in rules, computed at load, for where/visualise to show.
FINDINGS_GRAPH = "urn:ics-graph:findings"
_TIMEOUT = float(os.environ.get("ICS_GRAPH_SPARQL_TIMEOUT", "300"))


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


def _manifest_ntriples(units: list[_Unit]) -> str:
    ics, integer = v.ICS, v.PREFIXES["xsd"] + "integer"
    lines = []
    for unit in sorted(units, key=lambda u: u.order):
        lines.append(f"<{unit.graph}> <{v.PREFIXES['rdf']}type> <{ics}SourceGraph> .")
        lines.append(f'<{unit.graph}> <{ics}contentDigest> "{unit.digest}" .')
        lines.append(f'<{unit.graph}> <{ics}loadOrder> "{unit.order}"^^<{integer}> .')
        if unit.file is not None:
            lines.append(f"<{unit.graph}> <{ics}definedInFile> {_literal(unit.file)} .")
    return "\n".join(lines) + "\n"


def _units_of(mapping) -> tuple[list[_Unit], dict[str, bytes]]:
    """The units of an in-memory mapping and the N-Triples of each of their graphs. A
    unit's digest covers its sorted triples, so it changes exactly when its content does."""
    import pyoxigraph as ox

    mapping.write_sources()  # a store keeps where each entity was written, for findings and users
    payload: dict[str, bytes] = {}
    units = []
    entries = [(ONTOLOGY_GRAPH, None)] + [(file_graph(f), f) for f in mapping.files]
    for order, (graph, file) in enumerate(entries):
        digest = hashlib.sha256()
        unit_graphs = (graph, sources_graph(graph)) if file is not None else (graph,)
        for name in unit_graphs:
            raw = mapping.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(name))
            payload[name] = raw
            digest.update(b"\n".join(sorted(raw.splitlines())) + b"\n--\n")
        units.append(_Unit(graph, file, "sha256:" + digest.hexdigest(), order))
    return units, payload


def _findings_ntriples(findings, digest: str) -> str:
    import json

    text = json.dumps(to_records(findings), ensure_ascii=False, separators=(",", ":"))
    node = f"<{FINDINGS_GRAPH}>"
    return f"{node} <{v.ICS}rulesDigest> {_literal(digest)} .\n{node} <{v.ICS}findingsJson> {_literal(text)} .\n"


def _stored_findings(store):
    """A loader for the findings kept in the store, or None when there are none or the
    rules have changed since they were computed."""
    import json

    def load():
        rows = _plain_rows(
            store.query(
                f"SELECT ?digest ?json WHERE {{ GRAPH <{FINDINGS_GRAPH}> {{ "
                f"<{FINDINGS_GRAPH}> <{v.ICS}rulesDigest> ?digest ; <{v.ICS}findingsJson> ?json }} }}"
            )
        )
        if not rows or rows[0]["digest"] != rules_digest():
            return None
        return from_records(json.loads(rows[0]["json"]))

    return load


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
        for word, items in (("added", self.added), ("replaced", self.replaced), ("removed", self.removed)):
            if items:
                lines.append(f"  {word}: {names(items)}")
        return "\n".join(lines) + "\n"


# -- writing --------------------------------------------------------------------------


def load_into(
    spec: StoreSpec, mapping: Mapping, *, update_url: str | None = None, graph_store_url: str | None = None
) -> LoadReport:
    """Write an in-memory mapping into a persistent store, replacing only the files whose
    content changed. All or nothing: on any error the store is left as it was."""
    units, payload = _units_of(mapping)

    def findings() -> str:  # computed only when something changed

        return _findings_ntriples(check(mapping).findings, rules_digest())

    if spec.scheme == "oxigraph":
        return _load_local(Path(spec.location), spec, units, payload, findings)
    if spec.scheme == "sparql":
        remote = RemoteStore(spec.location, update_url=update_url, graph_store_url=graph_store_url)
        return _sync(
            remote,
            spec,
            units,
            payload,
            _read_manifest(_plain_rows(remote.query(_MANIFEST_QUERY))),
            findings,
            _current_rules_digest(remote.query),
        )
    raise StoreError("'memory' is not a persistent store: give oxigraph:DIR or sparql:URL")


def _load_local(folder: Path, spec: StoreSpec, units: list[_Unit], payload: dict[str, bytes], findings) -> LoadReport:
    import pyoxigraph as ox

    if not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
        return _create_local(folder, spec, units, payload, findings)
    _require_store_folder(folder)
    try:
        store = ox.Store(str(folder))
    except OSError as exc:
        raise StoreError(
            f"cannot open the store at '{folder}' for writing (is another ics-graph using it?): {exc}"
        ) from None
    current = _read_manifest(_plain_rows(store.query(_MANIFEST_QUERY)))
    if not current:
        raise StoreError(
            f"'{folder}' is an Oxigraph store but holds no ics-graph mapping (no manifest graph); "
            f"give an empty or new folder"
        )
    report = _sync(_LocalWriter(store), spec, units, payload, current, findings, _current_rules_digest(store.query))
    if report.added or report.replaced or report.removed:
        store.optimize()
    return report


def _create_local(folder: Path, spec: StoreSpec, units: list[_Unit], payload: dict[str, bytes], findings) -> LoadReport:
    """A new store is built in a folder beside the target and renamed into place, so a
    failure leaves nothing behind (and a bulk load is much faster than a transaction)."""
    import gc

    import pyoxigraph as ox

    folder = folder.absolute()
    building = folder.with_name(f".{folder.name}.loading-{os.getpid()}")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        store = ox.Store(str(building))
        for unit in units:
            for name in unit.graphs:
                store.bulk_load(payload[name], format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(name))
        store.bulk_load(
            _manifest_ntriples(units).encode("utf-8"),
            format=ox.RdfFormat.N_TRIPLES,
            to_graph=ox.NamedNode(MANIFEST_GRAPH),
        )
        store.bulk_load(
            findings().encode("utf-8"), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(FINDINGS_GRAPH)
        )
        store.optimize()  # compact the bulk-loaded tables: reads of an uncompacted store crawl
        del store
        gc.collect()  # close the database before it moves
        if folder.exists():
            folder.rmdir()  # empty, checked above
        building.rename(folder)
    except OSError as exc:
        raise StoreError(f"cannot create the store at '{folder}': {exc}") from None
    finally:
        import shutil  # only a new store needs it: other commands never load it

        shutil.rmtree(building, ignore_errors=True)  # gone already if it was renamed
    return LoadReport(str(spec), added=[u.file for u in units if u.file is not None])


def _require_store_folder(folder: Path) -> None:
    """Refuse to write into a folder that is not an Oxigraph database: it may be the
    user's data."""
    if not folder.is_dir():
        raise StoreError(f"'{folder}' is a file, not a store folder")
    if not (folder / "CURRENT").is_file() or not any(p.name.startswith("OPTIONS") for p in folder.iterdir()):
        raise StoreError(f"'{folder}' is not empty and is not an Oxigraph store; give a new or empty folder")


class _LocalWriter:
    def __init__(self, store):
        self.store = store

    def put(self, graph: str, ntriples: bytes) -> None:
        import pyoxigraph as ox

        self.store.load(ntriples, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))

    def update(self, text: str) -> None:
        self.store.update(text)


def _sync(
    writer,
    spec: StoreSpec,
    units: list[_Unit],
    payload: dict[str, bytes],
    current: dict[str, _Unit],
    findings,
    stored_digest: str | None,
) -> LoadReport:
    report = LoadReport(str(spec))
    staged: dict[str, str] = {}  # staging graph -> target graph
    token = uuid.uuid4().hex
    operations = []
    for unit in units:
        before = current.get(unit.graph)
        if before is not None and before.digest == unit.digest:
            if unit.file is not None:
                report.unchanged.append(unit.file)
            continue
        if unit.file is not None:
            (report.added if before is None else report.replaced).append(unit.file)
        for name in unit.graphs:
            stage = f"{_STAGING}{token}:{len(staged)}"
            staged[stage] = name
            operations.append(f"DROP SILENT GRAPH <{name}>")
            operations.append(f"ADD SILENT <{stage}> TO <{name}>")
            operations.append(f"DROP SILENT GRAPH <{stage}>")
    kept = {u.graph for u in units}
    for graph, unit in sorted(current.items(), key=lambda item: item[1].order):
        if graph not in kept:
            report.removed.append(unit.file or graph)
            operations.extend(f"DROP SILENT GRAPH <{name}>" for name in unit.graphs)
    order_changed = [u.order for u in units] != [current[u.graph].order if u.graph in current else -1 for u in units]
    if not operations and not order_changed and len(current) == len(units) and stored_digest == rules_digest():
        return report
    operations.append(f"DROP SILENT GRAPH <{MANIFEST_GRAPH}>")
    operations.append(f"INSERT DATA {{ GRAPH <{MANIFEST_GRAPH}> {{\n{_manifest_ntriples(units)}}} }}")
    operations.append(f"DROP SILENT GRAPH <{FINDINGS_GRAPH}>")
    operations.append(f"INSERT DATA {{ GRAPH <{FINDINGS_GRAPH}> {{\n{findings()}}} }}")
    try:
        for stage, name in staged.items():
            writer.put(stage, payload[name])
        writer.update(" ;\n".join(operations))
    except (StoreError, OSError, ValueError) as exc:
        try:
            if staged:
                writer.update(" ;\n".join(f"DROP SILENT GRAPH <{stage}>" for stage in staged))
        except (StoreError, OSError, ValueError):
            pass  # the endpoint is gone; the staging graphs hold nothing anyone queries
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
    import pyoxigraph as ox

    if spec.scheme == "oxigraph":
        store = _open_local_read_only(Path(spec.location))
        if into_memory:
            copy = ox.Store()
            copy.bulk_load(store.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
            store = copy
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
    return Mapping(
        store=store, locations=StoredLocations(store, files), files=files, findings_at_load=_stored_findings(store)
    )


def _open_local_read_only(folder: Path):
    import pyoxigraph as ox

    if not folder.is_dir():
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
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            self.cache.update(dict.fromkeys(chunk))
            self._take(_plain_rows(self.store.query(self._QUERY % " ".join(f"<{i}>" for i in chunk))))

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
        params = [("query", text)]
        if use_default_graph_as_union:
            params += [("default-graph-uri", g) for g in self.graphs]
        raw, kind = _http(
            "POST",
            self.query_url,
            urlencode(params).encode("utf-8"),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/sparql-results+json, application/n-triples;q=0.9",
            },
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


def _http(method: str, url: str, data: bytes | None, headers: dict[str, str]) -> tuple[bytes, str]:
    """One HTTP exchange; every failure becomes a :class:`StoreError` naming the endpoint."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=data, method=method, headers={"User-Agent": "ics-graph", **headers})
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
            kind = response.headers.get_content_type()
            return response.read(), kind
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:400].decode("utf-8", errors="replace").strip()
        raise StoreError(
            f"the SPARQL endpoint {url} answered HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
        ) from None
    except urllib.error.URLError as exc:
        raise StoreError(f"cannot reach the SPARQL endpoint {url}: {exc.reason}") from None
    except TimeoutError:
        raise StoreError(
            f"the SPARQL endpoint {url} did not answer within {_TIMEOUT:g} s "
            f"(set ICS_GRAPH_SPARQL_TIMEOUT to wait longer)"
        ) from None
    except (ConnectionError, OSError) as exc:
        raise StoreError(f"the connection to the SPARQL endpoint {url} failed: {exc}") from None
