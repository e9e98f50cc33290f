"""What a rule's `checksum:` (an offline verifier of `checks.verify`) does to a hit.

A token whose checksum or structure holds could have been issued: its message says "checksum verified"
(raised confidence). One that fails is a look-alike (a fixture, a truncated or hand-typed value, a random
string with the right prefix): rejected by name, `checksum-mismatch` (`checks.judge.REASONS`), so it never
fails the gate and `--explain` still lists it; nothing detect-secrets finds is silently lost.
"""

from __future__ import annotations

from dataclasses import replace

from auditor.checks.verify import verify
from auditor.model import Hit

VERIFIED = " (checksum verified)"
MISMATCH = "checksum-mismatch"


def judge(hit: Hit, checksum: str | None) -> Hit:
    """`hit` as its rule's `checksum` judges it: marked verified, or rejected as a look-alike."""
    if checksum is None or hit.secret is None:
        return hit
    if verify(checksum, hit.secret):
        return replace(hit, message=hit.message + VERIFIED)
    return replace(hit, rejected=MISMATCH)
