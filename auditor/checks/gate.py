"""Which of many Python patterns may match in a text: their translations (`hsregex`) compiled together
into one Hyperscan database (`hsdb`), scanned in one pass.

The two halves stay apart: `hsregex` only translates a pattern (and knows nothing of databases), `hsdb`
only compiles and keeps databases (and knows nothing of where their expressions come from).
"""

from __future__ import annotations

from typing import Any

from auditor.checks.hsregex import Untranslatable, code_digest, translate_apart
from auditor.checks.window import Regions


class Gate:
    """Which of many Python patterns can match somewhere in a text, or (`every`) where their matches
    can end: one Hyperscan pass over its UTF-8 bytes, compiled on first use. With Hyperscan
    unavailable, or a pattern it cannot take, None is returned ("any of them, anywhere")."""

    def __init__(self, patterns: list[tuple[str, int]], every: bool = False) -> None:
        self._patterns = patterns
        self._every = every
        self._database: Any = None
        self._compiled = False

    def matches(self, data: bytes) -> set[int] | None:
        """The positions of the patterns that may match in `data`; None for "any of them"."""
        database = self._database if self._compiled else self._compile()
        if database is None:
            return None
        matched: set[int] = set()
        database.scan(data, match_event_handler=lambda i, *_: matched.add(i))
        return matched

    def regions(self, data: bytes) -> dict[int, list[tuple[int, int]]] | None:
        """For each pattern that may match in `data`, by position and in pattern order, the regions of
        `data` (`window.Regions`) around every offset where one of its matches may end; a pattern that
        cannot match is left out, so a text that matches few patterns costs little however many there
        are. None for "any of them, anywhere" (needs `every`)."""
        database = self._database if self._compiled else self._compile()
        if database is None:
            return None
        found: dict[int, Regions] = {}

        def on_match(i: int, _start: int, end: int, *_: Any) -> None:
            regions = found.get(i)
            if regions is None:
                regions = found[i] = Regions()
            regions.add(end)

        database.scan(data, match_event_handler=on_match)
        return {i: found[i].finish() for i in sorted(found)}

    def _compile(self) -> Any:
        self._database = self._build()
        self._compiled = True  # only now: a thread that finds it set finds the database too
        return self._database

    def _build(self) -> Any:
        from auditor.checks import hsdb  # Hyperscan is loaded when the first text is scanned

        if hsdb.hyperscan is None or not self._patterns:
            return None
        hs = hsdb.hyperscan
        flags = hs.HS_FLAG_PREFILTER | hs.HS_FLAG_MULTILINE | hs.HS_FLAG_ALLOWEMPTY
        if not self._every:
            flags |= hs.HS_FLAG_SINGLEMATCH
        patterns = self._patterns

        def build() -> tuple[list[bytes], list[int], list[int]]:  # a pattern may give several expressions
            expressions: list[bytes] = []
            owners: list[int] = []  # each one's id: the position of its pattern
            for position, (pattern, pattern_flags) in enumerate(patterns):
                apart = translate_apart(pattern, pattern_flags, lines=False)
                expressions.extend(expression.encode("ascii") for expression in apart)
                owners.extend([position] * len(apart))
            return expressions, [flags] * len(expressions), owners

        sources = (code_digest(), "text-every" if self._every else "text", flags, patterns)
        try:
            return hsdb.database(sources, build)
        except (Untranslatable, hsdb.CompileError):
            return None
