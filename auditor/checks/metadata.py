"""Image metadata: Env, Labels, Cmd, Entrypoint and each history `created_by` (where build args show)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from auditor.checks.interface import Item, ItemCheck
from auditor.checks.window import search
from auditor.model import Rule

BUILD_ARGS = re.compile(r"^(?:RUN )?\|(\d+) ")  # classic builder, and BuildKit's `RUN |N ... # buildkit`


def _build_args(created_by: str) -> list[tuple[str, str]]:
    """Build args the classic builder records as `|N K=V ... /bin/sh -c ...`."""
    match = BUILD_ARGS.match(created_by)
    if not match:
        return []
    words = created_by[match.end():].split(" ")
    out = []
    for word in words[: int(match.group(1))]:
        key, sep, value = word.partition("=")
        if sep:
            out.append((key, value))
    return out


def items(config: dict[str, Any]) -> Iterator[Item]:
    """Every metadata item of an image config, in a stable order."""
    inner = config.get("config")
    if not isinstance(inner, dict):
        inner = {}
    env = inner.get("Env")
    for entry in env if isinstance(env, list) else []:
        if isinstance(entry, str):
            key, _, value = entry.partition("=")
            yield Item("env", "config.Env", key, value)
    labels = inner.get("Labels")
    if isinstance(labels, dict):
        for key, value in labels.items():
            yield Item("labels", "config.Labels", str(key), str(value))
    for field_name, where in (("Cmd", "cmd"), ("Entrypoint", "entrypoint")):
        words = inner.get(field_name)
        if isinstance(words, list) and words:
            yield Item(where, f"config.{field_name}", None, " ".join(str(v) for v in words))
    history = config.get("history")
    if isinstance(history, list):
        for index, entry in enumerate(history):
            created_by = entry.get("created_by") if isinstance(entry, dict) else None
            if not isinstance(created_by, str):
                continue
            location = f"history[{index}].created_by"
            for key, value in _build_args(created_by):
                yield Item("history", location, key, value)
            yield Item("history", location, None, created_by)


class MetadataCheck(ItemCheck):
    """`metadata` rules: a name pattern (for keyed items) and/or a value pattern, searched in bounded
    regions of a long key or value (`window.search`)."""

    def __init__(self, rules: list[Rule]) -> None:
        self._rules = []
        for rule in rules:
            name = re.compile(rule.params["name"], re.IGNORECASE) if rule.params.get("name") else None
            value = re.compile(rule.params["value"]) if rule.params.get("value") else None
            allow = [re.compile(a) for a in rule.params.get("allow") or ()]
            self._rules.append((rule, name, value, allow))

    def match(self, item: Item) -> Iterator[Rule]:
        for rule, name, value, allow in self._rules:
            if item.where not in rule.params["where"]:
                continue
            if name is not None and (item.key is None or not search(name, item.key)):
                continue
            if value is not None and not search(value, item.value):
                continue
            if not item.value.strip() or any(search(a, item.value) for a in allow):
                continue
            yield rule
