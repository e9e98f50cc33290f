"""YAML loading that remembers line numbers, so a mistake can name the file, the line and the field."""

from __future__ import annotations

from typing import Any

import yaml

from auditor.errors import RuleError


class Node(dict):  # type: ignore[type-arg]
    """A YAML mapping that knows where it and each of its keys stand in the file."""

    line: int = 0
    key_lines: dict[str, int]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's loader where it is installed (ten times faster), else the pure-Python one."""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> Node:
    loader.flatten_mapping(node)
    result = Node()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise RuleError(f"line {key_node.start_mark.line + 1}: keys must be strings, got {key!r}")
        if key in result:
            raise RuleError(f"line {key_node.start_mark.line + 1}: duplicate key '{key}'")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)  # type: ignore[arg-type]


def load(path: str) -> Any:
    """Parse a YAML file; any problem is a RuleError naming the file (and line where known)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"{path}: cannot read ({exc.strerror if isinstance(exc, OSError) else exc})") from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except RuleError as exc:
        raise RuleError(f"{path}:{exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleError(f"{path}{where}: invalid YAML ({problem})") from None


def line_of(node: Any, key: str | None = None) -> int:
    """The line of `key` in a mapping node (or of the node itself); 0 when unknown."""
    if isinstance(node, Node):
        if key is not None and key in node.key_lines:
            return node.key_lines[key]
        return node.line
    return 0
