"""Progress on stderr while an image is exported, read and scanned, so a long run never looks frozen.

An audit reports steps ("exporting app:1 from the engine", "layer 3/5", "scanning file contents"), each
with the bytes it will read when that is known up front, and the bytes read as they come. Layers are
streamed in the main process (`auditor.parallel` sends only file contents to workers), so counting the
bytes of each blob as it is read (`metered`) costs an addition per 1 MiB chunk and no message between
processes. Three ways to show it:

- `Progress` itself shows nothing (`--quiet`);
- `Lines` (stderr is not a terminal: CI) writes one plain line at most every `INTERVAL` seconds,
  "layer 3/5: 412 MiB of 1.1 GiB, 55 MB/s", so a runner that kills a job silent for too long does not,
  while a short run writes nothing at all;
- `Display` (stderr is a terminal): a `rich.progress` bar with a spinner, bytes of total, rate and ETA,
  redrawn by rich's own thread, so it moves even while a step waits; it is removed when the run ends.

`rich` is imported only by `Display`: `audit dockerfile` (the pre-commit hook) never pays for it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from types import TracebackType
from typing import IO, TYPE_CHECKING, TextIO

from auditor.deadline import NO_DEADLINE, DeadlineReader
from auditor.model import Layer

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

INTERVAL = 30.0  # seconds between two plain lines (CI runners kill jobs silent for 10 minutes or more)
Clock = Callable[[], float]


class Progress:
    """Where an audit reports what it is doing; this one shows nothing. Use as a context manager."""

    def step(self, label: str, total: int | None = None) -> None:
        """A new step, and how many bytes it will read if that is known (None: a spinner, no ETA)."""

    def advance(self, nbytes: int) -> None:
        """`nbytes` more bytes read in the current step."""

    def close(self) -> None:
        """The run is over: take the display down."""

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


SILENT = Progress()


def for_stream(stream: TextIO, quiet: bool) -> Progress:
    """What to show on `stream` (stderr): nothing with `quiet`, a live display on a terminal, else lines."""
    if quiet:
        return SILENT
    return Display(stream) if stream.isatty() else Lines(stream)


@contextlib.contextmanager
def heartbeat(progress: Progress, every: float = 1.0) -> Iterator[None]:
    """Tell `progress` every `every` seconds that the step goes on while nothing arrives (an engine
    preparing an export can be silent for minutes): a CI log still gets its line every INTERVAL. The
    thread is stopped before the block's end, so no scan worker is forked while it runs."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            progress.advance(0)

    thread = threading.Thread(target=beat, name="audit-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def size(nbytes: float) -> str:
    """`412 MiB`, `1.1 GiB`: binary units, one decimal below 10."""
    unit = "B"
    for bigger in ("KiB", "MiB", "GiB", "TiB"):
        if nbytes < 1024:
            break
        nbytes, unit = nbytes / 1024, bigger
    return f"{nbytes:.1f} {unit}" if nbytes < 10 and unit != "B" else f"{nbytes:.0f} {unit}"


class Lines(Progress):
    """One plain line on `stream` at most every `interval` seconds of `clock`, the first one `interval`
    after the start: a run shorter than that writes nothing."""

    def __init__(self, stream: TextIO, interval: float | None = None, clock: Clock = time.monotonic) -> None:
        self._stream = stream
        self._interval = INTERVAL if interval is None else interval
        self._clock = clock
        self._last = self._since = clock()
        self._label = "opening the image"
        self._total: int | None = None
        self._done = 0

    def step(self, label: str, total: int | None = None) -> None:
        self._label, self._total, self._done, self._since = label, total, 0, self._clock()
        self._tick()

    def advance(self, nbytes: int) -> None:
        self._done += nbytes
        self._tick()

    def line(self, now: float) -> str:
        """The current step as one line: its label, bytes read (of total) and rate."""
        if not self._done:
            return self._label
        read = size(self._done) + (f" of {size(self._total)}" if self._total else "")
        elapsed = now - self._since
        speed = self._done / elapsed / 1e6 if elapsed > 0 else None
        rate = "" if speed is None else f", {speed:.1f} MB/s" if speed < 10 else f", {speed:.0f} MB/s"
        return f"{self._label}: {read}{rate}"

    def _tick(self) -> None:
        now = self._clock()
        if now - self._last >= self._interval:
            self._last = now
            self._stream.write(f"audit: {self.line(now)}\n")
            self._stream.flush()


class Display(Progress):
    """A `rich.progress` display on a terminal: spinner, step, bar, bytes of total, rate, ETA."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            SpinnerColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        from rich.progress import Progress as Bar

        self._bar = Bar(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), DownloadColumn(True),
                        TransferSpeedColumn(), TimeRemainingColumn(), console=Console(file=stream),
                        transient=True, refresh_per_second=8)
        self._task = self._bar.add_task("opening the image", total=None)
        self._bar.start()

    def step(self, label: str, total: int | None = None) -> None:
        self._bar.remove_task(self._task)  # a new task: `reset` would keep the last step's total and rate
        self._task = self._bar.add_task(label, total=total)
        self._bar.refresh()  # every step is shown, however short

    def advance(self, nbytes: int) -> None:
        self._bar.advance(self._task, nbytes)

    def close(self) -> None:
        self._bar.stop()


def metered(layer: Layer, count: int, progress: Progress) -> Layer:
    """`layer`, whose every opening starts the step "layer N/COUNT" (its total the blob's size, from the
    manifest or else the store) and counts the bytes read from it."""
    if progress is SILENT:
        return layer

    def opener() -> IO[bytes]:
        stream = layer.opener()
        progress.step(f"layer {layer.index + 1}/{count}", layer.size or length(stream))
        return _Counted(stream, progress)  # type: ignore[return-value]  # a raw stream, as the readers take

    return replace(layer, opener=opener)


def length(stream: IO[bytes]) -> int | None:
    """The size of the blob behind `stream` when its store says it (`store.TarStore`'s slices do)."""
    size = getattr(getattr(stream, "raw", stream), "size", None)
    return size if isinstance(size, int) else None


class _Counted(DeadlineReader):
    """Pass a blob's bytes through (as `DeadlineReader` does, with no deadline), telling `progress` how
    many went by."""

    def __init__(self, inner: IO[bytes], progress: Progress) -> None:
        super().__init__(inner, NO_DEADLINE)
        self._progress = progress

    def readinto(self, buffer: WriteableBuffer) -> int:
        count = super().readinto(buffer)
        self._progress.advance(count)
        return count
