"""Image configs the engine exported before, kept by their sha256 in the cache directory, so that an image
whose layers are all cached is audited without exporting it again (`auditor.sources.daemon`).

A config is content-addressed: it is kept and used only when its bytes hash to the digest it is asked
for, so an entry that was altered, cut short or written by someone else is a miss, never a wrong config.
Files are read and written through `auditor.private`, like the layer cache's.
"""

from __future__ import annotations

import hashlib
import os
import re

from auditor import private

_DIGEST = re.compile(r"sha256:([0-9a-f]{64})")


def _path(root: str, digest: str) -> str | None:
    match = _DIGEST.fullmatch(digest)
    return os.path.join(root, "configs", match[1][:2], match[1] + ".json") if match else None


def _names(data: bytes, digest: str) -> bool:
    return "sha256:" + hashlib.sha256(data).hexdigest() == digest


def get(root: str, digest: str) -> bytes | None:
    """The config whose sha256 is `digest`, if it is kept (and hashes to it); None otherwise."""
    path = _path(root, digest)
    if path is None:
        return None
    try:
        data = private.read_file(root, path)
    except OSError:
        return None
    return data if _names(data, digest) else None


def put(root: str, digest: str, data: bytes | None) -> None:
    """Keep `data` when it is the config `digest` names (an engine whose ids are not config digests, such
    as one with the containerd image store, keeps nothing); a cache that cannot be written costs only time."""
    path = _path(root, digest)
    if path is None or data is None or not _names(data, digest):
        return
    try:
        private.write_file(root, path, data)
    except OSError:
        pass
