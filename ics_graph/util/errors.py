"""Input problems: what is wrong, where (file:line:col or sheet!cell), and what was meant.

Loading collects every problem of a run before failing, so a user fixes them all in one
pass instead of one per run. The CLI turns :class:`InputError` into exit code 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

__all__ = ["Location", "Problem", "InputError", "StoreError", "did_you_mean"]


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
    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass
class InputError(Exception):
    """One or more problems in the input; nothing was produced."""

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
        score = lambda c: difflib.SequenceMatcher(None, word, c).ratio()  # noqa: E731
        best = score(close[0])
        close = [c for c in close if score(c) >= best - 0.02]
    if not close:
        lowered = {c.lower(): c for c in candidates}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"


class StoreError(Exception):
    """A store that cannot be opened, reached or written (a missing folder, an endpoint
    that is down or answers with an error). The CLI reports it and exits 2."""
