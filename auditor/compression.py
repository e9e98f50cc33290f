"""Open a layer blob as an uncompressed stream, sniffing the compression from magic bytes."""

from __future__ import annotations

import gzip
import hashlib
import io
from typing import IO

import zstandard

from auditor.errors import DigestError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
CHUNK = 1 << 20


class DigestReader(io.RawIOBase):
    """Pass bytes through while hashing them; `verify()` drains the rest and checks the digest."""

    def __init__(self, inner: IO[bytes], expected: str | None, what: str) -> None:
        self._inner = inner
        self._expected = expected
        self._what = what
        self._hash = hashlib.sha256()
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._hash.update(data)
        self.count += n
        return n

    def verify(self) -> None:
        while self.readinto(bytearray(CHUNK)):
            pass
        if self._expected is None or not self._expected.startswith("sha256:"):
            return
        actual = "sha256:" + self._hash.hexdigest()
        if actual != self._expected:
            raise DigestError(f"{self._what}: digest mismatch (expected {self._expected}, got {actual})")

    def close(self) -> None:
        self._inner.close()
        super().close()


def sniff(head: bytes) -> str:
    """Name the compression of a stream from its first bytes: "gzip", "zstd" or "tar"."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return "tar"


def decompress(raw: IO[bytes]) -> tuple[IO[bytes], str]:
    """Wrap `raw` so reading gives uncompressed bytes; also return the compression's name."""
    buffered = io.BufferedReader(raw, CHUNK) if not isinstance(raw, io.BufferedReader) else raw  # type: ignore[arg-type]
    kind = sniff(buffered.peek(4)[:4])
    if kind == "gzip":
        return gzip.GzipFile(fileobj=buffered, mode="rb"), kind  # type: ignore[return-value]
    if kind == "zstd":
        reader = zstandard.ZstdDecompressor().stream_reader(buffered, read_size=CHUNK, read_across_frames=True)
        return io.BufferedReader(reader, CHUNK), kind  # type: ignore[arg-type]
    return buffered, kind
