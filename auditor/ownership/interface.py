"""What every package-manager parser produces, and the one error family the ledger turns into notes.

A parser reads one database file that a package manager left in the image (dpkg's md5sums, apk's
installed db, rpm's sqlite db, a pip RECORD, ...) and yields what it says about other files:

- `Record`: "the file at `path`, as package `package` installed it, hashes to `digest`". A file whose
  bytes still match its record is an unmodified package file: shipped to everyone, so it can hold test
  keys and example tokens but never a secret planted in this image.
- `DirectoryOwner`: "everything under `path` came from package `package`", without per-file hashes
  (node_modules, the Go module cache). Weaker: a user could have edited a file in there.

The bytes are attacker-controlled. A parser never raises for malformed input: it skips what it cannot
read and yields what it can, with every path absolute, normalised and inside the image root. It raises
only `UnsupportedDatabase`, for a database it recognises but deliberately does not read (BerkeleyDB
rpmdb), so the caller can say why files there are judged "not packaged".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from auditor.errors import AuditorError

# hashlib names, and the length of each digest in hex. Records only ever carry these algorithms.
ALGORITHMS: dict[str, int] = {"md5": 32, "sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128}


@dataclass(frozen=True, slots=True)
class Record:
    """One file a package manager installed and the digest it recorded at install time.

    `path` is absolute and normalised ("/usr/bin/ls"); `algorithm` is a key of `ALGORITHMS`; `digest`
    is lowercase hex of the right length; `manager` names the parser family ("dpkg", "rpm", ...).
    """

    path: str
    algorithm: str
    digest: str
    package: str
    manager: str


@dataclass(frozen=True, slots=True)
class DirectoryOwner:
    """A directory every file under which a package manager put there, with no per-file digests.

    `path` is absolute and normalised, without a trailing slash ("/app/node_modules/left-pad").
    """

    path: str
    package: str
    manager: str


Entry = Record | DirectoryOwner
Parser = Callable[[str, bytes], Iterator[Entry]]  # (in-image path of the database file, its bytes)


class OwnershipError(AuditorError):
    """Base of the errors a package database parser raises on purpose."""


class UnsupportedDatabase(OwnershipError):
    """A database we recognise but do not read; its files count as not packaged."""


def valid_digest(algorithm: str, digest: str) -> bool:
    """Whether `digest` is lowercase hex of the length `algorithm` produces."""
    return len(digest) == ALGORITHMS.get(algorithm) and _HEX.fullmatch(digest) is not None


_HEX = re.compile("[0-9a-f]+")
