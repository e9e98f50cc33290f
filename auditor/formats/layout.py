"""Terminal paragraphs for the text report: runs of styled text, wrapped at a width without ever breaking
a token (a path, a fingerprint, a redacted value), coloured with ANSI codes only when asked.

Linear in the text: one pass over its tokens and one over its styled runs, so a report of 100,000
findings renders in seconds (issue 16); `rich` laid out each line through its renderables, which cost
about a millisecond a line.
"""

from __future__ import annotations

import re
import shutil

Run = tuple[str, str]  # (text, style): a style is words of `SGR` ("bold red"), "" for none
SGR = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34", "magenta": "35",
       "cyan": "36"}
UNKNOWN_WIDTH = 100  # not a terminal and no COLUMNS: a CI log, a file, a pipe
NARROWEST = 40
_TOKEN = re.compile(r"\S+")


def width() -> int:
    """The width to wrap at: COLUMNS when set, else the terminal's when stdout is one, else 100."""
    return max(shutil.get_terminal_size((UNKNOWN_WIDTH, 24)).columns, NARROWEST)


def paragraph(runs: list[Run], columns: int, hang: int = 0, keep: int = 0, color: bool = False) -> str:
    """`runs` as lines of at most `columns` characters, broken only between tokens: a token longer than
    a line stays whole, on a line of its own. The first `keep` characters (and the leading indentation)
    are never broken, so a layout of columns survives; continuation lines are indented by `hang`."""
    text = "".join(part for part, _ in runs)
    keep = max(keep, len(text) - len(text.lstrip(" ")))
    lines: list[tuple[int, int, int]] = []  # (start, end, indent)
    start, end, indent = 0, keep, 0
    for token in _TOKEN.finditer(text, keep):
        if indent + token.end() - start > columns and text[start:end].strip():
            lines.append((start, end, indent))
            start, indent = token.start(), hang
        end = token.end()
    lines.append((start, end, indent))
    spans = _spans(runs) if color else []
    return "\n".join(" " * indent + _styled(text, begin, stop, spans) for begin, stop, indent in lines)


def _spans(runs: list[Run]) -> list[tuple[int, int, str]]:
    """Where each styled run lies in the paragraph's text, as (start, end, ANSI code)."""
    spans = []
    at = 0
    for part, style in runs:
        if style and part:
            spans.append((at, at + len(part), ";".join(SGR[word] for word in style.split())))
        at += len(part)
    return spans


def _styled(text: str, start: int, end: int, spans: list[tuple[int, int, str]]) -> str:
    """`text[start:end]` with the styled runs inside it coloured."""
    out = []
    at = start
    for begin, stop, code in spans:
        begin, stop = max(begin, start), min(stop, end)
        if begin >= stop:
            continue
        out.append(text[at:begin])
        out.append(f"\x1b[{code}m{text[begin:stop]}\x1b[0m")
        at = stop
    out.append(text[at:end])
    return "".join(out)
