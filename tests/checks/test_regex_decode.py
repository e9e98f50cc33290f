"""`decode: base64` on `regex` rules: the secret is decoded (bounded) and judged by `decoded`."""

from __future__ import annotations

import base64
import re

import pytest

from auditor.checks.regex import DECODE_LIMIT, RegexCheck, decode_base64, judge_decoded
from auditor.errors import RuleError
from auditor.rules import parse_rule

KEY = re.compile(r"-----BEGIN ((?:[A-Z0-9]{1,16} ){0,2}PRIVATE KEY)-----")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def rule(**params: object) -> RegexCheck:
    raw = {"id": "t", "kind": "regex", "severity": "high", "description": "Decoded thing.", "remediation": "Fix.",
           "pattern": r"key=([A-Za-z0-9+/_-]{4,200}={0,2})", "group": 1, **params}
    return RegexCheck([parse_rule(raw, "test")])


def test_decodes_standard_and_urlsafe_base64_with_or_without_padding() -> None:
    assert decode_base64(b64("user:pass")) == "user:pass"
    assert decode_base64(b64("user:pass").rstrip("=")) == "user:pass"
    assert decode_base64(base64.urlsafe_b64encode(b"\xfb\xff:x").decode()) == "\ufffd\ufffd:x"


def test_text_that_is_not_base64_does_not_decode() -> None:
    assert decode_base64("not base64!") is None


def test_only_the_first_decode_limit_characters_are_decoded() -> None:
    long = b64("-----BEGIN EC PRIVATE KEY-----" + "A" * 10 * DECODE_LIMIT)
    decoded = decode_base64(long)
    assert decoded is not None and len(decoded) == DECODE_LIMIT // 4 * 3


def test_judge_names_the_first_group_of_what_the_secret_decodes_to() -> None:
    assert judge_decoded(b64("-----BEGIN RSA PRIVATE KEY-----\nMII"), KEY) == "RSA PRIVATE KEY"
    assert judge_decoded(b64("-----BEGIN CERTIFICATE-----\nMII"), KEY) is None
    assert judge_decoded(b64("anything"), None) == ""


def test_a_match_that_decodes_to_the_expected_shape_is_reported_with_it() -> None:
    check = rule(decode="base64", decoded=KEY.pattern)
    hits = check.scan_file("/a", f"key={b64('-----BEGIN OPENSSH PRIVATE KEY-----')}\n".encode())
    assert [h.message for h in hits] == ["Decoded thing (OPENSSH PRIVATE KEY)"]
    assert check.scan_file("/a", f"key={b64('-----BEGIN PUBLIC KEY-----')}\n".encode()) == []


def test_a_rule_without_decode_reports_the_match_as_before() -> None:
    hits = rule().scan_file("/a", f"key={b64('-----BEGIN PUBLIC KEY-----')}\n".encode())
    assert [h.message for h in hits] == ["Decoded thing"]


def test_an_unknown_decoding_is_a_rule_error() -> None:
    with pytest.raises(RuleError, match="unknown decoding"):
        rule(decode="hex")
