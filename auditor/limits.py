"""Resource limits for reading images an attacker may have made, with their defaults and flag names.

Hitting a limit is never an error and never a silent clean result: the reader stops, records a
`NotScanned` naming the limit (`limit` is the command-line flag), and the audit goes on.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from auditor.errors import AuditorError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024  # content of one text file handed to the content rules
DEFAULT_MAX_LAYER_BYTES = 16 * 1024**3  # uncompressed bytes of one layer (decompression bombs)
DEFAULT_MAX_ENTRIES = 1_000_000  # tar entries of one layer
DEFAULT_MAX_JSON_BYTES = 64 * 1024 * 1024  # one manifest, index or config document
DEFAULT_MAX_ARCHIVE_BYTES = 256 * 1024**3  # a gzip-compressed archive spooled to the private temp dir

FILE_FLAG = "max-file-size"
LAYER_FLAG = "max-layer-bytes"
ENTRIES_FLAG = "max-entries"
JSON_FLAG = "max-json-size"
ARCHIVE_FLAG = "max-archive-bytes"


@dataclass(frozen=True)
class Limits:
    """Every limit of one run; each is a positive count of bytes or entries."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_layer_bytes: int = DEFAULT_MAX_LAYER_BYTES
    max_entries: int = DEFAULT_MAX_ENTRIES
    max_json_bytes: int = DEFAULT_MAX_JSON_BYTES
    max_archive_bytes: int = DEFAULT_MAX_ARCHIVE_BYTES


class LimitExceeded(AuditorError):
    """Reading stopped at a limit; `flag` names the option that raises it."""

    def __init__(self, flag: str, message: str) -> None:
        super().__init__(f"{message} (--{flag})")
        self.flag = flag


def compressed_cap(max_layer_bytes: int) -> int:
    """The most compressed bytes read for a layer of at most `max_layer_bytes`: incompressible data costs
    gzip and zstd a few bytes per 64 KiB stored block, so a real layer's blob is never much larger than
    its tar. Without this cap a blob could be padded without end (gzip skips zero padding between
    members, which adds no uncompressed byte for the other cap to count)."""
    return max_layer_bytes + max_layer_bytes // 64 + (1 << 20)


class CappedReader(io.RawIOBase):
    """Pass bytes through, raising `LimitExceeded` once more than `limit` bytes have come out; the
    message says "`what` `verb` more than `limit` bytes"."""

    def __init__(self, inner: IO[bytes], limit: int, what: str, verb: str = "inflates to") -> None:
        self._inner = inner
        self._limit = limit
        self._what = what
        self._verb = verb
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        with memoryview(buffer) as view:
            want = min(len(view), self._limit + 1 - self.count) or 1
            with view[:want] as window:
                if hasattr(self._inner, "readinto"):  # straight into the caller's buffer: no copy on the hot path
                    n = self._inner.readinto(window) or 0
                else:
                    data = self._inner.read(want)
                    n = len(data)
                    window[:n] = data
        self.count += n
        if self.count > self._limit:
            raise LimitExceeded(LAYER_FLAG,
                                f"{self._what} {self._verb} more than {self._limit} bytes; the rest not read")
        return n

    def close(self) -> None:
        self._inner.close()
        super().close()
