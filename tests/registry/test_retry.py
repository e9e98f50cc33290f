"""Transient registry failures are retried with a bounded, growing backoff."""

from __future__ import annotations

import pytest

from auditor.registry.retry import RetryPolicy


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried(status):
    assert RetryPolicy().retryable(status)


@pytest.mark.parametrize("status", [200, 400, 401, 403, 404])
def test_answers_that_will_not_change_are_not_retried(status):
    assert not RetryPolicy().retryable(status)


def test_backoff_doubles_per_attempt_up_to_the_cap():
    policy = RetryPolicy(base=0.5, cap=3.0)
    assert [policy.delay(n, jitter=1.0) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.delay(3, jitter=0.5) == 1.0


def test_jitter_stays_within_the_ceiling():
    policy = RetryPolicy(base=1.0, cap=4.0)
    assert all(0.0 <= policy.delay(3) <= 4.0 for _ in range(200))


def test_retry_after_is_honoured_but_capped():
    policy = RetryPolicy(cap=5.0)
    assert policy.delay(1, "2") == 2.0
    assert policy.delay(1, "3600") == 5.0
    assert policy.delay(1, "Wed, 21 Oct 2015 07:28:00 GMT", jitter=1.0) == policy.base


@pytest.mark.parametrize(("value", "expected"), [
    ("nan", 0.5), ("NaN", 0.5), ("inf", 0.5), ("-inf", 0.5), ("1e999", 0.5),  # not a finite number: our backoff
    ("-5", 0.0), ("99999999999", 5.0), ("1e300", 5.0), ("", 0.5), ("soon", 0.5),
])
def test_any_retry_after_gives_a_finite_wait_within_the_cap(value, expected):
    assert RetryPolicy(base=0.5, cap=5.0).delay(1, value, jitter=1.0) == expected
