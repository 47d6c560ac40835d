"""Safe YAML reading that remembers where every value came from.

PyYAML's safe loader builds plain Python values and forgets positions. Findings and
errors must point at ``file:line:col``, so we compose the node tree (the C composer
when available) and build values ourselves, keeping the position of every mapping and
of each key's value. Only the YAML core schema is accepted: no Python object tags,
no aliases (they make "billion laughs" expansion possible and are never needed in a
mapping), no duplicate keys (PyYAML would silently keep the last one).
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from typing import TYPE_CHECKING, Any

from ics_graph.util.errors import Location, Problem

if TYPE_CHECKING:
    import yaml

__all__ = ["MarkedList", "MarkedMap", "read_yaml"]

_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


@functools.cache
def _parser() -> tuple[Any, Any]:
    """PyYAML's composer with its resolver cut short, and its safe constructor (for
    timestamps): made on first use, so commands that read no YAML never import PyYAML.

    The base loader composes without resolving implicit tags; :func:`_scalar` resolves
    plain scalars itself (the same YAML 1.1 rules as the safe loader, as a few direct
    tests). Its resolver gives the one answer it can (no implicit resolvers are
    registered on it): the composer asks once per node, so the generic lookup would be
    paid for on every node of a large file."""
    import yaml

    base = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    default_tags = {
        yaml.ScalarNode: "tag:yaml.org,2002:str",
        yaml.SequenceNode: "tag:yaml.org,2002:seq",
        yaml.MappingNode: "tag:yaml.org,2002:map",
    }

    class Loader(base):  # type: ignore[valid-type,misc]
        def resolve(self, kind: type, value: Any, implicit: Any) -> str:
            return default_tags[kind]

    return Loader, yaml.constructor.SafeConstructor()


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


_BOOLEANS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9].*)?$")


def _resolve_plain(text: str) -> str:
    if not text or text in ("~", "null", "Null", "NULL"):
        return "tag:yaml.org,2002:null"
    first = text[0]
    if first.isalpha() and text.lower() in _BOOLEANS and text in (text.lower(), text.title(), text.upper()):
        return "tag:yaml.org,2002:bool"
    if first.isdigit() or first in "-+.":
        if _DATE.match(text):
            return "tag:yaml.org,2002:timestamp"
        if _INT.match(text):
            return "tag:yaml.org,2002:int"
        if _FLOAT.match(text) and any(ch.isdigit() for ch in text):
            return "tag:yaml.org,2002:float"
    return "tag:yaml.org,2002:str"


def _scalar(node: yaml.ScalarNode, path: str, problems: list[Problem]) -> Any:
    """A scalar's value from the tag the composer resolved (YAML 1.1 core schema, as
    PyYAML's safe loader), without PyYAML's slower generic constructor."""
    tag, text = node.tag, node.value
    if not node.style and tag == "tag:yaml.org,2002:str":  # plain scalar (style None or ""): resolve
        tag = _resolve_plain(text)
    if tag == "tag:yaml.org,2002:str":
        return text
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return _BOOLEANS[text.lower()]
    if tag == "tag:yaml.org,2002:timestamp":
        try:
            return _dt.date.fromisoformat(text) if len(text) == 10 else _parser()[1].construct_yaml_timestamp(node)
        except ValueError:  # e.g. 2022-13-01 looks like a date but is not one
            return text
    if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        try:
            return int(text.replace("_", "")) if tag.endswith("int") else float(text.replace("_", ""))
        except ValueError:
            return text
    problems.append(Problem(_loc(path, node), f"unsupported YAML tag '{tag}'"))
    return None


def read_yaml(text: str, path: str) -> tuple[Any, list[Problem]]:
    """Parse one YAML document; returns ``(value, problems)``. Never executes tags."""
    import yaml

    try:
        root = yaml.compose(text, Loader=_parser()[0])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
        return None, [Problem(where, f"malformed YAML: {exc.problem or exc.context}")]
    except yaml.YAMLError as exc:  # e.g. several documents in one file
        return None, [Problem(Location(path, 1, 1), f"malformed YAML: {exc}")]
    if root is None:
        return None, []
    problems: list[Problem] = []
    seen: set[int] = set()

    def build(node: yaml.Node) -> Any:
        if id(node) in seen:
            problems.append(
                Problem(
                    _loc(path, node),
                    "this value is reused through a YAML alias (*name); aliases are not supported, write the value out",
                )
            )
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
                    problems.append(
                        Problem(
                            _loc(path, key_node),
                            f"duplicate key '{key}' (first at line {result.key_locations[key].line})",
                        )
                    )
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
        assert isinstance(node, yaml.ScalarNode)  # the composer makes only these three kinds of node
        return _scalar(node, path, problems)

    return build(root), problems
