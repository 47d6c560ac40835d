"""The mapping a command works on when it lives in a persistent store."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from ics_graph.model.graph import Mapping
from ics_graph.model.timeline import as_of as view_as_of
from ics_graph.stores.persistent import open_mapping
from ics_graph.stores.spec import StoreSpec
from ics_graph.util.errors import UsageError

__all__ = ["open_store"]


def open_store(
    store: StoreSpec, paths: Sequence[str] = (), *, whole: bool = False, as_of: _dt.date | None = None
) -> Mapping:
    """A persistent store opened where it is (nothing is parsed), as it stands on
    ``as_of`` if given. ``whole``: the command reads the whole graph (check,
    visualise ...), so an Oxigraph folder is copied into memory first, which is faster
    for such work. PATHs are refused: the store is the mapping."""
    if paths:
        raise UsageError(
            f"give either PATH or --store {store}, not both (to update the store from files, run "
            f"'ics-graph load PATH --store {store}')"
        )
    mapping = open_mapping(store, into_memory=whole)
    return mapping if as_of is None else view_as_of(mapping, as_of)  # shares the store when nothing is dated out
