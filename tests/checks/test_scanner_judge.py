"""The Scanner puts every content hit through the value judge once, keeping rejected hits with their reason."""

from __future__ import annotations

from auditor import cache
from auditor.checks import judge
from auditor.checks.scanner import Scanner
from auditor.model import Rule, RuleId, Severity

AWS = Rule(RuleId("aws-id"), "regex", Severity.CRITICAL, "AWS key id", "rotate",
           params={"pattern": r"\b(?:AKIA)[0-9A-Z]{16}\b", "keywords": ["akia"]})
WORDS = Rule(RuleId("pw"), "regex", Severity.MEDIUM, "a password", "rotate",
             params={"pattern": r"password\s*=\s*\"([^\"]+)\"", "group": 1, "judge": "generic"})


def test_rejected_hits_are_kept_with_their_reason():
    scanner = Scanner([AWS])
    with scanner.session():
        hits = scanner.scan_file("/app/.env", b"A=AKIAIOSFODNN7EXAMPLE\nB=AKIAZ3MHJQ4V2XKB7NPL\n")
    assert {(h.secret, h.rejected) for h in hits} == {("AKIAIOSFODNN7EXAMPLE", "example-key"),
                                                      ("AKIAZ3MHJQ4V2XKB7NPL", None)}


def test_the_rules_level_decides_what_applies():
    data = b'password = "Enter your password"\n'
    generic = Scanner([WORDS])
    token = Scanner([Rule(WORDS.id, "regex", WORDS.severity, "d", "r", params={**WORDS.params, "judge": "token"})])
    with generic.session(), token.session():
        assert [h.rejected for h in generic.scan_file("/app/login.py", data)] == ["natural-language"]
        assert [h.rejected for h in token.scan_file("/app/login.py", data)] == [None]


def test_metadata_text_is_judged():
    scanner = Scanner([AWS])
    with scanner.session():
        [hit] = scanner.scan_text("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "image-config")
    assert hit.rejected == "example-key"


def test_a_new_judge_version_changes_the_layer_cache_key(monkeypatch):
    before = cache.rules_key([AWS], 1 << 20)
    monkeypatch.setattr(cache, "JUDGE_VERSION", judge.VERSION + "-next")
    assert cache.rules_key([AWS], 1 << 20) != before


def test_a_value_two_rules_find_on_one_line_is_reported_once_by_the_rule_naming_its_format() -> None:
    from auditor.checks.scanner import Scanner
    from auditor.rules import default_pack_paths, load_rules
    from testing.tokens import github_token

    token = github_token()
    scanner = Scanner(load_rules(default_pack_paths()))
    with scanner.session():
        hits = scanner.scan_file("/srv/app/settings.py", f'GITHUB_TOKEN = "{token}"\n'.encode())
    assert [(h.line, h.secret) for h in hits if not h.rejected] == [(1, token)]
    assert scanner.levels[[h for h in hits if not h.rejected][0].rule] == "token"  # not token-assignment


def test_a_value_one_rule_captures_in_part_is_still_one_value() -> None:
    # detect-secrets' Stripe plugin takes a live key's first 24 characters, the assignment rule the whole value
    import secrets
    import string

    from auditor.checks.scanner import Scanner
    from auditor.rules import default_pack_paths, load_rules

    key = "sk_live_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(99))
    scanner = Scanner(load_rules(default_pack_paths()))
    with scanner.session():
        hits = [h for h in scanner.scan_file("/srv/config.js", f"module.exports = {{ stripeKey: '{key}' }};\n".encode())
                if not h.rejected]
    assert len(hits) == 1 and hits[0].rule == "ds-stripe-key"
