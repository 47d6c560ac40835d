"""Paths as users see them in messages, and the folder trees a mapping may read from."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

__all__ = ["display_path", "is_inside", "mapping_roots"]


def display_path(path: Path) -> str:
    """A path as users see it in messages: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path.as_posix()
    return Path(relative).as_posix() if not relative.startswith("..") else path.as_posix()


def mapping_roots(paths: Sequence[str | Path]) -> list[Path]:
    """The folder trees a mapping may read from: the first path's folder (the path
    itself when it is a folder), or the root of the git work tree holding it (the
    nearest folder above it with a ``.git``), and each path given (the user named it).
    Symbolic links are resolved first, so a tree is where the files really are."""
    if not paths:
        return []
    first = Path(os.path.realpath(paths[0]))
    start = first if os.path.isdir(first) else first.parent  # (False for a name the system cannot take)
    root = next((folder for folder in [start, *start.parents] if (folder / ".git").exists()), start)
    return [root, *(Path(os.path.realpath(p)) for p in paths)]


def is_inside(path: str | Path, roots: Sequence[Path]) -> bool:
    """Whether ``path``, its symbolic links followed, is one of ``roots`` or inside one."""
    real = Path(os.path.realpath(path))
    return any(real == root or root in real.parents for root in roots)
