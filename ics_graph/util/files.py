"""Writing results: atomically, never over an input, with colour only where wanted."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from ics_graph.util.errors import UsageError

__all__ = ["MAPPING_SUFFIXES", "check_output", "refuse_inputs", "use_colour", "write_atomic", "write_folder"]

#: Files a folder of the mapping is read for (the loader's list): an output with one of
#: these suffixes inside such a folder would be read as part of the mapping next time.
MAPPING_SUFFIXES = (".yaml", ".yml", ".ttl", ".nt", ".jsonld", ".rdf", ".owl", ".xlsx")


def check_output(
    path: str | Path, *, suffixes: Iterable[str] | None = None, what: str = "", force: bool = False
) -> None:
    """Refuse (:class:`UsageError`) an output file before anything is computed: an
    extension not among ``suffixes`` (lower case, with the dot; ``""`` allows none) for
    the format ``what``, a file that exists unless ``force``, or a folder that does not
    exist (it is never created)."""
    target = Path(path)
    if suffixes is not None:
        allowed = list(suffixes)
        suffix = target.suffix.lower()
        if suffix not in allowed:
            shown = ", ".join(s or "no extension" for s in allowed)
            raise UsageError(f"'{path}' does not look like {what or 'this format'}: use {shown}")
    if target.is_dir():
        raise UsageError(f"'{path}' is a folder: give a file name")
    if not target.parent.is_dir():
        raise UsageError(f"folder '{target.parent}' does not exist: create it first")
    if (target.exists() or target.is_symlink()) and not force:
        raise UsageError(f"'{path}' exists; use --force to replace it")


def refuse_inputs(
    path: str | Path,
    inputs: Iterable[str | Path] = (),
    folders: Iterable[str | Path] = (),
    *,
    stores: Iterable[str | Path] = (),
) -> None:
    """Refuse (:class:`UsageError`) to write ``path`` over a file the command read
    (``inputs``; also through another link to the same file), a mapping file (by suffix)
    inside a folder it read as a mapping (``folders``: the next run would read it as
    part of the mapping), or any file inside a store folder it read (``stores``)."""
    target = Path(path).resolve()
    try:
        existing = os.stat(target)
    except OSError:
        existing = None
    for one in inputs:
        if target == Path(one).resolve() or (existing is not None and _same(existing, one)):
            raise UsageError(f"refusing to overwrite '{path}': the command reads it")
    for store in stores:
        root = Path(store).resolve()
        if root == target or root in target.parents:
            raise UsageError(f"refusing to write '{path}' inside the store '{store}': the store's files are its own")
    if target.suffix.lower() in MAPPING_SUFFIXES:
        for folder in folders:
            root = Path(folder).resolve()
            if root in target.parents and not any(
                part.startswith((".", "~$")) for part in target.relative_to(root).parts
            ):
                raise UsageError(
                    f"refusing to write '{path}' inside the mapping folder '{folder}': "
                    "it would be read as part of the mapping next time"
                )


def _same(existing: os.stat_result, other: str | Path) -> bool:
    """Whether ``other`` is the file ``existing`` describes (a hard link to it, say)."""
    try:
        found = os.stat(other)
    except OSError:
        return False
    return (found.st_dev, found.st_ino) == (existing.st_dev, existing.st_ino)


def write_atomic(path: str | Path, data: str | bytes, *, inputs: Iterable[str | Path] | None = None) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename, so a reader never
    sees half a file and a failure leaves any previous file intact. Refuses to write
    over one of ``inputs``, and into a folder that does not exist (never created here)."""
    target = Path(path)
    refuse_inputs(target, inputs or ())
    if not target.parent.is_dir():
        raise UsageError(f"folder '{target.parent}' does not exist: create it first")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = _new_sibling(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _new_sibling(target: Path) -> tuple[int, str]:
    """A new, empty file beside ``target`` with a random name, opened for writing.

    Created exclusively (``O_EXCL``: never an existing file, nor a link planted under
    that name) with the usual permissions (0666 less the umask), as ``tempfile.mkstemp``
    does except for its 0600; done here because importing :mod:`tempfile` (and
    :mod:`shutil` with it) would slow the start of every command."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _attempt in range(100):
        name = str(target.parent / f".{target.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(name, flags, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file beside '{target}'")


def use_colour(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    stream = stream or sys.stdout
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def write_folder(
    files: dict[str, str], folder: str | Path, *, force: bool = False, inputs: Iterable[str | Path] = ()
) -> None:
    """Write ``files`` into ``folder`` atomically: into a temporary folder beside it, then
    renamed into place. Refuses a non-empty folder unless ``force``, and then only a
    folder holding nothing but YAML files (it is replaced whole); refuses any folder
    holding one of ``inputs``."""
    import shutil  # only `import` writes folders: other commands never load these
    import tempfile

    target = Path(folder).resolve()
    for one in inputs:
        resolved = Path(one).resolve()
        if resolved == target or target in resolved.parents:
            raise UsageError(f"refusing to write into '{folder}': it holds the input '{one}'")
    if target.exists() and not target.is_dir():
        raise UsageError(f"'{folder}' exists and is not a folder")
    existing = sorted(p for p in target.rglob("*")) if target.exists() else []
    if existing:
        if not force:
            raise UsageError(f"folder '{folder}' is not empty; use --force to replace its YAML files")
        others = [p for p in existing if p.is_file() and p.suffix.lower() not in (".yaml", ".yml")]
        if others:
            raise UsageError(
                f"refusing to replace folder '{folder}': it holds files other than YAML "
                f"(e.g. '{others[0].relative_to(target).as_posix()}')"
            )
    if not target.parent.is_dir():  # the output folder is made, never the folders above it
        raise UsageError(f"folder '{Path(folder).parent}' does not exist: create it first")
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    old = None
    try:
        for name, text in sorted(files.items()):
            (tmp / name).write_text(text, encoding="utf-8")
        if target.exists():
            if existing:
                old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
                old.rmdir()
                os.replace(target, old)
            else:
                target.rmdir()
        os.replace(tmp, target)
    except BaseException:
        if old is not None and old.exists() and not target.exists():
            os.replace(old, target)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
