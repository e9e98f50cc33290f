"""Scanning in worker processes finds exactly what scanning in this process finds."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from auditor import parallel
from auditor.audit import Settings, audit
from auditor.checks import hsdb
from auditor.checks.scanner import Scanner
from auditor.model import Hit, RuleId
from auditor.rules import default_pack_paths, load_rules
from auditor.sources import open_image
from testing import imagekit as kit
from testing.imagekit import Dir, File, ImageSpec, Whiteout

TOKEN = "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"
RULES = load_rules(default_pack_paths())


def _layers() -> list[list[object]]:
    filler = [File(f"/srv/data/{i}.txt", (f"line {i} of nothing much\n" * 400).encode()) for i in range(60)]
    secrets = [File(f"/app/conf{i}/settings.yaml", f"github:\n  token: {TOKEN[:-2]}{i:02d}\n".encode())
               for i in range(40)]
    return [[Dir("/srv"), Dir("/srv/data"), *filler],
            [Dir("/app"), *[Dir(f"/app/conf{i}") for i in range(40)], *secrets],
            [Whiteout("/app/conf3/settings.yaml")]]


def _findings(ref: str, **settings: object) -> list[tuple[object, ...]]:
    with open_image(ref) as image:
        report, _ = audit(image, RULES, Settings(**settings))  # type: ignore[arg-type]
    return [(f.rule, f.path, f.layer, f.line, f.status, f.fingerprint) for f in report.findings]


def test_workers_find_the_same_as_one_process(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    ref = str(tmp_path / "image.tar")
    kit.write_docker_archive(ref, ImageSpec(layers=_layers()))
    inline = _findings(ref, jobs=1)
    started: list[int] = []
    real_start = parallel.ScanPool._start
    monkeypatch.setattr(parallel.ScanPool, "_start", lambda self: (started.append(os.getpid()), real_start(self)))
    monkeypatch.setattr(parallel, "INLINE_BYTES", 0)  # every file to the workers
    monkeypatch.setattr(parallel, "BATCH_FILES", 7)  # many batches, several in flight
    pooled = _findings(ref, jobs=2)
    assert started, "the workers never started"
    assert pooled == inline
    assert len({f[1] for f in inline if f[1] and f[1].startswith("/app/conf")}) == 40


def test_small_images_are_scanned_without_workers(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    ref = str(tmp_path / "image.tar")
    kit.write_docker_archive(ref, ImageSpec(layers=_layers()[1:2]))
    monkeypatch.setattr(parallel.ScanPool, "_start", lambda self: pytest.fail("workers started for a small image"))
    assert _findings(ref, jobs=2)


@pytest.mark.slow
def test_compiled_databases_are_kept_and_a_corrupt_one_is_rebuilt(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    ref = str(tmp_path / "image.tar")
    kit.write_docker_archive(ref, ImageSpec(layers=_layers()[1:2]))
    cache = tmp_path / "cache"
    monkeypatch.setattr(hsdb, "_MEMORY", {})
    expected = _findings(ref, jobs=1, cache_dir=str(cache))
    stored = sorted((cache / "hs").glob("*.db"))
    assert stored and all(p.stat().st_mode & 0o077 == 0 for p in stored) and (cache / "hs").stat().st_mode & 0o077 == 0
    for path in stored:  # flip a byte: the checksum must catch it
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    monkeypatch.setattr(hsdb, "_MEMORY", {})
    monkeypatch.setattr(hsdb.hyperscan, "loadb", lambda *a: pytest.fail("a corrupt database was loaded"))
    assert _findings(ref, jobs=1, cache_dir=str(cache), cache_read=False) == expected


def _where(path: str, data: bytes) -> list[Hit]:
    """A scan that says which process scanned the file (and, for `/gate/*`, waits for the test's marker)."""
    if path.startswith("/gate/"):
        marker = Path(data.split(b"\n", 1)[0].decode())
        deadline = time.monotonic() + 10
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert marker.exists(), "the pool waited for this file before sending the others"
    return [Hit(rule=RuleId("where"), line=None, secret=None, message=str(os.getpid()))]


def test_files_wait_for_the_compile_and_then_are_all_scanned() -> None:
    """What is submitted while `prepare` runs (on its thread) is held, not scanned; once it is done,
    every held file is scanned, in this process for a small image."""
    compiled = threading.Event()
    release = threading.Event()

    def prepare() -> None:
        release.wait(10)
        compiled.set()

    scanned: list[str] = []

    def scan(path: str, data: bytes) -> list[Hit]:
        assert compiled.is_set(), "scanned before the checks were compiled"
        scanned.append(path)
        return []

    with parallel.ScanPool(scan, jobs=2, prepare=prepare) as pool:
        held = [pool.submit(f"/f{i}", b"x" * 100) for i in range(5)]
        assert scanned == []
        release.set()
        pool.flush()
        assert [h.result() for h in held] == [[]] * 5
    assert scanned == [f"/f{i}" for i in range(5)]


def test_held_files_go_to_the_scan_when_polled_once_the_compile_is_done() -> None:
    """Between files (binary ones, which are never submitted), `poll` hands what was held to the scan as
    soon as `prepare` is done: not only with the next text file."""
    release = threading.Event()
    scanned: list[str] = []

    def scan(path: str, data: bytes) -> list[Hit]:
        scanned.append(path)
        return []

    with parallel.ScanPool(scan, jobs=2, prepare=lambda: release.wait(10)) as pool:
        held = pool.submit("/held", b"x" * 100)
        pool.poll()
        assert scanned == []  # still compiling: polling does not wait for it
        release.set()
        deadline = time.monotonic() + 10
        while not held.done() and time.monotonic() < deadline:
            pool.poll()
            time.sleep(0.01)
        assert scanned == ["/held"] and held.result() == []


def test_a_big_file_goes_to_a_worker_and_does_not_hold_up_the_others(tmp_path, monkeypatch) -> None:
    """A big file is scanned by a worker, not by the reading process; while it is (slowly) scanned, more
    batches are sent to the other worker: the pool waits for whichever batch is done first."""
    monkeypatch.setattr(parallel, "BIG_FILE", 1000)
    monkeypatch.setattr(parallel, "BATCH_BYTES", 100)
    marker = tmp_path / "go"
    gate = (str(marker) + "\n").encode() + b"x" * 2000
    with parallel.ScanPool(_where, jobs=2, inline_bytes=0) as pool:
        big = pool.submit("/gate/big", gate)
        small = [pool.submit(f"/small{i}", b"y" * 200) for i in range(6)]  # each fills a batch of its own
        marker.touch()  # reached only if no submit waited for the big file
        pool.flush()
        where = {int(big.result()[0].message)} | {int(s.result()[0].message) for s in small}
    assert os.getpid() not in where


def test_compiles_run_side_by_side_and_the_first_error_is_raised_once_all_are_done() -> None:
    both = threading.Barrier(2, timeout=10)  # passes only when two tasks wait at once
    done: list[str] = []

    def meet(name: str) -> None:
        both.wait()
        done.append(name)

    parallel.side_by_side([lambda: meet("a"), lambda: meet("b")])
    assert sorted(done) == ["a", "b"]

    def fail() -> None:
        raise ValueError("cannot compile")

    with pytest.raises(ValueError, match="cannot compile"):
        parallel.side_by_side([fail, lambda: done.append("c")])
    assert done[-1] == "c"


def test_a_batch_is_let_go_of_once_it_is_pickled_for_a_worker() -> None:
    import pickle

    parcel = parallel._Parcel([("/big", b"x" * 1000)])
    sent = pickle.loads(pickle.dumps(parcel))
    assert sent.batch == [("/big", b"x" * 1000)] and parcel.batch == []


def _digest_of(path: str, data: bytes) -> list[Hit]:
    """A scan that says what it was given: the file's size and sha256, and which process read it."""
    import hashlib

    return [Hit(rule=RuleId("seen"), line=len(data), secret=hashlib.sha256(data).hexdigest(), message=str(os.getpid()))]


def test_big_files_reach_their_worker_whole_through_shared_memory_one_after_another(monkeypatch) -> None:
    import hashlib

    monkeypatch.setattr(parallel, "BIG_FILE", 1000)
    files = [(f"/big{i}", bytes([65 + i]) * (5000 + i * 777)) for i in range(4)]  # each reuses the memory
    with parallel.ScanPool(_digest_of, jobs=2, inline_bytes=0) as pool:
        pending = [pool.submit(path, data) for path, data in files]
        pool.flush()
        assert pool._shared is not None  # mapped before the workers fork
        seen = [p.result()[0] for p in pending]
    assert [(h.line, h.secret) for h in seen] == [(len(d), hashlib.sha256(d).hexdigest()) for _, d in files]
    assert str(os.getpid()) not in {h.message for h in seen}


def _part(name: str):  # type: ignore[no-untyped-def]
    """One part of a split scan: `_digest_of`'s hit, under the rule `name`."""
    from dataclasses import replace

    return lambda path, data: [replace(hit, rule=RuleId(name)) for hit in _digest_of(path, data)]


def test_a_big_files_checks_are_shared_among_workers_and_joined_in_order(monkeypatch) -> None:
    """With a split, each part of a big file's scan runs in a worker on the whole file (through the shared
    memory, whose pages the last part to copy them gives back), and the hits come back joined in part
    order, all with the digests the last part computed; a single worker scans whole."""
    import hashlib

    from auditor.layers import Split

    monkeypatch.setattr(parallel, "BIG_FILE", 1000)
    split = Split((_part("first"), _part("rest")), merge=lambda hits: hits)
    files = [(f"/big{i}", bytes([65 + i]) * (5000 + i * 777)) for i in range(3)]
    with parallel.ScanPool(_digest_of, jobs=2, inline_bytes=0, split=split) as pool:
        pending = [pool.submit(path, data) for path, data in files]
        small = pool.submit("/small", b"z" * 10)
        pool.flush()
        joined = [p.result() for p in pending]
        assert small.result()[0].rule == "seen"
        assert pool._shared is not None and pool._shared[:len(files[-1][1])] == bytes(len(files[-1][1]))  # given back
    for (_, data), hits in zip(files, joined, strict=True):
        digest = hashlib.sha256(data).hexdigest()
        assert [(h.rule, h.line, h.secret) for h in hits] == [("first", len(data), digest), ("rest", len(data), digest)]
        assert [h.digests.sha256 if h.digests else None for h in hits] == [digest, digest]
        assert str(os.getpid()) not in {h.message for h in hits}
    with parallel.ScanPool(_digest_of, jobs=1, inline_bytes=0, split=split) as pool:
        assert pool._split is None  # one worker: nothing to share


def test_an_audit_writes_each_layers_cache_entry_once_its_hits_are_in_even_while_another_is_scanned(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The layers are resolved as their hits come in, not in order: the second layer's cache entry is
    written while the first layer's slow file is still being scanned."""
    from auditor.cache import LayerCache

    marker = tmp_path / "second-layer-stored"
    monkeypatch.setattr(parallel, "INLINE_BYTES", 0)
    monkeypatch.setattr(parallel, "BATCH_FILES", 1)  # each file a batch of its own
    real_scan = Scanner.scan_file

    def slow_in_first(self: Scanner, path: str, data: bytes) -> list[Hit]:
        if path == "/srv/slow.txt":  # waits until the second layer is in the cache (at most 20 s)
            deadline = time.monotonic() + 20
            while not marker.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
        return real_scan(self, path, data)

    real_put = LayerCache.put

    def put(self: LayerCache, scan) -> None:  # type: ignore[no-untyped-def]
        real_put(self, scan)
        if scan.index == 1:
            marker.touch()

    monkeypatch.setattr(Scanner, "scan_file", slow_in_first)
    monkeypatch.setattr(LayerCache, "put", put)
    ref = str(tmp_path / "image.tar")
    kit.write_docker_archive(ref, ImageSpec(layers=[[Dir("/srv"), File("/srv/slow.txt", b"nothing\n" * 100)],
                                                    [File("/etc/a.conf", b"x = 1\n" * 100)]]))
    started = time.monotonic()
    _findings(ref, jobs=2, cache_dir=str(tmp_path / "cache"))
    assert marker.exists() and time.monotonic() - started < 15


def test_warming_compiles_every_database_a_scan_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers fork once the checks are warm: a database first built in a worker is built in each."""
    scanner = Scanner(RULES)
    with scanner.session():
        scanner.warm()
        built: list[object] = []
        real = hsdb.database

        def database(sources: object, build):  # type: ignore[no-untyped-def]
            return real(sources, lambda: (built.append(sources), build())[1])

        monkeypatch.setattr(hsdb, "database", database)
        hsdb._MEMORY.clear()  # what warm built is kept by key; a build now would be a worker's own
        for path, text in [("/app/.env", "DB_PASSWORD=Xk9vLq2mWp7zRt4\n"), ("/app/config.yaml", "token: abc\n"),
                           ("/app/main.py", "api_key = 'Zq8Lm3Vx9Pz4Kw8NbR2tY6uH1jC5dF0g'\n"),
                           ("/etc/app.ini", "[db]\npassword = hunter2hunter2\n")]:
            scanner.scan_file(path, text.encode())
    assert built == []


def test_a_database_asked_for_by_two_threads_at_once_is_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit starts the regex gate's compile before the pool's compile asks for it: the second asker
    waits for the first build and takes its database; a build that fails lets the next one try."""
    monkeypatch.setattr(hsdb, "_MEMORY", {})
    monkeypatch.setattr(hsdb, "_root", None)
    started, release = threading.Event(), threading.Event()
    builds: list[str] = []

    def build() -> tuple[list[bytes], list[int], list[int]]:
        builds.append(threading.current_thread().name)
        started.set()
        assert release.wait(10)
        return [b"abc"], [0], [0]

    results: list[object] = []
    first = threading.Thread(target=lambda: results.append(hsdb.database(("test", 1), build)), name="first")
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=lambda: results.append(hsdb.database(("test", 1), build)), name="second")
    second.start()
    time.sleep(0.05)  # the second is waiting, not building
    release.set()
    first.join(10)
    second.join(10)
    assert builds == ["first"] and len(results) == 2 and results[0] is results[1]

    def broken() -> tuple[list[bytes], list[int], list[int]]:
        raise hsdb.CompileError("no")

    with pytest.raises(hsdb.CompileError):
        hsdb.database(("test", 2), broken)
    assert hsdb.database(("test", 2), lambda: ([b"x"], [0], [0])) is not None and hsdb._BUILDING == {}


def test_the_audit_compiles_the_regex_gate_once_starting_before_the_other_checks(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor import audit as audit_module

    ref = str(tmp_path / "image.tar")
    kit.write_docker_archive(ref, ImageSpec(layers=_layers()))
    monkeypatch.setattr(hsdb, "_MEMORY", {})
    asked: list[tuple[str, str]] = []  # (thread, database), in the order threads ask for them
    built: list[str] = []  # databases compiled (by whichever thread asking for one gets there first)
    real = hsdb.database

    def database(sources: object, build):  # type: ignore[no-untyped-def]
        asked.append((threading.current_thread().name, repr(sources)))
        return real(sources, lambda: (built.append(repr(sources)), build())[1])

    monkeypatch.setattr(hsdb, "database", database)
    early: list[threading.Thread] = []
    real_early = audit_module._compile_early
    monkeypatch.setattr(audit_module, "_compile_early", lambda rules: (early.append(real_early(rules)), early[-1])[1])
    assert _findings(ref, jobs=2)
    assert len(early) == 1 and not early[0].is_alive()  # joined before the workers forked
    thread, first = asked[0]  # the early thread asks for the regex gate before any other check's compile
    assert thread == "gate" and "text-every" in first and first in built
    assert len(built) == len(set(built))  # each database built once (the other asking thread waits for it)


def test_an_error_in_the_early_gate_compile_is_left_to_the_pools_compile(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The early compile prints nothing and stops nothing when it fails: the pool's own compile builds the
    database (or raises, on the main thread, where errors become exit code 2)."""
    from auditor.checks.regex import RegexCheck

    ref = str(tmp_path / "image.tar")
    kit.write_docker_archive(ref, ImageSpec(layers=_layers()))
    expected = _findings(ref, jobs=2)
    real_warm = RegexCheck.warm

    def warm(self: RegexCheck) -> None:
        if threading.current_thread().name == "gate":
            raise RuntimeError("the early compile failed")
        real_warm(self)

    monkeypatch.setattr(RegexCheck, "warm", warm)
    monkeypatch.setattr(hsdb, "_MEMORY", {})
    unhandled: list[object] = []  # what would print "Exception in thread gate" and a traceback
    monkeypatch.setattr(threading, "excepthook", unhandled.append)
    assert _findings(ref, jobs=2) == expected
    assert unhandled == []


def test_a_split_whose_join_fails_raises_where_its_hits_are_asked_for(monkeypatch) -> None:
    """An error joining the parts (on the executor's thread) reaches the reader, never hangs it."""
    from auditor.layers import Split

    monkeypatch.setattr(parallel, "BIG_FILE", 1000)

    def broken(hits: list[Hit]) -> list[Hit]:
        raise ValueError("cannot join")

    with parallel.ScanPool(_digest_of, jobs=2, inline_bytes=0, split=Split((_part("a"), _part("b")), broken)) as pool:
        pending = pool.submit("/big", b"x" * 5000)
        pool.flush()
        error = pending._batch.exception(timeout=30)  # type: ignore[union-attr]  # (a hang without the fix)
        assert isinstance(error, ValueError) and str(error) == "cannot join"
        with pytest.raises(ValueError, match="cannot join"):
            pending.result()  # type: ignore[union-attr]
