"""Hostile entry names and types: traversal, absolute and non-UTF-8 names, whiteout oddities, duplicates,
devices, PAX records. Each is audited through the command; none crashes, writes or hides a finding."""

from __future__ import annotations

import os
import tarfile
import tempfile

import pytest

from auditor.formats import FORMATS
from testing import hostile
from testing import imagekit as kit
from testing.hostile import SECRET_FILE, paths, unscanned
from testing.imagekit import Blob, Dir, File, Raw, Whiteout


def test_traversal_and_absolute_names_stay_inside_the_image_and_nothing_is_written(
        tmp_path, archive, audit, monkeypatch):
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    escape = f"../../../../../../..{tmp_path}/pwned"
    ref = archive([[Dir("/app")],
                   [Raw("../../etc/passwd", data=SECRET_FILE), Raw("/etc/shadow", data=b"root:*:19000::::::\n"),
                    Raw("/app/.env", data=SECRET_FILE), Raw(escape, data=b"x"), Raw("app/../../up", data=b"y")]])
    gzipped = str(tmp_path / "image.tar.gz")
    with open(ref, "rb") as plain, open(gzipped, "wb") as out:  # a gzip archive is spooled to a private dir
        out.write(kit.compress(plain.read(), "gzip"))
    before = sorted(os.listdir(tmp_path))

    result = audit(gzipped)
    report = result.json()
    assert result.code == 2  # containerd would write the escaping names at /etc/passwd, /up...: not checked
    assert "entry name(s) escape the image root" in result.err
    assert ("/app/.env", "visible") in paths(report)  # "/app/.env" is read as the in-image path it names
    assert {n["path"] for n in report["not_scanned"]} == {"../../etc/passwd", escape, "app/../../up"}
    assert all("escapes the image root" in n["reason"] for n in report["not_scanned"])
    assert not (tmp_path / "pwned").exists()
    assert sorted(os.listdir(tmp_path)) == before
    assert os.listdir(private_tmp) == []  # the private spool directory is gone too


NAMES_INSIDE_THE_ROOT = {
    # tar name: the path Docker and containerd extract it at, where the audit must find the secret
    "tmp/../app/.env": "/app/.env",
    "./a/../root/.ssh/id_rsa": "/root/.ssh/id_rsa",
    "a/b/../../c/.env": "/c/.env",
    "/../srv/.env": "/srv/.env",
}


@pytest.mark.parametrize(("name", "where"), list(NAMES_INSIDE_THE_ROOT.items()), ids=list(NAMES_INSIDE_THE_ROOT))
def test_a_secret_behind_a_name_with_dot_dot_inside_the_root_is_found_where_the_engines_extract_it(
        archive, audit, name, where):
    result = audit(archive([[Raw(name, data=SECRET_FILE)]]))
    report = result.json()
    assert result.code == 1, result
    assert (where, "visible") in paths(report)
    assert report["not_scanned"] == []


@pytest.mark.parametrize("name", ["../x/.env", "a/../../x/.env"])
def test_a_name_still_escaping_once_cleaned_is_refused_and_the_audit_is_incomplete(archive, audit, name):
    result = audit(archive([[File("/ok", b"clean\n"), Raw(name, data=SECRET_FILE)]]))
    assert result.code == 2  # Docker refuses the layer, but containerd writes the file at /x/.env
    assert unscanned(result.json()) == [(0, name, None)]
    assert "the audit is incomplete" in result.err


def test_whiteout_names_and_hard_link_targets_are_cleaned_like_entry_names(archive, audit):
    ref = archive([[Dir("/app"), File("/app/.env", SECRET_FILE), Dir("/srv"),
                    Raw("srv/copy.env", tarfile.LNKTYPE, linkname="tmp/../app/.env")],
                   [Raw("tmp/../app/.wh..env")]])
    result = audit(ref)
    assert result.code == 1
    secrets = {(f["path"], f["status"]) for f in result.json()["findings"] if f["kind"] == "secret"}
    assert secrets == {("/app/.env", "deleted"), ("/srv/copy.env", "visible")}


def test_a_hard_link_whose_target_escapes_once_cleaned_is_refused(archive, audit):
    ref = archive([[File("/data.env", SECRET_FILE), Raw("srv/key", tarfile.LNKTYPE, linkname="a/../../data.env")]])
    result = audit(ref)
    assert result.code == 2  # containerd would link /srv/key to /data.env's content
    assert unscanned(result.json()) == [(0, "srv/key", None)]


def test_files_inventory_reads_absolute_names_as_in_image_paths(archive, cli):
    ref = archive([[Raw("/etc/shadow", data=b"x"), Raw("./etc//hosts", data=b"y")]])
    rows = cli("files", ref, "--format", "json").json()["files"]
    assert {r["path"] for r in rows} == {"/etc/shadow", "/etc/hosts"}


def _odd_names_image(archive):  # type: ignore[no-untyped-def]
    long_dir = "/" + "d" * 250 + "/" + "e" * 4000
    odd = hostile.raw_tar(
        (hostile.header(b"caf\xe9\xff/.env", len(SECRET_FILE)), SECRET_FILE),
        (hostile.header(b"esc\x1b[31m\n\xe2\x80\xae/x"), b""),
    )
    return archive([[Dir(long_dir), File(long_dir + "/.env", SECRET_FILE)], Blob(odd)]), long_dir


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_non_utf8_control_and_very_long_names_render_in_every_format(archive, cli, fmt):
    ref, long_dir = _odd_names_image(archive)
    result = cli(ref, "--format", fmt, "--quiet")
    assert result.code == 1, result.err
    result.out.encode("utf-8")  # a name that is not UTF-8 never breaks the output
    assert "\x1b" not in result.out and "\u202e" not in result.out  # terminal escapes and bidi overrides escaped
    assert "caf" in result.out


def test_non_utf8_and_very_long_names_keep_their_findings(archive, audit, cli):
    ref, long_dir = _odd_names_image(archive)
    found = paths(audit(ref).json())
    assert (long_dir + "/.env", "visible") in found
    assert ("/caf\udce9\udcff/.env", "visible") in found  # the raw bytes survive as escapes
    for fmt in ("text", "json"):
        listing = cli("files", ref, "--format", fmt)
        assert listing.code == 0
        listing.out.encode("utf-8")
        assert "\x1b" not in listing.out


def test_bare_whiteout_prefix_and_whiteouts_of_paths_that_never_existed_hide_nothing(archive, audit):
    ref = archive([[Dir("/app"), File("/app/.env", SECRET_FILE)],
                   [Raw(".wh."), Raw("app/.wh."), Whiteout("/never"), Whiteout("/app/.env/below"),
                    Whiteout("/nope/deeper/still"), Raw(".wh..wh..wh..opq")]])
    result = audit(ref)
    report = result.json()
    assert result.code == 1
    assert ("/app/.env", "visible") in paths(report)
    assert report["not_scanned"] == []


def test_duplicate_entries_in_one_layer_the_later_one_wins(archive, audit):
    ref = archive([[Dir("/app"), File("/app/config", SECRET_FILE), File("/app/config", b"clean\n"),
                    Dir("/app"), File("/app/config", b"still clean\n")]])
    report = audit(ref).json()
    secrets = [(f["path"], f["status"], f["hidden_by"]) for f in report["findings"] if f["kind"] == "secret"]
    assert secrets and set(secrets) == {("/app/config", "overwritten", 0)}


def test_device_files_and_fifos_are_listed_and_never_opened(archive, cli):
    ref = archive([[Dir("/dev"), Raw("dev/null", tarfile.CHRTYPE), Raw("dev/sda", tarfile.BLKTYPE),
                    Raw("run.fifo", tarfile.FIFOTYPE), Raw("dev/zero", tarfile.CHRTYPE, data=b"")]])
    result = cli("files", ref, "--format", "json")
    assert result.code == 0
    rows = {r["path"]: r["type"] for r in result.json()["files"]}
    assert rows == {"/dev": "dir", "/dev/null": "other", "/dev/sda": "other", "/run.fifo": "other",
                    "/dev/zero": "other"}
    assert cli(ref, "--quiet").code == 0


PAX_CASES = {
    # name: (records, expected exit code, in-image path the next entry is read at, or None)
    "vendor and unknown keys": (hostile.pax_record("SCHILY.xattr.security.capability", b"\x01\x00\xff")
                                + hostile.pax_record("LIBARCHIVE.creationtime", b"1")
                                + hostile.pax_record("x.y.z", b""), 1, "/f/.env"),
    "path that is not UTF-8": (hostile.pax_record("path", b"p\xff\xfe/.env"), 1, "/p\udcff\udcfe/.env"),
    "path escaping the root": (hostile.pax_record("path", b"../../../etc/.env"), 2, None),
    "path with dot-dot inside the root": (hostile.pax_record("path", b"tmp/../etc/.env"), 1, "/etc/.env"),
    "empty path": (hostile.pax_record("path", b""), 0, None),
    "record without a length": (b"path=/x\n", 2, None),  # malformed records: refused on every Python
    "length beyond the data": (b"99999 path=/x\n", 2, None),
    "negative length": (b"-5 path=/x\n", 2, None),
    "size that is not a number": (hostile.pax_record("size", b"lots"), 2, None),  # read as 0: data as a header
    "size far beyond the data": (hostile.pax_record("size", b"99999999999"), 2, None),
    "mtime and uid nonsense": (hostile.pax_record("mtime", b"-1e999") + hostile.pax_record("uid", b"x"), 1, "/f/.env"),
    "bad sparse map": (hostile.pax_record("GNU.sparse.map", b"1,x,,") + hostile.pax_record("GNU.sparse.size", b"9"),
                       2, None),
    "bad sparse realsize": (hostile.pax_record("GNU.sparse.major", b"1") + hostile.pax_record("GNU.sparse.minor", b"0")
                            + hostile.pax_record("GNU.sparse.realsize", b"big"), 2, None),
    "hdrcharset binary": (hostile.pax_record("hdrcharset", b"BINARY") + hostile.pax_record("path", b"b\xff/.env"),
                          1, "/b\udcff/.env"),
}


@pytest.mark.parametrize("case", PAX_CASES)
def test_pax_headers_with_odd_records_never_crash(archive, audit, case):
    records, code, where = PAX_CASES[case]
    layer = hostile.pax_header(records) + hostile.header(b"f/.env", len(SECRET_FILE)) + \
        hostile.padded(SECRET_FILE) + hostile.end()
    result = audit(archive([Blob(layer)]))
    report = result.json()
    assert result.code == code, report
    if where is not None:
        assert (where, "visible") in paths(report)
    if code == 2:
        refused = "../../../etc/.env" if case == "path escaping the root" else None  # else the layer is unreadable
        assert [(layer, path) for layer, path, _ in unscanned(report)] == [(0, refused)]


def test_a_pax_header_larger_than_a_mebibyte_is_refused_not_buffered(archive, audit):
    huge = hostile.header(b"././@PaxHeader", 3 << 30, tarfile.XHDTYPE) + b"9" * 4096
    report = audit(archive([[File("/ok", b"fine")], Blob(huge + hostile.end())])).json()
    assert [(layer, path) for layer, path, _ in unscanned(report)] == [(1, None)]
    assert "extended header of 3221225472 bytes" in report["not_scanned"][0]["reason"]
