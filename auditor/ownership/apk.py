"""apk's installed database, `/lib/apk/db/installed` (Alpine, Wolfi, Chainguard images).

One block of `X:value` lines per package, blocks separated by a blank line. `P:` names the package,
`F:` opens a directory (relative to /, "" for the root), `R:` names a file in the last `F:`, and the
`Z:` after an `R:` is that file's checksum, as apk-tools' `apk_blob_pull_csum` reads it:
`Q1` + base64 is SHA-1 (what apk writes), `X1` + hex is SHA-1 too, `Q2`/`X2` SHA-256 (apk v3), and bare
hex is MD5 (old databases). apk v3's binary `installed.adb` is not read: apk v3 still writes this text
file, and no image we know has only the binary one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator

from auditor.ownership.interface import Entry, Record, valid_digest
from auditor.ownership.lines import lines
from auditor.ownership.paths import join

MANAGER = "apk"
_ENCODED = {"1": "sha1", "2": "sha256"}  # the digit after Q or X


def parse_installed(path: str, data: bytes) -> Iterator[Entry]:
    """Records for every file with a checksum in an apk installed database."""
    package = ""
    directory: str | None = None
    file: str | None = None
    pending: list[tuple[str, str, str]] = []  # (path, algorithm, digest) of this block; P: may come late
    for line in [*lines(data), ""]:
        if not line:
            yield from (Record(target, algorithm, digest, package, MANAGER)
                        for target, algorithm, digest in pending if package)
            package, directory, file, pending = "", None, None, []
            continue
        key, value = line[:2], line[2:]
        if key == "P:":
            package = value.strip()
        elif key == "F:":
            directory = "/" if not value.strip("/") else join("/", value)
            file = None
        elif key == "R:":
            named = value not in ("", ".", "..") and "/" not in value
            file = join(directory, value) if directory is not None and named else None
        elif key == "Z:" and file is not None:
            checksum = decode_checksum(value.strip())
            if checksum is not None:
                pending.append((file, *checksum))
            file = None


def decode_checksum(text: str) -> tuple[str, str] | None:
    """(algorithm, lowercase hex digest) for an apk checksum field, None when it is not one."""
    if text[:1] in ("Q", "X") and text[1:2] in _ENCODED:
        algorithm, body = _ENCODED[text[1:2]], text[2:]
        if text[0] == "Q":
            try:
                body = base64.b64decode(body, validate=True).hex()
            except (binascii.Error, ValueError):
                return None
    else:
        algorithm, body = "md5", text
    body = body.lower()
    return (algorithm, body) if valid_digest(algorithm, body) else None
