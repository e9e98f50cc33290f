"""A finding's fingerprint: what baselines, allowlists and SARIF `partialFingerprints` know it by."""

from __future__ import annotations

import hashlib


def fingerprint(rule: str, where: str | None, secret: str | None, secret_hash: str | None = None) -> str:
    """Stable across rebuilds: rule, in-image path (or metadata location) and a hash of the secret (or
    `secret_hash`, the hash itself, when only that was kept); no layer digest and no line."""
    if secret_hash is None:
        secret_hash = hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest() if secret else ""
    return hashlib.sha256(f"{rule}\0{where or ''}\0{secret_hash}".encode("utf-8", "surrogateescape")).hexdigest()[:32]
