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

from ics_graph.model.schema import printable
from ics_graph.util.errors import Location, Problem

if TYPE_CHECKING:
    import yaml

__all__ = ["LARGEST_FILE", "MarkedList", "MarkedMap", "YamlDate", "YamlDateTime", "read_yaml", "too_large"]

_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")

#: The largest YAML file read, in bytes: composing YAML takes some 70 times its size in
#: memory, and a mapping that large is better split into files (a folder, ``imports:``).
LARGEST_FILE = 32 * 2**20


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


class YamlDate(_dt.date):
    """A date as YAML reads a plain ``2022-07-01``, remembering the text as written, so
    that a text field (``notes: 2022-07-01``) keeps it."""

    text: str

    @classmethod
    def of(cls, value: _dt.date, text: str) -> YamlDate:
        made = cls(value.year, value.month, value.day)
        made.text = text
        return made

    def __reduce_ex__(self, protocol):  # the text too (a date pickles its day alone): a value read in another process
        return (YamlDate.of, (_dt.date(self.year, self.month, self.day), self.text))


class YamlDateTime(_dt.datetime):
    """A date and time as YAML reads a plain ``2022-07-01 10:00:00``, remembering the text
    as written (a text field keeps it; a date field refuses a time of day)."""

    text: str

    @classmethod
    def of(cls, value: _dt.datetime, text: str) -> YamlDateTime:
        made = cls.combine(value.date(), value.timetz())
        made.text = text
        return made

    def __reduce_ex__(self, protocol):  # as YamlDate's
        return (YamlDateTime.of, (_dt.datetime.combine(self.date(), self.timetz()), self.text))


class MarkedMap(dict):
    """A YAML mapping: its own location and the location of each key's value."""

    location: Location
    value_locations: dict[str, Location]
    key_locations: dict[str, Location]


class MarkedList(list):
    """A YAML sequence with its location and the location of each item."""

    location: Location
    item_locations: list[Location]


_new_tuple = tuple.__new__


def _loc(path: str, node: yaml.Node) -> Location:
    mark = node.start_mark
    # Location(path, line, column) without the named tuple's keyword-taking constructor:
    # loading makes about two of these per value (a million for a national mapping)
    return _new_tuple(Location, (path, mark.line + 1, mark.column + 1, None))


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
            if len(text) == 10:
                return YamlDate.of(_dt.date.fromisoformat(text), text)
            stamp = _parser()[1].construct_yaml_timestamp(node)
        except (ValueError, AttributeError):  # 2022-13-01, "2022-07-01 10 people": text, not a timestamp
            return text
        return YamlDateTime.of(stamp, text) if isinstance(stamp, _dt.datetime) else YamlDate.of(stamp, text)
    if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        try:
            return int(text.replace("_", "")) if tag.endswith("int") else float(text.replace("_", ""))
        except ValueError:
            return text
    problems.append(Problem(_loc(path, node), f"unsupported YAML tag '{tag}'"))
    return None


def too_large(size: int) -> str:
    """The message for a YAML file of ``size`` bytes over :data:`LARGEST_FILE`."""
    return (
        f"this YAML file is {size / 2**20:.1f} MiB, larger than the limit of {LARGEST_FILE // 2**20} MiB "
        "for one file: split the mapping into several files (in a folder, or with imports:)"
    )


def read_yaml(text: str, path: str) -> tuple[Any, list[Problem]]:
    """Parse one YAML document; returns ``(value, problems)``. Never executes tags, and
    refuses text over :data:`LARGEST_FILE` bytes (in UTF-8) before parsing it."""
    import yaml

    if len(text) > LARGEST_FILE // 4 and len(text.encode("utf-8")) > LARGEST_FILE:
        return None, [Problem(Location(path), too_large(len(text.encode("utf-8"))))]

    try:
        root = yaml.compose(text, Loader=_parser()[0])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
        return None, [Problem(where, f"malformed YAML: {printable(str(exc.problem or exc.context), 300)}")]
    except yaml.YAMLError as exc:  # e.g. several documents in one file
        return None, [Problem(Location(path, 1, 1), f"malformed YAML: {printable(str(exc), 300)}")]
    if root is None:
        return None, []
    problems: list[Problem] = []
    seen: set[int] = set()
    scalar_node = yaml.ScalarNode

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
        if node.__class__ is scalar_node:  # most nodes: asked first
            return _scalar(node, path, problems)
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
                            f"duplicate key '{printable(key)}' (first at line {result.key_locations[key].line})",
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
