"""The cache's private files: written private at every level, read back only while only the user can
have written them (owner and mode checked at the root, each directory on the way and the file)."""

from __future__ import annotations

import os

import pytest

from auditor import private
from auditor.private import UntrustedError


@pytest.fixture
def root(tmp_path):
    path = tmp_path / "cache"
    private.write_file(str(path), str(path / "v3" / "ab" / "entry"), b"data")
    return path


def test_a_file_written_privately_reads_back(root):
    assert private.read_file(str(root), str(root / "v3" / "ab" / "entry")) == b"data"
    assert private.untrusted(str(root), "v3") is None
    assert private.untrusted(str(root / "not-yet")) is None  # created private when first written


@pytest.mark.parametrize("level", ["", "v3", "v3/ab", "v3/ab/entry"])
@pytest.mark.parametrize("bits", [0o020, 0o002], ids=["group", "others"])
def test_a_path_others_can_write_is_never_read(root, level, bits):
    target = root / level if level else root
    target.chmod(target.stat().st_mode | bits)
    with pytest.raises(UntrustedError, match="writable by"):
        private.read_file(str(root), str(root / "v3" / "ab" / "entry"))


def test_a_path_another_user_owns_is_never_read_nor_written(root, monkeypatch):
    monkeypatch.setattr(os, "getuid", lambda: os.geteuid() + 1)
    with pytest.raises(UntrustedError, match="owned by uid"):
        private.read_file(str(root), str(root / "v3" / "ab" / "entry"))
    with pytest.raises(UntrustedError):
        private.write_file(str(root), str(root / "v3" / "ab" / "other"), b"x")
    assert not (root / "v3" / "ab" / "other").exists()
    assert "owned by uid" in (private.untrusted(str(root)) or "")


def test_a_symbolic_link_below_the_root_is_never_followed(root, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (root / "v3").rename(elsewhere)
    (root / "v3").symlink_to(elsewhere)
    with pytest.raises(UntrustedError, match="not a directory"):
        private.read_file(str(root), str(root / "v3" / "ab" / "entry"))
    assert private.untrusted(str(root), "v3") is not None
    os.symlink(elsewhere / "ab" / "entry", root / "link")
    with pytest.raises(OSError):
        private.read_file(str(root), str(root / "link"))


def test_nothing_is_written_into_a_root_others_can_write(root):
    root.chmod(0o777)
    with pytest.raises(UntrustedError):
        private.write_file(str(root), str(root / "v3" / "ab" / "new"), b"x")
    assert not (root / "v3" / "ab" / "new").exists()
    assert [p.name for p in (root / "v3" / "ab").iterdir()] == ["entry"]  # no temp file left either


def test_a_compiled_database_in_a_directory_others_can_write_is_not_loaded(tmp_path):
    from auditor.checks import hsdb

    if hsdb.hyperscan is None:
        pytest.skip("no Hyperscan")
    hsdb.use_cache(str(tmp_path))
    try:
        hsdb._store("k", hsdb.database(("test", "abc"), lambda: ([b"abc"], [0], [0])))
        assert hsdb._load("k") is not None
        (tmp_path / "hs").chmod(0o777)
        assert hsdb._load("k") is None
    finally:
        hsdb.use_cache(None)
