"""rpm: header blobs (built with testing.rpmdb) inside an rpmdb.sqlite, and their hostile variants."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import struct
import tempfile
from pathlib import Path

import pytest

from auditor.ownership import rpm, rpmheader
from auditor.ownership.interface import Record, UnsupportedDatabase
from auditor.ownership.rpm import header_records, package_blobs, parse_berkeley, parse_sqlite
from testing import rpmdb

BASH = b"#!/bin/bash binary"
BASHRC = b"# /etc/bashrc\n"
SHA256 = hashlib.sha256
BASH_FILES = [
    ("/usr/bin/bash", SHA256(BASH).hexdigest()),
    ("/etc/bashrc", SHA256(BASHRC).hexdigest()),
    ("/usr/share/doc/bash", ""),  # a directory: no digest
    ("/usr/bin/sh", ""),  # a symlink: no digest
]


def test_a_header_gives_one_record_per_regular_file_in_its_digest_algorithm() -> None:
    records = list(header_records(rpmdb.package("bash", BASH_FILES)))
    assert records == [
        Record("/usr/bin/bash", "sha256", SHA256(BASH).hexdigest(), "bash", "rpm"),
        Record("/etc/bashrc", "sha256", SHA256(BASHRC).hexdigest(), "bash", "rpm"),
    ]


def test_without_a_digest_algorithm_tag_digests_are_md5() -> None:
    blob = rpmdb.package("old", [("/usr/lib/old.so", hashlib.md5(b"old").hexdigest())], algorithm=None)
    assert [(r.algorithm, r.digest) for r in header_records(blob)] == [("md5", hashlib.md5(b"old").hexdigest())]


def test_a_digest_that_does_not_fit_its_algorithm_or_an_unknown_algorithm_is_skipped() -> None:
    assert not list(header_records(rpmdb.package("x", [("/a", "abcd")])))
    assert not list(header_records(rpmdb.package("x", [("/a", "ab" * 32)], algorithm=3)))  # RIPEMD-160


def test_the_sqlite_database_yields_every_packages_files(tmp_path: Path) -> None:
    data = rpmdb.sqlite_db(tmp_path / "rpmdb.sqlite", [
        rpmdb.package("bash", BASH_FILES),
        rpmdb.package("openssl-libs", [("/usr/lib64/libssl.so.3", SHA256(b"ssl").hexdigest())]),
    ])
    records = list(parse_sqlite("/var/lib/rpm/rpmdb.sqlite", data))
    assert [(r.path, r.package) for r in records] == [
        ("/usr/bin/bash", "bash"), ("/etc/bashrc", "bash"), ("/usr/lib64/libssl.so.3", "openssl-libs")]


def test_the_temp_file_route_reads_the_same_and_leaves_nothing_behind(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    data = rpmdb.sqlite_db(tmp_path / "rpmdb.sqlite", [rpmdb.package("bash", BASH_FILES)])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    made: list[int] = []
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(*args: object, **kwargs: object) -> str:
        directory = real_mkdtemp(*args, **kwargs)  # type: ignore[arg-type]
        made.append(os.stat(directory).st_mode & 0o777)
        return directory

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    records = list(parse_sqlite("/var/lib/rpm/rpmdb.sqlite", data, deserialize=False))
    assert [r.path for r in records] == ["/usr/bin/bash", "/etc/bashrc"]
    assert made == [0o700]
    assert list(scratch.iterdir()) == []


def test_a_wal_mode_database_is_read(tmp_path: Path) -> None:
    data = rpmdb.sqlite_db(tmp_path / "rpmdb.sqlite", [rpmdb.package("bash", BASH_FILES)], wal=True)
    assert data[18:20] == b"\x02\x02"
    assert len(list(parse_sqlite("/var/lib/rpm/rpmdb.sqlite", data))) == 2
    assert len(list(parse_sqlite("/var/lib/rpm/rpmdb.sqlite", data, deserialize=False))) == 2


def test_berkeleydb_and_ndb_are_refused_with_a_reason() -> None:
    with pytest.raises(UnsupportedDatabase, match="BerkeleyDB"):
        list(parse_berkeley("/var/lib/rpm/Packages", b"\0" * 4096))


# --- hostile databases ---------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"SQLite format 3\0", b"SQLite format 3\0" + b"\xff" * 4096,
                                  b"\0" * 8192, os.urandom(4096)])
def test_garbage_is_no_database(data: bytes) -> None:
    assert list(parse_sqlite("/var/lib/rpm/rpmdb.sqlite", data)) == []


def test_a_truncated_database_yields_at_most_what_it_holds(tmp_path: Path) -> None:
    blobs = [rpmdb.package(f"p{n}", [(f"/usr/bin/p{n}", SHA256(b"%d" % n).hexdigest())]) for n in range(200)]
    data = rpmdb.sqlite_db(tmp_path / "rpmdb.sqlite", blobs)
    for cut in (len(data) // 2, len(data) - 100, 200):
        assert len(list(parse_sqlite("/var/lib/rpm/rpmdb.sqlite", data[:cut]))) <= 200


def test_packages_as_a_view_or_with_a_generated_column_is_not_read(tmp_path: Path) -> None:
    blob = rpmdb.package("bash", BASH_FILES)
    view = rpmdb.sqlite_db(tmp_path / "view.sqlite", [], schema="CREATE TABLE Real (hnum INTEGER PRIMARY KEY, blob)")
    connection = sqlite3.connect(tmp_path / "view.sqlite")
    connection.execute("CREATE VIEW Packages AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
                       "SELECT zeroblob(1000) AS blob FROM n")
    connection.commit()
    connection.close()
    view = (tmp_path / "view.sqlite").read_bytes()
    assert list(parse_sqlite("/var/lib/rpm/rpmdb.sqlite", view)) == []
    rpmdb.sqlite_db(tmp_path / "gen.sqlite", [], schema=(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, raw BLOB, blob BLOB GENERATED ALWAYS AS "
        "(zeroblob(500000000)) VIRTUAL)"))
    connection = sqlite3.connect(tmp_path / "gen.sqlite")
    connection.execute("INSERT INTO Packages (raw) VALUES (?)", (blob,))
    connection.commit()
    connection.close()
    assert list(parse_sqlite("/var/lib/rpm/rpmdb.sqlite", (tmp_path / "gen.sqlite").read_bytes())) == []


def test_the_step_budget_and_blob_cap_stop_a_read_that_costs_too_much(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    blobs = [rpmdb.package(f"p{n}", [(f"/usr/bin/p{n}", SHA256(b"%d" % n).hexdigest())]) for n in range(2000)]
    data = rpmdb.sqlite_db(tmp_path / "rpmdb.sqlite", blobs)
    assert len(list(package_blobs(data))) == 2000
    monkeypatch.setattr(rpm, "_STEP", 100)
    monkeypatch.setattr(rpm, "MAX_STEPS", 1000)
    assert len(list(package_blobs(data))) < 2000
    monkeypatch.setattr(rpm, "MAX_STEPS", 10**9)
    monkeypatch.setattr(rpm, "MAX_BLOB", 64)
    assert list(package_blobs(data)) == []


def test_a_non_blob_row_is_skipped(tmp_path: Path) -> None:
    rpmdb.sqlite_db(tmp_path / "rpmdb.sqlite", [], schema="CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob)")
    connection = sqlite3.connect(tmp_path / "rpmdb.sqlite")
    rows = [("text",), (42,), (rpmdb.package("bash", BASH_FILES),)]
    connection.executemany("INSERT INTO Packages (blob) VALUES (?)", rows)
    connection.commit()
    connection.close()
    data = (tmp_path / "rpmdb.sqlite").read_bytes()
    assert len(list(package_blobs(data))) == 1


def test_a_header_claiming_more_entries_or_data_than_it_holds_gives_nothing() -> None:
    blob = rpmdb.package("bash", BASH_FILES)
    assert rpmheader.read_tags(struct.pack(">II", 0xFFFFFFFF, 0) + blob[8:], frozenset({1000})) == {}
    assert rpmheader.read_tags(struct.pack(">II", 1, 0xFFFFFFFF) + blob[8:], frozenset({1000})) == {}
    assert rpmheader.read_tags(blob[:len(blob) // 2], frozenset({1000})) == {}
    assert rpmheader.read_tags(b"\0\0\0", frozenset({1000})) == {}


@pytest.mark.parametrize("kind,offset,count", [
    (rpmheader.STRING_ARRAY, 0, 0xFFFFFFFF),  # a billion strings in a few bytes
    (rpmheader.INT32, 0, 0x3FFFFFFF),  # a billion ints
    (rpmheader.STRING_ARRAY, -4, 1),  # before the data
    (rpmheader.STRING_ARRAY, 0x7FFFFFF0, 1),  # past the data
    (rpmheader.INT32, 2, 1),  # misaligned
    (rpmheader.STRING, 0, 2),  # a STRING has count 1
    (7, 0, 4),  # BIN where a string array belongs
])
def test_entries_with_impossible_offsets_counts_or_types_are_dropped(kind: int, offset: int, count: int) -> None:
    data = b"abc\0def\0" + b"\0" * 8
    blob = struct.pack(">II", 1, len(data)) + struct.pack(">iIiI", 1117, kind, offset, count) + data
    assert rpmheader.read_tags(blob, frozenset({1117})) == {}


def test_a_string_without_its_nul_inside_the_data_is_dropped() -> None:
    data = b"abcdefgh"
    blob = struct.pack(">II", 1, len(data)) + struct.pack(">iIiI", 1000, rpmheader.STRING, 0, 1) + data + b"\0"
    assert rpmheader.read_tags(blob, frozenset({1000})) == {}


def test_the_last_entry_for_a_tag_wins_as_a_dribble_overrides_the_region() -> None:
    blob = rpmdb.header([(1000, rpmdb.STRING, "first"), (1000, rpmdb.STRING, "second")])
    assert rpmheader.read_tags(blob, frozenset({1000})) == {1000: "second"}


def test_file_lists_of_different_lengths_or_a_directory_index_out_of_range_give_nothing_wrong() -> None:
    digest = SHA256(b"x").hexdigest()
    mismatched = rpmdb.header([
        (1000, rpmdb.STRING, "x"), (1035, rpmdb.STRING_ARRAY, [digest, digest]), (1116, rpmdb.INT32, [0]),
        (1117, rpmdb.STRING_ARRAY, ["a"]), (1118, rpmdb.STRING_ARRAY, ["/usr/bin/"]), (5011, rpmdb.INT32, [8])])
    assert list(header_records(mismatched)) == []
    out_of_range = rpmdb.header([
        (1000, rpmdb.STRING, "x"), (1035, rpmdb.STRING_ARRAY, [digest, digest]), (1116, rpmdb.INT32, [0, 7]),
        (1117, rpmdb.STRING_ARRAY, ["a", "b"]), (1118, rpmdb.STRING_ARRAY, ["/usr/bin/"]), (5011, rpmdb.INT32, [8])])
    assert [r.path for r in header_records(out_of_range)] == ["/usr/bin/a"]


def test_names_that_climb_out_of_the_root_or_hold_a_slash_are_refused() -> None:
    digest = SHA256(b"x").hexdigest()
    blob = rpmdb.header([
        (1000, rpmdb.STRING, "x"), (1035, rpmdb.STRING_ARRAY, [digest] * 4), (1116, rpmdb.INT32, [0, 0, 1, 2]),
        (1117, rpmdb.STRING_ARRAY, ["..", "a/b", "shadow", "ok"]),
        (1118, rpmdb.STRING_ARRAY, ["/usr/", "/../../etc/", "relative/"]), (5011, rpmdb.INT32, [8])])
    assert list(header_records(blob)) == []
