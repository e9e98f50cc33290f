"""Text lines of a database file an attacker may have written: bounded, decoded as tar names are."""

from __future__ import annotations

from collections.abc import Iterator

MAX_LINE = 16 * 1024  # far above PATH_MAX (4096) plus a digest; longer lines are skipped, not read


def lines(data: bytes, limit: int = MAX_LINE) -> Iterator[str]:
    """The lines of `data` without their "\\n" (or "\\r\\n"), skipping any longer than `limit` bytes.

    Decoded as UTF-8 with surrogateescape, as `tarfile` decodes entry names, so a path read here equals
    the walk's path for the same file whatever its bytes.
    """
    for raw in data.split(b"\n"):
        if len(raw) > limit:
            continue
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        yield raw.decode("utf-8", "surrogateescape")
