"""Which lines detect-secrets can find anything on: one Hyperscan pass, not every plugin on every line.

Every detect-secrets plugin finds secrets by running regular expressions over one (right-stripped) line.
A line on which none of those expressions can match yields nothing, so it need not be fed to the
plugins. The expressions are compiled together into one Hyperscan database in *prefilter* mode, which
guarantees no false negatives (constructs Hyperscan cannot run exactly, such as back-references and
look-arounds, are widened, never narrowed). The joined text is scanned once; each reported match end
marks its line and the plugin the expression belongs to, and only those plugins run on it. Lines that
Hyperscan's ASCII mode could read differently from Python's `re` go to every plugin: non-ASCII lines
(Python's `\\w`, `\\d`, `\\s` and case folding are Unicode-aware; Hyperscan's UTF-8 mode compiles these
expressions 50 times slower) and lines holding the control characters Python counts as `\\s` (\\x1c-\\x1f).

Entropy plugins get a tighter, still exact, expression: a string of n characters has at most log2(n)
bits of entropy, so one shorter than 2**limit can never pass the plugin's limit.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from itertools import accumulate
from typing import Any, Iterable

try:
    import hyperscan
except ImportError:  # pragma: no cover - a declared dependency; without it every line is a candidate
    hyperscan = None  # type: ignore[assignment]

ODD_SPACE = re.compile(rb"[\x1c-\x1f]")  # ASCII characters Python's \s matches and PCRE's does not


def _verbose_to_plain(pattern: str) -> str:
    """Drop the whitespace and comments of a re.VERBOSE pattern (outside character classes)."""
    out = []
    i = 0
    in_class = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
            if pattern[i + 1:i + 2] == "]":
                out.append("]")
                i += 1
        elif c == "#":
            while i < len(pattern) and pattern[i] != "\n":
                i += 1
            continue
        elif not c.isspace():
            out.append(c)
        i += 1
    return "".join(out)


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
        except ValueError as exc:
            self.reason = str(exc)
            return
        expressions, flags = [], []
        for position, pattern, re_flags in patterns:
            self.owner.append(position)
            if re_flags & re.VERBOSE:
                pattern = _verbose_to_plain(pattern)
            if re.search(r"\\[AZz]", pattern):
                self.reason = f"pattern anchors to the text: {pattern[:40]}"
                return
            hs_flags = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_ALLOWEMPTY
            if re_flags & re.IGNORECASE:
                hs_flags |= hyperscan.HS_FLAG_CASELESS
            if re_flags & re.DOTALL:
                hs_flags |= hyperscan.HS_FLAG_DOTALL
            expressions.append(pattern.encode("utf-8"))
            flags.append(hs_flags)
        if not expressions:
            self.reason = "no plugins"
            return
        key = tuple(patterns)
        if key not in _COMPILED:
            database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            try:
                database.compile(expressions=expressions, ids=list(range(len(expressions))), flags=flags)
            except hyperscan.error as exc:  # a pattern even prefilter mode cannot take: scan every line
                self.reason = f"hyperscan cannot compile a plugin pattern ({exc})"
                return
            _COMPILED[key] = database
        self.database = _COMPILED[key]

    def candidates(self, lines: list[str]) -> list[tuple[int, set[int] | None]]:
        """(line index, positions of the plugins that may match there, or None for all), in line order."""
        if self.database is None:
            return [(i, None) for i in range(len(lines))]
        encoded = [line.rstrip().encode("utf-8", "surrogatepass") for line in lines]
        text = b"\n".join(encoded)
        starts = [0, *accumulate(len(line) + 1 for line in encoded)][:-1]
        marked: dict[int, set[int] | None] = {}
        owner = self.owner

        def on_match(pattern: int, _start: int, end: int, _flags: int, _context: Any) -> None:
            line = bisect_right(starts, max(end - 1, 0)) - 1
            plugins = marked.setdefault(line, set())
            if plugins is not None:
                plugins.add(owner[pattern])

        self.database.scan(text, match_event_handler=on_match)
        for match in ODD_SPACE.finditer(text):
            marked[bisect_right(starts, match.start()) - 1] = None
        for index, line in enumerate(lines):
            if not line.isascii():
                marked[index] = None
        return sorted(marked.items())
