"""`regex` rules over the buffers the layer reader really hands over."""

from __future__ import annotations

import pytest

from auditor.checks import regex
from auditor.checks.regex import RegexCheck
from auditor.model import Rule, RuleId, Severity


def _rule(**params: object) -> Rule:
    return Rule(id=RuleId("demo-token"), kind="regex", severity=Severity.HIGH, description="Demo token.",
                remediation="Rotate it.", params={"pattern": r"demo_[a-z0-9]{12}", **params})


def test_keywords_are_looked_for_in_a_bytearray_as_in_bytes():
    # the layer reader passes a bytearray (read_text avoids a copy); ASCII content is lowered as bytes
    check = RegexCheck([_rule(keywords=["Demo_"])])
    data = b"x = 1\ntoken = demo_abcdef123456\n"
    for buffer in (data, bytearray(data)):
        hits = check.scan_file("/app/config.py", buffer)
        assert [(h.line, h.secret) for h in hits] == [(2, "demo_abcdef123456")]


def test_a_file_without_any_keyword_has_no_hit():
    check = RegexCheck([_rule(keywords=["elsewhere"])])
    assert check.scan_file("/app/config.py", bytearray(b"token = demo_abcdef123456\n")) == []


@pytest.mark.parametrize("at", [0, regex.FOLD_PIECE - 3, regex.FOLD_PIECE + 5, 3 * regex.FOLD_PIECE - 2])
def test_a_keyword_is_found_anywhere_in_a_text_longer_than_one_folded_piece(at: int) -> None:
    data = b"x" * at + b"PassWord" + b"y" * (3 * regex.FOLD_PIECE - at)
    assert regex._Folded(data).holds((b"nothere", b"password"))
    assert not regex._Folded(data).holds((b"token",))


def test_only_the_patterns_of_rules_the_gate_lets_through_are_compiled() -> None:
    """Warming compiles the gate (and the rules' shared globs), not the hundreds of patterns behind it:
    a file compiles only those the gate finds may match in it."""
    from auditor.checks.regex import RegexCheck
    from auditor.rules import default_pack_paths, load_rules

    check = RegexCheck([r for r in load_rules(default_pack_paths()) if r.kind == "regex"])
    check.warm()
    assert [c.rule.id for c in check._compiled if "pattern" in c.__dict__] == []
    hits = check.scan_file("/app/deploy.sh", b"STRIPE_WEBHOOK_SECRET=whsec_R8vXq2LmT4nYw7KpZ3sB9dF6hJ1cV52OrNLk\n")
    compiled = [c.rule.id for c in check._compiled if "pattern" in c.__dict__]
    assert hits and {str(h.rule) for h in hits} <= set(compiled) and 0 < len(compiled) < len(check._compiled) // 10


def test_a_list_of_globs_is_compiled_once_for_every_rule_sharing_it() -> None:
    from auditor.globs import compile_globs

    shared = compile_globs(("**/test/**", "*.md"))
    assert shared is not None and shared is compile_globs(["**/test/**", "*.md"])
    assert shared.match("/usr/share/doc/README.md") and not shared.match("/app/.env")
    assert compile_globs(()) is None
