"""WWW-Authenticate challenges are parsed, Bearer is answered before Basic, and a token realm is a plain
URL whose host the guards read as the request will (no userinfo)."""

from __future__ import annotations

import pytest

from auditor.errors import SourceError
from auditor.registry.challenge import Challenge, parse, pick, realm_url


def test_bearer_challenge_parameters_are_read():
    header = ('Bearer realm="https://auth.example/token",service="registry.example",'
              'scope="repository:library/app:pull"')
    assert parse(header) == [Challenge("bearer", {"realm": "https://auth.example/token",
                                                  "service": "registry.example",
                                                  "scope": "repository:library/app:pull"})]


def test_quoted_commas_and_escapes_stay_inside_their_value():
    [found] = parse(r'Bearer realm="https://a/t?x=1,2", error="say \"no\""')
    assert found.params == {"realm": "https://a/t?x=1,2", "error": 'say "no"'}


def test_several_challenges_in_one_header_are_all_read():
    found = parse('Basic realm="reg", Bearer realm="https://a/token",service=reg')
    assert [c.scheme for c in found] == ["basic", "bearer"]
    assert found[1].params == {"realm": "https://a/token", "service": "reg"}


def test_unquoted_values_and_scheme_case_are_accepted():
    assert parse("BASIC realm=Registry") == [Challenge("basic", {"realm": "Registry"})]


def test_bearer_is_preferred_and_unknown_schemes_are_not_answered():
    assert pick(parse('Basic realm="r", Bearer realm="https://a"')).scheme == "bearer"
    assert pick(parse('Negotiate abc')) is None
    assert pick(parse("")) is None


@pytest.mark.parametrize("realm", ["http://localhost:1@evil.example/token", "http://[::1]@127.1:5000/token",
                                   "https://user:pw@auth.example/token"])
def test_a_token_realm_with_a_user_name_is_refused(realm):
    with pytest.raises(SourceError, match=r"carries a user name \(user@host\); refused"):
        realm_url(realm, "registry.example")


@pytest.mark.parametrize("realm", ["", "ftp://auth.example/t", "http:///token", "https://auth.example:99999/t",
                                   "http://evil.example\\.localhost/token", "token"])
def test_a_token_realm_that_is_no_plain_http_url_is_refused(realm):
    with pytest.raises(SourceError, match="no usable token realm"):
        realm_url(realm, "registry.example")


@pytest.mark.parametrize(("realm", "host"), [("https://auth.example/token?x=1", "auth.example"),
                                             ("http://127.0.0.1:5000/token", "127.0.0.1"),
                                             ("http://[::1]:5000/token", "::1")])
def test_a_token_realm_gives_the_host_the_standard_parser_reads(realm, host):
    assert realm_url(realm, "registry.example").hostname == host
