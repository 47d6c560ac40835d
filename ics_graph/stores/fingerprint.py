"""What a load read, as digests, so that a load of files that have not changed is known
without parsing them again.

A load's result depends on ics-graph itself (its code, ontology and rules), the working
folder (files are named relative to it, in graph names and findings), each input file's
name and content, the files its ``imports:`` reached, and what each folder given or
imported held. The load cache keys its entries by these, and a persistent store keeps
them in its manifest: ``load --store`` of the same files again then says that nothing
changed without reading them as a mapping. Only digests are compared; nothing read back
is executed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ics_graph.inputs.loader import WORKBOOK_SUFFIXES, expand
from ics_graph.util.errors import Problem
from ics_graph.util.paths import display_path, is_inside
from ics_graph.util.resources import ontology_path, rules_dir

__all__ = [
    "csv_files",
    "file_digest",
    "files_read",
    "input_key",
    "read_size",
    "still_as_read",
    "tool_digest",
    "well_formed",
]

#: Changed whenever what a key covers changes, so that older keys never match.
FORMAT = 1

_TOOL: list[str] = []


def tool_digest() -> str:
    """What ics-graph is: its modules, ontology and built-in rules. Any change (an
    upgrade, an edited rule) makes every earlier key a miss."""
    if not _TOOL:
        digest = hashlib.sha256(f"ics-graph load cache {FORMAT}\0".encode())
        package = Path(__file__).resolve().parent.parent  # the whole ics_graph package
        for path in [*sorted(package.rglob("*.py")), ontology_path(), *sorted(rules_dir().glob("*"))]:
            if path.is_file():
                name = path.relative_to(package).as_posix() if path.is_relative_to(package) else path.name
                digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
        _TOOL.append(digest.hexdigest())
    return _TOOL[0]


def csv_files(folder: Path) -> list[Path]:
    """The CSV files of a CSV workbook folder, by name (what the workbook reader reads)."""
    return sorted(
        (entry for entry in folder.iterdir() if entry.is_file() and entry.suffix.lower() == ".csv"),
        key=lambda p: p.name,
    )


def file_digest(path: Path) -> str:
    """A file's content; for a CSV workbook folder, its CSV files' names and contents."""
    if path.is_dir():
        digest = hashlib.sha256(b"csv workbook\0")
        for entry in csv_files(path):
            digest.update(entry.name.encode() + b"\0" + hashlib.sha256(entry.read_bytes()).digest())
        return digest.hexdigest()
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def read_size(path: Path) -> int:
    """The bytes a load of ``path`` reads: a CSV workbook folder's CSV files; an ``.xlsx``
    workbook's parts as they unpack (as its zip directory says: nothing is unpacked
    here), since its graph grows from those, not from the compressed file."""
    if path.is_dir():
        return sum(entry.stat().st_size for entry in csv_files(path))
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        import zipfile

        try:
            with zipfile.ZipFile(path) as book:
                return max(path.stat().st_size, sum(info.file_size for info in book.infolist()))
        except (zipfile.BadZipFile, ValueError):
            pass
    return path.stat().st_size


def input_key(paths: Sequence[str | Path], *, largest: int | None = None) -> tuple[str, dict[str, str]] | None:
    """The key of a load of ``paths``: the tool, the working folder, and each input
    file's name as shown and content, in order; with the digest of each file by its name
    as shown (read once, used again to check what was imported). None when the inputs
    are not all there (the loader then reports the problem) or, with ``largest``, hold
    more bytes than that (not worth hashing for a key that would not be used)."""
    problems: list[Problem] = []
    files = [found for path in paths for found in expand(Path(path), None, problems)]
    if problems or not files:
        return None
    try:
        if largest is not None and sum(read_size(f) for f in files) > largest:
            return None
        digest = hashlib.sha256(tool_digest().encode() + b"\0" + os.getcwd().encode() + b"\0")
        digests: dict[str, str] = {}
        for found in files:
            shown = display_path(found)
            digests[shown] = file_digest(found)
            digest.update(shown.encode() + b"\0" + digests[shown].encode() + b"\0")
    except OSError:
        return None
    return digest.hexdigest(), digests


def files_read(shown_files: Iterable[str], digests: dict[str, str]) -> list[list[str]]:
    """Every file a load read (its inputs and what they imported) with its digest, to be
    kept beside the key: imported files are not in the key, so they are checked apart."""
    return [[shown, digests.get(shown) or file_digest(Path(shown))] for shown in shown_files]


def well_formed(files: Any, expansions: Any) -> bool:
    """Whether ``files`` and ``expansions`` read back from a load cache entry have the
    shape :func:`files_read` and a load give them: [name, digest] pairs, and [path,
    [file, ...]] pairs (an entry of another shape is a miss)."""
    return (
        isinstance(files, list)
        and isinstance(expansions, list)
        and all(isinstance(f, list) and len(f) == 2 and _strings(f) for f in files)
        and all(isinstance(e, list) and len(e) == 2 and isinstance(e[0], str) and _strings(e[1]) for e in expansions)
    )


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def still_as_read(
    files: Iterable[Sequence[str]], expansions: Iterable[Sequence], digests: dict[str, str], roots: Sequence[Path]
) -> bool:
    """Whether every file a load read still has the digest kept for it, and every folder
    given or imported still names the same files (none added or removed) with nothing
    now leading outside ``roots`` (:func:`ics_graph.util.paths.mapping_roots`), as the
    loader would refuse. ``digests``: those :func:`input_key` just computed, so that
    inputs are not hashed twice."""
    try:
        for shown, digest in files:
            if not is_inside(shown, roots) or (digests.get(shown) or file_digest(Path(shown))) != digest:
                return False
        for path, named in expansions:
            problems: list[Problem] = []
            if [str(found) for found in expand(Path(path), None, problems, roots=roots)] != named or problems:
                return False
    except (OSError, ValueError, TypeError):
        return False
    return True
