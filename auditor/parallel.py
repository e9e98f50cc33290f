"""Scan file contents on every core while the main process keeps reading layers.

The main process streams and decompresses the layers (and checks their digests); the text files it
finds go, in batches, to worker processes forked from it, so they inherit the rules and the compiled
Hyperscan databases. `submit` returns at once with a `Pending` that `LayerScan.resolve` turns into the
file's hits later. At most a few batches, `IN_FLIGHT_BYTES` of them and one big file are in flight, so
memory stays bounded however large the image: when they are all busy, `submit` waits for the first done.
A big file travels alone, so the main process never spends its time scanning one, and not pickled: it is
copied into anonymous memory mapped before the workers fork (`SHARED_BYTES`, never a file), which the
worker copies out and gives back, so it is held once on each side for a moment rather than twice. With a
`Split` (`layers.Split`: its checks in parts), a big file goes to as many workers at once, each running
its part on the whole file; the parts' hits are joined as one scan gives them. An archive file
(`submit_archive`) goes to a worker whole, like any file, and the worker reads its members and scans them
there (`layers.scan_archive`): its result is the archive's whole scan, not a list of hits.

Compiling the checks (`prepare`: Hyperscan databases, about a second on a first run) happens on a thread
of its own from the start, while the main process reads the first layers: what is submitted meanwhile
is held, up to `HELD_BYTES`, and goes to the scan once the checks are ready.
"""

from __future__ import annotations

import contextlib
import mmap
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from typing import Any, Protocol

from auditor.model import FileDigests, Hit

ScanFile = Callable[[str, bytes], list[Hit]]
ScanArchive = Callable[[str, bytes], Any]  # an archive file's whole scan, members and all (`layers.scan_archive`)
PartResult = tuple[list[Hit], FileDigests | None]


class Split(Protocol):
    """A file's scan in parts that run at once (`layers.Split`)."""

    @property
    def parts(self) -> tuple[ScanFile, ...]: ...

    def scan(self, path: str, data: bytes, part: int) -> PartResult: ...

    def join(self, results: list[PartResult]) -> list[Hit]: ...


BATCH_BYTES = 1 << 20  # small files travel together, up to this many bytes (or BATCH_FILES files)
BATCH_FILES = 256
INLINE_BYTES = 4 << 20  # text scanned in this process before any worker starts
BIG_FILE = 4 << 20  # a file this large travels alone to a worker, one such file in flight at a time
IN_FLIGHT_BYTES = 16 << 20  # at most this much text waits for workers (besides one batch, or one big file)
HELD_BYTES = 32 << 20  # at most this much text is held while the checks compile (besides one file)
SHARED_BYTES = 32 << 20  # a big file up to this size reaches its worker through memory they share
_worker_scan: ScanFile | None = None  # set in each worker before it forks (inherited), never pickled
_worker_shared: mmap.mmap | None = None  # likewise: the memory a big file is handed over in
_worker_split: Split | None = None  # likewise: a big file's scan in parts, one per worker
_worker_copied: mmap.mmap | None = None  # likewise: a byte per part, set once it has copied the big file out
_worker_archive: ScanArchive | None = None  # likewise: what an archive file goes to


def default_jobs() -> int:
    """Processes to scan with: the cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def side_by_side(tasks: list[Callable[[], None]], threads: int = 2) -> None:
    """Run `tasks` on `threads` threads, in order as threads come free, and raise the first error once all
    are done. For compiling: Hyperscan compiles without holding the GIL, so two databases compile on two
    cores at once (give the longest task first)."""
    if threads < 2 or len(tasks) < 2:
        for task in tasks:
            task()
        return
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="compile") as pool:
        running = [pool.submit(task) for task in tasks]
    for done in running:
        done.result()


class _Parcel:
    """A batch on its way to a worker. The executor keeps what it submitted until the result is back;
    the parcel gives its files up as it is pickled, so this process no longer holds text a worker is
    scanning (a big file would otherwise be held twice while it is scanned)."""

    __slots__ = ("batch",)

    def __init__(self, batch: list[Item]) -> None:
        self.batch = batch

    def __reduce__(self) -> tuple[type[_Parcel], tuple[list[Item]]]:
        batch, self.batch = self.batch, []
        return (_Parcel, (batch,))


Item = tuple[str, bytes, bool]  # a file's path, its bytes, and whether it is an archive (`submit_archive`)


def _scan_one(path: str, data: bytes, archive: bool) -> Any:
    """A file's hits, or an archive's whole scan."""
    scan = _worker_archive if archive else _worker_scan
    assert scan is not None
    return scan(path, data)


def _scan_batch(parcel: _Parcel) -> list[Any]:
    return [_scan_one(*item) for item in parcel.batch]


def _scan_shared(path: str, size: int, archive: bool = False) -> list[Any]:
    """Scan the big file the main process put in the shared memory (its first `size` bytes), once copied
    out: the pages are given back at once (a pickled file would be held twice here, and twice there)."""
    assert _worker_shared is not None
    data = _worker_shared[:size]
    _release(_worker_shared, size)
    return [_scan_one(path, data, archive)]


def _scan_shared_part(path: str, size: int, part: int) -> PartResult:
    """One part of the big file in the shared memory (`Split`): each part copies it out, and the last to
    do so gives the pages back, so it is held once in each worker scanning it."""
    assert _worker_split is not None and _worker_shared is not None and _worker_copied is not None
    data = _worker_shared[:size]
    _worker_copied[part] = 1
    if all(_worker_copied[:len(_worker_split.parts)]):  # the others are done with it too (two may both see it)
        _release(_worker_shared, size)
    return _worker_split.scan(path, data, part)


def _give_back_freed_memory() -> None:
    """Return the heap that compiling and the held text left free to the system before the workers fork
    (glibc keeps it otherwise: about 30 MB on the bench image, in this process and, until they write to
    it, in every worker). Only where the C library has `malloc_trim` (glibc); elsewhere nothing."""
    import ctypes  # only when workers start

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def _shared_memory(size: int) -> mmap.mmap | None:
    """Anonymous memory that forked workers share with this process (no file anywhere), or None."""
    try:
        return mmap.mmap(-1, size)
    except (OSError, ValueError):
        return None


def _release(shared: mmap.mmap, size: int) -> None:
    """Free the pages of the first `size` bytes (Linux: MADV_REMOVE; elsewhere they stay until reused)."""
    advice = getattr(mmap, "MADV_REMOVE", None)
    if advice is not None and size:
        with contextlib.suppress(OSError):
            shared.madvise(advice, 0, size + (-size % mmap.PAGESIZE))


class Pending:
    """The hits of one submitted file (or an archive's whole scan), once its batch is done."""

    __slots__ = ("_batch", "_index")

    def __init__(self, batch: Future[list[Any]], index: int) -> None:
        self._batch = batch
        self._index = index

    def result(self) -> Any:
        return self._batch.result()[self._index]

    def done(self) -> bool:
        return self._batch.done()


class ScanPool:
    """Runs `scan_file` on submitted files: in this process for the first `inline_bytes` of text (small
    images never start a worker), then batched to `jobs` forked workers. `prepare` (compiling what
    `scan_file` needs) runs on a thread from the start; nothing is scanned before it is done. Use as a
    context manager."""

    def __init__(self, scan_file: ScanFile, jobs: int, inline_bytes: int | None = None,
                 prepare: Callable[[], None] | None = None, split: Split | None = None,
                 scan_archive: ScanArchive | None = None) -> None:
        inline_bytes = INLINE_BYTES if inline_bytes is None else inline_bytes
        self._scan_file = scan_file
        self._scan_archive = scan_archive
        self._split = split if split is not None and 1 < len(split.parts) <= jobs else None
        self._jobs = jobs
        self._inline_left = inline_bytes if jobs > 1 else -1
        self._executor: ProcessPoolExecutor | None = None
        # with the bytes each carries and whether it is a big file (counted apart: one at a time)
        self._in_flight: deque[tuple[Future[Any], int, bool]] = deque()
        self._in_flight_bytes = 0
        self._batch: list[Item] = []
        self._bytes = 0
        self._future: Future[list[Any]] = Future()
        self._held: list[tuple[Item, Held]] = []  # submitted while `prepare` runs
        self._held_bytes = 0
        self._failed: list[BaseException] = []
        self._preparing: threading.Thread | None = None
        self._shared: mmap.mmap | None = None
        self._copied: mmap.mmap | None = None  # with a split: a byte per part, set once it has copied a big file
        if prepare is not None:
            self._preparing = threading.Thread(target=self._prepare, args=(prepare,), name="prepare", daemon=True)
            self._preparing.start()

    def _prepare(self, prepare: Callable[[], None]) -> None:
        try:
            prepare()
        except BaseException as exc:  # raised again in the main thread, by `_ready`
            self._failed.append(exc)

    def _ready(self, block: bool) -> bool:
        """Whether the checks are compiled (with `block`, once they are); then what was held is submitted."""
        thread = self._preparing
        if thread is not None:
            if not block and thread.is_alive():
                return False
            thread.join()
            self._preparing = None
            if self._failed:
                raise self._failed[0]
            if self._executor is None and 0 <= self._inline_left < self._held_bytes:
                self._start()  # more than a small image's worth is waiting: to the workers, not scanned here
            held, self._held, self._held_bytes = self._held, [], 0
            for item, later in held:
                later.value = self._dispatch(*item)
        return True

    def poll(self) -> None:
        """Between files: once the checks are compiled, what was held goes to the scan at once, not with
        the next text file (a run of binary files took 0.2 s on the bench image)."""
        if self._preparing is not None:
            self._ready(block=False)

    def submit(self, path: str, data: bytes) -> list[Hit] | Pending | Held:
        """`scan_file(path, data)`, now or later."""
        return self._submit(path, data, False)  # type: ignore[no-any-return]  # a file's scan is its hits

    def submit_archive(self, path: str, data: bytes) -> Any:
        """`scan_archive(path, data)`, now or later (a `Pending` or `Held` of it)."""
        assert self._scan_archive is not None
        return self._submit(path, data, True)

    def _submit(self, path: str, data: bytes, archive: bool) -> Any:
        if self._ready(block=self._held_bytes + len(data) > HELD_BYTES):
            return self._dispatch(path, data, archive)
        later = Held()
        self._held.append(((path, data, archive), later))
        self._held_bytes += len(data)
        return later

    def _dispatch(self, path: str, data: bytes, archive: bool = False) -> Any:
        if self._executor is None:
            scan: Callable[[str, bytes], Any] = self._scan_file
            if archive:
                assert self._scan_archive is not None
                scan = self._scan_archive
            if self._inline_left < len(data):
                if self._inline_left < 0:
                    return scan(path, data)
                self._start()
            else:
                self._inline_left -= len(data)
                return scan(path, data)
        if len(data) >= BIG_FILE:
            self.flush()
            placeholder: Future[list[Any]] = Future()
            if not archive and self._split is not None and self._copied is not None and self._shared is not None \
                    and len(data) <= len(self._shared):
                self._send_split(path, data, placeholder)
            else:
                self._send([(path, data, archive)], len(data), placeholder, big=True)
            return Pending(placeholder, 0)  # `data` is not kept: the shared memory or the pickle holds it
        pending = Pending(self._future, len(self._batch))
        self._batch.append((path, data, archive))
        self._bytes += len(data)
        if self._bytes >= BATCH_BYTES or len(self._batch) >= BATCH_FILES:  # read when used: tests shrink them
            self.flush()
        return pending

    def flush(self) -> None:
        """Send the batch being filled (and whatever is held, once the checks are compiled); their
        `Pending`s resolve when a worker is done with them."""
        self._ready(block=True)
        if not self._batch:
            return
        batch, placeholder, size = self._batch, self._future, self._bytes
        self._batch, self._bytes, self._future = [], 0, Future()
        self._send(batch, size, placeholder)

    def _send(self, batch: list[Item], size: int, placeholder: Future[list[Any]], big: bool = False) -> None:
        """Send `batch` once there is room in flight: at most two batches a worker, `IN_FLIGHT_BYTES` of
        batches and one big file. Whichever is done first makes room (a big file in one worker must not
        keep the others idle)."""
        assert self._executor is not None
        self._make_room(size, big)
        shared = self._shared
        if big and shared is not None and size <= len(shared):  # no other big file is in flight: it is free
            path, data, archive = batch[0]
            shared[:size] = data
            running = self._executor.submit(_scan_shared, path, size, archive)
        else:
            running = self._executor.submit(_scan_batch, _Parcel(batch))
        running.add_done_callback(lambda done: _relay(done, placeholder))
        self._in_flight.append((running, size, big))
        if not big:
            self._in_flight_bytes += size

    def _send_split(self, path: str, data: bytes, placeholder: Future[list[Any]]) -> None:
        """A big file to as many workers as `split` has parts, each running its share of the checks on
        it (through the shared memory, once no other big file is in flight); `placeholder` gets the
        parts' hits joined once all are done."""
        assert self._executor is not None and self._shared is not None and self._split is not None
        assert self._copied is not None
        split = self._split
        size = len(data)
        self._make_room(size, True)
        self._shared[:size] = data
        self._copied[:len(split.parts)] = bytes(len(split.parts))  # `_make_room` waited for the last file's parts
        parts = [self._executor.submit(_scan_shared_part, path, size, part) for part in range(len(split.parts))]

        def joined(_: object) -> None:  # on the executor's thread: whatever happens, `placeholder` is set
            if all(part.done() for part in parts) and not placeholder.done():
                error = next((e for part in parts if (e := part.exception()) is not None), None)
                if error is None:
                    try:
                        placeholder.set_result([split.join([part.result() for part in parts])])
                        return
                    except Exception as exc:  # noqa: BLE001 - raised again where the hits are asked for
                        error = exc
                placeholder.set_exception(error)

        for part in parts:
            part.add_done_callback(joined)
            self._in_flight.append((part, size, True))

    def _make_room(self, size: int, big: bool) -> None:
        while self._in_flight and (len(self._in_flight) >= 2 * self._jobs
                                   or (big and any(b for _, _, b in self._in_flight))
                                   or (not big and self._in_flight_bytes + size > IN_FLIGHT_BYTES)):
            wait([running for running, _, _ in self._in_flight], return_when=FIRST_COMPLETED)
            still: deque[tuple[Future[Any], int, bool]] = deque()
            for running, carried, was_big in self._in_flight:
                if not running.done():
                    still.append((running, carried, was_big))
                    continue
                running.result()  # a worker's error surfaces here
                if not was_big:
                    self._in_flight_bytes -= carried
            self._in_flight = still

    def _start(self) -> None:
        global _worker_scan, _worker_shared, _worker_split, _worker_copied, _worker_archive
        _give_back_freed_memory()
        _worker_scan, _worker_split = self._scan_file, self._split  # the fork copies them into every worker
        _worker_archive = self._scan_archive
        self._shared = _worker_shared = _shared_memory(SHARED_BYTES)  # and maps these into every one
        # a byte per part, not a multiprocessing.Value: its lock starts a resource tracker process (0.13 s)
        self._copied = _worker_copied = _shared_memory(mmap.PAGESIZE) if self._split is not None else None
        self._executor = ProcessPoolExecutor(max_workers=self._jobs, mp_context=multiprocessing.get_context("fork"))

    def __enter__(self) -> ScanPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._preparing is not None:  # never leave a compile running into interpreter shutdown
            self._preparing.join()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        for shared in (self._shared, self._copied):
            if shared is not None:
                shared.close()


class Held:
    """The hits of a file submitted while the checks compiled: what it was given once they were (hits, or
    a `Pending`)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: Any = None  # the scan's outcome (hits, an archive's scan) or a `Pending` of it

    def result(self) -> Any:
        value = self.value
        assert value is not None, "the pool was not flushed"
        return value.result() if isinstance(value, Pending) else value

    def done(self) -> bool:
        return self.value is not None and (not isinstance(self.value, Pending) or self.value.done())


def _relay(done: Future[list[Any]], placeholder: Future[list[Any]]) -> None:
    error = done.exception()
    if error is not None:
        placeholder.set_exception(error)
    else:
        placeholder.set_result(done.result())
