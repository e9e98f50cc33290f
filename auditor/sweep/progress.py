"""A sweep's progress on stderr: images resolved, layers distinct/done/cached, bytes, rate, ETA.

On a terminal one line is rewritten in place; otherwise a line is written every `every` seconds, and
always at the end, so a CI log shows the sweep advancing without a line per layer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TextIO

from auditor.formats.common import human_bytes


@dataclass
class Progress:
    """The counters the runner updates, and the line `show` writes from them."""

    stream: TextIO | None  # None: --quiet
    every: float = 10.0
    images: int = 0
    failed: int = 0
    distinct: int = 0
    cached: int = 0  # distinct layers the store or the layer cache already held
    done: int = 0
    todo: int = 0
    bytes_done: int = 0  # compressed bytes of the layers scanned so far
    bytes_todo: int = 0
    started: float = field(default_factory=time.monotonic)
    _shown: float = 0.0

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.bytes_done / elapsed
        eta = (self.bytes_todo - self.bytes_done) / rate if rate > 0 and self.done < self.todo else 0.0
        return (f"sweep: {self.images} images resolved ({self.failed} failed); layers {self.distinct} distinct, "
                f"{self.cached} cached, {self.done}/{self.todo} scanned; {human_bytes(self.bytes_done)} of "
                f"{human_bytes(self.bytes_todo)}, {human_bytes(int(rate))}/s, ETA {int(eta) // 60}:{int(eta) % 60:02d}")

    def show(self, final: bool = False) -> None:
        if self.stream is None or (not final and not self.distinct):
            return
        tty = self.stream.isatty()
        moment = time.monotonic()
        if not final and moment - self._shown < (0.2 if tty else self.every):
            return
        self._shown = moment
        self.stream.write(("\r" if tty else "") + self.line() + ("\n" if final or not tty else ""))
        self.stream.flush()
