"""The mapping a command works on: files read (or the load cache), or a persistent store."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from ics_graph.model.graph import Mapping
from ics_graph.model.timeline import as_of as view_as_of
from ics_graph.stores.cache import load_mapping_cached
from ics_graph.stores.persistent import StoreSpec, open_mapping
from ics_graph.util.errors import UsageError

__all__ = ["open_for_command"]


def open_for_command(
    paths: Sequence[str], store: StoreSpec | None = None, *, whole: bool = False, as_of: _dt.date | None = None
) -> Mapping:
    """The PATHs read into memory (or read back from the load cache when they have not
    changed), or a persistent store opened where it is (then nothing is parsed), as it
    stands on ``as_of`` if given.

    ``whole``: the command reads the whole graph (check, visualise ...), so an Oxigraph
    folder is copied into memory first, which is faster for such work."""
    if store is not None and store.persistent:
        if paths:
            raise UsageError(
                f"give either PATH or --store {store}, not both (to update the store from files, run "
                f"'ics-graph load PATH --store {store}')"
            )
        mapping = open_mapping(store, into_memory=whole or as_of is not None)
    else:
        if not paths:
            raise UsageError("give the mapping: PATH (files or folders), or --store oxigraph:DIR or sparql:URL")
        mapping = load_mapping_cached(paths)
    return mapping if as_of is None else view_as_of(mapping, as_of)
