"""rpm's package database: the sqlite `rpmdb.sqlite` of RHEL 9, Fedora 33+, Amazon Linux 2023, ...

The `Packages` table holds one header blob per installed package (`rpmheader` reads it). A file's
path is `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`, its digest `FILEDIGESTS[i]` (hex, "" for what is not
a regular file), in the algorithm `FILEDIGESTALGO` names (PGP hash ids; MD5 when the tag is absent, as
rpm < 4.6 wrote no tag and used MD5).

The bytes are read with the standard library's sqlite3: `deserialize` (Python 3.11+) where it exists,
else a copy in a private `tempfile.mkdtemp()` directory, removed afterwards. The database is the
attacker's: it is checked for the sqlite magic, read through a query-only connection with a cap on blob
length and on virtual-machine steps, `Packages` must be a plain table (a view or generated column could
compute without bound), and any sqlite error ends the read with what was read so far.

Not read: the BerkeleyDB `Packages` (RHEL <= 8, CentOS 7, Amazon Linux 2) and SUSE's ndb `Packages.db`.
Their parsers raise `UnsupportedDatabase` so the audit can say why those images' files are "not packaged".
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator

from auditor.ownership import rpmheader
from auditor.ownership.interface import Entry, Record, UnsupportedDatabase, valid_digest
from auditor.ownership.paths import join

MANAGER = "rpm"
NAME, FILEDIGESTS, DIRINDEXES, BASENAMES, DIRNAMES, FILEDIGESTALGO = 1000, 1035, 1116, 1117, 1118, 5011
_TAGS = frozenset({NAME, FILEDIGESTS, DIRINDEXES, BASENAMES, DIRNAMES, FILEDIGESTALGO})
DIGEST_ALGORITHMS = {1: "md5", 2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512"}  # RFC 4880 hash ids
SQLITE_MAGIC = b"SQLite format 3\0"
MAX_BLOB = 64 * 1024 * 1024  # rpm itself refuses headers over 256 MiB; real ones are well under 1 MiB
MAX_STEPS = 200_000_000  # sqlite VM instructions for the whole read (a large rpmdb needs well under 1%)
_STEP = 10_000  # how often the progress handler runs


def parse_sqlite(path: str, data: bytes, *, deserialize: bool = True) -> Iterator[Entry]:
    """Records for every regular file of every package in an rpmdb.sqlite.

    `deserialize=False` forces the temp-file route (the one Python 3.10 takes), for tests.
    """
    for blob in package_blobs(data, deserialize=deserialize):
        yield from header_records(blob)


def parse_berkeley(path: str, data: bytes) -> Iterator[Entry]:
    """Refuse BerkeleyDB and ndb rpmdbs: out of scope (see the module docstring)."""
    raise UnsupportedDatabase(f"{path}: BerkeleyDB/ndb rpm database not read (only rpmdb.sqlite is)")
    yield  # pragma: no cover - makes this a generator, so the error comes on first use like the others


def header_records(blob: bytes) -> Iterator[Record]:
    """The records of one package header; nothing when its file lists disagree in length."""
    tags = rpmheader.read_tags(blob, _TAGS)
    name, digests, indexes = tags.get(NAME), tags.get(FILEDIGESTS), tags.get(DIRINDEXES)
    basenames, dirnames = tags.get(BASENAMES), tags.get(DIRNAMES)
    algorithm_id = tags.get(FILEDIGESTALGO, (1,))
    if not (isinstance(name, str) and isinstance(digests, list) and isinstance(indexes, tuple)
            and isinstance(basenames, list) and isinstance(dirnames, list) and isinstance(algorithm_id, tuple)):
        return
    algorithm = DIGEST_ALGORITHMS.get(algorithm_id[0]) if len(algorithm_id) == 1 else None
    if algorithm is None or not len(digests) == len(indexes) == len(basenames):
        return
    for digest, index, base in zip(digests, indexes, basenames):  # noqa: B905 - lengths checked just above
        digest = digest.lower()
        if not digest or index >= len(dirnames) or not valid_digest(algorithm, digest):
            continue
        if "/" in base or base in ("", ".", "..") or not dirnames[index].startswith("/"):
            continue
        target = join("/", dirnames[index] + base)
        if target is not None:
            yield Record(target, algorithm, digest, name, MANAGER)


def package_blobs(data: bytes, *, deserialize: bool = True) -> Iterator[bytes]:
    """The `blob` column of every row of `Packages`, ending quietly at the first sqlite error."""
    if not data.startswith(SQLITE_MAGIC) or len(data) < 100:
        return
    # Bytes 18-19 are 2 in a WAL-mode database; an in-memory copy cannot open a WAL, and rpm
    # checkpoints on close, so reading it as rollback-journal mode sees the same committed data.
    if data[18:20] == b"\x02\x02":
        data = data[:18] + b"\x01\x01" + data[20:]
    if deserialize and hasattr(sqlite3.Connection, "deserialize"):
        connection = sqlite3.connect(":memory:")
        try:
            connection.deserialize(data)  # type: ignore[attr-defined]  # 3.11+, checked above
            yield from _rows(connection)
        except sqlite3.Error:
            return
        finally:
            connection.close()
    else:
        yield from _rows_from_copy(data)


def _rows_from_copy(data: bytes) -> Iterator[bytes]:
    """`_rows` of a private on-disk copy, for Pythons without `deserialize`."""
    directory = tempfile.mkdtemp(prefix="auditor-rpmdb-")  # mode 0700: ours alone
    try:
        copy = os.path.join(directory, "rpmdb.sqlite")
        try:
            fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            connection = sqlite3.connect(f"file:{copy}?mode=ro&immutable=1", uri=True)
        except (OSError, sqlite3.Error):
            return
        try:
            yield from _rows(connection)
        except sqlite3.Error:
            return
        finally:
            connection.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _rows(connection: sqlite3.Connection) -> Iterator[bytes]:
    """Blobs of `Packages` through a hardened connection (see the module docstring)."""
    steps = [0]

    def budget() -> int:
        steps[0] += _STEP
        return 1 if steps[0] > MAX_STEPS else 0  # non-zero aborts the statement

    connection.set_progress_handler(budget, _STEP)
    if hasattr(connection, "setlimit"):
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_BLOB)  # type: ignore[attr-defined]  # 3.11+
    connection.execute("PRAGMA query_only = ON")
    connection.execute("PRAGMA trusted_schema = OFF")
    connection.execute("PRAGMA cell_size_check = ON")
    schema = connection.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'Packages'")
    row = schema.fetchone()
    if row is None or not isinstance(row[0], str) or row[0].upper().split()[:2] == ["CREATE", "VIRTUAL"]:
        return
    columns = connection.execute("SELECT name, hidden FROM pragma_table_xinfo('Packages')").fetchall()
    if "blob" not in {name for name, _ in columns} or any(hidden for _, hidden in columns):
        return  # hidden 2 or 3: a generated column, computed on read
    for (blob,) in connection.execute("SELECT blob FROM Packages"):
        if isinstance(blob, bytes):
            yield blob
