"""Configuration files: what they can change, and how their mistakes are reported."""

from __future__ import annotations

import textwrap

import pytest

from auditor.config import Config, find_config, load_config
from auditor.errors import RuleError
from auditor.model import Finding, Image, Layer, Severity, Status
from auditor.rules import default_pack_paths, load_rules


def write(tmp_path, text: str, name: str = ".layer-auditor.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def finding(rule: str = "private-key-file", path: str | None = "/root/.ssh/id_rsa", layer: int | None = 0,
            fingerprint: str = "f" * 32) -> Finding:
    return Finding(rule=rule, kind="file", severity=Severity.HIGH, status=Status.DELETED, message="m",
                   fingerprint=fingerprint, path=path, layer=layer)


def image() -> Image:
    layer = Layer(index=0, digest="sha256:aaa", diff_id="sha256:bbb", media_type=None, size=1,
                  opener=lambda: None)  # type: ignore[arg-type,return-value]
    return Image(reference="x", digest=None, config={}, layers=[layer])


def test_disable_and_severity_override_change_the_effective_rules(tmp_path):
    config = load_config(write(tmp_path, """
        disable: [private-key-file]
        severity:
          ds-private-key: low
    """))
    rules = config.apply(load_rules(default_pack_paths()))
    ids = {r.id: r for r in rules}
    assert "private-key-file" not in ids
    assert ids["ds-private-key"].severity is Severity.LOW


@pytest.mark.parametrize("text, line, words", [
    ("disable: [no-such-rule]\n", 1, "no rule with id 'no-such-rule'"),
    ("severity:\n  ds-private-key: urgent\n", 2, "unknown severity 'urgent'"),
    ("fail-on-status: sometimes\n", 1, "fail-on-status"),
    ("allowlist:\n  - reason: nothing else\n", 2, "needs paths, rules, fingerprints or layers"),
    ("allowlist:\n  - paths: [a]\n    colour: red\n", 3, "allowlist field 'colour': unknown field"),
    ("colour: red\n", 1, "field 'colour': unknown field"),
    ("disable: [a\n", 2, "invalid YAML"),  # the parser notices at the end of the stream
])
def test_config_mistakes_name_file_line_and_field(tmp_path, text, line, words):
    path = write(tmp_path, text)
    with pytest.raises(RuleError) as info:
        load_config(path).apply(load_rules(default_pack_paths()))
    message = str(info.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert words in message


def test_allowlist_entry_needs_every_key_it_sets_to_match(tmp_path):
    config = load_config(write(tmp_path, """
        allowlist:
          - paths: ["/root/**"]
            rules: [private-key-file]
    """))
    assert config.allowed(finding(), image())
    assert not config.allowed(finding(rule="dotenv-file"), image())
    assert not config.allowed(finding(path="/home/x/id_rsa"), image())


def test_allowlist_by_fingerprint_and_by_layer_digest_or_diff_id(tmp_path):
    by_fp = load_config(write(tmp_path, "allowlist:\n  - fingerprints: [" + "a" * 32 + "]\n"))
    assert by_fp.allowed(finding(fingerprint="a" * 32), image())
    assert not by_fp.allowed(finding(), image())
    for digest in ("sha256:aaa", "sha256:bbb"):
        by_layer = load_config(write(tmp_path, f"allowlist:\n  - layers: ['{digest}']\n"))
        assert by_layer.allowed(finding(), image())
        assert not by_layer.allowed(finding(layer=None, path=None), image())


def test_config_is_found_here_or_at_the_git_root(tmp_path):
    (tmp_path / ".git").mkdir()
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert find_config(str(nested)) is None
    write(tmp_path, "disable: []\n")
    assert find_config(str(nested)) == str(tmp_path / ".layer-auditor.yaml")
    write(nested, "disable: []\n")
    assert find_config(str(nested)) == str(nested / ".layer-auditor.yaml")


def test_relative_pack_and_baseline_paths_resolve_beside_the_config(tmp_path):
    config = load_config(write(tmp_path, "rules: [ci/extra.yaml]\nbaseline: base.json\n"))
    assert config.rules == (str(tmp_path / "ci" / "extra.yaml"),)
    assert config.baseline == str(tmp_path / "base.json")


def test_empty_config_means_defaults(tmp_path):
    assert load_config(write(tmp_path, "")) == Config(path=str(tmp_path / ".layer-auditor.yaml"))
