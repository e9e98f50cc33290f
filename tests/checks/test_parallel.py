"""Scanning in worker processes finds exactly what scanning in this process finds."""

from __future__ import annotations

import os

import pytest

from auditor import parallel
from auditor.audit import Settings, audit
from auditor.checks import hsdb
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
