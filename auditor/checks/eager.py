"""The lines detect-secrets' eager config-file transformer can add findings on, found without visiting
every line in Python.

The eager transformer reads a file of no known type as an INI file and gives each setting `key: value`
as `key = "value"`. Only the plugins that need a quoted value can find something on that form that they
cannot find on the raw line (every other plugin sees the same value either way): the keyword plugin,
whose expressions want a quoted value after a key naming a password or secret, the entropy plugins,
which look only at quoted strings, and any other expression that requires a quote (AWSKeyDetector's
secret key after `aws...key`). So a line is worth transforming only when its key names a keyword, its
whole value could pass an entropy plugin (all of it in the plugin's alphabet and with more distinct
characters than 2**limit: a string of n distinct characters has at most log2(n) bits of entropy), or such
an expression matches it with its required quotes made optional. Regular
expressions over the file's bytes find those lines at C speed; only they are decoded, transformed and
given to the plugins, and an entropy plugin is given a bounded number of lines per file (a file lists at
most `occurrences.MAX_PER_RULE` hits of a rule anyway; the lines past the bound are counted). An apt
index of 30 MB (every line `Key: value`, a third of them md5 sums) took a minute when every line was
transformed and given to the plugins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from auditor.checks import newlines
from auditor.checks.prefilter import Prefilter, entropy_run, fewest_distinct

_ASSIGNMENT = re.compile(r"(.*?)\s*[=:]\s*(.*)")  # configparser's option line: the first `=` or `:`
_INTERPOLATION = re.compile(r"%(?!%)")
# A character class of both quotes, not made optional: `['"]`, as a plugin's expression source writes it.
_REQUIRED_QUOTE = re.compile(r"""\[\\?['"]\\?['"]\](?![?*])""")


def eager_line(line: str) -> str:
    """One line as the eager config-file transformer gives it when that line is the whole file: a setting
    `key = value` (or `key: value`) becomes `key = "value"` (quotes around the value taken off, inner
    double quotes escaped), anything else "". A value needing interpolation (a `%` not doubled), which
    configparser refuses, gives ""; `%%` is read as `%`."""
    text = line.strip()
    if not text or text[0] in "#;[":
        return ""
    match = _ASSIGNMENT.fullmatch(text)
    if match is None or not match.group(1) or not match.group(2):
        return ""
    key, value = match.group(1), match.group(2)
    if _INTERPOLATION.search(value.replace("%%", "")):
        return ""
    value = value.replace("%%", "%")
    if value[0] in "'\"" and value[-1] == value[0] and len(value) > 1:
        value = value[1:-1]
    if not value:
        return ""
    return f'{key} = "{value.replace(chr(34), chr(92) + chr(34))}"'


def whole_file(text: str) -> list[str] | None:
    """What the eager config-file transformer gives for the whole of `text` (its transformed line at each
    line's index, "" where none, up to the last setting), worked out line by line where that is certain to
    be what its parse gives: [] where that parse fails (a line that is no setting, comment or blank; a
    key given twice), and None where only the parse itself can tell. That is a `%` (interpolation), an
    indented line (a continuation), a line starting `[` (a section header or not), a setting with an empty
    value or with other whitespace than spaces around its `=` or `:` (the transformer then finds a
    value's line by a prefix search that can land on another line), or a `pragma: allowlist nextline`
    comment (which it keeps). configparser costs a fraction of a millisecond a file even on the smallest."""
    if "%" in text or "allowlist" in text:
        return None
    out: list[str] = []
    keys: set[str] = set()
    for index, raw in enumerate(text.split("\n")):
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if raw[0].isspace() or stripped[0] == "[":
            return None
        match = _ASSIGNMENT.fullmatch(stripped)
        if match is None or not match.group(1) or match.group(1) in keys:
            return []
        key, value = match.group(1), match.group(2)
        if not value or stripped[len(key):len(stripped) - len(value)].strip(" :="):
            return None
        keys.add(key)
        if value[0] in "'\"" and value[-1] == value[0]:
            value = value[1:-1]
        out.extend([""] * (index - len(out)))
        out.append(f'{key} = "{value.replace(chr(34), chr(92) + chr(34))}"')
    return out


@dataclass(frozen=True)
class Entropy:
    """An entropy plugin as the eager pass needs it: the fewest distinct characters a value needs to pass
    its limit, and the setting lines whose whole value is in its alphabet and that long."""

    fewest: int  # distinct characters: floor(2**limit) + 1
    settings: re.Pattern[str]


class EagerLines:
    """Which lines of a file, once transformed, the plugins that want a quote (the keyword plugin, the
    entropy plugins, others' expressions with a required quote) may find something on."""

    def __init__(self, keyword: int | None, keywords: Sequence[str], entropy: Iterable[tuple[int, str, float]],
                 quoted: Iterable[tuple[int, str, int]] = ()) -> None:
        """`keyword`: the keyword plugin's position (None when no rule selects it) and its key words
        (regular expressions, matched case-insensitively); `entropy`: (position, charset, limit) of each
        entropy plugin; `quoted`: (position, pattern, flags) of every other plugin's expressions (those
        that require a quote, such as AWSKeyDetector's secret key after `aws...key`, are kept)."""
        patterns: list[tuple[int, str, int]] = []
        for position, pattern, flags in quoted:
            if _REQUIRED_QUOTE.search(pattern):  # the raw setting has no quotes: make them optional
                patterns.append((position, _REQUIRED_QUOTE.sub(r"""['"]?""", pattern), flags))
        self._keyword: tuple[int, re.Pattern[str]] | None = None
        if keyword is not None and keywords:
            words = "(?:" + "|".join(keywords) + ")"
            self._keyword = (keyword, re.compile(words, re.IGNORECASE))
            patterns.append((keyword, words, re.IGNORECASE))
        self._entropy: dict[int, Entropy] = {}
        for position, charset, limit in entropy:
            fewest = fewest_distinct(limit)
            # `_holds` reads the setting with the shorter run and counts its distinct characters; the
            # prefilter finds the end of a long enough run after `=` or `:` (the setting's tail: the whole
            # setting with the exact run is three times slower to scan)
            run = entropy_run(charset, fewest, loose=True)
            setting = rf"^[ \t]*[^\s#;\[=:][^\n=:]*[=:][ \t]*(['\"]?)({run})\1[ \t\r]*$"
            self._entropy[position] = Entropy(fewest, re.compile(setting))
            patterns.append((position, rf"[=:][ \t]*['\"]?(?:{entropy_run(charset, fewest)})['\"]?[ \t\r]*$", 0))
        self._prefilter = Prefilter.from_patterns(patterns)
        self._positions = list(dict.fromkeys(position for position, _, _ in patterns))

    def lines(self, data: bytes, budget: int) -> tuple[list[tuple[int, str, set[int]]], dict[int, int]]:
        """(0-based line index, transformed line, positions of the plugins to run on it) for each line of
        `data` (UTF-8 text, `\\n` newlines) that may hold an eager-only finding; and for each entropy plugin
        given `budget` lines, at most how many further lines it was not given (its matches past the budget,
        counted without a look: each may or may not have been one). Each possible match is looked at as it
        is found, so memory holds only the lines picked, whatever the file's size."""
        picked: dict[int, set[int]] = {}  # line start -> plugins
        taken: dict[int, int] = {}
        skipped: dict[int, int] = {}
        spent = set(self._entropy) if budget <= 0 else set()  # entropy plugins given `budget` lines already
        seen: dict[int, int] = {}  # plugin -> the start of the last line looked at for it

        def look(position: int, offset: int) -> None:
            if position in spent:  # counted, not looked at: a match per line or more, so "up to"
                skipped[position] = skipped.get(position, 0) + 1
                return
            start = data.rfind(b"\n", 0, offset) + 1
            if seen.get(position) == start:
                return
            seen[position] = start
            end = data.find(b"\n", offset)
            if self._holds(position, data[start:len(data) if end < 0 else end].decode("utf-8")):
                picked.setdefault(start, set()).add(position)
                taken[position] = taken.get(position, 0) + 1
                if taken[position] >= budget and position in self._entropy:
                    spent.add(position)

        database, owner = self._prefilter.database, self._prefilter.owner
        if database is None:  # no Hyperscan: every line, for every plugin
            offset = 0
            while offset <= len(data):
                for position in self._positions:
                    look(position, offset)
                next_line = data.find(b"\n", offset)
                offset = len(data) + 1 if next_line < 0 else next_line + 1
        else:
            def on_match(i: int, _start: int, end: int, _flags: int, _context: object) -> None:
                position = owner[i]
                if position in spent:  # `look`'s first test, without its call: most matches of a big index
                    skipped[position] = skipped.get(position, 0) + 1
                else:
                    look(position, end - 1 if end else 0)

            database.scan(data, match_event_handler=on_match)
        out: list[tuple[int, str, set[int]]] = []
        counts = newlines.of(data)
        for start in sorted(picked):
            line = counts.before(start)
            end = data.find(b"\n", start)
            transformed = eager_line(data[start:len(data) if end < 0 else end].decode("utf-8"))
            if transformed:
                out.append((line, transformed, picked[start]))
        return out, skipped

    def _holds(self, position: int, line: str) -> bool:
        entropy = self._entropy.get(position)
        if entropy is not None:
            match = entropy.settings.match(line)
            return match is not None and len(set(match.group(2))) >= entropy.fewest
        if self._keyword is not None and position == self._keyword[0]:
            return self._keyword[1].search(line) is not None
        return True  # a plugin whose expression wants quotes: it judges the transformed line itself
