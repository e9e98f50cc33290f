"""Files in the user's cache directory: private at every level, replaced atomically."""

from __future__ import annotations

import os
import tempfile


def write_file(root: str, path: str, data: bytes) -> None:
    """Write `data` to `path` (inside `root`) through a temp file and a rename, creating every directory
    from `root` down with mode 0700, not just the last one. OSError propagates; no temp file is left."""
    level = root
    os.makedirs(level, mode=0o700, exist_ok=True)
    relative = os.path.relpath(os.path.dirname(path), root)
    for part in [] if relative == "." else relative.split(os.sep):
        level = os.path.join(level, part)
        os.makedirs(level, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=level, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
