"""The load cache: files that have not changed are not parsed again.

Transition leads ask many questions of the same mapping (``where``, ``at``, ``body``,
``visualise``, ``map``), and reading and validating its YAML is most of each answer's
time. After a successful load, the graph, where each entity was written and, once
computed, the built-in rules' findings (which ``where`` and ``visualise`` show) are kept
under a key made of every input file's path and content and of ics-graph itself (its
code, ontology and rules). The next command on the same files reads them back.

On a miss (a file was edited), each YAML file an earlier load read without a problem and
that has not changed is not read again either (:mod:`ics_graph.inputs.kept`): after an
edit, the edited file is read, and the others' triples are used again.

Like dbt's partial parsing or mypy's cache it is only an optimisation, and never
changes an answer: an entry whose files changed, or that is missing, damaged or
unreadable, is a miss and the files are read as usual; ``ICS_GRAPH_CACHE=off`` turns
it off. Entries are N-Quads and JSON (nothing is unpickled or executed), each is written
atomically, the oldest beyond :data:`KEEP` are removed, and a cache folder that cannot
be written is silently not used. Inputs are only read. Workbooks are kept like YAML
(an ``.xlsx`` file by its bytes, a CSV workbook folder by its CSV files' names and
bytes). Mappings with blank nodes, more than :data:`LARGEST` quads, a graph over
:data:`GROWTH` times its files' bytes (a workbook's unpacked), or more than
:data:`LARGEST_BYTES` of files are
not cached (a persistent store is the answer for a national graph: see ``ics-graph load
--store``); files that large are not even read for a key.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ics_graph.engine.rulefiles import rules_digest
from ics_graph.inputs.kept import KeptFiles
from ics_graph.inputs.loader import load_mapping
from ics_graph.model.findings import Finding, from_records, to_records
from ics_graph.model.graph import Mapping
from ics_graph.model.timeline import era, overlap
from ics_graph.model.vocabulary import ONTOLOGY_GRAPH
from ics_graph.stores.fingerprint import files_read, input_key, read_size, still_as_read, tool_digest, well_formed
from ics_graph.util.errors import InputError, Location
from ics_graph.util.files import write_atomic
from ics_graph.util.paths import mapping_roots

__all__ = [
    "GROWTH",
    "GROWTH_ROOM",
    "KEEP",
    "KEPT_BYTES",
    "LARGEST",
    "LARGEST_BYTES",
    "cache_folder",
    "load_mapping_cached",
]

FORMAT = 1
KEEP = 32  # entries kept; the least recently used are removed first
LARGEST = 500_000  # quads; beyond this the store (load --store) is the way to avoid parsing again
# An entry never holds more than this many times its input's bytes (plus room for the
# ontology): the graph of an ordinary mapping is a few times its text, so an input that
# expands beyond this (whatever the reason) is not kept.
GROWTH, GROWTH_ROOM = 50, 8 * 1024 * 1024
# Files this large are not hashed for a key: reading and hashing them is time spent
# for an entry that would be refused for its size anyway.
LARGEST_BYTES = 64 * 1024 * 1024
# Each file of a load of at most this many bytes is kept on its own too, so that after an
# edit the others are not read again (ics_graph.inputs.kept): about half a million
# triples of YAML, what an entry holds at most.
KEPT_BYTES = 8 * 1024 * 1024
_OFF = ("0", "off", "no", "false", "none")


def cache_folder() -> Path | None:
    """Where entries live: ``ICS_GRAPH_CACHE`` (a folder, or ``off``), else
    ``$XDG_CACHE_HOME/ics-graph``, else ``~/.cache/ics-graph``."""
    value = os.environ.get("ICS_GRAPH_CACHE", "").strip()
    if value.lower() in _OFF:
        return None
    if value:
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ics-graph"


def load_mapping_cached(
    paths: Sequence[str | Path], *, allow_outside: bool = False, kept_beside: Path | None = None
) -> Mapping:
    """:func:`ics_graph.inputs.loader.load_mapping`, reading back a cached load when every input
    file is as it was, and otherwise reading only the YAML files that changed (see
    :mod:`ics_graph.inputs.kept`). Raises :class:`~ics_graph.util.errors.InputError` exactly
    as the loader does (a load with problems is never cached; the files in it that read
    well are kept on their own).

    ``kept_beside``: the folder where a store keeps the files of its last load (see
    :func:`ics_graph.app.storing.read_for`), used instead of the cache's own, whatever
    the mapping's size and whether the cache is on: after an edit, a reload reads only
    the files that changed."""

    if kept_beside is not None and allow_outside:  # a load reaching outside is never kept
        kept_beside = None
    own = KeptFiles(kept_beside, tool_digest(), one_mapping=True) if kept_beside is not None else None
    folder = cache_folder()
    keyed = input_key(paths, largest=LARGEST_BYTES) if folder is not None else None
    if folder is None or keyed is None or allow_outside:  # a load reaching outside is never kept
        return _load_keeping(paths, allow_outside, own, None)
    key, digests = keyed
    mapping = _read(folder, key, digests, mapping_roots(paths))
    if mapping is None:  # the files that did not change are not read again (see ics_graph.inputs.kept)
        inputs = sum(read_size(Path(shown)) for shown in digests)
        kept = own
        if kept is None and inputs <= KEPT_BYTES:
            kept = KeptFiles(folder / "files", tool_digest())
        # the files that read well are not read again while the others are put right
        # (within the bound an entry keeps to)
        mapping = _load_keeping(paths, False, kept, None if own is not None else GROWTH * inputs + GROWTH_ROOM)
        if _write(folder, key, mapping, digests):
            if kept is not None and own is None:
                kept.write()
            _keeps_findings(mapping, folder, key)
    return mapping


def _load_keeping(
    paths: Sequence[str | Path], allow_outside: bool, kept: KeptFiles | None, bound: int | None
) -> Mapping:
    """The loader's load with ``kept`` files; a store's (``bound`` None) are written
    after the load, whatever its size, and after a load with problems (within ``bound``,
    if given: the load cache's are written after a load it keeps)."""
    try:
        mapping = load_mapping(paths, allow_outside=allow_outside, kept=kept)
    except InputError:
        if kept is not None and (bound is None or kept.noted_bytes() <= bound):
            kept.write()
        raise
    if kept is not None and bound is None:
        kept.write()
    return mapping


def _keeps_findings(mapping: Mapping, folder: Path, key: str) -> None:
    """Hand ``mapping`` the hooks by which its entry keeps its findings once computed:
    those of the whole mapping, and those as of a day (every question asks as of today
    by default) for the span of days around it in which they stay the same."""
    mapping.keep_findings = lambda found: _keep_findings(folder, key, found)
    mapping.keep_findings_on = lambda day, found: _keep_day_findings(folder, key, mapping, day, found)


# -- reading ----------------------------------------------------------------------------


def _read(folder: Path, key: str, digests: dict[str, str], roots: list[Path]) -> Mapping | None:
    import pyoxigraph as ox

    entry_path, quads_path = folder / f"{key}.json", folder / f"{key}.nq"
    try:
        entry = json.loads(entry_path.read_text("utf-8"))
        if not _shaped(entry) or entry.get("format") != FORMAT or entry.get("key") != key:
            return None
        if not still_as_read(entry["files"], entry["expansions"], digests, roots):
            return None  # an imported file changed, or a file was added to (or left) a folder
        quads = quads_path.read_bytes()
        if hashlib.sha256(quads).hexdigest() != entry["quads"]:
            return None
        store = ox.Store()
        store.load(quads, format=ox.RdfFormat.N_QUADS)
        locations = {iri: Location(*where) for iri, where in entry["locations"].items()}
        files = [shown for shown, _digest_ in entry["files"]]
        os.utime(entry_path)  # recently used: pruned last
    except (OSError, ValueError, KeyError, TypeError, AttributeError, SyntaxError):
        return None  # missing, damaged or of another shape: a miss, never an error
    mapping = Mapping(store=store, locations=locations, files=files, expansions=entry["expansions"])
    mapping.findings_at_load = lambda: _cached_findings(entry)
    mapping.findings_on = lambda day: _cached_day_findings(entry, day)
    _keeps_findings(mapping, folder, key)
    return mapping


def _cached_findings(entry: dict[str, Any]) -> list[Finding] | None:
    """The findings kept with an entry for the current rules, or None (also when what is
    kept there is not findings: a miss, computed again)."""
    try:
        records = (entry.get("findings") or {}).get(rules_digest())
        found = from_records(records) if records is not None else None
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return found if found is None or all(_is_finding(f) for f in found) else None


def _cached_day_findings(entry: dict[str, Any], day: _dt.date) -> list[Finding] | None:
    """The findings kept with an entry as of a day whose span includes ``day``, for the
    current rules; else None (computed again)."""
    try:
        kept = entry.get("day_findings") or {}
        if kept.get("rules") != rules_digest() or not isinstance(kept.get("findings"), list):
            return None
        if not overlap((day.isoformat(), day.isoformat()), (kept.get("from") or "", kept.get("to") or "")):
            return None
        found = from_records(kept["findings"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return found if all(_is_finding(f) for f in found) else None


def _is_location(where: Any) -> bool:
    """Whether ``where`` is a location as :func:`_write` keeps it: file, line, column, cell."""
    return (
        isinstance(where, list)
        and 1 <= len(where) <= 4
        and isinstance(where[0], str)
        and all(isinstance(n, int) and not isinstance(n, bool) for n in where[1:3])
        and (len(where) < 4 or where[3] is None or isinstance(where[3], str))
    )


def _shaped(entry: Any) -> bool:
    """Whether a parsed entry has the shape :func:`_write` gives one (valid JSON of any
    other shape, written by anything else, is a miss)."""
    try:
        return (
            isinstance(entry, dict)
            and well_formed(entry["files"], entry["expansions"])
            and isinstance(entry["quads"], str)
            and isinstance(entry["locations"], dict)
            and all(_is_location(where) for where in entry["locations"].values())
            and isinstance(entry.get("findings") or {}, dict)
        )
    except (KeyError, TypeError):
        return False


def _is_finding(found: Finding) -> bool:
    """Whether a finding read back from an entry holds text where text belongs."""
    texts = (found.rule, found.message, found.focus, found.focus_label, found.hint, found.area_label)
    return (
        all(isinstance(text, str) for text in texts)
        and all(isinstance(iri, str) for iri in (*found.related, *found.cycle, *found.cycle_labels))
        and (found.location is None or _is_location(list(found.location)))
    )


# -- writing ----------------------------------------------------------------------------


def _write(folder: Path, key: str, mapping: Mapping, digests: dict[str, str]) -> bool:
    """Keep a load; False (and nothing written) when it cannot or should not be."""
    import pyoxigraph as ox

    if len(mapping.store) > LARGEST:
        return False  # too large to be worth keeping (before writing the sources graphs it would never use)
    mapping.write_sources()  # kept with the entry: a later query may ask where things were written
    store = mapping.store
    if store.query(
        f"ASK {{ GRAPH ?g {{ ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }} FILTER(?g != <{ONTOLOGY_GRAPH}>) }}"
    ):
        return False  # the mapping's blank nodes would come back with new ids (the ontology's always do)
    try:
        import tempfile  # only when an entry is written

        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.TemporaryDirectory(dir=folder):
            pass  # the folder is writable
        quads = store.dump(format=ox.RdfFormat.N_QUADS)
        if len(quads) > GROWTH * sum(read_size(Path(shown)) for shown in mapping.files) + GROWTH_ROOM:
            return False
        files = files_read(mapping.files, digests)
        entry = {
            "format": FORMAT,
            "key": key,
            "files": files,
            "expansions": mapping.expansions,
            "quads": hashlib.sha256(quads).hexdigest(),
            "locations": {iri: list(where) for iri, where in sorted(mapping.locations.items())},
            "findings": {},
        }
        write_atomic(folder / f"{key}.nq", quads)
        write_atomic(folder / f"{key}.json", json.dumps(entry, ensure_ascii=False).encode("utf-8"))
        _prune(folder)
    except OSError:
        return False
    return True


def _keep_findings(folder: Path, key: str, found: list[Finding]) -> None:
    """Keep the built-in rules' findings with an entry."""
    _update_entry(folder, key, "findings", {rules_digest(): to_records(found)})


def _keep_day_findings(folder: Path, key: str, mapping: Mapping, day: _dt.date, found: list[Finding]) -> None:
    """Keep the built-in rules' findings of ``mapping`` as of ``day`` with its entry, for
    every day of ``day``'s era (:func:`ics_graph.model.timeline.era`: the mapping as of
    any of them is the same); one span is kept, the last asked about."""
    first, last = era(mapping, day)
    kept = {
        "rules": rules_digest(),
        "from": None if first is None else first.isoformat(),
        "to": None if last is None else last.isoformat(),
        "findings": to_records(found),
    }
    _update_entry(folder, key, "day_findings", kept)


def _update_entry(folder: Path, key: str, name: str, value: Any) -> None:
    """Set ``name`` in an entry and write it back atomically; an entry that is gone or of
    another shape is left as it is (the next read is a miss)."""
    entry_path = folder / f"{key}.json"
    try:
        entry = json.loads(entry_path.read_text("utf-8"))
        if not isinstance(entry, dict) or entry.get("key") != key:
            return
        entry[name] = value
        write_atomic(entry_path, json.dumps(entry, ensure_ascii=False).encode("utf-8"))
    except (OSError, ValueError):
        return


def _prune(folder: Path) -> None:
    """Keep the :data:`KEEP` most recently used entries, and no graph without its entry
    (left by a write that failed half-way)."""
    entries = sorted(folder.glob("*.json"), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
    for old in entries[KEEP:]:
        for path in (old, old.with_suffix(".nq")):
            path.unlink(missing_ok=True)
    kept = {entry.stem for entry in entries[:KEEP]}
    for graph in folder.glob("*.nq"):
        if graph.stem not in kept:
            graph.unlink(missing_ok=True)
