"""Build rpm header blobs and rpmdb.sqlite files in tests, as rpm 4.16+ writes them.

A header blob is `il, dl` (big-endian uint32), `il` index entries `(tag, type, offset, count)`, then
`dl` data bytes, each value aligned to its type's size. Like rpm's, the first entry is the immutable
region tag (63) pointing at a 16-byte trailer; our parser ignores it, but real blobs have it.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Sequence
from pathlib import Path

INT32, STRING, BIN, STRING_ARRAY = 4, 6, 7, 8
NAME, FILEDIGESTS, DIRINDEXES, BASENAMES, DIRNAMES, FILEDIGESTALGO = 1000, 1035, 1116, 1117, 1118, 5011
HEADERIMMUTABLE = 63

TagValue = str | Sequence[str] | Sequence[int] | bytes


def header(tags: Sequence[tuple[int, int, TagValue]], *, region: bool = True) -> bytes:
    """A header blob from (tag, type, value) triples: str for STRING, list of str for STRING_ARRAY, list
    of int for INT32, bytes for BIN. Entries keep the given order (rpm sorts them by tag)."""
    entries: list[tuple[int, int, int, int]] = []
    data = bytearray()
    for tag, kind, value in tags:
        if kind == INT32:
            data += b"\0" * (-len(data) % 4)
            raw, count = struct.pack(f">{len(value)}I", *value), len(value)
        elif kind == STRING:
            raw, count = value.encode() + b"\0", 1  # type: ignore[union-attr]
        elif kind == STRING_ARRAY:
            raw, count = b"".join(s.encode() + b"\0" for s in value), len(value)  # type: ignore[union-attr]
        else:
            raw, count = bytes(value), len(value)  # type: ignore[arg-type]
        entries.append((tag, kind, len(data), count))
        data += raw
    if region:
        trailer_offset = len(data)
        data += struct.pack(">iIiI", HEADERIMMUTABLE, BIN, -16 * (len(entries) + 1), 16)
        entries.insert(0, (HEADERIMMUTABLE, BIN, trailer_offset, 16))
    index = b"".join(struct.pack(">iIiI", *entry) for entry in entries)
    return struct.pack(">II", len(entries), len(data)) + index + bytes(data)


def package(name: str, files: Sequence[tuple[str, str]], *, algorithm: int | None = 8) -> bytes:
    """The header of package `name` owning `files` [(absolute path, hex digest or "")], digests in
    `algorithm` (a PGP hash id; None leaves the tag out, meaning MD5)."""
    dirnames: list[str] = []
    indexes: list[int] = []
    for path, _ in files:
        directory = path.rsplit("/", 1)[0] + "/"
        if directory not in dirnames:
            dirnames.append(directory)
        indexes.append(dirnames.index(directory))
    tags: list[tuple[int, int, TagValue]] = [
        (NAME, STRING, name),
        (FILEDIGESTS, STRING_ARRAY, [digest for _, digest in files]),
        (DIRINDEXES, INT32, indexes),
        (BASENAMES, STRING_ARRAY, [path.rsplit("/", 1)[1] for path, _ in files]),
        (DIRNAMES, STRING_ARRAY, dirnames),
    ]
    if algorithm is not None:
        tags.append((FILEDIGESTALGO, INT32, [algorithm]))
    return header(tags)


RPM_SCHEMA = "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)"


def sqlite_db(where: Path, blobs: Sequence[bytes], *, wal: bool = False, schema: str = RPM_SCHEMA) -> bytes:
    """The bytes of an rpmdb.sqlite (created at `where`) holding `blobs` in its Packages table."""
    connection = sqlite3.connect(where)
    try:
        if wal:
            connection.execute("PRAGMA journal_mode = WAL")
        connection.execute(schema)
        if blobs:
            connection.executemany("INSERT INTO Packages (blob) VALUES (?)", [(blob,) for blob in blobs])
        connection.commit()
    finally:
        connection.close()
    return where.read_bytes()
