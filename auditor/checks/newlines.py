"""How many newlines a file holds before a byte offset, counted once for all the checks that ask.

The secrets check, its eager pass, the prefilter, the judge's line index and its PEM blocks each need the
line of some byte offsets of the same file. Counting each from the start costs one pass over the file a
check: seven passes, 0.25 s on a 32 MB apt index. `Scanner.every_hit` shares one `Newlines` of the file
while its checks run (`shared`), and each check asks `of(data)` for it: counting leaves a mark every STEP
bytes, and a question is counted from the nearest mark below it (or from the latest answer: a check asks
in ascending order). Bytes that are not the shared file get one of their own.
"""

from __future__ import annotations

import bisect
import contextlib
import threading
from collections.abc import Iterator

MAX_MARKS = 1 << 16  # marks kept at most (a 256 MB text); past them a question is counted from the latest answer
STEP = 1 << 12  # bytes: counting further than this leaves a mark every STEP, so that any later question counts less

_current = threading.local()


class Newlines:
    """The newline counts of one text's byte offsets."""

    __slots__ = ("data", "_counts", "_last", "_marks", "_total")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._marks = [0]  # offsets, ascending
        self._counts = [0]  # newlines before each
        self._last = (0, 0)  # the latest answer (offset, count): a check asks in ascending order
        self._total: int | None = None

    def before(self, offset: int) -> int:
        """How many newlines `data[:offset]` holds."""
        offset = max(0, min(offset, len(self.data)))
        at = bisect.bisect_right(self._marks, offset) - 1
        start, count = self._marks[at], self._counts[at]
        last, last_count = self._last
        if start < last <= offset:
            start, count = last, last_count
        while offset - start > STEP:  # a long way in steps, each leaving a mark: later questions start near
            start += STEP
            count += self.data.count(b"\n", start - STEP, start)
            if len(self._marks) < MAX_MARKS:
                at += 1
                self._marks.insert(at, start)
                self._counts.insert(at, count)
        count += self.data.count(b"\n", start, offset)
        self._last = (offset, count)
        return count

    def total(self) -> int:
        """How many newlines the whole text holds."""
        if self._total is None:
            self._total = self.before(len(self.data))
        return self._total


def of(data: bytes) -> Newlines:
    """The shared counts when `data` is the file being scanned (`shared`), else counts of its own."""
    current: Newlines | None = getattr(_current, "newlines", None)
    if current is not None and current.data is data:
        return current
    return Newlines(data)


@contextlib.contextmanager
def shared(data: bytes) -> Iterator[Newlines]:
    """Share one `Newlines` of `data` with every `of(data)` in this thread until the block ends."""
    previous = getattr(_current, "newlines", None)
    _current.newlines = counts = Newlines(data)
    try:
        yield counts
    finally:
        _current.newlines = previous
