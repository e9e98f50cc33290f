"""The layer cache: a second audit of the same layers reads nothing, reports the same, stores no secret."""

from __future__ import annotations

import gzip
import os

from testing import imagekit as kit
from testing.imagekit import Dir, File, ImageSpec, Whiteout

TOKEN = "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"
BASE = [Dir("/etc"), File("/etc/os-release", b"ID=kit\n")]
APP = [Dir("/app"), File("/app/config.yaml", f"github:\n  token: {TOKEN}\n".encode())]


def image(tmp_path, layers, name="image.tar"):
    path = tmp_path / name
    kit.write_docker_archive(path, ImageSpec(layers=layers))
    return path


def test_second_run_comes_from_the_cache_with_identical_findings(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ref = image(tmp_path, [BASE, APP, [Whiteout("/app/config.yaml")]])
    first = cli(ref, "--format", "json").json()
    second = cli(ref, "--format", "json").json()
    assert first["summary"]["cached_layers"] == 0
    assert second["summary"]["cached_layers"] == 3
    assert second["findings"] == first["findings"] and first["findings"]
    assert cli(ref, "--format", "json", "--no-cache").json()["summary"]["cached_layers"] == 0


def test_an_image_sharing_base_layers_only_reads_its_new_layers(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cli(image(tmp_path, [BASE], name="base.tar"), "--format", "json")
    doc = cli(image(tmp_path, [BASE, APP], name="app.tar"), "--format", "json").json()
    assert doc["summary"]["cached_layers"] == 1
    assert {f["path"] for f in doc["findings"]} == {"/app/config.yaml"}


def test_cache_entries_hold_no_secret_and_are_private(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cli(image(tmp_path, [BASE, APP]), "--format", "json")
    root = tmp_path / "cache" / "layer-auditor"
    entries = [p for p in root.rglob("*.json.gz")]
    assert entries
    for entry in entries:
        assert TOKEN not in gzip.decompress(entry.read_bytes()).decode()
        assert entry.stat().st_mode & 0o077 == 0
    for folder in [root, *[p for p in root.rglob("*") if p.is_dir()]]:
        assert folder.stat().st_mode & 0o077 == 0, folder


def test_show_secrets_rescans_so_values_are_real(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ref = image(tmp_path, [BASE, APP])
    cli(ref, "--format", "json")
    shown = cli(ref, "--format", "json", "--show-secrets").json()
    assert TOKEN in {f["secret"] for f in shown["findings"]}


def test_changed_rules_miss_the_cache(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ref = image(tmp_path, [BASE, APP])
    cli(ref, "--format", "json")
    rules = tmp_path / "extra.yaml"
    rules.write_text("rules:\n  - id: acme\n    kind: regex\n    severity: high\n    pattern: acme_[0-9]{8}\n"
                     "    description: ACME key.\n    remediation: Rotate it.\n")
    assert cli(ref, "--format", "json", "--rules", rules).json()["summary"]["cached_layers"] == 0


def test_an_unwritable_cache_only_costs_time(tmp_path, cli, monkeypatch):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    result = cli(image(tmp_path, [BASE, APP]), "--format", "json")
    assert result.code == 1 and result.json()["findings"]
    assert not os.path.isdir(blocked)


def test_a_whole_audit_is_remembered_without_secrets_and_forgotten_when_rules_change(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ref = image(tmp_path, [BASE, APP, [Whiteout("/app/config.yaml")]])
    first = cli(ref, "--format", "json").json()
    memos = list((tmp_path / "cache" / "layer-auditor").rglob("images/*/*.json.gz"))
    assert len(memos) == 1 and TOKEN not in gzip.decompress(memos[0].read_bytes()).decode()
    memos[0].touch()
    stamp = memos[0].stat().st_mtime_ns
    second = cli(ref, "--format", "json").json()
    assert second["findings"] == first["findings"] and second["summary"]["entries"] == first["summary"]["entries"]
    assert second["not_scanned"] == first["not_scanned"]
    assert memos[0].stat().st_mtime_ns == stamp  # read, not rewritten
    (tmp_path / "extra.yaml").write_text(
        "rules:\n  - id: any-yaml\n    kind: path\n    severity: low\n    paths: ['*.yaml']\n"
        "    description: every YAML file\n    remediation: none\n")
    changed = cli(ref, "--format", "json", "--rules", str(tmp_path / "extra.yaml")).json()
    assert "any-yaml" in {f["rule"] for f in changed["findings"]}  # a new rule set is a new audit
    rows = cli("files", ref, "--format", "json").json()["files"]
    assert "/app/config.yaml" in {r["path"] for r in rows}  # the inventory never comes from a memo


def test_a_remembered_audit_still_redacts_build_args_and_metadata(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "meta.tar"
    kit.write_docker_archive(path, ImageSpec(layers=[BASE], env=[f"GITHUB_TOKEN={TOKEN}"],
                                             history=[f"RUN |1 TOKEN={TOKEN} /bin/sh -c true"]))
    first = cli(path, "--format", "json")
    second = cli(path, "--format", "json")
    assert TOKEN not in first.out and TOKEN not in second.out
    assert second.json()["findings"] == first.json()["findings"]
    assert any(f.get("location") for f in second.json()["findings"])  # metadata is recomputed, still found
