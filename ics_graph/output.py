"""Writing results: atomically, never over an input, with colour only where wanted."""

from __future__ import annotations

import os
import sys
import tempfile
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
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a report should have the usual permissions
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def use_colour(stream=None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    stream = stream or sys.stdout
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()
