"""ics-graph: a knowledge graph and rules engine for NHS integrated care system mappings.

The public API is small and grows with each capability:

>>> from ics_graph import load_mapping
>>> mapping = load_mapping(["tests/fixtures/mini"])
>>> len(mapping.files) > 0
True

Heavy libraries (pyoxigraph, rdflib, owlready2) are imported only when a function that
needs them is called, so importing this package is cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["InputError", "__version__", "load_mapping"]


def __getattr__(name: str):  # lazy re-exports keep ``import ics_graph`` fast
    if name == "load_mapping":
        from ics_graph.inputs.loader import load_mapping

        return load_mapping
    if name == "InputError":
        from ics_graph.util.errors import InputError

        return InputError
    raise AttributeError(name)
