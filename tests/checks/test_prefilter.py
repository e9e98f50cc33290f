"""The prefilter's entropy expressions (`prefilter.entropy_run`): exact, so a quoted string that can never
pass an entropy plugin (too short, or hex only for the base64 plugin) never makes its line a candidate,
and one that can always does."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks import of_kind
from auditor.checks.prefilter import Prefilter, entropy_run, fewest_distinct
from auditor.checks.secrets import SecretsCheck
from auditor.rules import default_pack_paths, load_rules

pytest.importorskip("hyperscan")

BASE64 = string.ascii_letters + string.digits + "+/\\-_="  # detect-secrets' base64 plugin's charset
HEX = "0123456789abcdefABCDEF"


@settings(max_examples=400, deadline=None)
@given(st.text(st.sampled_from(BASE64), max_size=40) | st.text(st.sampled_from(HEX), max_size=40))
def test_a_run_matches_exactly_when_it_is_long_enough_and_not_all_hex(run: str) -> None:
    distinct = fewest_distinct(4.5)  # 23: no string of fewer characters has more than 4.5 bits
    wanted = len(run) >= distinct and not set(run) <= set(HEX)
    assert bool(re.fullmatch(entropy_run(BASE64, distinct), run)) == wanted
    if wanted:  # the loose expression (for callers that count themselves) takes every exact run too
        assert re.fullmatch(entropy_run(BASE64, distinct, loose=True), run)


@pytest.mark.parametrize("length", [22, 23, 24, 40])
def test_a_run_matches_wherever_its_first_character_that_is_not_hex_is(length: int) -> None:
    """Each run has one first such character (hex digits before it, any of the charset after it)."""
    exact = re.compile(entropy_run(BASE64, fewest_distinct(4.5)))
    for at in range(length):
        for after in ("a", "Z"):  # hex digits only, or more of the charset, after it
            run = "f" * at + "Q" + after * (length - at - 1)
            assert bool(exact.fullmatch(run)) == (length >= 23), run


def test_a_run_of_a_charset_with_enough_hex_digits_needs_only_its_length() -> None:
    run = entropy_run(HEX, 9)
    assert "|" not in run  # no character it must hold besides its length
    assert re.fullmatch(run, "a" * 9) and not re.fullmatch(run, "a" * 8)


@pytest.fixture(scope="module")
def plugins() -> list[object]:
    from detect_secrets.settings import get_plugins

    check = SecretsCheck(of_kind(load_rules(default_pack_paths()), "secret"))
    with check.session():
        return list(get_plugins())


@pytest.mark.parametrize("value, candidate", [
    ("eastasianwidth", False),  # a key of a lookup table: 14 characters
    ("HAVE_CURSES_RESIZE", False),  # an identifier of 18
    ("HAVE_CURSES_RESIZETERM_X", True),  # of 24: it may be a token, the plugin decides (it counts, not guesses)
    ("\\xE1\\xBE\\xAD", False),  # escapes in a Perl table: 12 characters
    ("d41d8cd98f00b204e9800998ecf8427e", False),  # an md5 in hex: never passes the base64 plugin
    ("Zq8Lm3Vx9Pz4Kw8NbR2tY6uH1jC5dF0g", True),  # 32 characters of base64
])
def test_only_a_quoted_string_that_could_pass_the_base64_plugin_makes_its_line_a_candidate(
        plugins: list[object], value: str, candidate: bool) -> None:
    position = next(i for i, p in enumerate(plugins) if type(p).__name__ == "Base64HighEntropyString")
    marked = {index: found for index, found, _ in Prefilter(plugins).candidates(f"x = '{value}'\n".encode())}
    assert (0 in marked and position in (marked[0] or ())) == candidate


def test_a_line_only_the_public_ip_plugin_can_match_is_no_candidate_while_letterless_secrets_are_dropped() -> None:
    """detect-secrets' `is_not_alphanumeric_string` drops every IPv4 address IPPublicDetector finds, so an
    apt index full of versions such as `1.3.6.7` gives it no line to visit; without that filter it does."""
    from detect_secrets.settings import get_plugins, get_settings

    from auditor.checks.prefilter import plugin_patterns
    from auditor.checks.secrets import LETTERLESS_FILTER, muted_plugins

    rules = load_rules(default_pack_paths())
    check = SecretsCheck(of_kind(rules, "secret"))
    line = b"Breaks: 389-ds-base (<< 1.3.6.7-4), libsvrcore-dev\n"
    with check.session():
        assert LETTERLESS_FILTER in get_settings().filters
        muted = {type(get_plugins()[position]).__name__ for position, _, _ in
                 plugin_patterns(get_plugins())} - {type(get_plugins()[position]).__name__ for position, _, _ in
                                                    plugin_patterns(get_plugins(), muted_plugins())}
        assert muted == {"IPPublicDetector"}
        assert check.scan_file("/var/lib/apt/lists/x_Packages", line) == []
        assert Prefilter(get_plugins(), muted_plugins()).candidates(line) == []
        get_settings().disable_filters(LETTERLESS_FILTER)
        try:
            assert muted_plugins() == frozenset()
            assert Prefilter(get_plugins(), muted_plugins()).candidates(line)
        finally:
            get_settings().filters[LETTERLESS_FILTER] = {}
