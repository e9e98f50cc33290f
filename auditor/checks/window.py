"""Bounded regions of a text around Hyperscan match ends: the only places Python's `re` runs.

Python's `re` backtracks, so a pattern run over a whole file or line can take time quadratic (or worse)
in its length: `[^\\s"]*?&sig=` tried from each of 16,000 `sv=` on one 224 KB line took 72 seconds.
Hyperscan, which takes linear time, runs first; in prefilter mode, over a translation wider than the
Python pattern (`hsregex`), it reports every offset where a Python match can end, and more. A match of
at most BEFORE bytes that ends at `end` lies within [end - BEFORE, end]; AFTER more bytes let
look-aheads, `\\b` and `$` see the real text that follows. Nearby windows merge into one region, and a
region is cut at MAX_REGION bytes; the next one then starts BEFORE bytes back, so each match of up to
BEFORE bytes still lies whole in one region.

Python's `re` then runs once per region, on at most MAX_REGION + AFTER bytes: the total work is linear in
the size of the text, whatever the pattern's backtracking does inside a region. The price, documented
as a limit: a match longer than BEFORE bytes may be missed or cut short.
"""

from __future__ import annotations

from collections.abc import Iterator
from re import Pattern

from auditor.checks import newlines

BEFORE = 4096  # the longest match that is always found whole: bytes searched before a match end
AFTER = 256  # bytes after the last match end of a region that look-aheads and `$` may read
MAX_REGION = 16384  # bytes from a region's start to its last match end
CONTEXT = 64  # bytes before a region's start that look-behinds, `\b` and `^` may read


class Regions:
    """Match ends of one pattern, collected into regions `(start, last end)` (byte offsets).

    `add` is called from the Hyperscan callback, once per match end, so it does the least it can.
    `before` and `max_region` default to BEFORE and MAX_REGION.
    """

    __slots__ = ("_before", "_max", "_unordered", "spans")

    def __init__(self, before: int = BEFORE, max_region: int = MAX_REGION) -> None:
        self.spans: list[list[int]] = []
        self._unordered = False
        self._before = before
        self._max = max_region

    def add(self, end: int) -> None:
        spans = self.spans
        if spans:
            span = spans[-1]
            if end <= span[1]:
                if end - self._before < span[0]:
                    self._unordered = True
                    spans.append([max(0, end - self._before), end])
                return
            if end - self._before <= span[1] + AFTER and end - span[0] <= self._max:
                span[1] = end
                return
        spans.append([max(0, end - self._before), end])

    def finish(self) -> list[tuple[int, int]]:
        """The regions in order. Hyperscan reports the ends of one pattern in order; were they not,
        overlapping spans are joined and covered again, every offset in them a possible end."""
        if not self._unordered:
            return [(start, last) for start, last in self.spans]
        joined: list[list[int]] = []
        for start, last in sorted(self.spans):
            if joined and start <= joined[-1][1] + AFTER:
                joined[-1][1] = max(joined[-1][1], last)
            else:
                joined.append([start, last])
        again = Regions(self._before, self._max)
        for start, last in joined:
            again._cover(start, last)
        return [(start, last) for start, last in again.spans]

    def _cover(self, start: int, last: int) -> None:
        """Regions for a span in which every offset after `start` may be a match end."""
        while last - start > self._max:
            self.spans.append([start, start + self._max])
            start += self._max - self._before
        self.spans.append([start, last])

    def everywhere(self, size: int) -> list[tuple[int, int]]:
        """Regions covering a whole text of `size` bytes, every offset a possible match end (for when
        Hyperscan is missing or cannot take a pattern)."""
        self._cover(0, size)
        return self.finish()


def char_start(data: bytes, offset: int) -> int:
    """`offset` moved back to the first byte of the UTF-8 character it falls in (at most 3 bytes)."""
    stop = max(0, offset - 3)
    while offset > stop and offset < len(data) and 0x80 <= data[offset] < 0xC0:
        offset -= 1
    return offset


class Piece:
    """One region decoded: `text` from `begin` (a few bytes of context before the region), and the
    character positions of the region's start (`pos`), its last match end (`last`) and where the next
    region starts (`limit`, a match starting there or later is left to it)."""

    __slots__ = ("_ascii", "begin", "last", "limit", "pos", "text")

    def __init__(self, data: bytes, start: int, last: int, next_start: int | None, errors: str) -> None:
        self.begin = char_start(data, max(0, start - CONTEXT))
        start = char_start(data, start)
        end = min(len(data), last + AFTER)
        end = end if end == len(data) else char_start(data, end)
        chunk = data[self.begin:end]
        self.text = chunk.decode("utf-8", errors)
        self._ascii = chunk.isascii()
        self.pos = self.chars(data, start, errors)
        self.last = self.chars(data, last, errors)
        self.limit = self.chars(data, next_start, errors) if next_start is not None and next_start < end else None

    def chars(self, data: bytes, offset: int, errors: str) -> int:
        """The character position in `text` of byte `offset` of `data`."""
        if self._ascii:
            return offset - self.begin
        return len(data[self.begin:offset].decode("utf-8", errors))

    def byte(self, position: int) -> int:
        """The byte offset in `data` of character `position` of `text` (close, for text not UTF-8)."""
        if self._ascii:
            return self.begin + position
        return self.begin + len(self.text[:position].encode("utf-8", "surrogatepass"))


def pieces(data: bytes, regions: list[tuple[int, int]], errors: str = "replace") -> Iterator[Piece]:
    """Each region of `data` decoded, in order."""
    for index, (start, last) in enumerate(regions):
        next_start = regions[index + 1][0] if index + 1 < len(regions) else None
        yield Piece(data, start, last, next_start, errors)


class LineCounter:
    """The line number of byte offsets of one text (`newlines`: counted once for every check of a file)."""

    def __init__(self, data: bytes) -> None:
        self._newlines = newlines.of(data)

    def line_at(self, offset: int) -> int:
        """1-based line number of the byte at `offset`."""
        return self._newlines.before(offset) + 1


def search(pattern: Pattern[str], text: str) -> bool:
    """Whether `pattern` matches somewhere in `text`, searched region by region (every offset a possible
    match end) when the text is longer than MAX_REGION: the same answer for matches of up to BEFORE
    bytes, in time linear in the text. For texts without a Hyperscan pass, such as image metadata."""
    if len(text) <= MAX_REGION:
        return pattern.search(text) is not None
    data = text.encode("utf-8", "surrogatepass")
    for piece in pieces(data, Regions().everywhere(len(data)), "surrogatepass"):
        for match in pattern.finditer(piece.text, piece.pos):
            if piece.limit is not None and match.start() >= piece.limit:
                break
            if match.end() <= piece.last:
                return True
    return False
