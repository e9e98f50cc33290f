"""Blob stores: named files inside an OCI layout directory or an uncompressed tar, read in place.

Neither store follows a link out of its root: directory names are resolved without symlinks, and tar
symlinks (the legacy `docker save` layout stores repeated layers as links) resolve inside the tar.
"""

from __future__ import annotations

import io
import os
import posixpath
import stat
import tarfile
from typing import IO, TYPE_CHECKING

from auditor.errors import SourceError
from auditor.tarsafe import SafeTarInfo

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAX_LINK_HOPS = 16


def _clean(name: str) -> str | None:
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


class DirStore:
    """Blobs in a directory, such as an OCI image layout."""

    def __init__(self, root: str) -> None:
        self.root = root

    def _path(self, name: str) -> str:
        clean = _clean(name)
        if not clean:
            raise SourceError(f"{self.root}: refusing blob name {name!r}")
        current = self.root
        for part in clean.split("/"):
            current = os.path.join(current, part)
            try:
                mode = os.lstat(current).st_mode
            except FileNotFoundError:
                raise SourceError(f"{self.root}: missing {clean}") from None
            if stat.S_ISLNK(mode):
                raise SourceError(f"{self.root}: {clean} is a symbolic link; not followed")
        if not stat.S_ISREG(mode):
            raise SourceError(f"{self.root}: {clean} is not a regular file")
        return current

    def open(self, name: str) -> IO[bytes]:
        path = self._path(name)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
        return os.fdopen(os.open(path, flags), "rb")

    def exists(self, name: str) -> bool:
        try:
            self._path(name)
        except SourceError:
            return False
        return True


class _Slice(io.RawIOBase):
    """A read-only window onto a byte range of a file."""

    def __init__(self, path: str, offset: int, size: int) -> None:
        self._file = open(path, "rb")
        self._file.seek(offset)
        self._left = self.size = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        with memoryview(buffer) as view:
            want = min(len(view), self._left)
            if want <= 0:
                return 0
            n = self._file.readinto(view[:want])
        if not n:
            raise SourceError("archive ends inside a blob (truncated)")
        self._left -= n
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


class TarStore:
    """Blobs inside an uncompressed tar file (a `docker save` or OCI archive), read in place."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._members: dict[str, tarfile.TarInfo] = {}
        try:
            with tarfile.open(path, mode="r:", tarinfo=SafeTarInfo) as tar:
                for info in tar:
                    clean = _clean(info.name)
                    if clean:
                        self._members[clean] = info
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise SourceError(f"{path}: not a readable tar archive ({exc or type(exc).__name__})") from None

    def _resolve(self, name: str) -> tarfile.TarInfo:
        clean = _clean(name)
        for _ in range(MAX_LINK_HOPS):
            info = self._members.get(clean or "")
            if info is None:
                raise SourceError(f"{self.path}: missing {name}")
            if info.isreg() and not info.issparse():  # a sparse member's size is not its stored bytes
                return info
            if info.issym():
                clean = _clean(posixpath.join(posixpath.dirname(clean or ""), info.linkname))
            elif info.islnk():
                clean = _clean(info.linkname)
            else:
                raise SourceError(f"{self.path}: {name} is not a regular file")
            if clean is None:
                raise SourceError(f"{self.path}: {name} links outside the archive")
        raise SourceError(f"{self.path}: {name} is a link loop")

    def names(self) -> list[str]:
        return list(self._members)

    def open(self, name: str) -> IO[bytes]:
        info = self._resolve(name)
        return io.BufferedReader(_Slice(self.path, info.offset_data, info.size))

    def exists(self, name: str) -> bool:
        try:
            self._resolve(name)
        except SourceError:
            return False
        return True
