"""YAML loading that remembers line numbers, so a mistake can name the file, the line and the field."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from auditor import localfile
from auditor.errors import RuleError


class Node(dict[str, Any]):
    """A YAML mapping that knows where it and each of its keys stand in the file."""

    line: int = 0
    key_lines: dict[str, int]


if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
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


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


MAX_NODES = 100_000  # nodes in a document once its aliases are expanded (the default packs: ~2,000)


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes `root` stands for once every alias is expanded, counted without expanding: an alias
    is the very node object its anchor made, so each node's size is computed once. A node that contains
    itself (`&a [*a]`) is refused."""
    sizes: dict[int, int] = {}
    pending: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in pending:
            raise RuleError(f"line {node.start_mark.line + 1}: a YAML alias refers to a node that contains it")
        pending.add(key)
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(item) for item in node.value)
        else:
            total = 1
        pending.discard(key)
        sizes[key] = min(total, MAX_NODES + 1)  # saturate: a bomb's true size has hundreds of digits
        return sizes[key]

    return size(root)


def _parse(text: str) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_NODES:
            raise RuleError(f"line {node.start_mark.line + 1}: more than {MAX_NODES} values once its YAML "
                            "aliases are expanded; refused (an alias bomb?)")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load(path: str, data: bytes | None = None) -> Any:
    """Parse a YAML file; any problem is a RuleError naming the file (and line where known). Only a
    regular file of at most MAX_TEXT_BYTES is read, and a document whose aliases expand to more than
    MAX_NODES values is refused, so neither `/dev/zero` nor an alias bomb can exhaust memory. `data`: the
    file's bytes when the caller has read them already (so what it checked is what is parsed)."""
    if data is None:
        data = localfile.read_bytes(path, localfile.MAX_TEXT_BYTES, RuleError)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleError(f"{path}: cannot read ({exc})") from None
    try:
        return _parse(text)
    except RecursionError:
        raise RuleError(f"{path}: nested too deeply; refused") from None
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
