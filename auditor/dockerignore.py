""".dockerignore patterns as Docker evaluates them, without the Docker SDK (which imports `requests` and
the whole API client: most of the pre-commit hook's start-up).

The rules are Docker's (https://docs.docker.com/build/concepts/context/#dockerignore-files), as moby's
`patternmatcher` implements them:

- a pattern is cleaned like Go's `filepath.Clean` (`.` and `..` elements resolved, repeated and trailing
  slashes dropped) and a leading `/` is ignored; `!` makes it an exception;
- it matches like Go's `filepath.Match`: `*` is any run of characters but `/`, `?` any one character
  but `/`, `[...]` a character class (`a-z` ranges; `[^...]` negated, never matching `/`; as in Go,
  `!` there is itself, not a negation as in shell globs), `\\` escapes the next character; and, beyond
  `filepath.Match`, `**` is any number of whole directories (even none);
- a path is excluded when the last pattern that matches it, or one of its parent directories, is not an
  exception. Matching is case-sensitive. An excluded directory is entered only for an exception written
  below it, as Docker's context walks do.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

__all__ = ["Matcher", "Pattern", "clean"]


def clean(pattern: str) -> str:
    """`pattern` as moby cleans it: Go's `filepath.Clean`, then without a leading `/`."""
    rooted = pattern.startswith("/")
    parts: list[str] = []
    for part in pattern.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append(part)
            continue
        parts.append(part)
    return "/".join(parts) or "."


def _translate(pattern: str) -> str:
    """A Python regular expression matching what `pattern` (cleaned) matches as a whole path."""
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            if i < n and pattern[i] == "*":
                i += 1
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(?:.*/)?")
            else:
                out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\" and i < n:
            out.append(re.escape(pattern[i]))
            i += 1
        elif c == "[":
            end, klass = _klass(pattern, i)
            if klass is None:  # not a well-formed class: Go's Match fails, moby matches nothing
                return "(?!)"
            out.append(klass)
            i = end
        else:
            out.append(re.escape(c))
    return "".join(out)


def _klass(pattern: str, i: int) -> tuple[int, str | None]:
    """The character class opening at `pattern[i - 1]` as a Python class, and where it ends; None when
    the class never closes or is empty."""
    n = len(pattern)
    negate = i < n and pattern[i] == "^"
    if negate:
        i += 1
    items: list[str] = []
    first = True
    while i < n and (pattern[i] != "]" or first):
        first = False
        lo, i = _class_char(pattern, i)
        if lo is None:
            return i, None
        if i + 1 < n and pattern[i] == "-" and pattern[i + 1] != "]":
            hi, i = _class_char(pattern, i + 1)
            if hi is None or hi < lo:
                return i, None
            items.append(f"{re.escape(lo)}-{re.escape(hi)}")
        else:
            items.append(re.escape(lo))
    if i >= n or not items:
        return i, None
    body = "".join(items)
    return i + 1, f"[^/{body}]" if negate else f"[{body}]"


def _class_char(pattern: str, i: int) -> tuple[str | None, int]:
    if pattern[i] == "\\":
        if i + 1 >= len(pattern):
            return None, i + 1
        return pattern[i + 1], i + 2
    return pattern[i], i + 1


@dataclass(frozen=True)
class Pattern:
    """One .dockerignore line: its cleaned text and whether it is an exception (`!`)."""

    text: str
    exception: bool

    @classmethod
    def parse(cls, line: str) -> Pattern | None:
        """The pattern of one line as moby reads it (already without comments); None for nothing."""
        line = line.strip()
        exception = line.startswith("!")
        if exception:
            line = line[1:].strip()
        if not line:
            return None
        return cls(clean(line), exception)

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(_translate(self.text), re.DOTALL)

    def matches(self, path: str) -> bool:
        """Whether the pattern matches `path` or one of its parent directories."""
        if self.regex.fullmatch(path):
            return True
        parts = path.split("/")
        return any(self.regex.fullmatch("/".join(parts[:depth])) for depth in range(1, len(parts)))

    def names_inside(self, directory: str) -> bool:
        """Whether the pattern's text starts with `directory/`: Docker (moby's archive walk and BuildKit's
        fsutil) enters an excluded directory only for an exception written below it, so `src` then
        `!**/*.txt` does not bring back `src/a.txt`, while `!src/a.txt` does."""
        return (self.text + "/").startswith(directory + "/")


class Matcher:
    """A .dockerignore's patterns, in order."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.patterns = [p for p in (Pattern.parse(line) for line in lines) if p is not None and p.text != "."]
        self._exceptions = [p for p in self.patterns if p.exception]

    def excluded(self, path: str) -> bool:
        """Whether the relative posix `path` stays out of the build context."""
        excluded = False
        for pattern in self.patterns:
            if pattern.exception == excluded and pattern.matches(path):
                excluded = not pattern.exception
        return excluded

    def walk(self, root: str) -> Iterator[str]:
        """The relative paths (`/`-separated) under `root` that are in the context, depth first, each
        directory's entries in `os.listdir` order. Links are listed, never followed. An excluded
        directory is entered only when an exception is written below it (`Pattern.names_inside`)."""
        stack: list[tuple[str, Iterator[str]]] = [("", iter(_names(root)))]
        while stack:
            directory, names = stack[-1]
            name = next(names, None)
            if name is None:
                stack.pop()
                continue
            rel = f"{directory}/{name}" if directory else name
            excluded = self.excluded(rel)
            if not excluded:
                yield rel
            full = os.path.join(root, rel)
            if not os.path.isdir(full) or os.path.islink(full):
                continue
            if excluded and not any(p.names_inside(rel) for p in self._exceptions):
                continue
            stack.append((rel, iter(_names(full))))


def _names(directory: str) -> list[str]:
    try:
        return os.listdir(directory)
    except OSError:
        return []
