"""`checks.allowlist` gives detect-secrets' `is_line_allowlisted` answers, in linear time."""

from __future__ import annotations

import pytest
from detect_secrets.filters.allowlist import is_line_allowlisted
from detect_secrets.util.code_snippet import get_code_snippet
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.allowlist import allowlisted
from testing.timing import least_cpu_seconds

PIECES = ["#", "//", "/*", "*/", "'", "--", "<!--", "-->", " ", "\t", "  ", "pragma", "pragma:", ": ", "allowlist",
          "whitelist", "nextline", "secret", "-", "x", "\n", "pragma: allowlist secret", "pragma:whitelist-secret",
          "pragma: allowlist nextline secret"]
LINE = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)


@pytest.mark.slow
@settings(max_examples=3000, deadline=None)
@given(previous=LINE, line=LINE, newline=st.booleans(), name=st.sampled_from(["a.py", "a.yaml", "a.yml", "a"]))
def test_allowlisted_answers_as_detect_secrets_does(previous: str, line: str, newline: bool, name: str) -> None:
    lines = [previous + ("\n" if newline else ""), line.rstrip()]
    context = get_code_snippet(lines=lines, line_number=2)
    assert allowlisted(name, lines[1], context.previous_line) == is_line_allowlisted(name, lines[1], context)


def test_allowlisted_is_linear_in_runs_of_blanks() -> None:
    blanks = " \t" * 500_000
    seconds, answers = least_cpu_seconds(
        lambda: (allowlisted("a.py", blanks + "# pragma: allowlist" + blanks + "x", "<!--" + blanks + "pragma"),
                 allowlisted("a.py", "key = 1" + blanks + "# pragma: allowlist secret" + blanks, "")), 1)
    assert answers == (False, True)
    assert seconds < 1
