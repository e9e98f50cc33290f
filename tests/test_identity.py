"""A layer's identity for the caches: both digests pinned, and the blob confirmed to be what it names."""

from __future__ import annotations

import io

from auditor.errors import SourceError
from auditor.identity import claimed, confirmed
from auditor.model import Digest, Layer
from testing import imagekit as kit

TAR = kit.layer_tar([kit.File("/a", b"a\n")])
GZ = kit.compress(TAR, "gzip")


def layer(blob: bytes, digest: str, diff_id: str | None, pinned: bool = False) -> Layer:
    opened: list[int] = []

    def opener() -> io.BytesIO:
        opened.append(1)
        return io.BytesIO(blob)

    made = Layer(index=0, digest=Digest(digest), diff_id=Digest(diff_id) if diff_id else None, media_type=None,
                 size=len(blob), opener=opener, pinned=pinned)
    made.opened = opened  # type: ignore[attr-defined]
    return made


def test_only_a_layer_pinned_by_two_sha256_digests_has_an_identity():
    assert claimed(layer(GZ, kit.sha256(GZ), kit.sha256(TAR))) == (kit.sha256(GZ), kit.sha256(TAR))
    assert claimed(layer(GZ, kit.sha256(GZ), None)) is None
    assert claimed(layer(TAR, "unknown", kit.sha256(TAR))) is None
    assert claimed(layer(TAR, "sha512:" + "0" * 128, kit.sha256(TAR))) is None
    assert claimed(layer(TAR, kit.sha256(TAR), "sha256:ABC")) is None


def test_a_local_blob_is_confirmed_by_hashing_it():
    assert confirmed(layer(GZ, kit.sha256(GZ), kit.sha256(TAR))) == (kit.sha256(GZ), kit.sha256(TAR))
    assert confirmed(layer(TAR, kit.sha256(TAR), kit.sha256(TAR))) == (kit.sha256(TAR), kit.sha256(TAR))
    assert confirmed(layer(GZ[:-8], kit.sha256(GZ), kit.sha256(TAR))) is None  # truncated in place
    assert confirmed(layer(GZ, kit.sha256(TAR), kit.sha256(TAR))) is None  # compressed, but named by its diff_id


def test_an_unreadable_blob_is_not_confirmed():
    def fail() -> io.BytesIO:
        raise SourceError("missing")

    broken = Layer(index=0, digest=Digest(kit.sha256(GZ)), diff_id=Digest(kit.sha256(TAR)), media_type=None,
                   size=None, opener=fail)
    assert confirmed(broken) is None


def test_a_pinned_registry_blob_is_taken_by_its_digest_and_never_downloaded():
    remote = layer(b"never read", kit.sha256(GZ), kit.sha256(TAR), pinned=True)
    assert confirmed(remote) == (kit.sha256(GZ), kit.sha256(TAR))
    assert remote.opened == []  # type: ignore[attr-defined]
