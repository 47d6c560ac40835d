"""Where each entity was written, as RDF beside the data.

One graph per file (``urn:ics-graph:sources:PATH``) holds the file, line, column or cell
of each entity it defines, so that a persistent store or a SPARQL user can point at the
source too, and a reload replaces a file's locations with its data.
"""

from __future__ import annotations

from typing import Any

from ics_graph.model import vocabulary as v
from ics_graph.model.turtle import escape
from ics_graph.util.errors import Location

__all__ = ["write_sources"]


def write_sources(store: Any, by_file: dict[str, dict[str, Location]]) -> None:
    """Record where each entity was written, in one graph per file beside its data graph
    (``urn:ics-graph:sources:PATH``), so that a persistent store or a SPARQL user can
    point at the source too, and a reload replaces a file's locations with its data."""
    import pyoxigraph as ox

    ics, integer = v.ICS, v.PREFIXES["xsd"] + "integer"
    lines = []
    for data_graph, locations in by_file.items():
        graph = v.sources_graph(data_graph)
        for subject, loc in locations.items():
            lines.append(f'<{subject}> <{ics}definedInFile> "{escape(loc.file)}" <{graph}> .\n')
            if loc.line:
                lines.append(f'<{subject}> <{ics}definedAtLine> "{loc.line}"^^<{integer}> <{graph}> .\n')
            if loc.column:
                lines.append(f'<{subject}> <{ics}definedAtColumn> "{loc.column}"^^<{integer}> <{graph}> .\n')
            if loc.cell:
                lines.append(f'<{subject}> <{ics}definedAtCell> "{escape(loc.cell)}" <{graph}> .\n')
    store.load("".join(lines).encode("utf-8"), format=ox.RdfFormat.N_QUADS)
