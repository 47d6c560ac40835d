"""A ``--store`` value: where the graph lives, in memory (the default), in an Oxigraph
folder, or on a SPARQL 1.1 endpoint. Light, so any command can parse the option before
deciding what to load."""

from __future__ import annotations

from dataclasses import dataclass

from ics_graph.util.errors import UsageError

__all__ = ["StoreSpec", "parse_store"]


@dataclass(frozen=True)
class StoreSpec:
    """A parsed ``--store`` value."""

    scheme: str  # "memory", "oxigraph" or "sparql"
    location: str = ""  # the folder, or the query endpoint's URL

    def __str__(self) -> str:
        return self.scheme if self.scheme == "memory" else f"{self.scheme}:{self.location}"

    @property
    def persistent(self) -> bool:
        return self.scheme != "memory"


def parse_store(text: str) -> StoreSpec:
    """``memory``, ``oxigraph:DIR`` or ``sparql:URL``; a clear UsageError otherwise."""
    text = text.strip()
    if text == "memory":
        return StoreSpec("memory")
    scheme, _, rest = text.partition(":")
    if scheme == "oxigraph" and rest:
        return StoreSpec("oxigraph", rest)
    if scheme == "sparql" and rest.startswith(("http://", "https://")) and len(rest) > len("https://"):
        return StoreSpec("sparql", rest)
    if scheme == "sparql":
        raise UsageError(f"'{text}': give the endpoint's query URL, for example sparql:http://localhost:7878/query")
    raise UsageError(
        f"unknown store '{text}': use memory, oxigraph:DIR (a folder) or sparql:URL (an http or https SPARQL endpoint)"
    )
