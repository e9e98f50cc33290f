"""Which lines detect-secrets can find anything on: one Hyperscan pass, not every plugin on every line.

Every detect-secrets plugin finds secrets by running regular expressions over one (right-stripped) line.
A line on which none of those expressions can match yields nothing, so it need not be fed to the
plugins. The expressions are translated (`hsregex.translate`) into wider byte-mode expressions that
match wherever Python's could, non-ASCII characters included, and compiled together into one Hyperscan
database in prefilter mode (which widens further, never narrows). The text is scanned once; each match
end marks its line and the plugin the expression belongs to, and only those plugins run on it.

Entropy plugins get a tighter, still exact, expression: a string of n characters has at most log2(n)
bits of entropy, so one shorter than 2**limit can never pass the plugin's limit.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from itertools import accumulate, repeat
from typing import Any, Iterable

from auditor.checks.hsregex import Untranslatable, encode_line, translate

try:
    import hyperscan
except ImportError:  # pragma: no cover - a declared dependency; without it every line is a candidate
    hyperscan = None  # type: ignore[assignment]


def plugin_patterns(plugins: Iterable[Any]) -> list[tuple[int, str, int]]:
    """(plugin position, pattern, re flags) for every expression the plugins run on a line."""
    from detect_secrets.plugins import keyword

    out: list[tuple[int, str, int]] = []
    for position, plugin in enumerate(plugins):
        if hasattr(plugin, "entropy_limit") and hasattr(plugin, "charset"):
            shortest = max(1, math.floor(2 ** float(plugin.entropy_limit)))
            chars = re.escape(plugin.charset)
            out.append((position, f"['\"][{chars}]{{{shortest},}}['\"]", 0))
        elif type(plugin).__name__ == "KeywordDetector":
            tables = [*keyword.REGEX_BY_FILETYPE.values(), keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP]
            for regex in sorted({r for table in tables for r in table}, key=lambda r: r.pattern):
                out.append((position, regex.pattern, regex.flags))
        elif hasattr(plugin, "denylist"):
            out.extend((position, regex.pattern, regex.flags) for regex in plugin.denylist)
        else:
            raise ValueError(f"no known expressions for plugin {type(plugin).__name__}")
    return out


_COMPILED: dict[tuple[tuple[int, str, int], ...], Any] = {}  # compiled databases, reused across sessions


class Prefilter:
    """Candidate lines for a set of detect-secrets plugins, and which plugins can match on each."""

    def __init__(self, plugins: Iterable[Any]) -> None:
        self.database = None
        self.reason = ""
        self.owner: list[int] = []  # pattern id -> position of its plugin
        if hyperscan is None:
            self.reason = "hyperscan is not installed"
            return
        try:
            patterns = plugin_patterns(plugins)
            expressions = [translate(pattern, flags).encode("ascii") for _, pattern, flags in patterns]
        except (ValueError, Untranslatable) as exc:
            self.reason = str(exc)
            return
        self.owner = [position for position, _, _ in patterns]
        if not expressions:
            self.reason = "no plugins"
            return
        key = tuple(patterns)
        if key not in _COMPILED:
            database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            hs_flags = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_ALLOWEMPTY
            try:
                database.compile(expressions=expressions, ids=list(range(len(expressions))),
                                 flags=[hs_flags] * len(expressions))
            except hyperscan.error as exc:  # an expression even prefilter mode cannot take: scan every line
                self.reason = f"hyperscan cannot compile a plugin pattern ({exc})"
                return
            _COMPILED[key] = database
        self.database = _COMPILED[key]

    def candidates(self, lines: list[str]) -> list[tuple[int, set[int] | None]]:
        """(line index, positions of the plugins that may match there, or None for all), in line order.

        `lines` are scanned joined, as they are (`$` in a translated expression allows trailing
        whitespace, since plugins see each line right-stripped); one character is one scanned byte, so
        offsets in the text are offsets in the scan.
        """
        if self.database is None:
            return [(i, None) for i in range(len(lines))]
        text = "".join(lines)
        whole_lines = bool(lines) and text.count("\n") == len(lines) - 1 + lines[-1].endswith("\n") and all(
            map(str.endswith, lines[:-1], repeat("\n")))  # as `readlines` gives them
        if not whole_lines:  # lines without their newlines (a transformer's), or with newlines inside
            text = "\n".join(lines)
        ends = list(accumulate(map(len, lines) if whole_lines else (len(line) + 1 for line in lines)))
        marked: dict[int, set[int] | None] = {}
        owner = self.owner

        def on_match(pattern: int, _start: int, end: int, _flags: int, _context: Any) -> None:
            line = bisect_right(ends, max(end - 1, 0))
            plugins = marked.setdefault(line, set())
            if plugins is not None:
                plugins.add(owner[pattern])

        self.database.scan(encode_line(text), match_event_handler=on_match)
        if not whole_lines:  # Python may match across a newline inside a line; the scan never does
            for index, line in enumerate(lines):
                if "\n" in line:
                    marked[index] = None
        return sorted(marked.items())
