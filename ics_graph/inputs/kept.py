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
itself, the file's name as shown and its bytes. They are written atomically when the
caller asks: the load cache asks after a load it keeps, and after a load with problems
(the files that read well are then not read again while the others are put right). The
least recently used beyond
:data:`KEEP` entries or :data:`KEEP_BYTES` are removed. An entry that is missing,
damaged or of another shape is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ics_graph.inputs.authoring import Registry
from ics_graph.inputs.readers import Declared
from ics_graph.util.errors import Location
from ics_graph.util.files import write_atomic

__all__ = ["KEEP", "KEEP_BYTES", "Asking", "KeptFile", "KeptFiles", "digest_of"]

FORMAT = 1
#: Files kept, across every mapping, and their bytes at most: the least recently used
#: beyond either are removed (a regional mapping's files take a few megabytes).
KEEP, KEEP_BYTES = 4096, 256 * 2**20


def digest_of(raw: bytes) -> str:
    """A file's bytes, as a kept file is named by them."""
    return hashlib.sha256(raw).hexdigest()


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


class Asking(Registry):
    """A registry that notes the questions a conversion asks of it: only ``has`` (whether
    an id exists) can be answered again later; a conversion that lists ids (for a "did
    you mean", when a reference is unknown) is never kept."""

    def __init__(self, registry: Registry) -> None:
        super().__init__()
        self.where, self.made = registry.where, registry.made
        self.asked: dict[tuple[str, str], bool] = {}
        self.listed = False

    def has(self, kind: str, ident: str) -> bool:
        found = super().has(kind, ident)
        self.asked[(kind, ident)] = found
        return found

    def ids(self, kind: str) -> list[str]:
        self.listed = True
        return super().ids(kind)


class KeptFiles:
    """The kept files in one folder, for one version of ics-graph (``tool``: a digest of
    its code, ontology and rules, as the load cache's keys hold)."""

    def __init__(self, folder: Path, tool: str) -> None:
        self.folder, self.tool = folder, tool
        self._noted: dict[str, tuple[str, KeptFile]] = {}  # by entry name: (file as shown, what was learned)

    def _name(self, shown: str, digest: str) -> str:
        return hashlib.sha256(f"{FORMAT}\0{self.tool}\0{shown}\0{digest}".encode()).hexdigest()

    def recall(self, shown: str, digest: str) -> KeptFile | None:
        """The file kept for this name and these bytes, or None."""
        path = self.folder / f"{self._name(shown, digest)}.json"
        try:
            entry = json.loads(path.read_bytes())
            if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("file") != shown:
                return None
            kept = KeptFile(
                imports=[(_text(target), _location(where)) for target, where in entry["imports"]],
                declared=[
                    (_text(kind), _text(ident), _location(where), _flag(explicit))
                    for kind, ident, where, explicit in entry["declared"]
                ],
                asked=[(_text(kind), _text(ident), _flag(found)) for kind, ident, found in entry["asked"]],
                quads=_text(entry["quads"]).encode("utf-8"),
                own={_text(iri): _location(where) for iri, where in entry["own"].items()},
            )
            if digest_of(kept.quads) != entry["quads_digest"]:
                return None  # damaged: never handed to the parser
            os.utime(path)  # recently used: pruned last
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing, damaged or of another shape: a miss
        return kept

    def note(self, shown: str, digest: str, kept: KeptFile) -> None:
        """Note a file to keep when :meth:`write` is called (after the load succeeds)."""
        self._noted[self._name(shown, digest)] = (shown, kept)

    def noted_bytes(self) -> int:
        """The triples of the files noted, in bytes of N-Quads."""
        return sum(len(kept.quads) for _shown, kept in self._noted.values())

    def write(self) -> None:
        """Write every file noted, then remove the least recently used beyond :data:`KEEP`;
        a folder that cannot be written is silently not used."""
        noted, self._noted = self._noted, {}
        if not noted:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            for name, (shown, kept) in noted.items():
                entry = {
                    "format": FORMAT,
                    "file": shown,
                    "imports": [[target, list(where)] for target, where in kept.imports],
                    "declared": [
                        [kind, ident, list(where), explicit] for kind, ident, where, explicit in kept.declared
                    ],
                    "asked": [list(question) for question in kept.asked],
                    "quads": kept.quads.decode("utf-8"),
                    "quads_digest": digest_of(kept.quads),
                    "own": {iri: list(where) for iri, where in kept.own.items()},
                }
                write_atomic(self.folder / f"{name}.json", json.dumps(entry, ensure_ascii=False).encode("utf-8"))
            self._prune()
        except OSError:
            return

    def _prune(self) -> None:
        entries = [(path, path.stat()) for path in self.folder.glob("*.json")]
        entries.sort(key=lambda entry: (entry[1].st_mtime, entry[0].name), reverse=True)
        total = 0
        for count, (path, stat) in enumerate(entries):
            total += stat.st_size
            if count >= KEEP or total > KEEP_BYTES:
                path.unlink(missing_ok=True)


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
