"""Safe YAML reading that remembers where every value came from.

PyYAML's safe loader builds plain Python values and forgets positions. Findings and
errors must point at ``file:line:col``, so we compose the node tree (the C composer
when available) and build values ourselves, keeping the position of every mapping and
of each key's value. Only the YAML core schema is accepted: no Python object tags,
no aliases (they make "billion laughs" expansion possible and are never needed in a
mapping), no duplicate keys (PyYAML would silently keep the last one).
"""

from __future__ import annotations

from typing import Any

import yaml

from .errors import Location, Problem

__all__ = ["MarkedMap", "MarkedList", "read_yaml"]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class MarkedMap(dict):
    """A YAML mapping: its own location and the location of each key's value."""

    location: Location
    value_locations: dict[str, Location]
    key_locations: dict[str, Location]


class MarkedList(list):
    """A YAML sequence with its location and the location of each item."""

    location: Location
    item_locations: list[Location]


def _loc(path: str, node: yaml.Node) -> Location:
    mark = node.start_mark
    return Location(path, mark.line + 1, mark.column + 1)


def read_yaml(text: str, path: str) -> tuple[Any, list[Problem]]:
    """Parse one YAML document; returns ``(value, problems)``. Never executes tags."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
        return None, [Problem(where, f"malformed YAML: {exc.problem or exc.context}")]
    except yaml.YAMLError as exc:  # e.g. several documents in one file
        return None, [Problem(Location(path, 1, 1), f"malformed YAML: {exc}")]
    if root is None:
        return None, []
    problems: list[Problem] = []
    constructor = yaml.constructor.SafeConstructor()
    seen: set[int] = set()

    def build(node: yaml.Node) -> Any:
        if id(node) in seen:
            problems.append(Problem(_loc(path, node), "this value is reused through a YAML alias (*name); aliases are not supported, write the value out"))
            return None
        seen.add(id(node))
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
            problems.append(Problem(_loc(path, node), f"unsupported YAML tag '{node.tag}'"))
            return None
        if isinstance(node, yaml.MappingNode):
            result = MarkedMap()
            result.location = _loc(path, node)
            result.value_locations, result.key_locations = {}, {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    problems.append(Problem(_loc(path, key_node), "YAML merge keys (<<) are not supported"))
                    continue
                key = build(key_node)
                if not isinstance(key, str):
                    key = str(key)
                if key in result:
                    problems.append(Problem(_loc(path, key_node), f"duplicate key '{key}' (first at line {result.key_locations[key].line})"))
                    continue
                result[key] = build(value_node)
                result.key_locations[key] = _loc(path, key_node)
                result.value_locations[key] = _loc(path, value_node)
            return result
        if isinstance(node, yaml.SequenceNode):
            items = MarkedList(build(child) for child in node.value)
            items.location = _loc(path, node)
            items.item_locations = [_loc(path, child) for child in node.value]
            return items
        try:
            return constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            problems.append(Problem(_loc(path, node), f"unsupported YAML value: {exc.problem}"))
            return None
        except ValueError:  # e.g. 2022-13-01 looks like a date but is not one
            return node.value

    return build(root), problems
