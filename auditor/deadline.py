"""The whole audit's deadline (`--deadline`): one point in monotonic time that every slow step checks.

Per-step limits cannot bound an audit: a registry that drips a byte just before each read timeout, an
index of thousands of entries, retries told to wait, or a slow disk each stay within every per-read
limit and still never end. So the command fixes one deadline when it starts, carried in the source
`Options` and the audit `Settings`: the registry client bounds its timeouts and waits by it, checks it
between reads (and its watchdog ends a read blocked past it), and the layer reader checks it between
chunks and entries. When it passes, `DeadlineExceeded` ends the run: one line, exit 2, no report.
A monotonic clock and plain checks, not SIGALRM, which only reaches the main thread.
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from auditor.errors import DeadlineExceeded

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


@dataclass(frozen=True)
class Deadline:
    """When the audit must end, in `time.monotonic()` seconds (`at`), or never (`at` None, the default
    for library callers); `seconds` is the budget that was asked for, for the message."""

    seconds: float | None = None
    at: float | None = None

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """A deadline `seconds` from now."""
        return cls(seconds, time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left (0 once passed; infinite without a deadline)."""
        return math.inf if self.at is None else max(0.0, self.at - time.monotonic())

    def passed(self) -> bool:
        """Whether the deadline has passed."""
        return self.at is not None and time.monotonic() >= self.at

    def check(self) -> None:
        """Raise DeadlineExceeded once the deadline has passed."""
        if self.passed():
            raise DeadlineExceeded(self.seconds)

    def bound(self, seconds: float) -> float:
        """`seconds` (a timeout, a wait), cut to what is left; DeadlineExceeded when nothing is."""
        self.check()
        return min(seconds, self.remaining())


NO_DEADLINE = Deadline()


class DeadlineReader(io.RawIOBase):
    """Pass bytes through, checking the deadline before every read."""

    def __init__(self, inner: IO[bytes], deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        self._deadline.check()
        if hasattr(self._inner, "readinto"):
            return self._inner.readinto(buffer) or 0
        with memoryview(buffer) as view:
            data = self._inner.read(len(view))
            view[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()
