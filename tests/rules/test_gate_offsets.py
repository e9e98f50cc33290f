"""The Hyperscan gate and prefilter never lose a match that sits past a file's first bytes.

Hyperscan 5.4.12 (bundled with hyperscan 0.9.1) misses matches of some expressions past the first bytes of
a text (npmrc-auth's `_authToken` with exactly one space or tab of indent after 23+ bytes; cloudflare's
DNS names with three optional parts after ~15). Every positive example of every content rule of every
pack (the cases of test_rule_cases.py and test_provider_cases.py) is pushed down by k bytes of unrelated
text and a newline (its lines then indented by nothing, one space or one tab), and pushed right by k spaces on its
first line, for k in a spread of 0..300 that
crosses Hyperscan's block and history boundaries. Each text is scanned twice: by every default rule
through the gate and prefilter (as an audit does: the bug depends on the whole database), and by the
case's rule alone with Hyperscan off (every region, every line: Python `re` alone). The rule's hits must
be the same: the gate may only skip what Python would not find.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from auditor.checks import hsdb, prefilter
from auditor.checks.interface import ContentCheck
from auditor.checks.regex import RegexCheck
from auditor.checks.scanner import Scanner
from auditor.model import Rule
from auditor.rules import default_pack_paths, load_rules
from tests.rules import test_provider_cases as provider_cases
from tests.rules import test_rule_cases as rule_cases

pytestmark = pytest.mark.slow  # about a minute: CI runs it (tests/conftest.py), the fast loop does not

RULES = load_rules(default_pack_paths())
BY_ID = {r.id: r for r in RULES}
CONTENT_RULES = {r.id for r in RULES if r.kind in ("secret", "regex")}
OFFSETS = [0, 1, 2, 3, 5, 7, 8, 9, 13, 14, 15, 16, 17, 22, 23, 24, 25, 31, 32, 33, 47, 48, 63, 64, 65, 95, 100,
           127, 128, 129, 150, 191, 200, 255, 256, 257, 299, 300]
FILLER = "# " + "lorem ipsum dolor sit amet, consectetur adipiscing elit; " * 6  # no rule's match


def _positives() -> list[Any]:
    out = []
    for param in [*rule_cases.CONTENT, *provider_cases.CASES]:
        case = param.values[0]
        if case.fires and case.rule in CONTENT_RULES and not param.marks:
            out.append(pytest.param(case.rule, case.path, case.text, id=param.id))
    return out


POSITIVES = _positives()
Hits = set[tuple[int | None, str | None]]


@pytest.fixture(scope="module")
def checks() -> Iterator[tuple[Scanner, Callable[[Rule], ContentCheck]]]:
    """(every default rule through the gate and prefilter, as an audit runs them; one rule's check with
    Hyperscan off, built on first need: every region, every line, Python `re` alone)."""
    gated = Scanner(RULES)
    plain: dict[str, ContentCheck] = {}
    plain_secrets = Scanner([r for r in RULES if r.kind == "secret"])

    def reference(rule: Rule) -> ContentCheck:
        if rule.kind == "secret":
            return plain_secrets.secrets
        if rule.id not in plain:
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(hsdb, "hyperscan", None)
                check = plain[rule.id] = RegexCheck([rule])
                check.warm()
        return plain[rule.id]

    with gated.session(), plain_secrets.session():
        gated.warm()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(hsdb, "hyperscan", None)
            patch.setattr(prefilter, "hyperscan", None)
            plain_secrets.warm()
        yield gated, reference


def indent(text: str, by: str) -> str:
    """Every line of `text` (but an empty last one) behind `by`."""
    return "\n".join(by + line if line else line for line in text.split("\n"))


def hits(check: ContentCheck, rule: str, path: str, text: str) -> Hits:
    scan = check.every_hit if isinstance(check, Scanner) else check.scan_file  # each rule on its own
    return {(h.line, h.secret) for h in scan(path, text.encode("utf-8")) if h.rule == rule}


def test_the_cases_cover_every_content_rule() -> None:
    covered = {p.values[0] for p in POSITIVES}
    # rules/credentials.yaml shifts its own cases the same way (tests/rules/test_credentials_pack.py)
    own = {r.id for r in RULES if r.source.endswith("credentials.yaml")}
    assert CONTENT_RULES - covered - own <= {"ds-public-ip"}  # detect-secrets' own filters drop every IPv4 address


def test_the_filler_matches_nothing(checks: tuple[Scanner, Callable[[Rule], ContentCheck]]) -> None:
    gated, _ = checks
    assert gated.scan_file("/app/.env", (FILLER + "\n" + FILLER).encode()) == []


@pytest.mark.parametrize("rule, path, text", POSITIVES)
def test_a_match_is_found_wherever_it_sits(checks: tuple[Scanner, Callable[[Rule], ContentCheck]], rule: str,
                                           path: str, text: str) -> None:
    gated, reference = checks
    plain = reference(BY_ID[rule])
    assert hits(plain, rule, path, text), "the example does not fire even without the gate"
    missed = []
    for k in OFFSETS:
        for how, moved in (("down", FILLER[:k] + "\n" + text), ("right", " " * k + text),
                           ("down, each line one space in", FILLER[:k] + "\n" + indent(text, " ")),
                           ("down, each line a tab in", FILLER[:k] + "\n" + indent(text, "\t"))):
            want, got = hits(plain, rule, path, moved), hits(gated, rule, path, moved)
            if got != want:
                missed.append((how, k, sorted(want - got, key=str), sorted(got - want, key=str)))
    assert not missed, missed
