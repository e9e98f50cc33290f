"""Hostile inputs for tests and the fuzz script: bombs, sparse headers, endless streams, raw tar headers.

Everything here is cheap to build: a decompression bomb repeats one small compressed member or frame, a
sparse file is a header that claims gigabytes, a million entries are generated as a stream on the fly.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import tarfile
from collections.abc import Iterator
from typing import IO, Any

import zstandard

from testing import imagekit as kit

BLOCK = 512
ZERO_MIB = b"\0" * (1 << 20)
AWS_KEY = "AKIAJ7Q3EXAMPLE4XYZQ"
SECRET_FILE = f"AWS_ACCESS_KEY_ID={AWS_KEY}\n".encode()  # a file the default rules report as a secret


def paths(report: dict[str, Any]) -> set[tuple[str, str]]:
    """(path, status) of every finding of a JSON report."""
    return {(f["path"], f["status"]) for f in report["findings"] if f["path"]}


def unscanned(report: dict[str, Any]) -> list[tuple[int | None, str | None, str | None]]:
    """(layer, path, limit) of every item a JSON report lists as not scanned."""
    return [(n["layer"], n["path"], n["limit"]) for n in report["not_scanned"]]


def header(name: bytes, size: int = 0, type_: bytes = tarfile.REGTYPE, linkname: bytes = b"",
           extra: dict[int, bytes] | None = None) -> bytes:
    """One raw ustar/GNU header block, with any bytes as the name (non-UTF-8, no normalisation).

    `extra` overwrites header bytes at given offsets (sparse maps, odd fields); the checksum is computed last.
    """
    block = bytearray(BLOCK)
    block[0:100] = name[:100].ljust(100, b"\0")
    block[100:108] = b"0000644\0"
    block[108:116] = b"0000000\0"
    block[116:124] = b"0000000\0"
    block[124:136] = b"%011o\0" % size if size < 8**11 else _base256(size)
    block[136:148] = b"%011o\0" % kit.MTIME
    block[156:157] = type_
    block[157:257] = linkname[:100].ljust(100, b"\0")
    block[257:265] = b"ustar  \0"  # GNU magic: base-256 sizes and old-style sparse headers allowed
    for offset, value in (extra or {}).items():
        block[offset:offset + len(value)] = value
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def _base256(value: int) -> bytes:
    return b"\x80" + value.to_bytes(11, "big")


def padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % BLOCK)


def end() -> bytes:
    """The two zero blocks that end a tar."""
    return b"\0" * (2 * BLOCK)


def raw_tar(*members: tuple[bytes, bytes]) -> bytes:
    """A tar from raw (header, data) pairs, data padded to blocks."""
    return b"".join(head + padded(data) for head, data in members) + end()


def pax_header(records: bytes, name: bytes = b"././@PaxHeader") -> bytes:
    """A PAX extended header block followed by `records` as its data (any bytes, well-formed or not)."""
    return header(name, len(records), tarfile.XHDTYPE) + padded(records)


def pax_record(key: str, value: bytes) -> bytes:
    """One well-formed `LEN KEY=VALUE\\n` record."""
    body = f" {key}=".encode() + value + b"\n"
    length = len(body) + 1
    while len(str(length)) + len(body) != length:
        length += 1
    return str(length).encode() + body


def gnu_sparse(name: bytes, real_size: int, data: bytes) -> bytes:
    """An old-GNU sparse file ("S"): `data` stored at the very end, the rest a hole up to `real_size`."""
    stored = len(data)
    sparse = {386: b"%011o\0" % (real_size - stored) + b"%011o\0" % stored, 483: b"%011o\0" % real_size}
    return header(name, stored, tarfile.GNUTYPE_SPARSE, extra=sparse) + padded(data)


def pax_sparse(name: bytes, real_size: int, data: bytes) -> bytes:
    """A PAX 1.0 sparse file (GNU tar's default): the map is the first block of the data."""
    stored = len(data)
    records = b"".join([
        pax_record("GNU.sparse.major", b"1"),
        pax_record("GNU.sparse.minor", b"0"),
        pax_record("GNU.sparse.name", name),
        pax_record("GNU.sparse.realsize", str(real_size).encode()),
    ])
    sparse_map = padded(b"1\n%d\n%d\n" % (real_size - stored, stored))
    return pax_header(records) + header(b"GNUSparseFile.0/" + name[:80], len(sparse_map) + len(padded(data))) + \
        sparse_map + padded(data)


def gzip_bomb(inflated: int, member_bytes: int = 64 << 20) -> bytes:
    """A gzip stream that inflates to about `inflated` bytes: a tar header for one file of that size,
    then one small compressed member of zeros repeated (a gzip stream may hold many members)."""
    member_bytes = min(member_bytes, max(inflated, 1))
    zeros = _gzip_zeros(member_bytes)
    count = max(1, inflated // member_bytes)
    head = gzip.compress(header(b"bomb", count * member_bytes), mtime=0)
    return head + zeros * count


def _gzip_zeros(size: int) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as handle:
        for start in range(0, size, len(ZERO_MIB)):
            handle.write(ZERO_MIB[: min(len(ZERO_MIB), size - start)])
    return out.getvalue()


def zstd_bomb(inflated: int, frame_bytes: int = 256 << 20) -> bytes:
    """A zstd stream that inflates to about `inflated` bytes, as `gzip_bomb` (repeated frames of zeros)."""
    frame_bytes = min(frame_bytes, max(inflated, 1))
    compressor = zstandard.ZstdCompressor(level=19)
    writer = compressor.chunker(size=frame_bytes)
    frame = b"".join(writer.compress(b"\0" * frame_bytes)) + b"".join(writer.finish())
    count = max(1, inflated // frame_bytes)
    return compressor.compress(header(b"bomb", count * frame_bytes)) + frame * count


class GeneratedTar(io.RawIOBase):
    """A tar stream of `count` empty files (`d0001/f0001234`, a thousand per directory), built as read."""

    def __init__(self, count: int, per_dir: int = 1000) -> None:
        self._blocks = self._generate(count, per_dir)
        self._pending = b""

    @staticmethod
    def _generate(count: int, per_dir: int) -> Iterator[bytes]:
        template = bytearray(header(b"x"))
        for index in range(count):
            if index % per_dir == 0:
                yield header(b"d%05d/" % (index // per_dir), type_=tarfile.DIRTYPE)
            block = bytearray(template)
            name = b"d%05d/f%07d" % (index // per_dir, index)
            block[0:len(name)] = name
            block[148:156] = b" " * 8
            block[148:156] = b"%06o\0 " % sum(block)
            yield bytes(block)
        yield end()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        parts, have = [self._pending], len(self._pending)
        while have < len(buffer):
            block = next(self._blocks, None)
            if block is None:
                break
            parts.append(block)
            have += len(block)
        self._pending = b"".join(parts)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def stream(data: bytes) -> IO[bytes]:
    return io.BytesIO(data)


class MemoryStore:
    """A blob store held in memory (regular files of an archive by name), for crafting and fuzzing."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    @classmethod
    def from_tar(cls, data: bytes) -> MemoryStore:
        files = {}
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for info in tar:
                handle = tar.extractfile(info) if info.isreg() else None
                if handle is not None:
                    files[info.name.removeprefix("./")] = handle.read()
        return cls(files)

    def open(self, name: str) -> IO[bytes]:
        from auditor.errors import SourceError

        if name not in self.files:
            raise SourceError(f"memory: missing {name}")
        return io.BytesIO(self.files[name])

    def exists(self, name: str) -> bool:
        return name in self.files

    def read(self, name: str) -> bytes:
        return self.files[name]

    def json_names(self) -> list[str]:
        """The JSON documents: manifest.json, index.json, and every blob that parses as a JSON object."""
        return [name for name, data in self.files.items() if data[:1] in (b"{", b"[")]

    def replaced(self, name: str, data: bytes) -> MemoryStore:
        """A copy with `name` holding `data`. A content-addressed blob (`blobs/sha256/HEX`, `HEX.json`) moves
        to its new digest, and every document naming the old one is rewritten the same way, up the chain."""
        files = dict(self.files)
        pending = [(name, data)]
        for _ in range(64):  # a chain of documents is short; never loop on a document naming itself
            if not pending:
                break
            name, data = pending.pop()
            files.pop(name, None)
            old = _content_hex(name)
            if old is None:
                files[name] = data
                continue
            new = hashlib.sha256(data).hexdigest()
            files[name.replace(old, new)] = data
            pending += [(other, body.replace(old.encode(), new.encode())) for other, body in files.items()
                        if old.encode() in body]
        return MemoryStore(files)

    def to_tar(self) -> bytes:
        return raw_tar(*((header(name.encode(), len(data)), data) for name, data in self.files.items()))


def _content_hex(name: str) -> str | None:
    match = re.fullmatch(r"(?:blobs/sha256/([0-9a-f]{64}))|(?:([0-9a-f]{64})\.json)", name)
    return (match.group(1) or match.group(2)) if match else None
