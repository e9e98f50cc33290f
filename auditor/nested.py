"""Archives inside a layer's files (zip, jar, war, ear, whl, egg, apk, tar, tar.gz/tgz, tar.zst, tar.xz):
their members, read in memory and yielded for the same scan a layer's own files get.

Pure: bytes in, members out; nothing is written to disk, and no member name is ever used as a file
system path. An archive is recognised by its first bytes only (`kind`), so a file that is not one costs
a few comparisons. Members are read recursively into nested archives (a Spring Boot jar's
`BOOT-INF/lib/*.jar`) up to `NestedLimits.depth`, with caps on the members of one outer file, the bytes
of one member, the members of one archive and of one outer file, the bytes inflated for one outer
file, and the compression ratio (zip bombs). What cannot
be read (an encrypted member, a corrupt archive, a cap reached) is yielded as a `Skip`, never dropped and
never raised: a corrupt zip is "not scanned", not a failed audit. bzip2-compressed tars are not opened:
bzip2 gives no byte before a whole block (up to 900 kB) is in, so they cannot be told apart from other
`.bz2` files by their first bytes.

A member's path is its cleaned name (`auditor.names`, bounded at the archive root: `../x` is `/x`),
with `!` before each nested archive's members: `/BOOT-INF/lib/b.jar!/application.yml`. The caller puts
the outer file's path in front: `/app/app.jar!/BOOT-INF/lib/b.jar!/application.yml`.
"""

from __future__ import annotations

import io
import lzma
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import zstandard

from auditor import compression
from auditor.limits import DEFAULT_MAX_FILE_BYTES, FILE_FLAG
from auditor.names import clean
from auditor.tarsafe import SafeTarInfo
from auditor.utf8 import is_utf8

HEAD = 4096  # the bytes of a layer's file `kind` looks at
MEMBER_HEAD = 1024  # the bytes of a member read before deciding: enough for `kind`, and for most binaries
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")  # a member first; an empty zip; a spanned one
XZ_MAGIC = b"\xfd7zXZ\x00"
TAR_MAGIC_AT = 257  # "ustar" (POSIX and GNU tars alike)
NESTED_FLAG = FILE_FLAG  # the nested caps scale with --max-file-size
BOMB_FLOOR = 1 << 20  # a member inflating to less than this is never judged by its ratio
READ_PIECE = 1 << 20  # a member's bytes are read this many at a time


@dataclass(frozen=True)
class NestedLimits:
    """How far one outer file's archives are read. `member_bytes` bounds one member (like a text file of
    a layer); `total_bytes` the bytes inflated for one outer file, all depths together, and also the size
    of an outer archive read into memory; `members` the members of one archive (a zip's central directory
    is parsed whole: this bounds its memory), `total_members` those of one outer file, all depths together;
    `ratio` the most a member (or a compressed tar) may inflate per compressed byte once it is past
    `BOMB_FLOOR` (real text rarely passes 20; a zip bomb is near 1000)."""

    depth: int = 3
    members: int = 65_536
    total_members: int = 1_000_000
    member_bytes: int = DEFAULT_MAX_FILE_BYTES
    total_bytes: int = 2 * DEFAULT_MAX_FILE_BYTES
    ratio: int = 200

    @classmethod
    def scaled(cls, max_file_bytes: int) -> NestedLimits:
        """The caps for a run whose text files are capped at `max_file_bytes` (--max-file-size)."""
        return cls(member_bytes=max_file_bytes, total_bytes=2 * max_file_bytes)


@dataclass(frozen=True, slots=True)
class Member:
    """A text member to scan; `path` as the module docstring says."""

    path: str
    data: bytes | bytearray


@dataclass(frozen=True, slots=True)
class Skip:
    """What could not be read: a member (`path`), or an archive's members from `path` on ("" is the
    outer file itself). `limit` names the flag whose cap stopped reading; None: unreadable."""

    path: str
    reason: str
    limit: str | None = None


class _Stop(Exception):
    """A cap of the whole outer file was reached: nothing more of it is read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# What a corrupt archive or member raises while it is read (besides _Stop).
_CORRUPT: tuple[type[BaseException], ...] = (zipfile.BadZipFile, zipfile.LargeZipFile, tarfile.TarError,
                                             lzma.LZMAError, EOFError, OSError, ValueError, NotImplementedError,
                                             RuntimeError, *compression.ERRORS)


def kind(head: bytes) -> str | None:
    """The archive a file's first bytes start: "zip", "tar", or the compression of a tar ("gzip", "zstd",
    "xz", when the head inflates to a tar header); None for anything else (a gzipped man page included)."""
    if head.startswith(ZIP_MAGICS):
        return "zip"
    if _is_tar(head):
        return "tar"
    for name, magic in (("gzip", compression.GZIP_MAGIC), ("zstd", compression.ZSTD_MAGIC), ("xz", XZ_MAGIC)):
        if head.startswith(magic):
            return name if _is_tar(_inflate_head(name, head)) else None
    return None


def _is_tar(head: bytes) -> bool:
    return head[TAR_MAGIC_AT:TAR_MAGIC_AT + 5] == b"ustar"


def _inflate_head(name: str, head: bytes) -> bytes:
    """At most one tar block of what `head` inflates to (b"" when it does not inflate)."""
    want = TAR_MAGIC_AT + 8
    try:
        if name == "gzip":
            return zlib.decompressobj(wbits=31).decompress(head, want)
        if name == "xz":
            return lzma.LZMADecompressor().decompress(head, want)
        with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(head)) as reader:
            return reader.read(want)
    except (zlib.error, lzma.LZMAError, zstandard.ZstdError, EOFError):
        return b""


class _Budget:
    """What one outer file may still cost: members and inflated bytes, all depths together."""

    def __init__(self, limits: NestedLimits) -> None:
        self.limits = limits
        self.members = limits.total_members
        self.bytes = limits.total_bytes

    def member(self) -> None:
        self.members -= 1
        if self.members < 0:
            raise _Stop(f"more than {self.limits.total_members} archive members; the rest not read")

    def spend(self, count: int) -> None:
        self.bytes -= count
        if self.bytes < 0:
            raise _Stop(f"archive members inflate to more than {self.limits.total_bytes} bytes; the rest not read")


def members(data: bytes, limits: NestedLimits | None = None) -> Iterator[Member | Skip]:
    """Every text member of the archive `data` (of any `kind`; a file that is none yields nothing), and
    of the archives inside it up to `limits.depth`, each member or trouble in archive order."""
    budget = _Budget(limits or NestedLimits())
    try:
        yield from _archive(data, "", 1, budget)
    except _Stop as stop:
        yield Skip("", stop.reason, NESTED_FLAG)


def _archive(data: bytes | bytearray, prefix: str, depth: int, budget: _Budget) -> Iterator[Member | Skip]:
    """The members of one archive; `prefix` is its own member path ("" for the outer file)."""
    what = kind(bytes(data[:HEAD]))
    try:
        if what == "zip":
            yield from _zip(data, prefix, depth, budget)
        elif what is not None:
            yield from _tar(_opened(what, data), len(data) if what != "tar" else 0, prefix, depth, budget)
    except _CORRUPT as exc:
        yield Skip(prefix, f"archive unreadable: {exc or type(exc).__name__}; the rest of its members not read")


def _opened(what: str, data: bytes | bytearray) -> IO[bytes]:
    raw = io.BytesIO(data)
    if what == "xz":
        return lzma.LZMAFile(raw)
    return compression.decompress(raw)[0] if what != "tar" else raw


def _zip(data: bytes | bytearray, prefix: str, depth: int, budget: _Budget) -> Iterator[Member | Skip]:
    # The central directory is parsed whole on open: count its records first (a cheap scan of the bytes;
    # a record's signature by chance in compressed data only over-counts), so a zip of a million empty
    # names cannot make it take memory without bound.
    end = data.rfind(b"PK\x05\x06")
    records = data.count(b"PK\x01\x02", 0, end if end >= 0 else len(data))
    if records > budget.limits.members:
        yield Skip(prefix, f"archive of more than {budget.limits.members} members; its members not read",
                   NESTED_FLAG)
        return
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            budget.member()
            mode = info.external_attr >> 16
            if info.is_dir() or stat.S_IFMT(mode) not in (0, stat.S_IFREG):  # a symlink's "content" is its target
                continue
            if info.flag_bits & 0x1:
                yield Skip(_join(prefix, info.filename), "encrypted archive member; not scanned")
                continue
            ratio = info.file_size // max(info.compress_size, 1)
            if info.file_size > BOMB_FLOOR and ratio >= budget.limits.ratio:
                yield Skip(_join(prefix, info.filename), f"archive member inflates {ratio} times (a zip bomb?); "
                           "not scanned", NESTED_FLAG)
                continue
            head = _peek(data, info)
            if head is not None and kind(head) is None and not is_utf8(head, complete=len(head) >= info.file_size):
                budget.spend(len(head))  # a class file or other binary: not worth opening
                continue
            path = _join(prefix, info.filename)
            try:
                with archive.open(info) as stream:
                    yield from _member(stream, info.file_size, path, depth, budget)
            except _CORRUPT as exc:
                yield Skip(path, f"archive member unreadable: {exc or type(exc).__name__}; not scanned")


def _peek(data: bytes | bytearray, info: zipfile.ZipInfo) -> bytes | None:
    """The first `MEMBER_HEAD` bytes of a stored or deflated zip member, inflated straight from `data`
    (about a tenth of the cost of `ZipFile.open`, which most members of a jar, its classes, never need);
    None when that is not simple (another method, a local header not where the directory says)."""
    at = info.header_offset
    if data[at:at + 4] != b"PK\x03\x04" or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    start = at + 30 + int.from_bytes(data[at + 26:at + 28], "little") + int.from_bytes(data[at + 28:at + 30], "little")
    chunk = data[start:start + min(info.compress_size, MEMBER_HEAD * 4)]
    if info.compress_type == zipfile.ZIP_STORED:
        return bytes(chunk[:MEMBER_HEAD])
    try:
        return zlib.decompressobj(-zlib.MAX_WBITS).decompress(chunk, MEMBER_HEAD)
    except zlib.error:
        return None  # left to `ZipFile.open`, which reports it


def _tar(stream: IO[bytes], compressed: int, prefix: str, depth: int, budget: _Budget) -> Iterator[Member | Skip]:
    """A tar's members, streamed; `compressed` is the size of the bytes it inflates from (0: stored)."""
    metered = _Metered(stream, compressed, budget)
    with tarfile.open(fileobj=io.BufferedReader(metered), mode="r|", tarinfo=SafeTarInfo) as archive:
        for info in archive:
            archive.members = []  # type: ignore[attr-defined]  # stream mode keeps every header otherwise
            budget.member()
            if not info.isreg() or info.size == 0:  # links are names, never followed
                continue
            reader = archive.extractfile(info)
            if reader is not None:
                yield from _member(reader, info.size, _join(prefix, info.name), depth, budget, metered=True)


class _Metered(io.RawIOBase):
    """Inflated bytes of a compressed tar, spent from the budget as they come out, and stopped once they
    pass `BOMB_FLOOR` and the ratio to the `compressed` bytes they came from (0: a stored tar, no ratio)."""

    def __init__(self, inner: IO[bytes], compressed: int, budget: _Budget) -> None:
        self._inner = inner
        self._compressed = compressed
        self._budget = budget
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        self._budget.spend(n)
        ratio = self._budget.limits.ratio
        if self._compressed and self.count > BOMB_FLOOR and self.count > ratio * self._compressed:
            raise _Stop(f"a compressed tar inflates more than {ratio} times (a decompression bomb?); "
                        "the rest not read")
        return n


def _member(stream: IO[bytes], size: int, path: str, depth: int, budget: _Budget,
            metered: bool = False) -> Iterator[Member | Skip]:
    """One member: scanned if text, opened if an archive, skipped quietly if other binary. `metered`: its
    bytes were spent already (a tar's, by `_Metered`)."""
    head = stream.read(MEMBER_HEAD)
    if not metered:
        budget.spend(len(head))
    what = kind(head)
    if what is None and not is_utf8(head, complete=len(head) >= size):
        return
    cap = budget.limits.member_bytes
    if size > cap:
        yield Skip(path, f"archive member larger than {cap} bytes; not scanned", NESTED_FLAG)
        return
    data = _rest(stream, head, size, cap, None if metered else budget) if len(head) < size else bytearray(head)
    if len(data) > cap:  # a header that understates the size
        yield Skip(path, f"archive member larger than {cap} bytes; not scanned", NESTED_FLAG)
    elif what is not None:
        if depth >= budget.limits.depth:
            yield Skip(path, f"archive nested more than {budget.limits.depth} deep; its members not read",
                       NESTED_FLAG)
        else:
            yield from _archive(data, path, depth + 1, budget)
    elif is_utf8(data):
        yield Member(path, data)


def _rest(stream: IO[bytes], head: bytes, size: int, cap: int, budget: _Budget | None) -> bytearray:
    """A member's bytes, its `head` (read already) and the rest, up to `cap` + 1 of them (more tells a member
    over the cap), read a piece at a time into one buffer of the size its header gives: the member is held
    once, not two or three times (the read, the head joined to it, and a string of it to check it is UTF-8).
    `budget`: None when the bytes are spent as they are inflated (a tar's, `_Metered`)."""
    data = bytearray(min(size, cap + 1))
    data[:len(head)] = head
    filled = len(head)
    with memoryview(data) as view:
        while filled < len(data):
            count = stream.readinto(view[filled:filled + READ_PIECE])  # type: ignore[attr-defined]
            if not count:
                break
            filled += count
            if budget is not None:
                budget.spend(count)
    del data[filled:]
    while filled == size and len(data) <= cap:  # a header that understates the size: read on to the cap
        piece = stream.read(min(READ_PIECE, cap + 1 - len(data)))
        if not piece:
            break
        if budget is not None:
            budget.spend(len(piece))
        data += piece
    return data


def _join(prefix: str, name: str) -> str:
    """A member's path: its cleaned name, bounded at the archive's root, after its archive's path."""
    cleaned = clean("/" + name) or "/"  # rooted: never None
    return f"{prefix}!{cleaned}" if prefix else cleaned
