"""Where the distinct layers of a sweep are read and scanned: one task per layer, one result back.

A task names the layer's blob (registry, repository, digest, size, diff_id) and carries the registry
options, credentials included, since a worker streams the blob from the registry itself; the options are
left out of the task's `repr`, and `Credentials` prints its username only, so no log line of ours or of
Dask's shows them. The rules go to each worker once (a pool initializer, or one broadcast Dask future).
A result is what the layer cache keeps (`cache.to_doc`: records, and per hit the redacted preview and the
secret's sha256), never a secret value.

Executors, by the name `--executor` gives: `local` (this machine's processes; one job runs in this
process) and `dask://HOST:PORT` or `dask+tls://HOST:PORT` (a Dask distributed scheduler). A worker that
dies mid-layer loses nothing: the scheduler hands its task to another worker, and the result is the same
bytes, read and scanned the same way.
"""

from __future__ import annotations

import importlib
import os
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from auditor import cache
from auditor.cache import to_doc
from auditor.checks import KINDS, hsdb
from auditor.checks.scanner import Scanner
from auditor.errors import SweepError, UsageError
from auditor.identity import claimed
from auditor.layers import read_layer, with_digests
from auditor.limits import Limits
from auditor.model import Digest, Layer, Rule
from auditor.registry.client import RegistryClient
from auditor.registry.reference import RegistryRef
from auditor.registry.settings import RegistryOptions


@dataclass(frozen=True)
class LayerTask:
    """One distinct layer to read and scan, and how to reach its blob."""

    registry: str
    repository: str  # a repository that holds the blob (the first image found with it)
    digest: str
    diff_id: str | None
    size: int | None
    media_type: str | None
    limits: Limits
    options: RegistryOptions = field(repr=False)  # credentials reach the worker only here

    @property
    def key(self) -> tuple[str, str]:
        return self.digest, self.diff_id or ""


@dataclass(frozen=True)
class LayerResult:
    """What scanning one layer gave: the scan as `cache.to_doc` keeps it (no secret values); `complete`
    when the blob and diff_id were checked against the bytes and nothing was left unread."""

    digest: str
    diff_id: str | None
    doc: dict[str, Any]
    complete: bool
    bytes_read: int
    worker: str  # host:pid, for the progress log

    @property
    def key(self) -> tuple[str, str]:
        return self.digest, self.diff_id or ""


def content_rules(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    """The rules a layer scan runs (the content kinds'); the others apply when an image is assembled."""
    return tuple(rule for rule in rules if rule.kind in KINDS and KINDS[rule.kind].family == "content")


_scanners: dict[int, Scanner] = {}  # per worker process: compiling the patterns costs seconds, once


def _scanner(rules: Sequence[Rule]) -> Scanner:
    key = hash(tuple(repr(rule) for rule in rules))
    if key not in _scanners:
        root = cache.default_dir()
        hsdb.use_cache(root if cache.untrusted(root) is None else None)  # as audit: compiled once per machine
        _scanners.clear()
        _scanners[key] = Scanner(list(rules))
    return _scanners[key]


_clients: dict[tuple[str, str, RegistryOptions], RegistryClient] = {}  # per worker process: a TLS context
# and a token cost a round trip and ~1 s of CPU each, so each repository's client serves all its tasks


def _client(task: LayerTask) -> RegistryClient:
    key = (task.registry, task.repository, task.options)
    if key not in _clients:
        _clients[key] = RegistryClient(RegistryRef(task.registry, task.repository), task.options,
                                       max_json_bytes=task.limits.max_json_bytes)
    return _clients[key]


def scan_layer(task: LayerTask, rules: Sequence[Rule]) -> LayerResult:
    """Stream the task's blob from the registry, read and scan it as `audit` reads a layer; runs on a
    worker (or here, with one local job)."""
    scanner = _scanner(rules)
    client = _client(task)
    layer = Layer(index=0, digest=Digest(task.digest), diff_id=Digest(task.diff_id) if task.diff_id else None,
                  media_type=task.media_type, size=task.size,
                  opener=lambda: client.blob(task.digest, task.size), pinned=True)
    limits = task.limits
    with scanner.secrets.session():
        scan = read_layer(layer, scan_file=with_digests(scanner.scan_file), max_file_bytes=limits.max_file_bytes,
                          max_layer_bytes=limits.max_layer_bytes, max_entries=limits.max_entries)
        scan.resolve()
    complete = scan.identity is not None and scan.identity == claimed(layer) \
        and not any(item.broken for item in scan.not_scanned)
    return LayerResult(task.digest, task.diff_id, to_doc(scan), complete, scan.bytes_read,
                       f"{socket.gethostname()}:{os.getpid()}")


class Executor(Protocol):
    """Runs `scan_layer` on every task and yields the results as they come (any order)."""

    def run(self, tasks: Sequence[LayerTask], rules: Sequence[Rule]) -> Iterator[LayerResult]: ...


_pool_rules: tuple[Rule, ...] = ()  # a local worker process's rules, set once by its initializer


def _set_rules(rules: tuple[Rule, ...]) -> None:
    global _pool_rules
    _pool_rules = rules


def _pooled(task: LayerTask) -> LayerResult:
    return scan_layer(task, _pool_rules)


@dataclass(frozen=True)
class LocalExecutor:
    """This machine's processes: `jobs` worker processes, or this process alone with one job."""

    jobs: int = 1

    def run(self, tasks: Sequence[LayerTask], rules: Sequence[Rule]) -> Iterator[LayerResult]:
        if self.jobs == 1 or len(tasks) <= 1:
            for task in tasks:
                yield scan_layer(task, rules)
            return
        with ProcessPoolExecutor(min(self.jobs, len(tasks)), initializer=_set_rules,
                                 initargs=(tuple(rules),)) as pool:
            futures = {pool.submit(_pooled, task): task for task in tasks}
            try:
                for future in as_completed(futures):
                    yield _outcome(future, futures[future])
            finally:
                for future in futures:
                    future.cancel()


@dataclass(frozen=True)
class DaskExecutor:
    """A Dask distributed scheduler at `address` (`tcp://` or `tls://`; TLS settings from Dask's own
    configuration, e.g. DASK_DISTRIBUTED__COMM__TLS__CA_FILE): one task per layer, retried on another
    worker when its worker dies."""

    address: str

    def run(self, tasks: Sequence[LayerTask], rules: Sequence[Rule]) -> Iterator[LayerResult]:
        try:
            distributed: Any = importlib.import_module("distributed")  # untyped; an optional extra
        except ImportError:
            raise UsageError("--executor dask://...: Dask is not installed; pip install "
                             "'.[dask]' from a clone of layer-auditor") from None
        if not tasks:
            return
        try:
            client = distributed.Client(self.address, timeout=30)
        except OSError as exc:
            raise UsageError(f"--executor: no Dask scheduler answers at {self.address} ({exc})") from None
        with client:
            [shared] = client.scatter([tuple(rules)], broadcast=True, hash=False)
            keys = [f"layer-{task.digest.partition(':')[2][:32]}-{os.getpid()}-{n}" for n, task in enumerate(tasks)]
            futures = client.map(scan_layer, tasks, rules=shared, key=keys, pure=False, retries=2)
            by_key = {future.key: task for future, task in zip(futures, tasks, strict=True)}
            try:
                for future in distributed.as_completed(futures):
                    yield _outcome(future, by_key[future.key])
                    future.release()
            finally:
                client.cancel(futures)


def _outcome(future: Any, task: LayerTask) -> LayerResult:
    """A finished task's result; a task that failed outright (its process killed again and again, an
    error in the worker) ends the sweep with one line: what was stored so far stays, for a re-run."""
    try:
        return cast(LayerResult, future.result())
    except Exception as exc:  # noqa: BLE001 - whatever a worker or its pool raised
        raise SweepError(f"layer {task.digest} of {task.registry}/{task.repository}: its task failed "
                         f"({type(exc).__name__}); what is done is in the store, run the sweep again") from None


def executor(spec: str, jobs: int) -> Executor:
    """The executor `--executor` names: `local`, `dask://HOST:PORT` or `dask+tls://HOST:PORT`."""
    makers: dict[str, Callable[[str], Executor]] = {
        "dask://": lambda rest: DaskExecutor(f"tcp://{rest}"),
        "dask+tls://": lambda rest: DaskExecutor(f"tls://{rest}"),
    }
    if spec == "local":
        return LocalExecutor(jobs)
    for prefix, make in makers.items():
        if spec.startswith(prefix) and spec[len(prefix):]:
            return make(spec[len(prefix):])
    raise UsageError(f"--executor {spec!r}: expected local, dask://HOST:PORT or dask+tls://HOST:PORT")
