"""Scan file contents on every core while the main process keeps reading layers.

The main process streams and decompresses the layers (and checks their digests); the text files it
finds go, in batches, to worker processes forked from it, so they inherit the rules and the compiled
Hyperscan databases. `submit` returns at once with a `Pending` that `LayerScan.resolve` turns into the
file's hits later. At most a few batches and `IN_FLIGHT_BYTES` are in flight, so memory stays bounded
however large the image: when they are all busy, `submit` waits for the oldest. A big file is scanned
in the main process (scanning works on its bytes in place; a copy to a worker would double them).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor

from auditor.model import Hit

ScanFile = Callable[[str, bytes], list[Hit]]

BATCH_BYTES = 1 << 20  # small files travel together, up to this many bytes (or BATCH_FILES files)
BATCH_FILES = 256
INLINE_BYTES = 4 << 20  # text scanned in this process before any worker starts
BIG_FILE = 4 << 20  # a file this large is scanned here: copying it to a worker costs memory and time
IN_FLIGHT_BYTES = 16 << 20  # at most this much text waits for workers (besides one batch)
_worker_scan: ScanFile | None = None  # set in each worker before it forks (inherited), never pickled


def default_jobs() -> int:
    """Processes to scan with: the cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _scan_batch(batch: list[tuple[str, bytes]]) -> list[list[Hit]]:
    assert _worker_scan is not None
    return [_worker_scan(path, data) for path, data in batch]


class Pending:
    """The hits of one submitted file, once its batch is done."""

    __slots__ = ("_batch", "_index")

    def __init__(self, batch: Future[list[list[Hit]]], index: int) -> None:
        self._batch = batch
        self._index = index

    def result(self) -> list[Hit]:
        return self._batch.result()[self._index]


class ScanPool:
    """Runs `scan_file` on submitted files: in this process for the first `inline_bytes` of text (small
    images never start a worker), then batched to `jobs` forked workers. Use as a context manager."""

    def __init__(self, scan_file: ScanFile, jobs: int, inline_bytes: int | None = None,
                 prepare: Callable[[], None] | None = None) -> None:
        inline_bytes = INLINE_BYTES if inline_bytes is None else inline_bytes
        self._scan_file = scan_file
        self._prepare = prepare  # run once before the workers fork, so they inherit what it builds
        self._jobs = jobs
        self._inline_left = inline_bytes if jobs > 1 else -1
        self._executor: ProcessPoolExecutor | None = None
        self._in_flight: deque[tuple[Future[list[list[Hit]]], int]] = deque()  # with the bytes each carries
        self._in_flight_bytes = 0
        self._batch: list[tuple[str, bytes]] = []
        self._bytes = 0
        self._future: Future[list[list[Hit]]] = Future()

    def submit(self, path: str, data: bytes) -> list[Hit] | Pending:
        if len(data) >= BIG_FILE:
            return self._scan_file(path, data)
        if self._executor is None:
            if self._inline_left < len(data):
                if self._inline_left < 0:
                    return self._scan_file(path, data)
                self._start()
            else:
                self._inline_left -= len(data)
                return self._scan_file(path, data)
        pending = Pending(self._future, len(self._batch))
        self._batch.append((path, data))
        self._bytes += len(data)
        if self._bytes >= BATCH_BYTES or len(self._batch) >= BATCH_FILES:  # read when used: tests shrink them
            self.flush()
        return pending

    def flush(self) -> None:
        """Send the batch being filled; its `Pending`s resolve when a worker is done with it."""
        if not self._batch:
            return
        assert self._executor is not None
        while self._in_flight and (len(self._in_flight) >= 2 * self._jobs
                                   or self._in_flight_bytes + self._bytes > IN_FLIGHT_BYTES):
            done, size = self._in_flight.popleft()
            done.result()
            self._in_flight_bytes -= size
        batch, placeholder, size = self._batch, self._future, self._bytes
        self._batch, self._bytes, self._future = [], 0, Future()
        running = self._executor.submit(_scan_batch, batch)
        running.add_done_callback(lambda done: _relay(done, placeholder))
        self._in_flight.append((running, size))
        self._in_flight_bytes += size

    def _start(self) -> None:
        global _worker_scan
        if self._prepare is not None:
            self._prepare()
        _worker_scan = self._scan_file  # the fork copies it into every worker
        self._executor = ProcessPoolExecutor(max_workers=self._jobs, mp_context=multiprocessing.get_context("fork"))

    def __enter__(self) -> ScanPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)


def _relay(done: Future[list[list[Hit]]], placeholder: Future[list[list[Hit]]]) -> None:
    error = done.exception()
    if error is not None:
        placeholder.set_exception(error)
    else:
        placeholder.set_result(done.result())
