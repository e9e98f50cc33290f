"""A `tarfile.TarInfo` that refuses what the standard parser would buffer without bound or crash on.

`tarfile` reads a PAX or GNU long-name header's whole data into memory, loops over GNU sparse maps as
long as they claim, raises `ValueError`/`IndexError` on some malformed numbers, and ends the archive
quietly at a corrupt header in the middle (so the entries after it would be missed without a word), and
lets a PAX record that runs past its end put NUL bytes in a name.
This subclass caps special headers at 1 MiB (as Go's archive/tar does) and turns each of those cases
into a `tarfile.ReadError`, which the layer reader records as an unreadable layer.
"""

from __future__ import annotations

import tarfile
from typing import Any

MAX_SPECIAL_BYTES = 1 << 20  # PAX and GNU long-name headers, GNU sparse maps
SPECIAL_TYPES = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME,
                 tarfile.GNUTYPE_LONGLINK)
_PARSE_ERRORS = (ValueError, IndexError, OverflowError, KeyError, TypeError, UnicodeError)


class SafeTarInfo(tarfile.TarInfo):
    """Pass as `tarfile.open(..., tarinfo=SafeTarInfo)`."""

    @classmethod
    def frombuf(cls, buf: bytes, encoding: str, errors: str) -> Any:  # type: ignore[override]
        try:
            return super().frombuf(buf, encoding, errors)
        except tarfile.InvalidHeaderError as exc:  # mid-archive tarfile would stop without a word
            raise tarfile.ReadError(f"corrupt tar header ({exc})") from None

    @classmethod
    def fromtarfile(cls, tarfile_: tarfile.TarFile) -> Any:  # type: ignore[override]
        try:
            return super().fromtarfile(tarfile_)
        except _PARSE_ERRORS as exc:
            raise tarfile.ReadError(f"malformed tar header ({type(exc).__name__}: {exc})") from None

    def _proc_member(self, tarfile_: tarfile.TarFile) -> Any:
        if self.type in SPECIAL_TYPES and self.size > MAX_SPECIAL_BYTES:
            raise tarfile.ReadError(f"tar extended header of {self.size} bytes (more than {MAX_SPECIAL_BYTES})")
        member = super()._proc_member(tarfile_)  # type: ignore[misc]
        if "\0" in member.name or "\0" in member.linkname:  # a PAX record running past its end, as Go refuses
            raise tarfile.ReadError("NUL byte in a tar entry name (malformed PAX record)")
        return member

    def _proc_sparse(self, tarfile_: tarfile.TarFile) -> Any:
        """Old GNU sparse headers chain extension blocks while each says "more"; bound the chain."""
        structs, isextended, origsize = self._sparse_structs  # type: ignore[attr-defined]
        del self._sparse_structs  # type: ignore[attr-defined]
        blocks = 0
        while isextended:
            blocks += 1
            if blocks * tarfile.BLOCKSIZE > MAX_SPECIAL_BYTES:
                raise tarfile.ReadError(f"GNU sparse map longer than {MAX_SPECIAL_BYTES} bytes")
            buf = tarfile_.fileobj.read(tarfile.BLOCKSIZE)
            if len(buf) < tarfile.BLOCKSIZE:
                raise tarfile.ReadError("archive ends inside a GNU sparse map")
            for pos in range(0, 21 * 24, 24):
                try:
                    offset = tarfile.nti(buf[pos:pos + 12])
                    numbytes = tarfile.nti(buf[pos + 12:pos + 24])
                except tarfile.InvalidHeaderError:
                    break
                if offset and numbytes:
                    structs.append((offset, numbytes))
            isextended = bool(buf[504])
        self.sparse = structs
        self.offset_data = tarfile_.fileobj.tell()
        tarfile_.offset = self.offset_data + self._block(self.size)
        self.size = origsize
        return self

    def _proc_gnusparse_10(self, next: tarfile.TarInfo, pax_headers: Any, tarfile_: tarfile.TarFile) -> None:
        """GNU sparse 1.0 keeps its map at the start of the data; read at most MAX_SPECIAL_BYTES of it."""
        fileobj = tarfile_.fileobj
        buf = fileobj.read(tarfile.BLOCKSIZE)
        taken = len(buf)
        count, buf = buf.split(b"\n", 1)
        fields = int(count)
        sparse: list[int] = []
        while len(sparse) < fields * 2:
            if b"\n" not in buf:
                chunk = fileobj.read(tarfile.BLOCKSIZE)
                taken += len(chunk)
                if not chunk or taken > MAX_SPECIAL_BYTES:
                    raise tarfile.ReadError("GNU sparse map truncated or too long")
                buf += chunk
            number, buf = buf.split(b"\n", 1)
            sparse.append(int(number))
        next.offset_data = fileobj.tell()
        next.sparse = list(zip(sparse[::2], sparse[1::2]))  # type: ignore[attr-defined]
