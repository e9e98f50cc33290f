"""Offline checks that a token-shaped string is well formed: checksums and structure, no network.

A regex finds a string with a token's shape; the functions here tell whether it could have been issued:
its checksum matches, or its encoded parts decode to what the issuer puts there. A look-alike (a test
fixture, a truncated or hand-typed value, a random string with the right prefix) fails.

`verify(kind, token)` returns True (well formed), False (not), or None (no check is known for `kind`).
Pure functions over the standard library only, so any check may call them.

Sources for each format:
- github, npm: GitHub blog, "Behind GitHub's new authentication token formats" (2021-04-05) and
  "Announcing npm's new access token format" (2021-09-23): prefix, 30 random base62 characters, and the
  CRC32 of those 30 characters in base62 as the last 6.
- grafana: Grafana's service account token generator (pkg/components/satokengen in grafana/grafana):
  glsa_<32 characters>_<CRC32-IEEE of "glsa_<secret>", its 4 bytes little-endian, in hex>.
- pypi: PyPI tokens are "pypi-" and a base64url libmacaroons v2 macaroon whose location is pypi.org
  (or test.pypi.org) (PyPI help, "API tokens"; libmacaroons v2 serialisation).
- jwt: RFC 7519 / RFC 7515 compact serialisation: three base64url parts, a JSON header with "alg".
- age: the age-encryption.org/v1 specification: an X25519 identity is Bech32 (BIP 173) with the
  human-readable part AGE-SECRET-KEY- and 32 bytes of key.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62_RE = re.compile(r"[0-9A-Za-z]+")


def base62(number: int, width: int) -> str:
    """`number` in base62 (digits, then A-Z, then a-z), left-padded with '0' to `width` characters."""
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits)).rjust(width, "0")


def _crc32_base62(token: str, prefix: str) -> bool:
    """prefix + 30 random base62 characters + the base62 CRC32 of those 30 characters (6 characters)."""
    if not token.startswith(prefix) or len(token) != len(prefix) + 36:
        return False
    body = token[len(prefix):]
    if not _BASE62_RE.fullmatch(body):
        return False
    random, checksum = body[:30], body[30:]
    return base62(binascii.crc32(random.encode("ascii")), 6) == checksum


def github(token: str) -> bool:
    """A classic GitHub token (ghp_, gho_, ghu_, ghs_, ghr_) whose CRC32 checksum matches."""
    return token[:4] in ("ghp_", "gho_", "ghu_", "ghs_", "ghr_") and _crc32_base62(token, token[:4])


def npm(token: str) -> bool:
    """An npm access token (npm_) whose CRC32 checksum matches."""
    return _crc32_base62(token, "npm_")


def grafana(token: str) -> bool:
    """A Grafana service account token glsa_<secret>_<crc32 hex, little-endian>."""
    match = re.fullmatch(r"(glsa_([A-Za-z0-9]{32}))_([a-f0-9]{8})", token)
    if not match:
        return False
    checksum = binascii.crc32(match.group(1).encode("ascii"))
    return checksum.to_bytes(4, "little").hex() == match.group(3)


def _b64decode(text: str, urlsafe: bool = True) -> bytes | None:
    if not re.fullmatch(r"[A-Za-z0-9_-]*={0,2}" if urlsafe else r"[A-Za-z0-9+/]*={0,2}", text):
        return None
    text = text.rstrip("=")
    if len(text) % 4 == 1:
        return None
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """An unsigned LEB128 number at `at`: (value, next position); raises IndexError past the end."""
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7
        if shift > 63:
            raise IndexError("varint too long")


_EOS, _LOCATION, _IDENTIFIER, _VID, _SIGNATURE = 0, 1, 2, 4, 6


def _macaroon_v2(data: bytes) -> tuple[bytes, bytes] | None:
    """(location, identifier) of a libmacaroons v2 binary macaroon, or None if it does not parse.

    Layout: version byte 2; the macaroon's section (optional location, identifier, EOS); caveat sections
    (optional location, identifier, optional verification id, EOS); an EOS; the 32-byte signature field.
    A field is a varint type, a varint length and the bytes; EOS is the type 0 alone."""
    if not data or data[0] != 2:
        return None
    at = 1

    def section(at: int, allowed: tuple[int, ...]) -> tuple[dict[int, bytes], int]:
        fields: dict[int, bytes] = {}
        last = 0
        while True:
            kind, at = _varint(data, at)
            if kind == _EOS:
                return fields, at
            if kind not in allowed or kind <= last:  # fields come in increasing type order, once each
                raise ValueError("unexpected field")
            length, at = _varint(data, at)
            if at + length > len(data):
                raise ValueError("field past the end")
            fields[kind] = data[at:at + length]
            at += length
            last = kind

    try:
        head, at = section(at, (_LOCATION, _IDENTIFIER))
        if not head.get(_IDENTIFIER):
            return None
        while True:
            if data[at] == _EOS:  # the end of the caveats
                at += 1
                break
            caveat, at = section(at, (_LOCATION, _IDENTIFIER, _VID))
            if not caveat.get(_IDENTIFIER):
                return None
        kind, at = _varint(data, at)
        length, at = _varint(data, at)
        if kind != _SIGNATURE or length != 32 or at + length != len(data):
            return None
    except (IndexError, ValueError):
        return None
    return head.get(_LOCATION, b""), head[_IDENTIFIER]


def pypi(token: str) -> bool:
    """A PyPI API token: pypi- and a base64url v2 macaroon located at pypi.org or test.pypi.org."""
    if not token.startswith("pypi-"):
        return False
    data = _b64decode(token[5:])
    parsed = _macaroon_v2(data) if data else None
    return parsed is not None and parsed[0] in (b"pypi.org", b"test.pypi.org")


def jwt(token: str) -> bool:
    """A JWS compact JWT: header.payload.signature, the header a JSON object with a string "alg", the
    payload a JSON object, the signature base64url (empty only when alg is "none")."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        return False
    header_raw, payload_raw, signature_raw = (_b64decode(p) for p in parts)
    if header_raw is None or payload_raw is None or signature_raw is None:
        return False
    try:
        header = json.loads(header_raw)
        payload = json.loads(payload_raw)
    except ValueError:  # includes UnicodeDecodeError
        return False
    if not isinstance(header, dict) or not isinstance(header.get("alg"), str) or not isinstance(payload, dict):
        return False
    return bool(signature_raw) or header["alg"].lower() == "none"


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _bech32_polymod(values: list[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(_BECH32_GEN):
            if (top >> i) & 1:
                check ^= generator
    return check


def bech32_decode(text: str) -> tuple[str, list[int]] | None:
    """(human-readable part, 5-bit data without the checksum) of a valid Bech32 string (BIP 173; the
    90-character limit is not applied, as age identities may be longer in other variants)."""
    if text != text.lower() and text != text.upper():
        return None
    text = text.lower()
    split = text.rfind("1")
    if split < 1 or len(text) - split - 1 < 6:
        return None
    hrp, rest = text[:split], text[split + 1:]
    if any(ord(c) < 33 or ord(c) > 126 for c in hrp) or any(c not in _BECH32 for c in rest):
        return None
    data = [_BECH32.index(c) for c in rest]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    if _bech32_polymod(expanded + data) != 1:
        return None
    return hrp, data[:-6]


def _from_5bit(data: list[int]) -> bytes | None:
    acc = bits = 0
    out = bytearray()
    for value in data:
        acc = acc << 5 | value
        bits += 5
        while bits >= 8:
            bits -= 8
            out.append(acc >> bits & 0xFF)
    if bits >= 5 or acc & ((1 << bits) - 1):
        return None  # padding must be short and zero
    return bytes(out)


def age(token: str) -> bool:
    """An age X25519 identity: AGE-SECRET-KEY-1..., upper case, valid Bech32 holding 32 bytes."""
    if not token.startswith("AGE-SECRET-KEY-1") or token != token.upper():
        return False
    decoded = bech32_decode(token)
    if decoded is None or decoded[0] != "age-secret-key-":
        return False
    key = _from_5bit(decoded[1])
    return key is not None and len(key) == 32


CHECKS: dict[str, Callable[[str], bool]] = {
    "github": github,
    "npm": npm,
    "grafana": grafana,
    "pypi": pypi,
    "jwt": jwt,
    "age": age,
}


def verify(kind: str, token: str) -> bool | None:
    """Whether `token` is well formed for `kind`; None when there is no offline check for `kind`."""
    check = CHECKS.get(kind)
    return None if check is None else check(token)
