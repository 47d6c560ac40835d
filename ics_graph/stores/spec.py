"""A ``--store`` value: where the graph lives, in memory (the default), in an Oxigraph
folder, or on a SPARQL 1.1 endpoint. Light, so any command can parse the option before
deciding what to load."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ics_graph.util.errors import UsageError

__all__ = ["PASSWORD_VARIABLE", "USER_VARIABLE", "StoreSpec", "parse_store", "refuse_credentials_in"]

#: Who to be at a SPARQL endpoint that asks who is calling (HTTP Basic or Digest
#: authentication): read from the environment, never from the command line, where other
#: users of the machine (``ps``) and shell histories would see the password.
USER_VARIABLE, PASSWORD_VARIABLE = "ICS_GRAPH_SPARQL_USER", "ICS_GRAPH_SPARQL_PASSWORD"


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
        refuse_credentials_in(rest)
        return StoreSpec("sparql", rest)
    if scheme == "sparql":
        raise UsageError(f"'{text}': give the endpoint's query URL, for example sparql:http://localhost:7878/query")
    raise UsageError(
        f"unknown store '{text}': use memory, oxigraph:DIR (a folder) or sparql:URL (an http or https SPARQL endpoint)"
    )


def refuse_credentials_in(url: str) -> None:
    """A UsageError, which does not repeat the URL, for a URL that carries a user name or
    password (``https://user:secret@host/sparql``): credentials come from
    :data:`USER_VARIABLE` and :data:`PASSWORD_VARIABLE` only."""
    try:
        authority = urlsplit(url).netloc
    except ValueError:  # a malformed address (left to the HTTP client to refuse): as written
        authority = url.partition("//")[2].split("/", 1)[0]
    if "@" in authority:
        raise UsageError(
            f"the URL holds a user name or password: give them in the environment "
            f"variables {USER_VARIABLE} and {PASSWORD_VARIABLE} instead, never on the command line"
        )
