"""Graph algorithms that SPARQL cannot express: finding cycles and writing them out.

Pure functions over a small projection of the knowledge graph (a list of edges), with
no recursion, so a 100,000-step chain or cycle cannot hit Python's recursion limit, and
bounded work: one pass to find strongly connected components and one breadth-first
search per component, never an enumeration of all cycles.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

__all__ = ["Cycle", "find_cycles", "shortest_cycle_through", "strongly_connected_components"]


@dataclass(frozen=True)
class Cycle:
    """A strongly connected component with at least one cycle.

    ``members`` are the component's nodes, sorted; ``path`` is a shortest cycle
    through the smallest member, written out with the start repeated at the end.
    """

    members: tuple
    path: tuple


def strongly_connected_components(successors: dict[Hashable, list]) -> list[list]:
    """Strongly connected components of a directed graph, iteratively.

    Tarjan's algorithm (Tarjan 1972, "Depth-first search and linear graph algorithms")
    with an explicit stack instead of recursion, as networkx does after Nuutila (1994).
    ``successors`` maps each node to its successors; every node must be a key.

    >>> sorted(map(sorted, strongly_connected_components({1: [2], 2: [1, 3], 3: []})))
    [[1, 2], [3]]
    """
    index: dict = {}
    low: dict = {}
    on_stack: set = set()
    stack: list = []
    components: list[list] = []
    counter = 0
    for root in successors:
        if root in index:
            continue
        work = [(root, iter(successors[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(successors[child])))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def shortest_cycle_through(start, successors: dict[Hashable, list], within: set) -> tuple:
    """A shortest cycle from ``start`` back to itself using only nodes in ``within``,
    by breadth-first search (ties broken by sorted successor order, so the answer is
    deterministic). Returns ``()`` if there is none.

    >>> shortest_cycle_through("a", {"a": ["b"], "b": ["c", "a"], "c": ["a"]}, {"a", "b", "c"})
    ('a', 'b', 'a')
    """
    parent: dict = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(successors.get(node, ())):
            if child not in within:
                continue
            if child == start:
                path = [start]
                while node is not None:
                    path.append(node)
                    node = parent[node]
                return tuple(reversed(path))
            if child not in parent:
                parent[child] = node
                queue.append(child)
    return ()


def find_cycles(edges: Iterable[tuple]) -> list[Cycle]:
    """Every strongly connected component that contains a cycle (including a node that
    depends on itself), each once, with one shortest cycle written out.

    >>> [c.path for c in find_cycles([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])]
    [('a', 'b', 'c', 'a')]
    """
    successors: dict = defaultdict(list)
    self_loops = set()
    for source, target in edges:
        successors[source].append(target)
        successors.setdefault(target, [])
        if source == target:
            self_loops.add(source)
    cycles = []
    for component in strongly_connected_components(dict(successors)):
        if len(component) == 1 and component[0] not in self_loops:
            continue
        members = tuple(sorted(component))
        path = shortest_cycle_through(members[0], successors, set(component))
        cycles.append(Cycle(members, path))
    return sorted(cycles, key=lambda c: c.members)
