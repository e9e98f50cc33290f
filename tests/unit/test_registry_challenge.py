"""WWW-Authenticate challenges are parsed, and Bearer is answered before Basic."""

from __future__ import annotations

from auditor.registry.challenge import Challenge, parse, pick


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
