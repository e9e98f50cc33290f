"""A finding on one line never depends on what the other lines of the file hold.

detect-secrets runs its eager config-file transformer only when the raw pass finds nothing, so adding a
Stripe key to a `.env` made an unquoted password found only by the eager pass vanish, and it keeps one
line per (type, value). layer-auditor runs both passes and reports every occurrence: the property below
checks that each line's findings are the same alone and among any other lines of the set (before and
after it, repeated or not).

The lines are `.env` assignments (the file type the eager transformer reads), so the file stays one the
transformer parses whatever lines are drawn: a line that breaks the parse for the whole file is outside
what a per-line promise can cover with detect-secrets' parser (see the module docstring of
auditor/checks/secrets.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.checks.scanner import Scanner
from auditor.rules import default_pack_paths, load_rules
from testing.tokens import j

LINES = [
    j("AWS_ACCESS_KEY_ID=AKIA", "QYLPMN5HHHFPZAM2"),  # raw pass (AWSKeyDetector)
    j("STRIPE_KEY=sk", "_live_", "4eC39HqLyjWDarjtT1zdp7dc"),  # raw pass (StripeDetector)
    j("db_password = ", "Xk9vLq2mWp7zRt4"),  # unquoted: only the eager transformer quotes it for KeywordDetector
    j("api_secret = ", "Hq7Lm2Vx9Pz4Kw8N"),  # the same
    j("DOCKER_PAT=dc", "kr_pat_", "Qm7Zx2Lp9KvR4tNw8YcH3bJd6Fa"),  # a regex rule
    "DEBUG=0",
    "# nothing here",
    "REGION=eu-west-1",
]
Found = frozenset[tuple[str, str | None]]


@pytest.fixture(scope="module")
def scanner() -> Iterator[Scanner]:
    s = Scanner(load_rules(default_pack_paths()))
    with s.session():
        yield s


def by_line(scanner: Scanner, lines: list[str]) -> dict[int, Found]:
    hits = scanner.scan_file("/app/.env", "".join(f"{line}\n" for line in lines).encode())
    out: dict[int, set[tuple[str, str | None]]] = {}
    for hit in hits:
        out.setdefault(hit.line or 0, set()).add((hit.rule, hit.secret))
    return {line: frozenset(found) for line, found in out.items()}


def test_every_secret_line_is_found_alone(scanner: Scanner) -> None:
    """The property below is not vacuous: each of the first five lines has a finding of its own."""
    alone = [by_line(scanner, [line]).get(1, frozenset()) for line in LINES]
    assert all(alone[:5]) and not any(alone[5:])


def test_a_stripe_key_added_before_does_not_hide_an_eager_only_finding(scanner: Scanner) -> None:
    assert by_line(scanner, [LINES[1], LINES[2]])[2] == by_line(scanner, [LINES[2]])[1]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.lists(st.sampled_from(LINES), max_size=6), line=st.sampled_from(LINES),
       after=st.lists(st.sampled_from(LINES), max_size=6))
def test_a_lines_findings_do_not_depend_on_the_other_lines(scanner: Scanner, before: list[str], line: str,
                                                           after: list[str]) -> None:
    alone = by_line(scanner, [line]).get(1, frozenset())
    among = by_line(scanner, [*before, line, *after]).get(len(before) + 1, frozenset())
    assert among == alone
