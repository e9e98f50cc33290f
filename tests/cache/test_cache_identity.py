"""The cache's trust rule: an entry is reused only for a layer pinned by the same verified (blob digest,
diff_id) pair whose blob is what its digest names; claims alone never reuse a clean layer's results."""

from __future__ import annotations

import io
import shutil
import tarfile
from pathlib import Path

import pytest

from testing import imagekit as kit
from testing.imagekit import Blob, Dir, File, ImageSpec

SECRET = b"AWS_ACCESS_KEY_ID=AKIAJ7Q3EXAMPLE4XYZQ\n"
CLEAN = [Dir("/app"), File("/app/config", b"debug = false\n")]
CLEAN_DIFF_ID = kit.sha256(kit.layer_tar(CLEAN))
EVIL = kit.layer_tar([Dir("/app"), File("/app/.env", SECRET)])


@pytest.fixture
def cached(tmp_path, cli, monkeypatch):
    """`cached(ref)`: audit REF with the layer cache on (a private one for the test)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return lambda ref: cli(str(ref), "--format", "json", "--quiet")


def _rewrite_member(path: Path, member: str, data: bytes) -> None:
    """Replace the archive member `member`'s bytes in place (every other member unchanged)."""
    with tarfile.open(path) as tar:
        members = [(info, tar.extractfile(info).read() if info.isreg() else None)  # type: ignore[union-attr]
                   for info in tar]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as out:
        for info, body in members:
            if info.name == member:
                body, info.size = data, len(data)
            out.addfile(info, io.BytesIO(body) if body is not None else None)
    path.write_bytes(buffer.getvalue())


def test_a_docker_archive_claiming_a_cached_diff_id_for_other_bytes_is_read_not_trusted(tmp_path, cached):
    clean = tmp_path / "clean.tar"
    kit.write_docker_archive(clean, ImageSpec(layers=[CLEAN]))
    forged = tmp_path / "forged.tar"  # the very same config (so the same audit memo key), other layer bytes
    kit.write_docker_archive(forged, ImageSpec(layers=[Blob(EVIL, diff_id=CLEAN_DIFF_ID)]))
    assert cached(clean).code == 0

    result = cached(forged)
    assert result.code == 2, result
    assert result.json()["summary"]["cached_layers"] == 0
    assert "digest mismatch" in result.json()["not_scanned"][0]["reason"]


def test_an_oci_layout_claiming_a_cached_diff_id_for_another_blob_is_read_not_trusted(tmp_path, cached):
    clean, forged = tmp_path / "clean", tmp_path / "forged"
    kit.write_oci_layout(clean, ImageSpec(layers=[CLEAN]))
    kit.write_oci_layout(forged, ImageSpec(layers=[Blob(kit.compress(EVIL, "gzip"), diff_id=CLEAN_DIFF_ID)]))
    assert cached(clean).code == 0

    result = cached(forged)
    assert result.code == 2, result
    assert result.json()["summary"]["cached_layers"] == 0


def test_a_truncated_copy_of_a_cached_docker_archive_layer_is_read_not_trusted(tmp_path, cached):
    original = tmp_path / "image.tar"
    kit.write_docker_archive(original, ImageSpec(layers=[CLEAN, [File("/app/notes", b"x" * 4096)]]))
    assert cached(original).code == 0
    copy = tmp_path / "copy.tar"
    shutil.copy(original, copy)
    with tarfile.open(copy) as tar:
        [name] = [n for n in tar.getnames() if n.endswith("/layer.tar")][-1:]
        data = tar.extractfile(name).read()  # type: ignore[union-attr]
    _rewrite_member(copy, name, data[: len(data) // 2])

    result = cached(copy)
    assert result.code == 2, result
    assert result.json()["summary"]["cached_layers"] == 1  # the intact base layer still comes from the cache
    assert [n["layer"] for n in result.json()["not_scanned"]] == [1]


def test_a_cached_oci_blob_truncated_in_place_is_read_not_trusted(tmp_path, cached):
    layout = tmp_path / "layout"
    kit.write_oci_layout(layout, ImageSpec(layers=[CLEAN]))
    assert cached(layout).code == 0
    [blob] = [p for p in (layout / "blobs" / "sha256").iterdir() if p.read_bytes()[:2] == b"\x1f\x8b"]
    blob.write_bytes(blob.read_bytes()[:40])

    result = cached(layout)
    assert result.code == 2, result
    assert result.json()["summary"]["cached_layers"] == 0


def test_an_intact_copy_still_comes_from_the_cache(tmp_path, cached):
    original = tmp_path / "image.tar"
    kit.write_docker_archive(original, ImageSpec(layers=[CLEAN, [File("/app/.env", SECRET)]]))
    first = cached(original)
    copy = tmp_path / "copy.tar"
    shutil.copy(original, copy)
    second = cached(copy)
    assert first.code == second.code == 1
    assert second.json()["findings"] == first.json()["findings"]
