"""The one area tree: which areas each area is part of, walked without recursion.

Every question about footprints (what covers an area, what lies inside it, which system
it is in) walks ``ics:partOf``; this is the one place that does, for queries, the
impact dry run, the decisions map and the interactive page alike. An area normally has
one parent; should a mapping give it several, every walk follows all of them, in sorted
order, so answers never depend on the order the store returns rows in.
"""

from __future__ import annotations

from collections.abc import Iterable

from ics_graph.model.graph import Mapping

__all__ = ["AreaTree"]


class AreaTree:
    """Areas and what each is part of.

    >>> tree = AreaTree([("north", "shire"), ("shire", "midlands"), ("n1", "north")])
    >>> tree.ancestors("n1")
    ['n1', 'north', 'shire', 'midlands']
    >>> sorted(tree.inside("shire"))
    ['n1', 'north', 'shire']
    """

    def __init__(self, links: Iterable[tuple[str, str]]):
        parents: dict[str, set[str]] = {}
        children: dict[str, set[str]] = {}
        for part, whole in links:
            parents.setdefault(part, set()).add(whole)
            children.setdefault(whole, set()).add(part)
        self.parents = {area: sorted(found) for area, found in parents.items()}
        self.children = {area: sorted(found) for area, found in children.items()}
        self._ancestors: dict[str, tuple[str, ...]] = {}  # the tree does not change: walk each area once

    #: The links of the tree, as a query (for those that fetch it with others: see from_rows).
    QUERY = "SELECT ?area ?parent WHERE { ?area ics:partOf ?parent }"

    @classmethod
    def of(cls, mapping: Mapping) -> AreaTree:
        """The tree the mapping states with ``ics:partOf``."""
        return cls.from_rows(mapping.select(cls.QUERY))

    @classmethod
    def from_rows(cls, rows: Iterable[dict]) -> AreaTree:
        """The tree of the rows of :attr:`QUERY`."""
        return cls((row["area"], row["parent"]) for row in rows)

    def parent(self, area: str) -> str | None:
        """What ``area`` is directly part of (the first, if a mapping gives several)."""
        found = self.parents.get(area)
        return found[0] if found else None

    def ancestors(self, area: str) -> list[str]:
        """``area`` and every area it is part of, nearest first; each once, so a loop in
        the data ends the walk instead of running forever."""
        found = self._ancestors.get(area)
        if found is None:
            found = self._ancestors[area] = tuple(_walk(area, self.parents))
        return list(found)

    def containing(self, areas: Iterable[str]) -> set[str]:
        """``areas`` and every area any of them is part of: each area walked once, however
        many of ``areas`` it contains.

        >>> sorted(AreaTree([("n1", "north"), ("n2", "north"), ("north", "shire")]).containing(["n1", "n2"]))
        ['n1', 'n2', 'north', 'shire']
        """
        found: set[str] = set()
        for start in areas:
            walk = [start]
            while walk:
                area = walk.pop()
                if area not in found:
                    found.add(area)
                    walk.extend(self.parents.get(area, ()))
        return found

    def inside(self, area: str) -> set[str]:
        """``area`` and every area (transitively) part of it."""
        return set(_walk(area, self.children))

    def areas(self) -> set[str]:
        """Every area that is part of another or has parts."""
        return set(self.parents) | set(self.children)


def _walk(start: str, links: dict[str, list[str]]) -> list[str]:
    """``start`` and what is reachable from it along ``links``, breadth first."""
    found, seen, index = [start], {start}, 0
    while index < len(found):
        for nxt in links.get(found[index], ()):
            if nxt not in seen:
                seen.add(nxt)
                found.append(nxt)
        index += 1
    return found
