"""Loading files into a persistent store (``load PATH --store``), and knowing before
reading them when there is nothing to load.

Its own use case, apart from :mod:`ics_graph.app.stores` (questions on a store, which
never load the readers) and :mod:`ics_graph.app.loading` (files read into memory, which
never load the store machinery): comparing what a store's last load read with the files
now needs both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from ics_graph.model.graph import Mapping
from ics_graph.stores.cache import cache_folder, load_mapping_cached
from ics_graph.stores.fingerprint import files_read, still_as_read
from ics_graph.stores.persistent import Inputs, LoadReport, kept_files_folder, last_load
from ics_graph.stores.spec import StoreSpec
from ics_graph.util.paths import mapping_roots

__all__ = ["inputs_of", "loaded_already", "read_for"]


def read_for(spec: StoreSpec, paths: Sequence[str], *, allow_outside: bool = False) -> Mapping:
    """The PATHs read to be loaded into ``spec``, as any command reads them (the load
    cache too); what was learned of each YAML file is also kept for the store, whatever
    the mapping's size, so that after an edit a reload reads only the files that changed
    (see :mod:`ics_graph.inputs.kept`): beside an ``oxigraph:`` folder, and for a
    ``sparql:`` endpoint in the load cache's folder, one folder per endpoint (none when
    the cache is off)."""
    return load_mapping_cached(paths, allow_outside=allow_outside, kept_beside=_kept_for(spec))


def _kept_for(spec: StoreSpec) -> Path | None:
    beside = kept_files_folder(spec)
    if beside is not None or spec.scheme != "sparql":
        return beside
    folder = cache_folder()
    if folder is None:
        return None
    return folder / "stores" / hashlib.sha256(spec.location.encode("utf-8")).hexdigest()


def loaded_already(
    spec: StoreSpec,
    paths: Sequence[str],
    keyed: tuple[str, dict[str, str]],
    *,
    update_url: str | None = None,
    graph_store_url: str | None = None,
) -> LoadReport | None:
    """The report of a load of ``paths`` that changes nothing, when the store was last
    loaded from exactly these files (``keyed``: their key and digests, see
    :func:`~ics_graph.stores.fingerprint.input_key`), none of what they imported has
    changed, no folder gained or lost a file, and nothing now leads outside the
    mapping's folders; else None, and the files are read and loaded as usual. The same
    ics-graph reading the same bytes builds the same graph, so a national mapping is not
    parsed, validated and checked again to learn that the store already holds it."""
    found = last_load(spec, update_url=update_url, graph_store_url=graph_store_url)
    if found is None:
        return None
    files, stored = found
    key, digests = keyed
    if stored.key != key or not still_as_read(stored.files, stored.expansions, digests, mapping_roots(paths)):
        return None  # (a note of another shape is not as read either)
    return LoadReport(str(spec), unchanged=files, read_again=False)


def inputs_of(mapping: Mapping, keyed: tuple[str, dict[str, str]]) -> Inputs:
    """What the load of ``mapping`` read, for the store's manifest to note: the key and
    digests of its inputs taken before they were read (``keyed``), and the files its
    ``imports:`` reached."""
    key, digests = keyed
    return Inputs(key, files_read(mapping.files, digests), [[path, list(named)] for path, named in mapping.expansions])
