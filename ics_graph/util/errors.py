"""What can go wrong that a user can fix, in one hierarchy, and where it happened.

Every error a user can fix is an :class:`IcsGraphError`: the CLI maps the whole family
to exit code 2 in one place, so anything else that escapes is a bug and keeps its
traceback. Loading collects every problem of a run before failing
(:class:`InputError`), so a user fixes them all in one pass instead of one per run; each
problem says what is wrong, where (file:line:col or sheet!cell) and what was meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = [
    "IcsGraphError",
    "InputError",
    "Location",
    "Problem",
    "QueryError",
    "QueryRefused",
    "ReasoningError",
    "StoreError",
    "UsageError",
    "did_you_mean",
    "terminal_safe",
]


class Location(NamedTuple):
    """Where something came from: a file and line (1-based), or a workbook cell.

    A named tuple rather than a dataclass: loading creates one per YAML value."""

    file: str
    line: int = 0
    column: int = 0
    cell: str | None = None  # "Allocations!D14" for workbooks

    def __str__(self) -> str:
        if self.cell:
            return f"{self.file}:{self.cell}"
        if self.line and self.column:
            return f"{self.file}:{self.line}:{self.column}"
        if self.line:
            return f"{self.file}:{self.line}"
        return self.file


@dataclass(frozen=True, order=True)
class Problem:
    """What is wrong, and where. ``unread``: a path given or imported that was not read
    (missing, refused, of another type); what it holds is missing from the rest, so the
    ids it defines are reported unknown wherever they are used, and it is listed first."""

    location: Location
    message: str
    unread: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class IcsGraphError(Exception):
    """A problem the user can fix (bad input, a bad option, a store or query that cannot
    run); its message is written for them. Not raised itself: one of its kinds is."""


@dataclass
class InputError(IcsGraphError):
    """One or more problems in the input files; nothing was produced."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in sorted(self.problems))


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A suffix such as `` (did you mean 'nhn-icb'?)`` or an empty string."""
    import difflib  # only when a name was not found

    pool = sorted(set(candidates))
    close = difflib.get_close_matches(word, pool, n=3, cutoff=0.6)
    if close:  # keep only those as good as the best, so the hint stays short
        score = lambda c: difflib.SequenceMatcher(None, word, c).ratio()
        best = score(close[0])
        close = [c for c in close if score(c) >= best - 0.02]
    if not close:
        lowered = {c.lower(): c for c in candidates}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"


class UsageError(IcsGraphError):
    """An option or argument that cannot be used as given (an unknown format, a date
    that is no date, an output that would overwrite an input)."""


class StoreError(IcsGraphError):
    """A store that cannot be opened, reached or written (a missing folder, an endpoint
    that is down or answers with an error)."""


class QueryRefused(StoreError):
    """A SPARQL endpoint that answered a query with an error of its own (HTTP 400 or 500:
    its compiler or optimiser cannot take the query), where another engine may run the
    same query: unlike an endpoint that cannot be reached, or refuses who is calling, it
    holds the graph and answers other queries. ``reason`` is what it said, shortened."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class QueryError(IcsGraphError):
    """A SPARQL query that cannot run as given: a syntax error, an update where only a
    read is allowed, a federated query, or one that failed in the engine."""


class ReasoningError(IcsGraphError):
    """The reasoner could not give an answer (Java missing, HermiT failing): not a
    verdict on the mapping."""


_UNSAFE_ON_A_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """A whole message as a terminal may show it: control characters (carriage return
    too, which would overwrite the line) and direction overrides escaped, line feeds and
    tabs kept. The last guard before a message is written, whatever built it (a value
    from a configuration file, a sheet name, a rule header)."""
    return _UNSAFE_ON_A_TERMINAL.sub(lambda found: repr(found.group())[1:-1], text)
