"""CPU time for the complexity tests (a quadratic path is slow on every try; a busy machine is not).

The hostile-input tests bound how long a scan of a worst-case input takes, to catch super-linear paths.
Wall time also counts the moments another process had the core: CI runs two suites at once on two cores,
and one 0.01 s scan once took 2.8 s of wall time there. So the time taken is this thread's CPU time (every
check measured here runs on the calling thread), and the least of up to three tries, stopping at the first
under the limit: a super-linear path fails all three.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
TRIES = 3


def least_cpu_seconds(run: Callable[[], T], limit: float) -> tuple[float, T]:
    """The least CPU time of this thread that `run` took over up to TRIES calls (fewer once one is under
    `limit`), and what the last call returned."""
    best = float("inf")
    for _ in range(TRIES):
        started = time.thread_time()
        result = run()
        best = min(best, time.thread_time() - started)
        if best < limit:
            break
    return best, result
