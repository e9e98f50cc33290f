"""What a report may show of a secret: its first four characters, and only of a long one."""

from __future__ import annotations

KEEP = 4
MASK = "*" * 8


def redact(secret: str | None, show: bool) -> str | None:
    """At most 4 characters of a secret are kept, and only from a long one, unless `show`."""
    if secret is None or show or secret.endswith(MASK) and len(secret) <= KEEP + len(MASK):
        return secret  # shown, or already a preview (a hit read back from the layer cache)
    keep = KEEP if len(secret) >= 16 else 0
    return secret[:keep] + MASK
