"""`waste` rules: bytes that ship in a layer but are hidden in the final filesystem."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.checks.interface import EntryCheck
from auditor.model import Entry, Kind, Rule


class WasteCheck(EntryCheck):
    """A finding for each hidden file of at least `min_size` bytes (removed with its directory too)."""

    def __init__(self, rules: list[Rule]) -> None:
        self._rules = list(rules)

    def warm(self) -> None:
        """Nothing to compile: sizes and fates only."""

    def match(self, entry: Entry) -> Iterator[Rule]:
        if entry.kind is not Kind.FILE or not entry.status.hidden:
            return
        for rule in self._rules:
            if entry.size >= rule.params.get("min_size", 0):
                yield rule
