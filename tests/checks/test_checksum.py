"""`checksum:` on `regex` rules: a token whose offline checksum matches is reported as verified, the same
token with one character changed is a look-alike and is not reported.

Tokens are built here from their published recipes with an implementation independent of
auditor/checks/verify.py (and joined from pieces), so no literal here is a token a scanner would report.
"""

from __future__ import annotations

import binascii
import hashlib
import random
from collections.abc import Callable, Iterator

import pytest

from auditor.checks.regex import RegexCheck
from auditor.errors import RuleError
from auditor.rules import default_pack_paths, load_rules
from testing.tokens import base62_crc32, draw, j

RNG = random.Random(14)
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def rand(alphabet: str, n: int) -> str:
    return draw(RNG, alphabet, n)


def npm_token() -> str:
    body = rand(B62, 30)
    return j("np", "m_", body, base62_crc32(body))


def grafana_token() -> str:
    head = j("gl", "sa_", rand(B62, 32))
    return j(head, "_", binascii.crc32(head.encode()).to_bytes(4, "little").hex())


def age_identity() -> str:
    bits = "".join(f"{b:08b}" for b in hashlib.sha256(rand(B62, 16).encode()).digest()) + "0000"
    data = [int(bits[i:i + 5], 2) for i in range(0, 260, 5)]
    hrp = "age-secret-key-"
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    check = 1
    for value in [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + data + [0] * 6:
        top, check = check >> 25, (check & 0x1FFFFFF) << 5 ^ value
        for i, g in enumerate(gen):
            check ^= g if top >> i & 1 else 0
    data += [(check ^ 1) >> 5 * (5 - i) & 31 for i in range(6)]
    return j("AGE-SECRET", "-KEY-1", "".join(BECH32[d] for d in data).upper())


CASES = [("npm-access-token", "NPM_TOKEN", npm_token), ("grafana-service-account-token", "GRAFANA_TOKEN",
                                                        grafana_token),
         ("age-secret-key", "SOPS_AGE_KEY", age_identity)]


@pytest.fixture(scope="module")
def check() -> Iterator[RegexCheck]:
    yield RegexCheck([r for r in load_rules(default_pack_paths()) if r.kind == "regex"])


def changed(token: str, alphabet: str) -> Iterator[str]:
    """The token with one character of its body replaced, at a few places (never the prefix)."""
    for at in (len(token) // 2, len(token) - 3, len(token) - 1):
        old = token[at]
        new = next(c for c in alphabet if c != old and (c.isupper() == old.isupper() or not c.isalpha()))
        yield token[:at] + new + token[at + 1:]


@pytest.mark.parametrize("rule, name, make", CASES, ids=[c[0] for c in CASES])
def test_a_token_whose_checksum_matches_is_reported_as_verified(check: RegexCheck, rule: str, name: str,
                                                                make: Callable[[], str]) -> None:
    for _ in range(5):
        token = make()
        hits = [h for h in check.scan_file("/app/.env", f"{name}={token}\n".encode()) if h.rule == rule]
        assert [(h.line, h.secret) for h in hits] == [(1, token)]
        assert hits[0].message.endswith("(checksum verified)")


@pytest.mark.parametrize("rule, name, make", CASES, ids=[c[0] for c in CASES])
def test_the_same_token_with_one_character_changed_is_rejected_as_a_look_alike(check: RegexCheck, rule: str, name: str,
                                                                   make: Callable[[], str]) -> None:
    token = make()
    alphabet = BECH32.upper() if rule == "age-secret-key" else "0123456789abcdef" if rule.startswith("grafana") \
        else B62
    for fake in changed(token, alphabet):
        assert fake != token
        hits = check.scan_file("/app/.env", f"{name}={fake}\n".encode())
        assert [h.rejected for h in hits if h.rule == rule] == ["checksum-mismatch"]


def test_a_rule_naming_an_unknown_checksum_is_refused() -> None:
    from auditor.checks import params

    assert params.checksum("npm", "r") == "npm"
    with pytest.raises(RuleError, match="unknown checksum 'crc64'"):
        params.checksum("crc64", "rules.yaml: rule x: checksum")


def github_classic() -> str:
    body = rand(B62, 30)
    number, check = binascii.crc32(body.encode()), ""
    for _ in range(6):
        number, digit = divmod(number, 62)
        check = B62[digit] + check
    return j("gh", "p_", body, check)


def test_a_detect_secrets_finding_is_marked_verified_and_a_look_alike_is_kept_unmarked() -> None:
    """On `secret` rules a failed checksum drops nothing: no detect-secrets finding is silently lost."""
    from auditor.checks.scanner import Scanner

    rules = [r for r in load_rules(default_pack_paths()) if r.id == "ds-github-token"]
    assert rules[0].params["checksum"] == "github"
    scanner = Scanner(rules)
    token = github_classic()
    fake = next(changed(token, B62))
    with scanner.session():
        real_hits = scanner.scan_file("/app/.env", f"GITHUB_TOKEN={token}\n".encode())
        fake_hits = scanner.scan_file("/app/.env", f"GITHUB_TOKEN={fake}\n".encode())
    assert [(h.secret, h.message.endswith("(checksum verified)")) for h in real_hits] == [(token, True)]
    assert [(h.secret, h.message.endswith("(checksum verified)")) for h in fake_hits] == [(fake, False)]


def test_a_jwt_is_reported_whole_with_its_signature_and_verified() -> None:
    # detect-secrets' JwtTokenDetector stops before the signature; the structure check needs all three parts
    import base64
    import json

    from auditor.checks.scanner import Scanner

    def part(doc: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")

    token = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': '6028903', 'iat': 1718262546})}." + rand(B62, 43)
    scanner = Scanner(load_rules(default_pack_paths()))
    with scanner.session():
        hits = [h for h in scanner.scan_file("/srv/app/.env", f"SERVICE_JWT={token}\n".encode()) if h.rule == "ds-jwt"]
    assert [(h.secret, h.rejected) for h in hits] == [(token, None)]
    assert hits[0].message.endswith("(checksum verified)")
