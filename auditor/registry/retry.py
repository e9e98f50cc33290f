"""Which registry failures are worth another try, and how long to wait before it."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt n (from 1) waits up to `base * 2**(n-1)`, at most
    `cap`; a `Retry-After` from the server is honoured within [0, `cap`] when it is a finite number of
    seconds, and otherwise (an HTTP date, "nan", garbage) our own backoff applies."""

    attempts: int = 4  # tries in all, the first included
    base: float = 0.5
    cap: float = 10.0

    def retryable(self, status: int) -> bool:
        """Transient statuses: timeouts, rate limits and server errors."""
        return status in RETRY_STATUSES

    def delay(self, attempt: int, retry_after: str | None = None, jitter: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None:
            try:
                seconds = float(retry_after)
            except ValueError:
                seconds = math.nan  # an HTTP date or garbage
            if math.isfinite(seconds):  # "nan" and "inf" parse as floats too; sleep() refuses nan
                return min(max(seconds, 0.0), self.cap)
        ceiling = min(self.cap, self.base * (2.0 ** (attempt - 1)))
        return ceiling * (random.random() if jitter is None else jitter)
