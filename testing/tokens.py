"""Fake tokens in live formats, for tests: the provider's prefix and alphabet, and its checksum where the
format carries one (a token whose checksum fails is rejected as a look-alike, `checksum-mismatch`)."""

from __future__ import annotations

import binascii
import random
import secrets
import string

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def j(*parts: str) -> str:
    """Join pieces, so a whole credential never appears as one literal in a test file (secret scanners
    and push protection would flag the repository)."""
    return "".join(parts)


def draw(rng: random.Random, alphabet: str, n: int) -> str:
    """n characters drawn from `alphabet` by a seeded `rng`: the same fakes on every run."""
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62_crc32(body: str) -> str:
    """The six-character CRC32 suffix of GitHub's and npm's tokens (base62, zero-padded)."""
    number, out = binascii.crc32(body.encode()), ""
    while number:
        number, digit = divmod(number, 62)
        out = B62[digit] + out
    return out.rjust(6, "0")


def github_token(prefix: str = "ghp_", body: str | None = None) -> str:
    """A GitHub token (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) with a right checksum; random unless `body`."""
    body = body if body is not None else "".join(secrets.choice(B62) for _ in range(30))
    return prefix + body + base62_crc32(body)
