"""Archive files read in a worker (`read_layer(scan_archive=...)`, `ScanPool.submit_archive`): the layer
ends up exactly as when the reader reads them itself: members, hits and, in reading order, what was not
scanned."""

from __future__ import annotations

import functools
import io
import os

import pytest

from auditor import parallel
from auditor.layers import ArchiveScan, LayerScan, read_layer, scan_archive
from auditor.model import Digest, Hit, Layer, RuleId
from auditor.nested import NestedLimits
from testing import imagekit as kit
from testing.imagekit import Dir, File
from tests.test_nested import zip_bytes

LIMIT = 1000  # --max-file-size of these reads: the nested caps scale with it


def _secret(path: str, data: bytes) -> list[Hit]:
    return [Hit(RuleId("test"), 1, "SECRET", path)] if b"SECRET" in data else []


def _entries() -> list[kit.Entry]:
    """Things not scanned before, inside and after two archives: each archive's skips must land between."""
    first = zip_bytes([("conf/app.properties", b"token=SECRET\n"), ("big.txt", b"x" * (LIMIT + 1)),
                  ("notes.txt", b"nothing\n")])
    second = zip_bytes([("deep/more.txt", b"y" * (LIMIT + 5)), ("deep/key.env", b"KEY=SECRET\n")])
    return [Dir("/app"), File("/app/huge.log", b"a" * (LIMIT + 1)), File("/app/one.jar", first),
            File("/app/middle.log", b"b" * (LIMIT + 1)), File("/app/two.zip", second),
            File("/app/last.log", b"c" * (LIMIT + 1)), File("/app/plain.txt", b"SECRET\n")]


def _layer(tar: bytes) -> Layer:
    return Layer(index=1, digest=Digest(kit.sha256(tar)), diff_id=Digest(kit.sha256(tar)), media_type=None,
                 size=len(tar), opener=lambda: io.BytesIO(tar))


class _Later:
    """An archive's scan not done until asked for (a worker still reading it)."""

    def __init__(self, compute: functools.partial[ArchiveScan]) -> None:
        self._compute = compute
        self.asked = False

    def done(self) -> bool:
        return self.asked

    def result(self) -> ArchiveScan:
        self.asked = True
        return self._compute()


def _as_filed(scan: LayerScan) -> tuple[object, ...]:
    return scan.records, scan.hits, scan.members, scan.not_scanned


def test_archives_read_elsewhere_file_the_same_members_hits_and_skips_in_reading_order() -> None:
    tar = kit.layer_tar(_entries())
    here = read_layer(_layer(tar), _secret, LIMIT)
    later: list[_Later] = []

    def elsewhere(path: str, data: bytes) -> _Later:
        later.append(_Later(functools.partial(scan_archive, path, data, scan_file=_secret,
                                              limits=NestedLimits.scaled(LIMIT))))
        return later[-1]

    sent = read_layer(_layer(tar), _secret, LIMIT, scan_archive=elsewhere)
    assert len(later) == 2 and not any(item.asked for item in later)  # nothing waited for while reading
    assert not sent.ready()
    sent.file_archives()
    assert _as_filed(sent) == _as_filed(here)
    assert [item.path for item in here.not_scanned] == [
        "/app/huge.log", "/app/one.jar!/big.txt", "/app/middle.log", "/app/two.zip!/deep/more.txt", "/app/last.log"]
    assert {hit.member for hits in here.hits.values() for hit in hits} == {"/conf/app.properties", "/deep/key.env",
                                                                            None}


def test_resolve_files_archives_not_filed_yet() -> None:
    tar = kit.layer_tar(_entries())
    here = read_layer(_layer(tar), _secret, LIMIT)
    sent = read_layer(_layer(tar), _secret, LIMIT, scan_archive=functools.partial(
        scan_archive, scan_file=_secret, limits=NestedLimits.scaled(LIMIT)))
    sent.resolve()
    assert _as_filed(sent) == _as_filed(here)


def _pid_hits(path: str, data: bytes) -> list[Hit]:
    return [Hit(RuleId("where"), None, None, str(os.getpid()))] if b"SECRET" in data else []


def test_the_pool_sends_an_archive_to_a_worker_whole_big_or_small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "BIG_FILE", 2000)
    small = zip_bytes([("a.txt", b"SECRET\n")])
    big = zip_bytes([("b.txt", b"SECRET\n"), *((f"pad{i}.txt", os.urandom(600).hex().encode()) for i in range(4))])
    assert len(small) < 2000 <= len(big)
    archive = functools.partial(scan_archive, scan_file=_pid_hits, limits=NestedLimits.scaled(1 << 20))
    with parallel.ScanPool(_pid_hits, jobs=2, inline_bytes=0, scan_archive=archive) as pool:
        outcomes = [pool.submit_archive("/s.zip", small), pool.submit("/t.txt", b"SECRET"),
                    pool.submit_archive("/b.zip", big)]
        pool.flush()
        first, text, second = (outcome.result() for outcome in outcomes)
    assert isinstance(first, ArchiveScan) and isinstance(second, ArchiveScan)
    assert [m.path for m in first.members] == ["/a.txt"] and [h.member for h in first.hits] == ["/a.txt"]
    assert [h.member for h in second.hits] == ["/b.txt"] and len(second.members) == 5
    assert {hit.message for hit in [*first.hits, *text, *second.hits]} - {str(os.getpid())} != set()
    assert str(os.getpid()) not in {hit.message for hit in [*first.hits, *second.hits]}
