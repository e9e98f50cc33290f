"""Which lines detect-secrets can find anything on: one Hyperscan pass, not every plugin on every line.

Every detect-secrets plugin finds secrets by running regular expressions over one (right-stripped) line.
A line on which none of those expressions can match yields nothing, so it need not be fed to the
plugins. The expressions are translated (`hsregex.translate`) into wider byte-mode expressions that
match wherever Python's could, non-ASCII characters included, and compiled together into one Hyperscan
database in prefilter mode (which widens further, never narrows). The text is scanned once; each match
end marks its line and the plugin the expression belongs to, and only those plugins run on it.

Entropy plugins get a tighter, still exact, expression (`entropy_run`): a string of n distinct characters
has at most log2(n) bits of entropy, so one with no more than 2**limit can never pass the plugin's limit.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Collection, Iterable
from typing import Any

from auditor.checks import hsdb, newlines
from auditor.checks.hsregex import LINES_REPEAT_CAP, Untranslatable, code_digest, translate
from auditor.checks.window import Regions

try:
    import hyperscan
except ImportError:  # pragma: no cover - a declared dependency; without it every line is a candidate
    hyperscan = None  # type: ignore[assignment]


_HEX = frozenset("0123456789abcdefABCDEF")


def fewest_distinct(limit: float) -> int:
    """The fewest distinct characters a string needs for its Shannon entropy to exceed `limit` bits."""
    return math.floor(2 ** limit) + 1


def entropy_run(charset: str, distinct: int, loose: bool = False) -> str:
    """An expression for every run of `charset` characters that can hold `distinct` distinct ones: at
    least `distinct` long and, when the charset's hex digits are fewer than `distinct` (base64's 22 of
    68), holding one character that is not one (a hash in hex can never pass the base64 plugin). Exact
    for both: the first such character follows exactly i others (i < distinct - 1) and has at least
    distinct - 1 - i after it, or follows distinct - 1 or more. A shorter run (most quoted strings: keys,
    words, escapes) is never a candidate.

    `loose`: a shorter expression, for a caller that counts the characters itself (Hyperscan scans it
    faster inside a larger expression): a run holding such a character with k = (distinct - 1) // 2 of
    the charset before or after it, which every run of the exact expression holds."""
    chars = "[" + "".join(re.escape(c) for c in sorted(set(charset))) + "]"
    common = _HEX & set(charset)
    rare = "".join(re.escape(c) for c in sorted(set(charset) - common))
    if not rare or len(common) >= distinct:
        return _at_least(chars, distinct)
    odd = f"[{rare}]"
    if loose:
        k = (distinct - 1) // 2
        return f"(?:{chars}*{odd}{chars}{{{k},}}|{chars}{{{k},}}{odd}{chars}*)"
    # the run's first such character: the ones before it are hex digits, so that each run is read one way
    # (the same runs as with any character of the charset before it; Hyperscan scans this one faster)
    hex_digits = "[" + "".join(re.escape(c) for c in sorted(common)) + "]"
    branches = [_exactly(hex_digits, i) + odd + _at_least(chars, distinct - 1 - i) for i in range(distinct - 1)]
    return "(?:" + "|".join([*branches, _at_least(hex_digits, distinct - 1) + odd + chars + "*"]) + ")"


def _exactly(atom: str, count: int) -> str:
    """`atom` `count` times, counted in pieces of at most LINES_REPEAT_CAP (which the translation of a line
    prefilter keeps exact)."""
    full, rest = divmod(count, LINES_REPEAT_CAP)
    return f"{atom}{{{LINES_REPEAT_CAP}}}" * full + (f"{atom}{{{rest}}}" if rest else "")


def _at_least(atom: str, count: int) -> str:
    """`atom` `count` or more times, counted as `_exactly` does."""
    head = max(count - LINES_REPEAT_CAP, 0)
    return _exactly(atom, head) + f"{atom}{{{count - head},}}"


def plugin_patterns(plugins: Iterable[Any], mute: Collection[str] = ()) -> list[tuple[int, str, int]]:
    """(plugin position, pattern, re flags) for every expression the plugins run on a line; none for a
    plugin whose class is named in `mute`: one that the session's filters never let report
    (`auditor.checks.secrets.muted_plugins`), so that its lines are no candidates."""
    out: list[tuple[int, str, int]] = []
    for position, plugin in enumerate(plugins):
        if type(plugin).__name__ in mute:
            continue
        if hasattr(plugin, "entropy_limit") and hasattr(plugin, "charset"):
            run = entropy_run(str(plugin.charset), fewest_distinct(float(plugin.entropy_limit)))
            out.append((position, f"['\"]{run}['\"]", 0))
        elif type(plugin).__name__ == "KeywordDetector":  # its expressions are its module's tables
            keyword = sys.modules[type(plugin).__module__]
            tables = [*keyword.REGEX_BY_FILETYPE.values(), keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP]
            for regex in sorted({r for table in tables for r in table}, key=lambda r: r.pattern):
                out.append((position, regex.pattern, regex.flags))
        elif hasattr(plugin, "denylist"):
            out.extend((position, regex.pattern, regex.flags) for regex in plugin.denylist)
        else:
            raise ValueError(f"no known expressions for plugin {type(plugin).__name__}")
    return out


Patterns = list[tuple[int, str, int]]  # (plugin position, pattern, re flags), as `plugin_patterns` gives them


class Prefilter:
    """Candidate lines for a set of detect-secrets plugins, and which plugins can match on each."""

    def __init__(self, plugins: Iterable[Any], mute: Collection[str] = ()) -> None:
        try:
            patterns: Patterns | None = plugin_patterns(plugins, mute)
            reason = ""
        except ValueError as exc:
            patterns, reason = None, str(exc)
        self._setup(patterns, reason)

    @classmethod
    def from_patterns(cls, patterns: Patterns) -> Prefilter:
        """The prefilter of plugins whose expressions (`plugin_patterns`) are known already, e.g. kept in
        the user's cache: it needs no plugin object, so detect-secrets need not be imported to find that
        a text holds no candidate line. The same patterns give the same (cached) database."""
        prefilter = cls.__new__(cls)
        prefilter._setup([(int(position), str(pattern), int(flags)) for position, pattern, flags in patterns], "")
        return prefilter

    def _setup(self, patterns: Patterns | None, reason: str) -> None:
        self.database = None
        self.reason = reason
        self.patterns = patterns  # None: unknown (no database, every line is a candidate)
        self.owner: list[int] = []  # pattern id -> position of its plugin
        if hyperscan is None:
            self.reason = "hyperscan is not installed"
            return
        if patterns is None:
            return
        self.owner = [position for position, _, _ in patterns]
        if not patterns:
            self.reason = "no plugins"
            return
        hs_flags = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_ALLOWEMPTY

        def build() -> tuple[list[bytes], list[int], list[int]]:
            count = len(patterns)
            return [translate(p, f).encode("ascii") for _, p, f in patterns], [hs_flags] * count, list(range(count))

        try:
            self.database = hsdb.database((code_digest(), "lines", hs_flags, patterns), build)
        except (Untranslatable, hsdb.CompileError) as exc:  # not for Hyperscan: scan every line
            self.reason = f"hyperscan cannot take a plugin pattern ({exc})"

    def candidates(self, blob: bytes) -> list[tuple[int, set[int] | None, int]]:
        """(line index, positions of the plugins that may match there or None for all, a byte offset in
        that line), in line order, for UTF-8 text whose lines end in `\\n`.

        Lines are scanned as they are (a translated `$` allows the trailing whitespace that plugins,
        which see each line right-stripped, do not).
        """
        if self.database is None:
            return [(i, None, offset) for i, offset in enumerate(line_starts(blob))]
        marked: dict[int, tuple[set[int] | None, int]] = {}
        owner = self.owner
        before = newlines.of(blob).before

        def on_match(pattern: int, _start: int, end: int, _flags: int, _context: Any) -> None:
            last = max(end - 1, 0)
            line = before(last)
            plugins = marked.setdefault(line, (set(), last))[0]
            if plugins is not None:
                plugins.add(owner[pattern])

        self.database.scan(blob, match_event_handler=on_match)
        return [(line, plugins, offset) for line, (plugins, offset) in sorted(marked.items())]


    def windows(self, line: bytes, regions: Regions) -> list[tuple[int, int]] | None:
        """`regions` (`window.Regions`) filled with every offset of one line where a plugin expression
        may match, finished; None without a database (anywhere)."""
        if self.database is None:
            return None
        add = regions.add
        self.database.scan(line, match_event_handler=lambda _pattern, _start, end, *_: add(end))
        return regions.finish()


def line_starts(blob: bytes) -> list[int]:
    """The byte offset of every line of `blob` (lines end in `\\n`; a last one may not)."""
    starts, offset = [], 0
    while offset < len(blob):
        starts.append(offset)
        offset = blob.find(b"\n", offset) + 1 or len(blob)
    return starts
