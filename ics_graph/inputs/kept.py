"""What a load keeps of each YAML file, so that the files an edit did not touch are not read again.

The load cache (:mod:`ics_graph.stores.cache`) keeps a whole mapping, and any edit
misses it: the next question then read and converted every file again, the catalogue's
and the national files too, though one file had changed. A *kept file* is what the
loader learned from one YAML file it read and converted without a problem: the files it
imports, the ids it declares, its triples as N-Quads, where each of its entities was
written, and every question its conversion asked of the other files (whether an id
exists, as what kind). On the next load, a file with the same name as shown and the
same bytes is not read: its ids are registered as if read, and its triples are used
again when every one of those questions has the same answer. When one does not (an id
it names was removed, or is now another kind of entity), the file is read and
converted as usual. The graph, locations, sources and errors are those of a load that
keeps nothing (``tests/test_kept.py`` compares them).

Entries are JSON (nothing is unpickled or executed), named by a digest of ics-graph
itself, the file's name as shown and its bytes; the triples are beside each, as the
N-Quads text the entry names by its digest (bytes as parsed: no JSON escaping to add or
undo, 1.2 s and 0.5 s at a million triples). They are written atomically when the
caller asks: the load cache asks after a load it keeps, and after a load with problems
(the files that read well are then not read again while the others are put right); a
load into an ``oxigraph:`` store after every load, into a folder beside the store that
holds the files of its last load only (:func:`ics_graph.stores.persistent.kept_files_folder`).
In the cache's folder the least recently used beyond :data:`KEEP` entries or
:data:`KEEP_BYTES` are removed. An entry that is missing, damaged or of another shape
is a miss, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ics_graph.inputs.authoring import Registry
from ics_graph.inputs.readers import Asking, Declared, digest_of
from ics_graph.util.errors import Location
from ics_graph.util.files import write_atomic

__all__ = ["KEEP", "KEEP_BYTES", "Asking", "KeptFile", "KeptFiles", "digest_of"]

FORMAT = 2  # 2: the triples in a file of their own beside the entry
#: Files kept, across every mapping, and their bytes at most: the least recently used
#: beyond either are removed (a regional mapping's files take a few megabytes).
KEEP, KEEP_BYTES = 4096, 256 * 2**20
#: A half-written entry this many seconds old was left by a write that was killed (an
#: entry is written in well under a second): the next write removes it.
_ABANDONED_AFTER = 600


@dataclass(frozen=True)
class KeptFile:
    """What a load learned of one YAML file (see the module's docstring)."""

    imports: list[tuple[str, Location]]  # each import as written (relative to the file's folder), and where
    declared: list[Declared]
    asked: list[tuple[str, str, bool]]  # (kind, id, whether an entity of that kind and id existed)
    quads: bytes
    own: dict[str, Location]  # where each of its entities was written

    def holds(self, registry: Registry) -> bool:
        """Whether converting the file with ``registry`` would give the same triples:
        every question its conversion asked has the same answer."""
        return all(registry.has(kind, ident) is found for kind, ident, found in self.asked)


class KeptFiles:
    """The kept files in one folder, for one version of ics-graph (``tool``: a digest of
    its code, ontology and rules, as the load cache's keys hold). Shared by every
    mapping, the least recently used pruned beyond :data:`KEEP` and :data:`KEEP_BYTES`;
    or, ``one_mapping`` (the files kept beside a store), only those of the last load:
    each write removes the entries that load neither recalled nor noted, however large."""

    def __init__(self, folder: Path, tool: str, *, one_mapping: bool = False) -> None:
        self.folder, self.tool, self.one_mapping = folder, tool, one_mapping
        self._noted: dict[str, tuple[str, KeptFile]] = {}  # by entry name: (file as shown, what was learned)
        self._recalled: set[str] = set()

    def _name(self, shown: str, digest: str) -> str:
        return hashlib.sha256(f"{FORMAT}\0{self.tool}\0{shown}\0{digest}".encode()).hexdigest()

    def recall(self, shown: str, digest: str) -> KeptFile | None:
        """The file kept for this name and these bytes, or None."""
        name = self._name(shown, digest)
        path = self.folder / f"{name}.json"
        try:
            entry = json.loads(path.read_bytes())
            if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("file") != shown:
                return None
            quads = (self.folder / f"{name}.nq").read_bytes()
            if digest_of(quads) != entry["quads_digest"]:
                return None  # damaged: never handed to the parser
            kept = KeptFile(
                imports=[(_text(target), _location(where)) for target, where in entry["imports"]],
                declared=[
                    (_text(kind), _text(ident), _location(where), _flag(explicit))
                    for kind, ident, where, explicit in entry["declared"]
                ],
                asked=[(_text(kind), _text(ident), _flag(found)) for kind, ident, found in entry["asked"]],
                quads=quads,
                own={_text(iri): _location(where) for iri, where in entry["own"].items()},
            )
            os.utime(path)  # recently used: pruned last
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing, damaged or of another shape: a miss
        self._recalled.add(name)
        return kept

    def note(self, shown: str, digest: str, kept: KeptFile) -> None:
        """Note a file to keep when :meth:`write` is called (after the load succeeds)."""
        self._noted[self._name(shown, digest)] = (shown, kept)

    def noted_bytes(self) -> int:
        """The triples of the files noted, in bytes of N-Quads."""
        return sum(len(kept.quads) for _shown, kept in self._noted.values())

    def write(self) -> None:
        """Write every file noted (its triples first, then the entry naming their
        digest), then prune (see the class); a folder that cannot be written is
        silently not used."""
        noted, self._noted = self._noted, {}
        used, self._recalled = self._recalled | set(noted), set()
        if not noted and not self.one_mapping:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            for name, (shown, kept) in noted.items():
                entry = {  # (tuples, locations among them, are written as JSON arrays)
                    "format": FORMAT,
                    "file": shown,
                    "imports": kept.imports,
                    "declared": kept.declared,
                    "asked": kept.asked,
                    "quads_digest": digest_of(kept.quads),
                    "own": kept.own,
                }
                write_atomic(self.folder / f"{name}.nq", kept.quads)
                write_atomic(self.folder / f"{name}.json", json.dumps(entry, ensure_ascii=False).encode("utf-8"))
            self._prune(used if self.one_mapping else None)
        except OSError:
            return

    def _prune(self, used: set[str] | None) -> None:
        """Remove the entries not ``used`` (when given), else the least recently used
        beyond :data:`KEEP` entries or :data:`KEEP_BYTES`; and triples with no entry, and
        what a killed write left."""
        entries = []
        for path in self.folder.glob("*.json"):
            stat, triples = path.stat(), path.with_suffix(".nq")
            size = stat.st_size + (triples.stat().st_size if triples.exists() else 0)
            entries.append((path, stat.st_mtime, size))
        entries.sort(key=lambda entry: (entry[1], entry[0].name), reverse=True)
        total = 0
        for count, (path, _mtime, size) in enumerate(entries):
            total += size
            if (path.stem not in used) if used is not None else (count >= KEEP or total > KEEP_BYTES):
                path.unlink(missing_ok=True)
                path.with_suffix(".nq").unlink(missing_ok=True)
        for triples in self.folder.glob("*.nq"):
            if not triples.with_suffix(".json").exists():
                triples.unlink(missing_ok=True)
        abandoned = time.time() - _ABANDONED_AFTER
        for partial in self.folder.glob(".*.tmp"):  # left by a write that was killed
            with contextlib.suppress(OSError):
                if partial.stat().st_mtime < abandoned:
                    partial.unlink()


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not text")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not true or false")
    return value


def _location(value: Any) -> Location:
    """A location as :meth:`KeptFiles.write` keeps it: file, line, column, cell."""
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= 4
        or not isinstance(value[0], str)
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in value[1:3])
        or (len(value) == 4 and value[3] is not None and not isinstance(value[3], str))
    ):
        raise TypeError("not a location")
    return Location(*value)
