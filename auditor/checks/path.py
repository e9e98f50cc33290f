"""`path` rules: globs on the in-image path, limited by entry type, size and status."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from re import Pattern

from auditor import globs
from auditor.checks.gate import Gate
from auditor.checks.interface import EntryCheck, Scoped
from auditor.model import Entry, Rule


class _Globs(Scoped):
    """One rule's globs (its scope), compiled when the gate first lets an entry through to them; `source`
    is its paths' expression, which the gate is built from."""

    def __init__(self, rule: Rule, include: str) -> None:
        super().__init__(rule)
        self.source = include

    @cached_property
    def include(self) -> Pattern[str]:
        return re.compile(self.source, globs.FLAGS)


class PathCheck(EntryCheck):
    """Matches entries against every `path` rule."""

    def __init__(self, rules: list[Rule]) -> None:
        self._compiled = []
        for rule in rules:
            include = globs.globs_regex(rule.paths)
            if include is not None:
                self._compiled.append(_Globs(rule, include))
        self._gate = Gate([(c.source, globs.FLAGS) for c in self._compiled])

    def warm(self) -> None:
        self._gate.matches(b"")  # compiled databases are kept by their patterns: a later PathCheck finds it

    def match(self, entry: Entry) -> Iterator[Rule]:
        """The rules matching `entry`; one Hyperscan pass over its path picks the globs worth trying."""
        gated = self._gate.matches(entry.path.encode("utf-8", "surrogatepass")) if self._compiled else set()
        for index in range(len(self._compiled)) if gated is None else sorted(gated):  # rule order either way
            c = self._compiled[index]
            rule = c.rule
            if entry.kind not in rule.types or not rule.applies_to_status(entry.status):
                continue
            if entry.size < rule.params.get("min_size", 0):
                continue
            if c.wants(entry.path):
                yield rule
