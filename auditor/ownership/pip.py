"""pip's record of an installed distribution: `<site>/<name>-<version>.dist-info/RECORD` (PEP 376/627).

CSV rows `path,algorithm=<urlsafe base64, no padding>,size`. A relative path is relative to the
directory holding the .dist-info (site-packages), and reaches scripts with "..": RECORD lists
`../../../bin/x` from /usr/local/lib/python3.12/site-packages for /usr/local/bin/x. Paths that climb
above "/" are refused. Rows without a hash (RECORD itself, .pyc files compiled after install) say nothing.
pip writes the hash of what it installed, scripts after their shebang was rewritten, so an untouched
file matches.

Legacy `*.egg-info/installed-files.txt` lists paths without hashes and is not read: a file list with no
digests would make every file under site-packages "packaged" with nothing to check, and eggs are rare
in images now (pip has installed wheels, with RECORD, since 2014).
"""

from __future__ import annotations

import base64
import binascii
import csv
import posixpath
from collections.abc import Iterator

from auditor.ownership.interface import ALGORITHMS, Entry, Record, valid_digest
from auditor.ownership.lines import lines
from auditor.ownership.paths import join

MANAGER = "pip"


def parse_record(path: str, data: bytes) -> Iterator[Entry]:
    """Records for every hashed row of a RECORD file."""
    dist_info = posixpath.dirname(path)
    site = posixpath.dirname(dist_info)
    package = posixpath.basename(dist_info).removesuffix(".dist-info").partition("-")[0]
    for line in lines(data):
        try:
            row = next(csv.reader([line]))
        except (csv.Error, StopIteration):
            continue
        if len(row) < 2 or not row[0]:
            continue
        digest = decode_hash(row[1])
        target = join(site, row[0])
        if digest is not None and target is not None:
            yield Record(target, digest[0], digest[1], package, MANAGER)


def decode_hash(field: str) -> tuple[str, str] | None:
    """(algorithm, lowercase hex) for a RECORD hash field such as "sha256=47DEQpj8...", else None."""
    algorithm, equals, encoded = field.partition("=")
    if not equals or algorithm not in ALGORITHMS:
        return None
    try:
        digest = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).hex()
    except (binascii.Error, ValueError):
        return None
    return (algorithm, digest) if valid_digest(algorithm, digest) else None
