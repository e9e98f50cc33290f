"""Offline token checks (auditor/checks/verify.py): valid constructed tokens pass, look-alikes fail.

Tokens are built here from their published recipes (and pieces joined with j()), so no literal in this
file is a token a scanner would report.
"""

from __future__ import annotations

import base64
import binascii
import json
import random

import pytest

from auditor.checks import verify as v
from testing.tokens import draw, j

RNG = random.Random(20210405)
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def rand(alphabet: str, n: int) -> str:
    return draw(RNG, alphabet, n)


def to_base62(number: int) -> str:
    """Independent of verify.base62: repeated division, most significant digit first, padded to 6."""
    out = ""
    for _ in range(6):
        out = B62[number % 62] + out
        number //= 62
    assert number == 0
    return out


def crc_token(prefix: str) -> str:
    body = rand(B62, 30)
    return j(prefix, body, to_base62(binascii.crc32(body.encode())))


# --- GitHub and npm: CRC32 in base62 -------------------------------------------------------------------------


def test_published_github_example_passes() -> None:
    """The example token of GitHub's format write-ups (an expired, revoked token) checks out."""
    assert v.github(j("gh", "p_", "zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ", "0mLq17"))


@pytest.mark.parametrize("prefix", ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"])
def test_github_tokens_with_their_checksum_pass(prefix: str) -> None:
    for _ in range(20):
        assert v.github(crc_token(prefix))


def test_github_look_alikes_fail() -> None:
    good = crc_token("ghp_")
    flipped = good[:10] + ("A" if good[10] != "A" else "B") + good[11:]
    assert not v.github(flipped)  # one character changed
    assert not v.github(good[:-1])  # too short
    assert not v.github(good + "0")  # too long
    assert not v.github(j("gh", "x_", good[4:]))  # not a GitHub prefix
    assert not v.github(j("gh", "p_", "FAKE" * 9))  # the test suite's fake: right shape, wrong checksum
    assert not v.github(good[:20] + "_" + good[21:])  # outside base62
    assert not v.github(crc_token("npm_"))


def test_npm_tokens_with_their_checksum_pass_and_look_alikes_fail() -> None:
    good = crc_token("npm_")
    assert v.npm(good)
    assert not v.npm(good[:-6] + "000000")
    assert not v.npm(j("np", "m_", "FAKE" * 9))
    assert not v.npm(crc_token("ghp_"))
    assert not v.npm("npm_")


def test_base62_pads_with_zeros() -> None:
    assert v.base62(0, 6) == "000000"
    assert v.base62(61, 6) == "00000z"
    assert v.base62(62, 6) == "000010"
    assert v.base62(0xFFFFFFFF, 6) == to_base62(0xFFFFFFFF)


# --- Grafana service account tokens ----------------------------------------------------------------------------


def grafana_token() -> str:
    key = j("gl", "sa_", rand(B62, 32))
    return key + "_" + binascii.crc32(key.encode()).to_bytes(4, "little").hex()


def test_grafana_tokens_with_their_checksum_pass_and_look_alikes_fail() -> None:
    good = grafana_token()
    assert v.grafana(good)
    big_endian = good[:-8] + binascii.crc32(good[:-9].encode()).to_bytes(4, "big").hex()
    assert big_endian == good or not v.grafana(big_endian)
    assert not v.grafana(good[:-8] + "00000000")
    assert not v.grafana(good[:-1])
    assert not v.grafana(good.replace("glsa_", "glxx_"))


# --- PyPI macaroons --------------------------------------------------------------------------------------------


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(kind: int, data: bytes) -> bytes:
    return varint(kind) + varint(len(data)) + data


def macaroon(location: bytes, identifier: bytes, caveats: list[bytes], signature: bytes = b"\x5a" * 32) -> bytes:
    out = b"\x02" + field(1, location) + field(2, identifier) + b"\x00"
    for caveat in caveats:
        out += field(2, caveat) + b"\x00"
    return out + b"\x00" + field(6, signature)


def pypi_token(location: bytes = b"pypi.org", **kw: object) -> str:
    caveat = json.dumps({"version": 1, "permissions": "user"}).encode()
    raw = macaroon(location, b"\x01" * 48, [caveat], **kw)  # type: ignore[arg-type]
    return j("py", "pi-", base64.urlsafe_b64encode(raw).decode().rstrip("="))


def test_pypi_macaroons_pass() -> None:
    token = pypi_token()
    assert token.startswith(j("py", "pi-AgEIcHlwaS5vcmc"))  # the prefix every PyPI token shares
    assert v.pypi(token)
    assert v.pypi(pypi_token(b"test.pypi.org"))
    assert v.pypi(token + "==")  # padding kept


def test_pypi_look_alikes_fail() -> None:
    assert not v.pypi(j("py", "pi-AgEIcHlwaS5vcmc", "FAKE" * 18))  # the test suite's fake: the prefix, then noise
    assert not v.pypi(pypi_token(b"evil.example.com"))
    assert not v.pypi(pypi_token(signature=b"\x01" * 16))  # a signature must be 32 bytes
    assert not v.pypi(pypi_token()[:-4])  # truncated
    assert not v.pypi(pypi_token()[5:])  # no prefix
    assert not v.pypi(j("py", "pi-", "not base64!"))
    no_identifier = b"\x02" + field(1, b"pypi.org") + b"\x00\x00" + field(6, b"\x00" * 32)
    assert not v.pypi(j("py", "pi-", base64.urlsafe_b64encode(no_identifier).decode()))


# --- JWT -------------------------------------------------------------------------------------------------------


def b64url(data: object) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_jwts_pass() -> None:
    assert v.jwt(".".join([b64url({"alg": "HS256", "typ": "JWT"}), b64url({"sub": "1"}), b64url(b"\x11" * 32)]))
    assert v.jwt(".".join([b64url({"alg": "none"}), b64url({"sub": "1"}), ""]))  # unsecured JWT


@pytest.mark.parametrize("token", [
    ".".join([b64url({"typ": "JWT"}), b64url({"sub": "1"}), b64url(b"sig")]),       # no alg
    ".".join([b64url({"alg": 5}), b64url({"sub": "1"}), b64url(b"sig")]),           # alg not a string
    ".".join([b64url({"alg": "HS256"}), b64url({"sub": "1"}), ""]),                 # signed, no signature
    ".".join([b64url({"alg": "HS256"}), b64url([1, 2]), b64url(b"sig")]),           # payload not an object
    ".".join([b64url(b"not json"), b64url({"sub": "1"}), b64url(b"sig")]),
    ".".join([b64url({"alg": "HS256"}), b64url({"sub": "1"})]),                     # two parts
    ".".join([b64url({"alg": "HS256"}), b64url({"sub": "1"}), "s", "x"]),           # four parts
    ".".join([b64url({"alg": "HS256"}), b64url({"sub": "1"}), "a+b/c"]),            # not base64url
    "eyJub3QganNvbg.eyJub3QganNvbg.",                                               # the rule tests' look-alike
])
def test_jwt_look_alikes_fail(token: str) -> None:
    assert not v.jwt(token)


# --- age -------------------------------------------------------------------------------------------------------

BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_encode(hrp: str, data: bytes) -> str:
    """BIP 173 encoding, written out here apart from the decoder under test."""
    acc = bits = 0
    five: list[int] = []
    for byte in data:
        acc = acc << 8 | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            five.append(acc >> bits & 31)
    if bits:
        five.append(acc << (5 - bits) & 31)
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + five + [0] * 6
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
            check ^= gen if (top >> i) & 1 else 0
    polymod = check ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32[d] for d in five + checksum)


def test_bip173_vectors_decode() -> None:
    assert v.bech32_decode("A12UEL5L") == ("a", [])
    assert v.bech32_decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw") is not None
    assert v.bech32_decode("A12UEL5M") is None  # checksum off by one character
    assert v.bech32_decode("a12UEL5L") is None  # mixed case


def test_age_identities_pass_and_look_alikes_fail() -> None:
    identity = bech32_encode(j("age-secret", "-key-"), bytes(RNG.randrange(256) for _ in range(32))).upper()
    assert len(identity) == len(j("AGE-SECRET", "-KEY-1")) + 58
    assert v.age(identity)
    assert not v.age(identity.lower())  # age writes identities in upper case
    changed = identity[:-1] + ("Q" if identity[-1] != "Q" else "P")
    assert not v.age(changed)
    assert not v.age(bech32_encode(j("age-secret", "-key-"), b"\x07" * 31).upper())  # 31 bytes
    assert not v.age(bech32_encode("age", b"\x07" * 32).upper())
    assert not v.age(j("AGE-SECRET", "-KEY-1", "Q" * 58))


# --- the table -------------------------------------------------------------------------------------------------


def test_verify_dispatches_and_knows_what_it_cannot_check() -> None:
    assert v.verify("github", crc_token("ghp_")) is True
    assert v.verify("npm", j("np", "m_", "FAKE" * 9)) is False
    assert v.verify("anthropic", "anything") is None
    assert set(v.CHECKS) == {"github", "npm", "grafana", "pypi", "jwt", "age"}


def test_module_imports_only_the_standard_library() -> None:
    import ast
    import sys

    tree = ast.parse(open(v.__file__, encoding="utf-8").read())
    names = {alias.name.split(".")[0]
             for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert names <= set(sys.stdlib_module_names) | {"__future__"}
