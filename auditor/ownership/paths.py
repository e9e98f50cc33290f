"""In-image paths taken from package databases: absolute, normalised, never outside the root."""

from __future__ import annotations

import posixpath


def join(base: str, name: str) -> str | None:
    """The absolute, normalised path `name` names relative to the directory `base` (itself absolute).

    An absolute `name` ignores `base`. Returns None for a path that climbs above "/" with "..", holds a
    NUL byte, or names the root itself: a database that points there was crafted, and clamping
    "../../etc/shadow" to "/etc/shadow" would let it speak for a file it never installed.
    """
    if "\0" in name:
        return None
    parts = [] if name.startswith("/") else [part for part in base.split("/") if part]
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/" + "/".join(parts) if parts else None


def parent(path: str) -> str:
    """The directory holding an absolute, normalised path ("/" for "/x")."""
    return posixpath.dirname(path)
