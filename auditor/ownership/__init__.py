"""Which files in an image are unmodified package files, and of which package.

Package managers record what they installed: dpkg and apk a digest per file, rpm too, pip a RECORD per
distribution, Maven a .sha1 per artifact; npm and the Go module cache only which directories are
packages. A file whose bytes still match such a record is shipped content (test keys, sample tokens,
hashes in docs) and never a secret planted in this image, so content findings there can be suppressed.

Use (the layer walk, base layer first):

    ledger = Ledger()
    for each regular file entry:     if is_database(path): ledger.feed(layer, path, its_bytes)
    for each whiteout / opaque dir:  ledger.delete(layer, path)   (also a non-directory over a directory)
    ... once every layer's databases are in (a layer's database may follow its files in the tar):
    verdict = ledger.verdict(path, layer, digests, visible=(the entry is visible in the final image))
    verdict.standing is Standing.UNMODIFIED -> suppress content findings; ledger.notes -> report notes

`digests(algorithm)` returns the file's hex digest for a hashlib name ("md5", "sha1", "sha256", ...);
it is called only when a record applies, and may return "" for an algorithm it cannot give (that
record then does not match). `digests_of(data)` makes one for bytes at hand; a walk that judges after
streaming can keep md5/sha1/sha256 of just the files with findings and answer from those.

`DATABASES` (databases.py) is the registry: path pattern -> parser, one module per manager.
"""

from __future__ import annotations

from auditor.ownership.databases import DATABASES, is_database, parser_for
from auditor.ownership.interface import (
                                         ALGORITHMS,
                                         DirectoryOwner,
                                         Entry,
                                         OwnershipError,
                                         Parser,
                                         Record,
                                         UnsupportedDatabase,
)
from auditor.ownership.ledger import NOT_PACKAGED, Ledger, Note, Standing, Verdict, digests_of

__all__ = [
    "ALGORITHMS", "DATABASES", "NOT_PACKAGED", "DirectoryOwner", "Entry", "Ledger", "Note", "OwnershipError",
    "Parser", "Record", "Standing", "UnsupportedDatabase", "Verdict", "digests_of", "is_database", "parser_for",
]
