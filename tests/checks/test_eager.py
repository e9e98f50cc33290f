"""The eager pass (`checks.eager`) gives the plugins only the setting lines on which quoting the value can
make a finding: every plugin whose expression wants a quote must still see them."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from auditor.checks.scanner import Scanner
from auditor.checks.secrets import _NOT_INI_LINE, _has_non_ini_line
from auditor.rules import default_pack_paths, load_rules
from testing.tokens import j


@pytest.fixture(scope="module")
def scanner() -> Iterator[Scanner]:
    s = Scanner(load_rules(default_pack_paths()))
    with s.session():
        yield s


@pytest.mark.parametrize("line, rule", [
    # AWSKeyDetector's secret key wants quotes after `aws...key`: only the transformed line has them
    (j("AWS_SECRET_ACCESS_KEY=", "qrmlbJJXnMT6JSEnK5wwJ3MDbW16WB5djsk0pw2l"), "ds-aws-access-key"),
    (j("db_password: ", "Xk9vLq2mWp7zRt4"), "ds-secret-keyword"),  # KeywordDetector wants a quoted value
    (j("session = ", "Zq8Lm3Vx9Pz4Kw8NbR2tY6uH1jC5dF0gA7sE"), "ds-high-entropy-base64"),  # entropy: quoted strings
])
def test_an_unquoted_setting_is_read_by_every_plugin_that_wants_quotes(scanner: Scanner, line: str,
                                                                        rule: str) -> None:
    text = f"# settings\nREGION=eu-west-1\n{line}\n"
    hits = scanner.every_hit("/app/.env", text.encode())
    assert (rule, 3) in {(h.rule, h.line) for h in hits}


@pytest.mark.parametrize("shape", [
    "password = {}",  # one setting: a keyword line, its value a long run of the entropy alphabet
    "{}",  # no delimiter at all: every key character is a candidate start for the setting expressions
    "k=v " * 2 + "{}",  # delimiters early, then a value that is not one token
])
def test_one_hostile_line_costs_time_linear_in_its_length(scanner: Scanner, shape: str) -> None:
    """An attacker's file of one huge line (a `.env` of no known type, so the eager pass reads it): ten
    times the line, about ten times the work."""
    from testing.worstcase import growth

    def scan(size: int) -> None:
        value = ("aB3" * (size // 3 + 1))[:size] + "=:'\""[size % 4]
        scanner.every_hit("/app/.env", (shape.format(value) + "\n").encode())

    assert growth(scan, small=20_000) < 30


def test_the_non_ini_line_test_agrees_with_the_line_by_line_expression() -> None:
    """Whether a file can go to the eager transformer at all: one line configparser refuses is enough. The
    Hyperscan reading of the lines between newlines (first and last by `re`) must agree with `re` over
    the whole text, wherever the refused line sits."""
    rng = random.Random(7)
    for _ in range(5000):
        data = bytes(rng.choice(b"ab =:\n#[ \xc3") for _ in range(rng.randrange(0, 25)))
        assert _has_non_ini_line(data) == (_NOT_INI_LINE.search(data) is not None), data
    settings = [b"Key-%d: value\n continued\n" % i for i in range(1000)]
    assert not _has_non_ini_line(b"".join(settings))
    assert _has_non_ini_line(b"".join(settings[:500] + [b"a bare line\n"] + settings[500:]))


def test_a_value_continued_on_the_next_line_is_found_and_plain_settings_are_not_given_to_the_plugins(
        scanner: Scanner, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole-file reading of a small settings file (what a value continued on the next line needs)
    gives the plugins only the lines the prefilter says they may find something on."""
    from auditor.checks import secrets

    given: list[int] = []
    real = secrets._process_lines

    def counting(lines, filename, candidates, *args, **kwargs):  # type: ignore[no-untyped-def]
        given.extend(index for index, _, _ in candidates)
        return real(lines, filename, candidates, *args, **kwargs)

    monkeypatch.setattr(secrets, "_process_lines", counting)
    plain = "".join(f"option_{i}: value {i}\n" for i in range(200))
    data = ("[db]\n" + plain + "password:\n    " + j("Xk9vLq2mWp7", "zRt4Qa") + "\n").encode()
    hits = scanner.scan_file("/srv/app/settings", data)
    assert [(h.rule, h.line) for h in hits if h.rejected is None] == [("ds-secret-keyword", 203)]
    assert len(set(given)) < 10, "plain settings went to the plugins"


def _transformed(text: str) -> list[str]:
    """detect-secrets' own eager transformer on `text` as a file of no known type."""
    from detect_secrets.transformers import get_transformed_file

    from auditor.checks.secrets import _NamedText

    return get_transformed_file(_NamedText(text, "app/settings"), use_eager_transformers=True) or []


@pytest.mark.parametrize("text", [
    "a = 1\nb: 2\n",
    "# comment\n\n; other\nkey = 'quoted'\nk2 = \"dq\"\nk3='\n",  # a lone quote is stripped to nothing
    "a = b\nx\n",  # a line that is no setting: the parse fails
    "a = 1\na = 2\n",  # a key twice: the parse fails
    "a=  =b\nc :: d\n",
    "\x00aaa\n",
    "k = v \"inner\" \n",
])
def test_the_whole_file_reading_is_the_transformers_own_where_it_answers(text: str) -> None:
    from auditor.checks.eager import whole_file

    assert whole_file(text) is not None
    assert whole_file(text) == _transformed(text)


@pytest.mark.parametrize("text", [
    "a = 1%\n",  # interpolation
    "a = 1\n  continued\n",  # a continuation
    "[section]\na = 1\n",
    "a b c =\na = b c\n",  # an empty value: the transformer puts `a`'s value on the first line
    "a\t= b\n",  # a tab by the `=`: the transformer's line search misses the line
    "# pragma: allowlist nextline secret\na = b\n",
    "\u00a0a = b\n",  # indented by a no-break space
])
def test_the_whole_file_reading_leaves_to_the_transformer_what_only_its_parse_can_tell(text: str) -> None:
    from auditor.checks.eager import whole_file

    assert whole_file(text) is None


def test_the_whole_file_reading_agrees_with_the_transformer_on_random_files() -> None:
    """Thousands of small files from the characters that matter to configparser and to the transformer's
    line search: wherever `whole_file` answers, the transformer gives the same lines."""
    from auditor.checks.eager import whole_file

    rng = random.Random(11)
    pieces = ["a", "b", "ab", " ", "  ", "=", ":", "\n", "\n", "#", ";", "'", '"', "[", "]", "%", "\t", "x y",
              "\u00a0", "\x1f", "é", "a = b\n", "ab: c d\n"]
    answered = 0
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 14)))
        mine = whole_file(text)
        if mine is not None:
            answered += any(mine)
            assert [line.rstrip("\n") for line in mine] == [line.rstrip("\n") for line in _transformed(text)], text
    assert answered > 1000  # files with settings, not only failed parses
