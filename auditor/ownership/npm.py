"""npm packages: `node_modules/NAME/package.json` and `node_modules/@scope/NAME/package.json`.

npm records no per-file digests of what it unpacked, so such a package.json only says that its
directory is a published package: `DirectoryOwner`, judged "packaged (unverified)", since anyone could
have edited a file in there afterwards. Only the package.json right under node_modules counts (the
registry pattern fixes the depth), and only when its "name" is the directory's own name and it has a
"version": a test fixture's package.json deeper inside a package, or a stray one, marks nothing.
An alias install (`npm i x@npm:y`, directory x, name y) is therefore not recognised: a missed
suppression, never a wrong one.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator

from auditor.ownership.interface import DirectoryOwner, Entry

MANAGER = "npm"
MAX_MANIFEST = 1024 * 1024  # real package.json files are a few KB
MARKER = "/node_modules/"


def parse_package_json(path: str, data: bytes) -> Iterator[Entry]:
    """The package directory a node_modules package.json marks, if it is a real package's manifest."""
    directory = posixpath.dirname(path)
    _, marker, name = directory.rpartition(MARKER)
    scoped = name.startswith("@") and name.count("/") == 1
    if not marker or len(data) > MAX_MANIFEST or ("/" in name and not scoped):
        return
    try:
        manifest = json.loads(data)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return
    if not isinstance(manifest, dict):
        return
    declared, version = manifest.get("name"), manifest.get("version")
    if declared == name and isinstance(version, str) and version:
        yield DirectoryOwner(directory, f"{name}@{version}", MANAGER)
