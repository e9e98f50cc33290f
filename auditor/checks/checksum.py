"""What a rule's `checksum:` (an offline verifier of `checks.verify`) does to a hit.

A token whose checksum or structure holds could have been issued: its message says "checksum verified"
(raised confidence). One that fails is a look-alike (a fixture, a truncated or hand-typed value, a random
string with the right prefix). A `regex` rule's look-alike is dropped. A `secret` rule's is kept as
detect-secrets reported it: no detect-secrets finding is ever silently lost (tests/rules/
test_detect_secrets_parity.py), so it can only go once it is rejected by name.

`judge` is the one place to switch when hits carry the value judge's `rejected` field: return
`replace(hit, rejected="checksum-mismatch")` for a look-alike, of either kind.
"""

from __future__ import annotations

from dataclasses import replace

from auditor.checks.verify import verify
from auditor.model import Hit

VERIFIED = " (checksum verified)"


def judge(hit: Hit, checksum: str | None, drop: bool) -> Hit | None:
    """`hit` as its rule's `checksum` judges it: marked verified, unchanged, or (`drop`, a look-alike) None."""
    if checksum is None or hit.secret is None:
        return hit
    if verify(checksum, hit.secret):
        return replace(hit, message=hit.message + VERIFIED)
    return None if drop else hit
