"""Open a layer blob as an uncompressed stream, sniffing the compression from magic bytes."""

from __future__ import annotations

import hashlib
import io
import queue
import threading
import zlib
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, cast

import zstandard
from isal import igzip, isal_zlib

from auditor.errors import DigestError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

# isal's stubs call its error class an instance, and leave IGzipFile's constructor untyped.
_ISAL_ERROR: type[Exception] = vars(isal_zlib)["error"]
_IGzipFile: Callable[..., io.BufferedIOBase] = igzip.IGzipFile

# What a corrupt or truncated compressed stream raises (besides OSError and EOFError).
ERRORS: tuple[type[BaseException], ...] = (zlib.error, _ISAL_ERROR, zstandard.ZstdError)

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
CHUNK = 1 << 20


class _Hasher:
    """sha256 on a thread of its own: hashlib releases the GIL for large updates, so the hash of a layer
    is computed on another core while this one parses the tar. At most `DEPTH` chunks wait."""

    DEPTH = 8

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._queue: queue.Queue[bytes | None] = queue.Queue(self.DEPTH)
        self._thread = threading.Thread(target=self._run, name="sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            self._hash.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def hexdigest(self) -> str:
        self._queue.put(None)
        self._thread.join()
        return self._hash.hexdigest()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)


class DigestReader(io.RawIOBase):
    """Pass bytes through while hashing them; `verify()` drains the rest and checks the digest.

    Only a `sha256:` digest is checked (and only then is anything hashed); `count` is always kept, and
    `checked` names the digest once `verify()` has found the bytes to match it.
    """

    def __init__(self, inner: IO[bytes], expected: str | None, what: str) -> None:
        self._inner = inner
        self._expected = expected if expected and expected.startswith("sha256:") else None
        self._what = what
        self._hash = _Hasher() if self._expected else None
        self._readinto = getattr(inner, "readinto", None)
        self.count = 0
        self.checked: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        with memoryview(buffer) as view:
            if self._readinto is not None:
                n = self._readinto(view) or 0
                if self._hash is not None and n:
                    self._hash.update(bytes(view[:n]))  # the caller reuses its buffer
            else:
                data = self._inner.read(len(view))
                n = len(data)
                view[:n] = data
                if self._hash is not None and n:
                    self._hash.update(data)
        self.count += n
        return n

    def verify(self) -> None:
        spare = bytearray(CHUNK)
        while self.readinto(spare):
            pass
        if self._hash is None:
            return
        actual = "sha256:" + self._hash.hexdigest()
        self._hash = None
        if actual != self._expected:
            raise DigestError(f"{self._what}: digest mismatch (expected {self._expected}, got {actual})")
        self.checked = actual

    def close(self) -> None:
        if self._hash is not None:
            self._hash.stop()
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
    """Wrap `raw` (a raw or buffered binary stream: one with `readinto`) so reading gives uncompressed bytes;
    also return the compression's name."""
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(cast(io.RawIOBase, raw), CHUNK)
    kind = sniff(buffered.peek(4)[:4])
    if kind == "gzip":  # ISA-L's inflate: about three times zlib's speed, same stream format and checks
        return cast(IO[bytes], _IGzipFile(fileobj=buffered, mode="rb")), kind  # a binary stream, as IO[bytes] reads
    if kind == "zstd":
        reader = zstandard.ZstdDecompressor().stream_reader(buffered, read_size=CHUNK, read_across_frames=True)
        return io.BufferedReader(reader, CHUNK), kind
    return buffered, kind
