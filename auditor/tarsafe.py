"""A `tarfile.TarInfo` that refuses what the standard parser would buffer without bound or crash on.

`tarfile` reads a PAX or GNU long-name header's whole data into memory, loops over GNU sparse maps as
long as they claim, raises `ValueError`/`IndexError` on some malformed numbers, and ends the archive
quietly at a corrupt header in the middle (so the entries after it would be missed without a word), and
lets a PAX record that runs past its end put NUL bytes in a name.
This subclass caps special headers at 1 MiB (as Go's archive/tar does) and turns each of those cases
into a `tarfile.ReadError`, which the layer reader records as an unreadable layer.

A malformed PAX record (no length, a length past the header's data, no `=` or final newline) is refused
on every Python alike. tarfile itself refuses one only since 3.13.0, 3.12.6, 3.11.10 and 3.10.15
(gh-121285), and only as the first header of an archive (further on it ends the archive quietly); before,
it skipped the record, or read a name out of what followed it. A header that engines may read
differently means we cannot know what they extract, so the layer is unreadable: exit 2, never a guess.
"""

from __future__ import annotations

import re
import tarfile
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import Self

MAX_SPECIAL_BYTES = 1 << 20  # PAX and GNU long-name headers, GNU sparse maps
SPECIAL_TYPES = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME,
                 tarfile.GNUTYPE_LONGLINK)
PAX_TYPES = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE)
_PARSE_ERRORS = (ValueError, IndexError, OverflowError, KeyError, TypeError, UnicodeError)
_PAX_LENGTH = re.compile(rb"([0-9]{1,20}) ")  # as tarfile's own check (3.13)
# An ordinary header: a file, a directory or a link (no PAX, GNU, sparse or device header), and its eight
# numbers in plain octal as `tarfile.nti` reads them (spaces around, a NUL ending the field; not base-256).
_PLAIN_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.LNKTYPE, tarfile.SYMTYPE, tarfile.DIRTYPE)
_NUMBER = re.compile(rb" *([0-7]*) *(?:\0.*)?", re.DOTALL)
_NUMBER_FIELDS = ((100, 108), (108, 116), (116, 124), (124, 136), (136, 148), (148, 156), (329, 337), (337, 345))
# The form nearly every writer (Go's archive/tar, GNU tar, Python) gives those numbers: mode, uid, gid, size,
# mtime, each zero-padded octal ending in a NUL, the checksum's six digits, a NUL and a space, and no device
# numbers. One match reads all of them; any other form takes the field-by-field way.
_USUAL_NUMBERS = re.compile(rb"([0-7]{7})\0([0-7]{7})\0([0-7]{7})\0([0-7]{11})\0([0-7]{11})\0([0-7]{6})\0 ")
_NO_DEVICE = b"0000000\x000000000\x00"
_OCTAL = (8,) * 6


def _byte_sum(block: bytes | bytearray) -> int:
    """The sum of a 512-byte block's bytes, as `sum(block)` gives it in a twentieth of the time: Adler-32's
    low half is 1 + the bytes' sum modulo 65521, exact for 256 bytes (at most 65,280)."""
    return (zlib.adler32(block[:256]) & 0xFFFF) + (zlib.adler32(block[256:512]) & 0xFFFF) - 2

# The parts of CPython's tarfile (the same from 3.10 to 3.13) this module hooks into, which typeshed leaves
# out: fetched once, so a Python without them fails on import rather than in the middle of a layer.
_TARFILE = vars(tarfile)
_TARINFO = vars(tarfile.TarInfo)
_InvalidHeaderError: type[tarfile.HeaderError] = _TARFILE["InvalidHeaderError"]
_nti: Callable[[bytes], int] = _TARFILE["nti"]
_nts: Callable[[bytes | bytearray, str, str], str] = _TARFILE["nts"]
_proc_member: Callable[[tarfile.TarInfo, tarfile.TarFile], tarfile.TarInfo] = _TARINFO["_proc_member"]
_proc_pax: Callable[[tarfile.TarInfo, tarfile.TarFile], tarfile.TarInfo] = _TARINFO["_proc_pax"]


def _blocks(count: int) -> int:
    """`count` bytes rounded up to whole tar blocks."""
    return -(-count // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE


def check_pax_records(data: bytes) -> None:
    """ReadError unless `data` (a PAX header's blocks) is well-formed records, `LENGTH KEYWORD=VALUE\\n`
    each, up to its end or a NUL byte: the framing tarfile checks since 3.13.0."""
    pos = 0
    while pos < len(data) and data[pos] != 0:
        match = _PAX_LENGTH.match(data, pos)
        end = pos + int(match.group(1)) if match else pos
        keyword, equals, _ = data[match.end():end - 1].partition(b"=") if match else (b"", b"", b"")
        if not match or end - pos < 5 or end > len(data) or not keyword or not equals or data[end - 1] != 0x0A:
            raise tarfile.ReadError(f"malformed PAX record at byte {pos} of an extended header")
        pos = end


class _Replay:
    """A tar's file object with `head`, bytes already read from it, put back in front."""

    def __init__(self, head: bytes, inner: tarfile._Fileobj) -> None:
        self._head = head
        self._inner = inner

    def read(self, size: int, /) -> bytes:
        data, self._head = self._head[:size], self._head[size:]
        return data + self._inner.read(size - len(data)) if len(data) < size else data

    def tell(self) -> int:
        return self._inner.tell() - len(self._head)

    def seek(self, pos: int, /) -> object:
        self._head = b""
        return self._inner.seek(pos)

    def write(self, b: bytes, /) -> object:
        return self._inner.write(b)

    def close(self) -> object:
        return self._inner.close()


class SafeTarInfo(tarfile.TarInfo):
    """Pass as `tarfile.open(..., tarinfo=SafeTarInfo)`."""

    _sparse_structs: tuple[list[tuple[int, int]], bool, int]  # set by `frombuf` for an old GNU sparse header

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> Self:
        plain = cls._plain(buf, encoding, errors)
        if plain is not None:
            return plain
        try:
            return super().frombuf(buf, encoding, errors)
        except _InvalidHeaderError as exc:  # mid-archive tarfile would stop without a word
            raise tarfile.ReadError(f"corrupt tar header ({exc})") from None

    @classmethod
    def _plain(cls, buf: bytes | bytearray, encoding: str, errors: str) -> Self | None:
        """`tarfile.TarInfo.frombuf` of an ordinary header (a file, directory or link whose numbers are
        plain octal and whose unsigned checksum is right), the same object for a third of the cost: one
        match a number, one sum. None for anything else, left to tarfile itself (which then raises or
        accepts a header as it always does)."""
        if len(buf) != tarfile.BLOCKSIZE or buf[156:157] not in _PLAIN_TYPES:
            return None
        usual = _USUAL_NUMBERS.fullmatch(buf, 100, 156)
        if usual is not None and buf[329:345] == _NO_DEVICE:
            mode, uid, gid, size, mtime, chksum = map(int, usual.groups(), _OCTAL)
            devmajor = devminor = 0
        else:
            numbers = []
            for start, end in _NUMBER_FIELDS:
                number = _NUMBER.fullmatch(buf, start, end)
                if number is None:
                    return None
                numbers.append(int(number.group(1) or b"0", 8))
            mode, uid, gid, size, mtime, chksum, devmajor, devminor = numbers
        if chksum != 256 + _byte_sum(buf) - sum(buf[148:156]):
            return None
        obj = cls()
        obj.name = _nts(buf[0:100], encoding, errors)
        obj.mode, obj.uid, obj.gid, obj.size, obj.mtime, obj.chksum = mode, uid, gid, size, mtime, chksum
        obj.type = bytes(buf[156:157])
        obj.linkname = _nts(buf[157:257], encoding, errors)
        obj.uname = _nts(buf[265:297], encoding, errors)
        obj.gname = _nts(buf[297:329], encoding, errors)
        obj.devmajor, obj.devminor = devmajor, devminor
        prefix = _nts(buf[345:500], encoding, errors)
        if obj.type == tarfile.AREGTYPE and obj.name.endswith("/"):
            obj.type = tarfile.DIRTYPE
        if obj.isdir():
            obj.name = obj.name.rstrip("/")
        if prefix:  # none of these types is a GNU one
            obj.name = prefix + "/" + obj.name
        return obj

    @classmethod
    def fromtarfile(cls, tarfile_: tarfile.TarFile) -> Self:
        try:
            return super().fromtarfile(tarfile_)
        except _PARSE_ERRORS as exc:
            raise tarfile.ReadError(f"malformed tar header ({type(exc).__name__}: {exc})") from None

    def _proc_member(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type in SPECIAL_TYPES and self.size > MAX_SPECIAL_BYTES:
            raise tarfile.ReadError(f"tar extended header of {self.size} bytes (more than {MAX_SPECIAL_BYTES})")
        member = _proc_member(self, tarfile_)
        if "\0" in member.name or "\0" in member.linkname:  # a PAX record running past its end, as Go refuses
            raise tarfile.ReadError("NUL byte in a tar entry name (malformed PAX record)")
        return member

    def _proc_pax(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        """Check the records (`check_pax_records`), then hand the same bytes to tarfile's own parser."""
        fileobj = tarfile_.fileobj
        data = fileobj.read(_blocks(self.size))
        check_pax_records(data)
        tarfile_.fileobj = _Replay(data, fileobj)
        try:
            return _proc_pax(self, tarfile_)
        finally:
            tarfile_.fileobj = fileobj

    def _proc_sparse(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        """Old GNU sparse headers chain extension blocks while each says "more"; bound the chain."""
        structs, isextended, origsize = self._sparse_structs
        del self._sparse_structs
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
                    offset = _nti(buf[pos:pos + 12])
                    numbytes = _nti(buf[pos + 12:pos + 24])
                except _InvalidHeaderError:
                    break
                if offset and numbytes:
                    structs.append((offset, numbytes))
            isextended = bool(buf[504])
        self.sparse = structs  # type: ignore[assignment]  # typeshed says bytes; tarfile keeps (offset, size) pairs
        self.offset_data = tarfile_.fileobj.tell()
        tarfile_.offset = self.offset_data + _blocks(self.size)
        self.size = origsize
        return self

    def _proc_gnusparse_10(self, next: tarfile.TarInfo, pax_headers: object, tarfile_: tarfile.TarFile) -> None:
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
        next.sparse = list(zip(sparse[::2], sparse[1::2], strict=False))  # type: ignore[assignment]  # as above
