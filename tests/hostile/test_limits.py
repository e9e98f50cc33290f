"""Limits against huge inputs: entries per layer, bytes per file, sparse giants, one-line monsters, and
what a limit hit does: listed as not scanned in every format, fatal only with --strict."""

from __future__ import annotations

import io
import time

import pytest

from auditor.formats import FORMATS
from auditor.layers import read_layer
from auditor.model import Digest, Layer
from testing import hostile
from testing import imagekit as kit
from testing.hostile import AWS_KEY, SECRET_FILE, paths, unscanned
from testing.imagekit import Blob, Dir, File


def _many_files(count: int) -> bytes:
    with io.BufferedReader(hostile.GeneratedTar(count)) as stream:  # type: ignore[arg-type]
        return stream.read()


def test_a_layer_with_more_entries_than_the_limit_stops_there(oci, audit, cli):
    layout = oci([[File("/base.env", SECRET_FILE)], Blob(kit.compress(_many_files(20_000), "gzip")),
                  [File("/top.env", SECRET_FILE)]])
    result = audit(layout, "--max-entries", "5000")
    report = result.json()
    assert result.code == 1  # the secrets; the limit alone does not fail
    assert unscanned(report) == [(1, None, "max-entries")]
    assert "more than 5000 entries" in report["not_scanned"][0]["reason"]
    assert {p for p, _ in paths(report)} == {"/base.env", "/top.env"}
    files = cli("files", layout, "--format", "json", "--max-entries", "5000")
    assert files.code == 0
    assert sum(1 for row in files.json()["files"] if row["layer"] == 1) == 5000
    assert "not scanned: layer 1: layer 1 has more than 5000 entries" in files.err  # never silent
    assert cli("files", layout, "--max-entries", "5000", "--strict").code == 2


@pytest.mark.slow  # builds and reads 100,000 entries: ~8 s
def test_a_hundred_thousand_empty_files_are_read_in_one_pass():
    """A scaled-down million: every entry recorded once, nothing scanned, no limit at the default."""
    layer = Layer(0, Digest("sha256:unchecked"), None, None, None,
                  lambda: io.BufferedReader(hostile.GeneratedTar(100_000)))  # type: ignore[arg-type]
    layer.digest = Digest("unknown")
    scan = read_layer(layer, lambda path, data: [])
    assert scan.not_scanned == []
    assert len(scan.records) == 100_000 + 100  # the files and their hundred directories


@pytest.mark.slow  # a 10 MB line: ~5 s
def test_a_ten_megabyte_single_line_file_is_scanned_in_reasonable_time(archive, audit):
    line = b"var bundle=" + b"abcdefghij+/" * (10 * 1024 * 1024 // 12) + f";var k='{AWS_KEY}';\n".encode()
    ref = archive([[Dir("/app"), File("/app/bundle.min.js", line)]])
    started = time.monotonic()
    result = audit(ref)
    assert time.monotonic() - started < 120
    assert result.code == 1
    assert result.json()["not_scanned"] == []
    assert any(f["path"] == "/app/bundle.min.js" and f["kind"] == "secret" for f in result.json()["findings"])


@pytest.mark.parametrize("sparse", ["gnu", "pax"])
def test_a_two_gigabyte_sparse_file_reads_no_more_than_the_file_limit(archive, audit, cli, sparse):
    make = hostile.gnu_sparse if sparse == "gnu" else hostile.pax_sparse
    layer = make(b"var/log/lastlog", 2 << 30, SECRET_FILE) + hostile.end()
    ref = archive([[File("/ok", b"fine")], Blob(layer)])
    started = time.monotonic()
    result = audit(ref, "--max-file-size", "1M")
    assert time.monotonic() - started < 30
    assert unscanned(result.json()) == [(1, "/var/log/lastlog", "max-file-size")]  # the secret at 2 GiB is not
    assert result.code == 0  # scanned, and the report says so
    rows = {r["path"]: r for r in cli("files", ref, "--format", "json").json()["files"]}
    assert rows["/var/log/lastlog"]["size"] == 2 << 30  # the apparent size, as the filesystem shows it


def _limited(archive):  # type: ignore[no-untyped-def]
    return archive([[File("/notes.txt", b"x" * 5000)]])


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_limit_hit_shows_in_every_format_and_fails_only_with_strict(archive, cli, fmt):
    ref = _limited(archive)
    loose = cli(ref, "--format", fmt, "--max-file-size", "1K")
    strict = cli(ref, "--format", fmt, "--max-file-size", "1K", "--strict")
    assert loose.code == 0, loose.err
    assert strict.code == 2
    assert "--max-file-size" in strict.err and "--strict" in strict.err
    assert "notes.txt" in loose.out and "larger than 1024 bytes" in loose.out
    assert cli(ref, "--format", fmt).code == 0  # under the default limit there is nothing to report


def test_limits_and_strict_default_from_the_environment(archive, cli, monkeypatch):
    ref = _limited(archive)
    monkeypatch.setenv("AUDITOR_MAX_FILE_SIZE", "1K")
    assert cli(ref, "--quiet").code == 0
    monkeypatch.setenv("AUDITOR_STRICT", "1")
    assert cli(ref, "--quiet").code == 2
    assert cli(ref, "--quiet", "--max-file-size", "64K").code == 0


@pytest.mark.parametrize("value", ["0", "-1", "lots", "12Q", ""])
def test_limit_flags_refuse_values_that_are_not_positive_sizes(archive, cli, value, capsys):
    with pytest.raises(SystemExit) as stop:
        cli(_limited(archive), "--max-entries", value)
    assert stop.value.code == 2
    assert "--max-entries" in capsys.readouterr().err


def test_sizes_take_binary_suffixes(archive, audit):
    report = audit(_limited(archive), "--max-file-size", "4k").json()
    assert "larger than 4096 bytes" in report["not_scanned"][0]["reason"]


def test_a_bad_limit_in_the_environment_is_a_one_line_error(archive, cli, monkeypatch):
    monkeypatch.setenv("AUDITOR_MAX_ENTRIES", "many")
    result = cli(_limited(archive))
    assert result.code == 2
    assert result.err.splitlines() == ["audit: error: AUDITOR_MAX_ENTRIES: 'many': expected a number such as "
                                       "1000000, 64K, 32M or 16G"]
