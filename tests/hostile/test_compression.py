"""Broken and malicious compression: truncated or corrupt gzip and zstd, junk, and decompression bombs.

A layer that cannot be read is listed as not scanned and exits 2, while the other layers are still
audited; a bomb stops at --max-layer-bytes (a limit: reported, fatal only with --strict)."""

from __future__ import annotations

import time

import pytest

from testing import hostile
from testing import imagekit as kit
from testing.hostile import SECRET_FILE, paths, unscanned
from testing.imagekit import Blob, File

BASE = [File("/base.env", SECRET_FILE)]
TOP = [File("/top.env", SECRET_FILE)]
MIDDLE = kit.layer_tar([File("/middle.env", SECRET_FILE), File("/filler", bytes(range(256)) * 400)])


def _damaged(compression: str, damage: str) -> bytes:
    blob = kit.compress(MIDDLE, compression)  # type: ignore[arg-type]
    if damage == "truncated":
        return blob[: len(blob) // 2]
    if damage == "no end":
        return blob[:-6]
    if damage == "flipped":
        middle = len(blob) // 2
        return blob[:middle] + bytes(b ^ 0x5A for b in blob[middle:middle + 64]) + blob[middle + 64:]
    return blob[:4] + bytes(range(251)) * 8  # a valid magic, then junk


@pytest.mark.parametrize("compression", ["gzip", "zstd"])
@pytest.mark.parametrize("damage", ["truncated", "no end", "flipped", "junk after magic"])
def test_a_corrupt_layer_is_not_scanned_and_the_others_are_still_audited(oci, audit, compression, damage):
    blob = _damaged(compression, damage)
    layout = oci([BASE, Blob(blob, diff_id=kit.sha256(MIDDLE)), TOP])
    result = audit(layout)
    report = result.json()
    assert result.code == 2  # even though findings were made: a partial report never passes
    assert {"/base.env", "/top.env"} <= {p for p, _ in paths(report)}
    assert [(layer, path, limit) for layer, path, limit in unscanned(report)] == [(1, None, None)]
    assert "layer unreadable" in report["not_scanned"][0]["reason"]


def test_junk_that_is_neither_compressed_nor_a_tar_is_not_scanned(oci, audit):
    report = audit(oci([BASE, Blob(bytes(range(256)) * 64), TOP])).json()
    assert [(layer, path) for layer, path, _ in unscanned(report)] == [(1, None)]


def test_an_empty_blob_is_not_taken_for_an_empty_layer(oci, audit):
    """Builders write an empty layer as a tar of zero blocks; zero bytes are more likely a lost blob."""
    result = audit(oci([BASE, Blob(b""), TOP]))
    assert result.code == 2
    assert [(layer, path) for layer, path, _ in unscanned(result.json())] == [(1, None)]
    assert audit(oci([BASE, Blob(hostile.end()), TOP])).code == 1  # two zero blocks: a real empty layer


@pytest.mark.parametrize("bomb", ["gzip", "zstd"])
def test_a_decompression_bomb_stops_at_the_layer_limit(oci, audit, bomb):
    inflated = 16 << 30 if bomb == "zstd" else 512 << 20  # a gzip bomb is at most ~1000:1; zstd goes far beyond
    blob = hostile.zstd_bomb(inflated) if bomb == "zstd" else hostile.gzip_bomb(inflated)
    assert len(blob) < 1 << 20
    layout = oci([BASE, Blob(blob), TOP])
    started = time.monotonic()
    result = audit(layout, "--max-layer-bytes", "32M")
    elapsed = time.monotonic() - started
    report = result.json()
    assert result.code == 1  # the findings of the other layers; the limit alone does not fail
    assert unscanned(report) == [(1, None, "max-layer-bytes")]
    assert "more than 33554432 bytes" in report["not_scanned"][0]["reason"]
    assert {"/base.env", "/top.env"} <= {p for p, _ in paths(report)}
    assert elapsed < 60, elapsed  # 32 MiB inflated, not 16 GiB
    assert audit(layout, "--max-layer-bytes", "32M", "--strict").code == 2


def test_a_bomb_hidden_after_the_end_of_the_tar_is_capped_too(oci, audit):
    """The bytes after the tar's end are read to check the digest: that read is bounded as well."""
    blob = kit.compress(kit.layer_tar(TOP), "gzip") + hostile.gzip_bomb(256 << 20)
    report = audit(oci([BASE, Blob(blob)]), "--max-layer-bytes", "16M").json()
    assert unscanned(report) == [(1, None, "max-layer-bytes")]
    assert ("/top.env", "visible") in paths(report)  # what came before the limit is kept


def test_a_gzip_archive_bomb_is_not_spooled_beyond_its_limit(tmp_path, cli, monkeypatch):
    """`docker save | gzip` is decompressed to a private temp file: that file is bounded too, and removed."""
    import tempfile

    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    bomb = tmp_path / "image.tar.gz"
    bomb.write_bytes(hostile.gzip_bomb(256 << 20))
    result = cli(str(bomb), "--max-archive-bytes", "16M")
    assert result.code == 2
    assert result.err.startswith("audit: error: ") and "more than 16777216 bytes" in result.err
    assert "--max-archive-bytes" in result.err
    assert list(private_tmp.iterdir()) == []
