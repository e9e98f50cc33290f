"""The deferred `secret` check: the same hits as detect-secrets' own check on every text, and a cache entry
it can trust or nothing (tests/dockerfile/test_warm_run.py checks that a clean warm run leaves
detect-secrets unloaded). Secret-shaped values are generated, never stored here."""

from __future__ import annotations

import os
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.checks import lazysecrets, of_kind
from auditor.checks.lazysecrets import LazySecretsCheck
from auditor.checks.secrets import _NOT_INI_LINE, SecretsCheck
from auditor.rules import default_pack_paths, load_rules

RULES = of_kind(load_rules(default_pack_paths()), "secret")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("private"))


@pytest.fixture(scope="module")
def checks(cache):
    real, lazy = SecretsCheck(RULES), LazySecretsCheck(RULES, cache)
    with real.session(), lazy.session():
        yield real, lazy


def test_the_ini_line_test_is_the_secret_checks_own():
    assert lazysecrets._NOT_INI_LINE.pattern == _NOT_INI_LINE.pattern
    assert lazysecrets._NOT_INI_LINE.flags == _NOT_INI_LINE.flags


ALNUM = string.ascii_letters + string.digits
VALUE = st.one_of(
    st.sampled_from(["production", "1", "true", "flask==3.0.0", "http://example.com/x", "", "=3.0"]),
    st.builds(lambda s: "ghp_" + s, st.text(ALNUM, min_size=36, max_size=36)),
    st.builds(lambda s: "AKIA" + s, st.text(string.ascii_uppercase + string.digits, min_size=16, max_size=16)),
    st.text(string.hexdigits.lower(), min_size=8, max_size=40),
    st.text(ALNUM + "+/", min_size=10, max_size=48),
)
KEY = st.sampled_from(["password", "api_key", "token", "secret", "name", "mode", "flask", "db_pass", "x"])
QUOTE = st.sampled_from(["", "'", '"'])
LINE = st.one_of(
    st.builds(lambda k, sep, q, v: f"{k}{sep}{q}{v}{q}", KEY, st.sampled_from(["=", " = ", ": ", "=="]), QUOTE, VALUE),
    st.builds(lambda v: "    " + v, VALUE),
    st.builds(lambda q, v: f"print({q}{v}{q})", QUOTE, VALUE),
    st.sampled_from(["# a comment", "[section]", "", "just some words", "-r base.txt", "key"]),
)
NAME = st.sampled_from(["/app/.env", "/app/requirements.txt", "/app/config.yaml", "/app/main.py", "/app/settings",
                        "/app/app.ini", "/app/notes.md"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAME, lines=st.lists(LINE, max_size=6), crlf=st.booleans())
def test_a_file_gets_the_same_hits_as_from_detect_secrets(checks, name, lines, crlf):
    real, lazy = checks
    data = ("\r\n" if crlf else "\n").join(lines).encode()
    assert lazy.scan_file(name, data) == real.scan_file(name, data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=LINE)
def test_a_metadata_value_gets_the_same_hits_as_from_detect_secrets(checks, line):
    real, lazy = checks
    assert lazy.scan_text(line, "Dockerfile") == real.scan_text(line, "Dockerfile")


def test_a_value_assigned_only_once_the_eager_transformer_quotes_it_is_found(checks):
    """`token=VALUE` in a file of no known type: the raw line holds no quoted string, the eager config
    transformer's `token = "VALUE"` does, so the shortcut must not skip the file."""
    real, lazy = checks
    data = f"token={'q3Zr9XbT2mKp8VwY4nLd7FhJ6cGs1A'}\n".encode()
    expected = real.scan_file("/app/settings", data)
    assert expected
    assert lazy.scan_file("/app/settings", data) == expected


def test_an_entry_others_can_write_is_not_read(tmp_path, monkeypatch):
    cache = str(tmp_path / "cache")
    LazySecretsCheck(RULES, cache)
    (entry,) = os.listdir(os.path.join(cache, "secrets"))
    os.chmod(os.path.join(cache, "secrets", entry), 0o666)
    asked = []
    real = LazySecretsCheck._patterns_now
    monkeypatch.setattr(LazySecretsCheck, "_patterns_now", lambda self: asked.append(1) or real(self))
    LazySecretsCheck(RULES, cache)
    assert asked == [1]


@pytest.mark.parametrize("content", [b"not json", b"{}", b'[["0", "x", 0]]', b"[[0, 1, 0]]"])
def test_a_damaged_entry_is_a_miss(tmp_path, content):
    cache = str(tmp_path / "cache")
    first = LazySecretsCheck(RULES, cache)
    (entry,) = os.listdir(os.path.join(cache, "secrets"))
    with open(os.path.join(cache, "secrets", entry), "wb") as handle:
        handle.write(content)
    assert LazySecretsCheck(RULES, cache)._patterns == first._patterns
