"""The registry flags: a password only ever comes from stdin, and bad combinations are usage errors."""

from __future__ import annotations

import io

import pytest


@pytest.mark.parametrize(("args", "says"), [
    (["--password-stdin"], "--password-stdin needs --username"),
    (["--username", "bob"], "--username needs --password-stdin"),
    (["--timeout", "0"], "--timeout must be a positive number"),
])
def test_registry_flag_mistakes_are_usage_errors(cli, args, says):
    result = cli("docker://127.0.0.1:1/app:1", *args)
    assert result.code == 2
    assert result.err.startswith(f"audit: error: {says}") and result.err.count("\n") == 1


def test_an_empty_stdin_password_is_refused(cli, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    result = cli("docker://127.0.0.1:1/app:1", "--username", "bob", "--password-stdin")
    assert result.code == 2 and "no password on standard input" in result.err


@pytest.mark.slow
def test_an_unreachable_registry_is_one_error_line_without_the_password(cli, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("hunter2-secret\n"))
    result = cli("docker://127.0.0.1:1/app:1", "--username", "bob", "--password-stdin", "--timeout", "2")
    assert result.code == 2
    assert result.err.startswith("audit: error: 127.0.0.1:1: connection refused") and result.err.count("\n") == 1
    assert "hunter2-secret" not in result.err + result.out
