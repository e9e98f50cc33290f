"""The Hyperscan translations never miss what Python's `re` matches (they may match more)."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.checks import of_kind
from auditor.checks.hsregex import FOLDED, FOLDS_OUT_OF_ASCII, translate
from auditor.checks.prefilter import Prefilter, plugin_patterns
from auditor.checks.regex import RegexCheck
from auditor.checks.secrets import SecretsCheck
from auditor.rules import default_pack_paths, load_rules

hyperscan = pytest.importorskip("hyperscan")

RULES = load_rules(default_pack_paths())
# Characters that make Python's and Hyperscan's ASCII readings differ: Unicode letters, digits and
# spaces, the case folds of i/k/s, the ASCII separators Python counts as whitespace.
AWKWARD = "éßİıſK٣\u00a0\u2028\u3000\x1c\x1f\t中😀"
NOISE = st.text(st.characters(codec="utf-8", exclude_characters="\n\r") | st.sampled_from(AWKWARD), max_size=12)
# the texts a file can hold: valid UTF-8, so no lone surrogates
TEXT_ONLY = st.characters(codec="utf-8")


def _plugins():  # type: ignore[no-untyped-def]
    from detect_secrets.settings import get_plugins

    check = SecretsCheck(of_kind(RULES, "secret"))
    with check.session():
        return list(get_plugins())


PLUGINS = _plugins()
PATTERNS = plugin_patterns(PLUGINS)
PREFILTER = Prefilter(PLUGINS)


def _one_line(pattern: str, flags: int) -> st.SearchStrategy[str]:
    core = st.from_regex(re.compile(pattern, flags), fullmatch=True, alphabet=TEXT_ONLY) \
        .filter(lambda s: "\n" not in s and "\r" not in s)
    return st.tuples(NOISE, core, NOISE).map("".join)


@pytest.mark.slow  # 30 examples for each of ~50 plugin expressions: ~60 s
@pytest.mark.parametrize("position, pattern, flags", PATTERNS,
                         ids=[f"{i}:{p[:30]}" for i, (_, p, _) in enumerate(PATTERNS)])
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_prefilter_marks_every_line_a_plugin_expression_matches(position: int, pattern: str, flags: int,
                                                                 data: st.DataObject) -> None:
    line = data.draw(_one_line(pattern, flags))
    if not re.search(pattern, line.rstrip(), flags):
        return  # the noise around it can break a look-around; nothing to check then
    blob = "\n".join(["no secret here", line, "nor here"]).encode("utf-8")
    marked = {index: plugins for index, plugins, _ in PREFILTER.candidates(blob)}
    assert 1 in marked and (marked[1] is None or position in marked[1]), (line, translate(pattern, flags))


REGEX_RULES = [r for r in RULES if r.kind == "regex"]


# The 256 rules of rules/providers.yaml made this test over ten times longer (65 s): they run in the whole suite
# (CI), and the fast loop (`-m "not slow"`) keeps the other packs' rules; tests/rules/test_provider_cases.py
# checks every provider rule there.
RULE_PARAMS = [pytest.param(r, id=r.id, marks=pytest.mark.slow if r.source.endswith("providers.yaml") else ())
               for r in REGEX_RULES]


@pytest.mark.parametrize("rule", RULE_PARAMS)
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_regex_gate_passes_every_text_a_rule_pattern_matches(rule, data: st.DataObject) -> None:  # type: ignore[no-untyped-def]
    check = RegexCheck([rule])
    compiled = check._compiled[0].pattern
    core = data.draw(st.from_regex(compiled, fullmatch=True, alphabet=TEXT_ONLY))
    text = data.draw(NOISE) + core + data.draw(NOISE)
    if not compiled.search(text):
        return
    matched = check._gate.matches(text.encode("utf-8", "surrogatepass"))
    assert matched == {0}, (text, translate(compiled.pattern, compiled.flags, lines=False))


def test_only_i_k_and_s_fold_to_non_ascii_letters() -> None:
    letters = re.compile("[a-z]", re.IGNORECASE)
    found = {chr(c) for c in range(0x80, sys.maxunicode + 1) if letters.match(chr(c))}
    folds = {a for a in "abcdefghijklmnopqrstuvwxyz" for u in found if re.match(a, u, re.IGNORECASE)}
    assert {f.lower() for f in FOLDS_OUT_OF_ASCII} == folds
    assert {ord(u) for u in found} == set(FOLDED)  # and these are all the letters they fold to


def _scans(pattern: str, line: str) -> bool:
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(expressions=[translate(pattern).encode()],
                     flags=[hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_ALLOWEMPTY])
    hits: list[int] = []
    database.scan(line.encode("utf-8"), match_event_handler=lambda *args: hits.append(1))
    return bool(hits)


@pytest.mark.parametrize("pattern, line, python", [
    (r"(?i)secret", "ſecret", True),
    (r"(?i)[r-t]ecret", "ſecret", True),
    (r"(?i)token", "to\u212aen", True),
    (r"(?i)api", "ap\u0130", True),
    (r"(?i)api", "ap\u0131", True),
    (r"(?i)secret", "\u00e9ecret", False),   # any other non-ASCII letter: neither matches any more
    (r"(?i)token", "to\u00e9en", False),
    (r"(?i)[a-c]pi", "\u0131pi", False),     # a class folds only its own letters
])
def test_a_folding_letter_takes_exactly_its_non_ascii_folds(pattern: str, line: str, python: bool) -> None:
    assert bool(re.fullmatch(pattern, line)) is python
    assert _scans(pattern, line) is python


@pytest.mark.parametrize("pattern, line", [
    (r"\bpassword\b", "ſecret password\u3000"),          # Unicode space before the anchor-free match
    (r"(?i)secret", "ſecret"),                            # long s folds to s
    (r"(?i)token", "to\u212aen"),                          # Kelvin sign folds to k
    (r"key\s*=\s*x$", "key\x1c=\u00a0x \t"),               # Python's \s, and trailing whitespace
    (r"[^a]{3}", "中中中"),
    (r"(['\"])abc\1", "'abc'"),                            # a back-reference becomes its group
])
def test_translation_keeps_awkward_matches(pattern: str, line: str) -> None:
    assert re.search(pattern, line.rstrip())
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(expressions=[translate(pattern).encode()],
                     flags=[hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_ALLOWEMPTY])
    hits: list[int] = []
    database.scan(line.encode("utf-8"), match_event_handler=lambda *args: hits.append(1))
    assert hits


def test_a_pattern_whose_alternatives_repeat_is_translated_apart_and_a_list_of_words_is_not() -> None:
    from auditor.checks.hsregex import translate_apart

    apart = translate_apart(r"(?:--password[ \t]{1,8}|sshpass[ \t]{1,8}-p[ \t]{0,8})([A-Za-z0-9]{4,})", lines=False)
    assert len(apart) == 2
    assert translate_apart(r"(?i:api[_.-]?key|token)[ \t]*=[ \t]*([A-Za-z0-9]{8,})", lines=False) == [
        translate(r"(?i:api[_.-]?key|token)[ \t]*=[ \t]*([A-Za-z0-9]{8,})", lines=False)]
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(expressions=[a.encode() for a in apart], ids=[7, 7],
                     flags=[hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_MULTILINE] * 2)
    for text, matches in (("--password  hunter22", True), ("sshpass -p hunter22", True),
                          ("sshpass hunter22", False), ("--pass hunter22", False)):
        found: set[int] = set()
        database.scan(text.encode(), match_event_handler=lambda i, *_, found=found: found.add(i))
        assert (found == {7}) is matches, text


def test_a_rule_pack_pattern_of_many_repeating_alternatives_is_not_given_apart() -> None:
    """A hostile pack's `(a+|b+|...){thousands}` + a long tail must not become thousands of copies of it."""
    from auditor.checks.hsregex import APART_MAX, translate_apart

    pattern = "(?:" + "|".join(f"x{i}[0-9]+" for i in range(2000)) + ")" + "=[A-Za-z0-9]{8,}" * 200
    assert translate_apart(pattern, lines=False) == [translate(pattern, lines=False)]
    few = "(?:" + "|".join(f"x{i}[0-9]+" for i in range(APART_MAX)) + ")=[A-Za-z0-9]{8,}"
    assert len(translate_apart(few, lines=False)) == APART_MAX


def test_a_line_prefilter_widens_long_counted_repeats_sooner_than_a_gate() -> None:
    """A long run of a class that takes any non-ASCII character is slow for Hyperscan to scan for: a line
    prefilter (detect-secrets' plugins) keeps at most 8 of a count exact, a rule gate 16; both stay wider
    than the pattern, never narrower."""
    from auditor.checks.hsregex import LINES_REPEAT_CAP, REPEAT_CAP

    assert (LINES_REPEAT_CAP, REPEAT_CAP) == (8, 16)
    assert translate("[0-9]{20}", lines=True) == "(?:[\\x30-\\x39]){8,}"
    assert translate("[0-9]{20}", lines=False) == "(?:[\\x30-\\x39]){16,}"
    assert translate("[0-9]{5,8}", lines=True) == "(?:[\\x30-\\x39]){5,8}"
