"""The mapping a command works on: files read (or read back from the load cache), or a
persistent store opened where it is. Two use cases, so that a command reading files
never loads the store machinery, and one on a store never loads the readers."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from ics_graph.model.graph import Mapping
from ics_graph.model.timeline import as_of as view_as_of
from ics_graph.stores.cache import load_mapping_cached
from ics_graph.util.errors import UsageError

__all__ = ["open_files"]


def open_files(paths: Sequence[str], *, as_of: _dt.date | None = None, allow_outside: bool = False) -> Mapping:
    """The PATHs read into memory, or read back from the load cache when they have not
    changed, as the mapping stands on ``as_of`` if given. ``imports:`` and symbolic
    links stay inside the first PATH's folder tree (or its git repository's) unless
    ``allow_outside``."""
    if not paths:
        raise UsageError("give the mapping: PATH (files or folders), or --store oxigraph:DIR or sparql:URL")
    mapping = load_mapping_cached(paths, allow_outside=allow_outside)
    if as_of is None:
        return mapping
    view = view_as_of(mapping, as_of)
    view.expansions = mapping.expansions  # what was read, as read: no output may be written among it
    return view
