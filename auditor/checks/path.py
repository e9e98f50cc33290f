"""`path` rules: globs on the in-image path, limited by entry type, size and status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Pattern

from auditor.globs import compile_globs
from auditor.model import Entry
from auditor.rules import Rule


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    include: Pattern[str]
    exclude: Pattern[str] | None


class PathCheck:
    """Matches entries against every `path` rule."""

    def __init__(self, rules: list[Rule]) -> None:
        self._compiled = []
        for rule in rules:
            include = compile_globs(rule.paths)
            if rule.kind == "path" and include is not None:
                self._compiled.append(_Compiled(rule, include, compile_globs(rule.exclude)))

    def match(self, entry: Entry) -> Iterator[Rule]:
        for c in self._compiled:
            rule = c.rule
            if entry.kind not in rule.types or not rule.applies_to_status(entry.status):
                continue
            if entry.size < rule.params.get("min_size", 0):
                continue
            if c.include.match(entry.path) and not (c.exclude and c.exclude.match(entry.path)):
                yield rule
