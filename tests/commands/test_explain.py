"""The value judge end to end: rejected values leave the findings and the gate, are counted in every summary,
and `--explain` lists each with its place, rule and reason (redacted unless --show-secrets)."""

from __future__ import annotations

import gzip
import json

import pytest

from testing import imagekit as kit
from testing.imagekit import Dir, File, ImageSpec

DOC_KEY = "AKIAIOSFODNN7EXAMPLE"  # the AWS documentation's access key id
REAL_KEY = "AKIAZ3MHJQ4V2XKB7NPL"  # real-shaped (random) access key id
BASE = [Dir("/etc"), File("/etc/os-release", b"ID=kit\n")]


def image(tmp_path, files, env=()):
    path = tmp_path / "image.tar"
    kit.write_docker_archive(path, ImageSpec(layers=[BASE, [Dir("/app"), *files]], env=list(env)))
    return str(path)


def example_only(tmp_path):
    return image(tmp_path, [File("/app/README.md", f"Set AWS_ACCESS_KEY_ID={DOC_KEY} to try it.\n".encode())])


def both(tmp_path):
    return image(tmp_path, [File("/app/README.md", f"Set AWS_ACCESS_KEY_ID={DOC_KEY} to try it.\n".encode()),
                            File("/app/.env", f"AWS_ACCESS_KEY_ID={REAL_KEY}\n".encode())])


def test_a_documentation_key_alone_passes_the_gate(tmp_path, cli):
    result = cli(example_only(tmp_path), "--format", "json", "--no-cache")
    doc = result.json()
    assert result.code == 0
    assert doc["findings"] == []
    assert doc["summary"]["rejected"] == 1
    assert "rejected" not in doc  # the list only with --explain


def test_a_real_key_beside_it_is_a_finding_and_fails(tmp_path, cli):
    result = cli(both(tmp_path), "--format", "json", "--no-cache", "--explain")
    doc = result.json()
    assert result.code == 1
    assert {(f["path"], f["rule"]) for f in doc["findings"]} >= {("/app/.env", "ds-aws-access-key")}
    assert all(f["path"] != "/app/README.md" for f in doc["findings"])
    [rejected] = [r for r in doc["rejected"] if r["path"] == "/app/README.md"]
    assert rejected["reason"] == "example-key" and rejected["rule"] == "ds-aws-access-key"
    assert rejected["layer"] == 1 and rejected["line"] == 1
    assert rejected["secret"] != DOC_KEY and rejected["explanation"]


def test_text_explain_lists_the_value_with_its_reason(tmp_path, cli):
    ref = both(tmp_path)
    plain = cli(ref, "--no-cache")
    assert "1 value(s) rejected by the value judge (`--explain` lists them)" in plain.out
    assert "Rejected by the value judge" not in plain.out
    explained = cli(ref, "--no-cache", "--explain")
    section = explained.out.split("Rejected by the value judge", 1)[1]
    assert "layer 1 /app/README.md line 1  ds-aws-access-key" in section
    assert "example-key: a documentation example" in section
    assert DOC_KEY not in explained.out and REAL_KEY not in explained.out
    assert DOC_KEY in cli(ref, "--no-cache", "--explain", "--show-secrets").out


def test_metadata_values_are_judged_too(tmp_path, cli):
    ref = image(tmp_path, [], env=["PATH=/usr/bin", "DB_PASSWORD=changeme", f"AWS_ACCESS_KEY_ID={DOC_KEY}"])
    doc = cli(ref, "--format", "json", "--no-cache", "--explain").json()
    reasons = {(r["location"], r["reason"]) for r in doc["rejected"]}
    assert ("config.Env", "example-key") in reasons
    assert not any(f["secret"] and f["location"] == "config.Env" and "AKIA" in (f["secret"] or "")
                   for f in doc["findings"])


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_explain_output_is_the_same_from_the_layer_cache(tmp_path, cli, monkeypatch, fmt):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ref = both(tmp_path)
    first = cli(ref, "--format", fmt, "--explain")
    second = cli(ref, "--format", fmt, "--explain")
    if fmt == "json":
        assert second.json()["summary"]["cached_layers"] == 2
        assert second.json()["rejected"] == first.json()["rejected"] and first.json()["rejected"]
    else:
        assert first.out.split("Rejected by the value judge")[1] == second.out.split("Rejected by the value judge")[1]


def test_the_layer_cache_keeps_the_verdict_but_not_the_value(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cli(both(tmp_path), "--format", "json")
    docs = [gzip.decompress(p.read_bytes()).decode() for p in (tmp_path / "cache").rglob("*.json.gz")]
    assert any('"example-key"' in d for d in docs)
    assert not any(DOC_KEY in d or REAL_KEY in d for d in docs)


def test_rules_lists_the_reasons_and_each_rules_level(cli):
    text = cli("rules").out
    assert "ds-secret-keyword  [secret, medium, judge generic]" in text or "judge generic]" in text
    assert "example-key  [token, generic]" in text and "natural-language  [generic]" in text
    doc = json.loads(cli("rules", "--format", "json").out)
    levels = {r["id"]: r.get("judge") for r in doc["rules"]}
    assert levels["ds-secret-keyword"] == "generic" and levels["ds-aws-access-key"] == "token"
    assert doc["judge"]["hash"]["levels"] == ["generic"]
