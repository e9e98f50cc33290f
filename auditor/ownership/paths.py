"""In-image paths taken from package databases: absolute, normalised, never outside the root."""

from __future__ import annotations


def join(base: str, name: str) -> str | None:
    """The absolute, normalised path `name` names relative to the directory `base` (itself absolute).

    An absolute `name` ignores `base`. Returns None for a path that climbs above "/" with "..", holds a
    NUL byte, or names the root itself: a database that points there was crafted, and clamping
    "../../etc/shadow" to "/etc/shadow" would let it speak for a file it never installed.
    """
    if "\0" in name:
        return None
    absolute = name.startswith("/")
    relative = name.lstrip("/") if absolute else name
    probe = f"/{relative}/"
    if relative and "//" not in probe and "/./" not in probe and "/../" not in probe:  # the common case, fast
        return ("" if absolute or base == "/" else base) + "/" + relative
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

