"""Walk a tar stream with tarfile's header parsing, reading each member's bytes straight from the stream.

`tarfile`'s stream mode (`r|`) wraps the stream in a `_Stream` that reads 10 KiB at a time and joins the
pieces, and each member it hands out reads through two more layers (`ExFileObject`, `_FileInFile`) that
copy every chunk again: on a 750 MB layer that is 2-3 seconds of CPU, several times what reading the
bytes costs. Here tarfile runs in its ordinary mode (`r:`) over `Forward`, a file object that can only
go forward (`seek` reads through, as `_Stream.seek` does, and refuses to go back), so tarfile parses the
headers exactly as in stream mode: the same `next()`, the same `SafeTarInfo` checks, the same errors. A
regular member's bytes are then read by `Member`, straight into the caller's buffer; a sparse one (rare:
its bytes hold holes) still goes through `tarfile.extractfile`.
"""

from __future__ import annotations

import io
import tarfile
from typing import IO, TYPE_CHECKING, Protocol, cast

from auditor.compression import CHUNK
from auditor.tarsafe import SafeTarInfo

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


class Reader(Protocol):
    """What reading a member's bytes needs: `Member`, or tarfile's own reader of a sparse member."""

    def peek(self, size: int = ..., /) -> bytes: ...

    def read(self, size: int = ..., /) -> bytes: ...

    def readinto(self, buffer: WriteableBuffer, /) -> int: ...


class Forward:
    """A forward-only file object over `inner`: `tell`, `read`, `readinto`, and `seek` to a position at or
    after the current one (the bytes in between read and dropped; `tarfile.StreamError` going back)."""

    def __init__(self, inner: io.BufferedIOBase) -> None:
        self._inner = inner
        self._pos = 0
        self._spare: bytearray | None = None

    def tell(self) -> int:
        return self._pos

    def read(self, size: int = -1) -> bytes:
        data = self._inner.read(size)
        self._pos += len(data)
        return data

    def readinto(self, buffer: WriteableBuffer) -> int:
        n = self._inner.readinto(buffer) or 0
        self._pos += n
        return n

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        if whence != io.SEEK_SET or pos < self._pos:
            raise tarfile.StreamError("seeking backwards is not allowed")
        if pos > self._pos:
            spare = self._spare if self._spare is not None else bytearray(CHUNK)
            self._spare = spare
            with memoryview(spare) as view:
                while self._pos < pos:
                    if not self.readinto(view[:min(pos - self._pos, CHUNK)]):
                        break  # the end of the stream: the next read says so, as in stream mode
        return self._pos


class Member:
    """The bytes of one regular member, read from the stream as the caller asks, up to the member's size;
    a stream that ends before them raises `tarfile.ReadError`, as `extractfile`'s reader does."""

    def __init__(self, stream: Forward, start: int, size: int) -> None:
        stream.seek(start)
        self._stream = stream
        self._left = size
        self._head = b""  # what `peek` took from the stream and `read` has not yet given out

    def peek(self, size: int = 1) -> bytes:
        if len(self._head) < size and self._left > len(self._head):
            more = self._stream.read(min(size, self._left) - len(self._head))
            if not more:
                raise tarfile.ReadError("unexpected end of data")
            self._head += more
        return self._head

    def readinto(self, buffer: WriteableBuffer) -> int:
        with memoryview(buffer) as view:
            if self._head:
                n = min(len(view), len(self._head))
                view[:n] = self._head[:n]
                self._head = self._head[n:]
            else:
                want = min(len(view), self._left)
                if not want:
                    return 0
                n = self._stream.readinto(view[:want])
                if not n:
                    raise tarfile.ReadError("unexpected end of data")
        self._left -= n
        return n

    def read(self, size: int = -1) -> bytes:
        want = self._left if size < 0 else min(size, self._left)
        head, self._head = self._head[:want], self._head[want:]
        rest = self._stream.read(want - len(head)) if want > len(head) else b""
        if len(head) + len(rest) < want:
            raise tarfile.ReadError("unexpected end of data")
        self._left -= want
        return head + rest if head else rest

def open_tar(stream: io.BufferedIOBase) -> tarfile.TarFile:
    """A `TarFile` over a forward-only stream (`Forward`), its headers checked by `SafeTarInfo`."""
    return tarfile.open(fileobj=cast("IO[bytes]", Forward(stream)), mode="r:", tarinfo=SafeTarInfo)


def member(tar: tarfile.TarFile, info: tarfile.TarInfo) -> Reader | None:
    """A reader of a member's bytes, None for a member that holds none."""
    if not info.isreg():
        return None
    if info.sparse is not None or not isinstance(tar.fileobj, Forward):
        return cast("Reader | None", tar.extractfile(info))  # an `ExFileObject`, a BufferedReader
    return Member(tar.fileobj, info.offset_data, info.size)
