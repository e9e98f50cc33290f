"""A cache another user can write is not read: forged entries never hide a finding, and the audit runs
on without the cache after one line on stderr."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from testing import imagekit as kit
from testing.imagekit import Dir, File, ImageSpec

TOKEN = "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"
LAYERS = [[Dir("/etc"), File("/etc/os-release", b"ID=kit\n")],
          [Dir("/app"), File("/app/config.yaml", f"github:\n  token: {TOKEN}\n".encode())]]


@pytest.fixture
def setup(tmp_path, cli, monkeypatch):
    """An audited image whose cache entries are then forged to hold no finding, as another user would."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    ref = tmp_path / "image.tar"
    kit.write_docker_archive(ref, ImageSpec(layers=LAYERS))
    first = cli(str(ref), "--format", "json")
    assert first.code == 1 and first.json()["findings"]
    root = tmp_path / "xdg" / "layer-auditor"
    for entry in root.rglob("*.json.gz"):
        doc = json.loads(gzip.decompress(entry.read_bytes()))
        doc["hits" if "hits" in doc else "findings"] = {} if "hits" in doc else []
        entry.write_bytes(gzip.compress(json.dumps(doc).encode()))
    return ref, root


def _audit(cli, ref):  # type: ignore[no-untyped-def]
    result = cli(str(ref), "--format", "json")
    return result, {f["path"] for f in result.json()["findings"]}


def test_the_users_own_private_cache_is_trusted(setup, cli):
    ref, _ = setup
    result, found = _audit(cli, ref)
    assert result.code == 0 and not found  # the control: forged entries in a trusted cache are believed
    assert "not using the cache" not in result.err


def _versioned(root: Path) -> Path:
    [folder] = [p for p in root.iterdir() if p.name.startswith("v")]
    return folder


@pytest.mark.parametrize("where", ["root", "versioned"])
@pytest.mark.parametrize("bits", [0o020, 0o002], ids=["group-writable", "other-writable"])
def test_a_cache_others_can_write_is_not_read_and_the_audit_goes_on_without_it(setup, cli, where, bits):
    ref, root = setup
    folder = root if where == "root" else _versioned(root)
    folder.chmod(folder.stat().st_mode | bits)
    result, found = _audit(cli, ref)
    assert result.code == 1 and "/app/config.yaml" in found
    assert result.json()["summary"]["cached_layers"] == 0
    warnings = [line for line in result.err.splitlines() if "not using the cache" in line]
    assert len(warnings) == 1 and "writable by" in warnings[0]
    assert "not using the cache" not in cli(str(ref), "--format", "json", "--quiet").err


def test_a_cache_owned_by_another_user_is_not_read(setup, cli, monkeypatch):
    ref, _ = setup
    monkeypatch.setattr(os, "getuid", lambda: os.geteuid() + 1)  # the files now belong to someone else
    result, found = _audit(cli, ref)
    assert result.code == 1 and "/app/config.yaml" in found
    assert "owned by uid" in result.err and result.err.count("not using the cache") == 1


def test_an_entry_others_can_write_is_a_miss(setup, cli):
    ref, root = setup
    for entry in root.rglob("*.json.gz"):
        entry.chmod(0o662)
    result, found = _audit(cli, ref)
    assert result.code == 1 and "/app/config.yaml" in found
    assert result.json()["summary"]["cached_layers"] == 0


def test_an_entry_below_a_symlinked_directory_is_a_miss(setup, cli, tmp_path):
    ref, root = setup
    folder = _versioned(root)
    moved = tmp_path / "elsewhere"
    folder.rename(moved)
    folder.symlink_to(moved)
    result, found = _audit(cli, ref)
    assert result.code == 1 and "/app/config.yaml" in found
