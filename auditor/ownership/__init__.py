"""Which files in an image are unmodified package files, and of which package.

Package managers record what they installed: dpkg and apk a digest per file, rpm too, pip a RECORD per
distribution, Maven a .sha1 per artifact; npm and the Go module cache only which directories are
packages. A file whose bytes still match such a record is shipped content (test keys, sample tokens,
hashes in docs) and never a secret planted in this image, so content findings there can be suppressed.

Use (the layer walk, base layer first):

    ledger = Ledger()
    for each tar entry:  if is_database(entry.path): ledger.feed(layer, entry.path, entry_bytes)
    for each whiteout or opaque directory:           ledger.delete(layer, path)
    ... after the walk, for a file with a finding:
    verdict = ledger.verdict(path, layer, digests_of(file_bytes), visible=(fate is VISIBLE))
    verdict.standing is Standing.UNMODIFIED -> suppress; ledger.notes -> report notes

`DATABASES` (databases.py) is the registry: path pattern -> parser, one module per manager.
"""

from __future__ import annotations

from auditor.ownership.databases import DATABASES, is_database, parser_for
from auditor.ownership.interface import (ALGORITHMS, DirectoryOwner, Entry, OwnershipError, Parser, Record,
                                         UnsupportedDatabase)
from auditor.ownership.ledger import NOT_PACKAGED, Ledger, Note, Standing, Verdict, digests_of

__all__ = [
    "ALGORITHMS", "DATABASES", "NOT_PACKAGED", "DirectoryOwner", "Entry", "Ledger", "Note", "OwnershipError",
    "Parser", "Record", "Standing", "UnsupportedDatabase", "Verdict", "digests_of", "is_database", "parser_for",
]
