"""Writing results: atomically, never over an input, with colour only where wanted."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["write_atomic", "use_colour"]


def write_atomic(path: str | Path, data: str | bytes, *, inputs: list[str] | None = None) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename, so a reader never
    sees half a file and a failure leaves any previous file intact. Refuses to write
    over one of ``inputs``."""
    target = Path(path)
    if inputs and any(target.resolve() == Path(i).resolve() for i in inputs):
        raise ValueError(f"refusing to overwrite input file '{path}'")
    target.parent.mkdir(parents=True, exist_ok=True)
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
    :mod:`shutil` with it) cost every command 5-7 ms."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _attempt in range(100):
        name = str(target.parent / f".{target.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(name, flags, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file beside '{target}'")


def use_colour(stream=None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    stream = stream or sys.stdout
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()
