"""`path` rules: globs on the in-image path, limited by entry type, size and status."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from re import Pattern

from auditor.checks.gate import Gate
from auditor.checks.interface import EntryCheck
from auditor.globs import compile_globs
from auditor.model import Entry, Rule


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    include: Pattern[str]
    exclude: Pattern[str] | None


class PathCheck(EntryCheck):
    """Matches entries against every `path` rule."""

    def __init__(self, rules: list[Rule]) -> None:
        self._compiled = []
        for rule in rules:
            include = compile_globs(rule.paths)
            if include is not None:
                self._compiled.append(_Compiled(rule, include, compile_globs(rule.exclude)))
        self._gate = Gate([(c.include.pattern, c.include.flags) for c in self._compiled])

    def match(self, entry: Entry) -> Iterator[Rule]:
        """The rules matching `entry`; one Hyperscan pass over its path picks the globs worth trying."""
        gated = self._gate.matches(entry.path.encode("utf-8", "surrogatepass")) if self._compiled else set()
        for index, c in enumerate(self._compiled):
            if gated is not None and index not in gated:
                continue
            rule = c.rule
            if entry.kind not in rule.types or not rule.applies_to_status(entry.status):
                continue
            if entry.size < rule.params.get("min_size", 0):
                continue
            if c.include.match(entry.path) and not (c.exclude and c.exclude.match(entry.path)):
                yield rule
