"""Where each entity was written, as RDF beside the data.

One graph per file (``urn:ics-graph:sources:PATH``) holds the file, line, column or cell
of each entity it defines, so that a persistent store or a SPARQL user can point at the
source too, and a reload replaces a file's locations with its data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ics_graph.model import vocabulary as v
from ics_graph.model.turtle import escape
from ics_graph.util.errors import Location

__all__ = ["sources_ntriples", "write_sources"]


def write_sources(store: Any, by_file: dict[str, dict[str, Location]]) -> None:
    """Record where each entity was written, in one graph per file beside its data graph
    (``urn:ics-graph:sources:PATH``), so that a persistent store or a SPARQL user can
    point at the source too, and a reload replaces a file's locations with its data."""
    import pyoxigraph as ox

    lines: list[str] = []
    for data_graph, locations in by_file.items():
        lines.extend(_statements(locations, f" <{v.sources_graph(data_graph)}> .\n"))
    store.load("".join(lines).encode("utf-8"), format=ox.RdfFormat.N_QUADS)


def sources_ntriples(by_file: dict[str, dict[str, Location]]) -> dict[str, bytes]:
    """Each file's graph of where its entities were written, as N-Triples, by the graph's
    name: what :func:`write_sources` adds to a store, for a caller that writes them
    elsewhere (a persistent store) without adding them to the mapping's graph first."""
    return {
        v.sources_graph(graph): "".join(_statements(locations, " .\n")).encode("utf-8")
        for graph, locations in by_file.items()
    }


def _statements(locations: dict[str, Location], end: str) -> Iterator[str]:
    """The statements of where each entity was written, each ending with ``end``."""
    ics, integer = v.ICS, v.PREFIXES["xsd"] + "integer"
    for subject, loc in locations.items():
        yield f'<{subject}> <{ics}definedInFile> "{escape(loc.file)}"{end}'
        if loc.line:
            yield f'<{subject}> <{ics}definedAtLine> "{loc.line}"^^<{integer}>{end}'
        if loc.column:
            yield f'<{subject}> <{ics}definedAtColumn> "{loc.column}"^^<{integer}>{end}'
        if loc.cell:
            yield f'<{subject}> <{ics}definedAtCell> "{escape(loc.cell)}"{end}'
