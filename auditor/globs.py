"""Path globs for in-image paths: `*`, `?`, `[...]` within a segment, `**` across segments.

A pattern without a leading "/" matches at any depth ("id_rsa", ".ssh/id_*"); one with it is anchored
at the image root ("/etc/shadow").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from re import Pattern


def translate(pattern: str) -> str:
    """The regular expression (without anchors) for one glob."""
    if not pattern.startswith("/"):
        pattern = "/**/" + pattern
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("/**/", i):
            out.append("(?:/.*)?/")
            i += 4
        elif pattern.startswith("/**", i) and i + 3 == n:
            out.append("(?:/.*)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 2)
            if end == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pattern[i + 1:end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


FLAGS = re.DOTALL  # what a glob's expression is compiled with


def globs_regex(patterns: Iterable[str]) -> str | None:
    """The expression (compiled with FLAGS) matching any of the globs; None when there are none."""
    parts = [translate(p) for p in patterns]
    if not parts:
        return None
    return "^(?:" + "|".join(parts) + ")$"


def compile_globs(patterns: Iterable[str]) -> Pattern[str] | None:
    """One regex matching any of the globs; None when there are none. Compiled once per list of globs: the
    default packs' rules share their `exclude` lists (hundreds of rules, 0.3 s of translating them again)."""
    return _compiled(tuple(patterns))


@lru_cache(maxsize=1024)
def _compiled(patterns: tuple[str, ...]) -> Pattern[str] | None:
    source = globs_regex(patterns)
    return re.compile(source, FLAGS) if source is not None else None
