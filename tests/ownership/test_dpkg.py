"""dpkg: info/*.md5sums, status conffiles, distroless status.d, and this machine's own database."""

from __future__ import annotations

import glob
import hashlib
import os

import pytest

from auditor.ownership import Ledger, Record, Standing, digests_of
from auditor.ownership.dpkg import parse_md5sums, parse_status, parse_status_d

MD5SUMS = b"""\
7a4179e324c784b99e98fedee05260f7  bin/cat
db0817401cfd9c5a818ae919d10ba7c5  bin/chgrp
52ab7a4a8d3b1f6c0c5ac4b0d5c4b0e8  usr/share/doc/coreutils/README.gz
3E9F2D3C41C1B1AB0E0B63C0B7BAE9D6 *usr/lib/x86_64-linux-gnu/libfoo.so.1
5d41402abc4b2a76b9719d911017c592  usr/share/doc/with space/file name.txt
not-a-digest  usr/bin/broken
5d41402abc4b2a76b9719d911017c592  ../../etc/shadow

"""

STATUS = b"""\
Package: adduser
Status: install ok installed
Priority: important
Architecture: all
Conffiles:
 /etc/adduser.conf cc3493ecd2d09837ffdcc3e25fdfff18
 /etc/deluser.conf 11a06baf8245fd8d690b99024d228c1f
Description: add and remove users and groups
 This package includes the 'adduser' and 'deluser' commands.

Package: old-daemon
Status: deinstall ok config-files
Conffiles:
 /etc/old-daemon/daemon.conf 0123456789abcdef0123456789abcdef
 /etc/old-daemon/legacy.conf fedcba9876543210fedcba9876543210 obsolete
 /etc/old-daemon/gone.conf 00112233445566778899aabbccddeeff remove-on-upgrade

Package: purged
Status: purge ok not-installed
Conffiles:
 /etc/purged.conf 0123456789abcdef0123456789abcdef

Package: fresh
Status: install ok unpacked
Conffiles:
 /etc/fresh.conf newconffile
 /etc/app dir/my app.conf aabbccddeeff00112233445566778899

"""


def test_md5sums_lines_become_md5_records_relative_to_root_named_after_the_file() -> None:
    records = list(parse_md5sums("/var/lib/dpkg/info/coreutils:amd64.md5sums", MD5SUMS))
    assert records[:2] == [
        Record("/bin/cat", "md5", "7a4179e324c784b99e98fedee05260f7", "coreutils:amd64", "dpkg"),
        Record("/bin/chgrp", "md5", "db0817401cfd9c5a818ae919d10ba7c5", "coreutils:amd64", "dpkg"),
    ]
    paths = [record.path for record in records]
    assert "/usr/lib/x86_64-linux-gnu/libfoo.so.1" in paths  # binary-mode " *" separator, digest lowercased
    assert records[3].digest == "3e9f2d3c41c1b1ab0e0b63c0b7bae9d6"
    assert "/usr/share/doc/with space/file name.txt" in paths


def test_md5sums_skip_bad_digests_and_paths_that_climb_out_of_the_root() -> None:
    paths = [record.path for record in parse_md5sums("/var/lib/dpkg/info/x.md5sums", MD5SUMS)]
    assert "/usr/bin/broken" not in paths
    assert "/etc/shadow" not in paths
    assert len(paths) == 5


def test_status_conffiles_are_records_of_installed_and_config_files_packages() -> None:
    records = {record.path: record for record in parse_status("/var/lib/dpkg/status", STATUS)}
    assert records["/etc/adduser.conf"] == Record("/etc/adduser.conf", "md5", "cc3493ecd2d09837ffdcc3e25fdfff18",
                                                  "adduser", "dpkg")
    assert records["/etc/old-daemon/daemon.conf"].package == "old-daemon"  # removed, configuration kept
    assert records["/etc/old-daemon/legacy.conf"].digest == "fedcba9876543210fedcba9876543210"  # "obsolete" flag
    assert "/etc/old-daemon/gone.conf" in records  # "remove-on-upgrade" flag
    assert "/etc/purged.conf" not in records  # not-installed: dpkg removed it
    assert "/etc/fresh.conf" not in records  # "newconffile" is no digest
    assert records["/etc/app dir/my app.conf"].package == "fresh"


def test_status_description_continuations_are_not_conffiles() -> None:
    records = list(parse_status("/var/lib/dpkg/status", STATUS))
    assert all(record.path.startswith("/etc/") for record in records)


def test_distroless_status_d_has_a_stanza_per_package_without_status_and_md5sums_beside_it() -> None:
    stanza = b"Package: base-files\nVersion: 12.4\nConffiles:\n /etc/debian_version " \
             b"0123456789abcdef0123456789abcdef\n"
    assert [record.path for record in parse_status_d("/var/lib/dpkg/status.d/base-files", stanza)] == \
        ["/etc/debian_version"]
    sums = b"0123456789abcdef0123456789abcdef  etc/os-release\n"
    assert list(parse_status_d("/var/lib/dpkg/status.d/base-files.md5sums", sums)) == [
        Record("/etc/os-release", "md5", "0123456789abcdef0123456789abcdef", "base-files", "dpkg")]


# --- this machine's dpkg database, end to end ---------------------------------------------------------

MACHINE_SUMS = sorted(glob.glob("/var/lib/dpkg/info/*.md5sums"))


@pytest.mark.skipif(not MACHINE_SUMS or not os.path.isfile("/var/lib/dpkg/status"),
                    reason="no dpkg database on this machine (not Debian-based)")
def test_this_machines_dpkg_database_vouches_for_its_own_untouched_files() -> None:
    ledger = Ledger()
    for path in [*MACHINE_SUMS, "/var/lib/dpkg/status"]:
        with open(path, "rb") as handle:
            ledger.feed(0, path, handle.read())
    assert not ledger.notes
    assert len(ledger) > 1000
    checked = 0
    for name in ("dpkg", "coreutils", "base-files", "libc-bin"):
        sums = glob.glob(f"/var/lib/dpkg/info/{name}.md5sums") + glob.glob(f"/var/lib/dpkg/info/{name}:*.md5sums")
        for sums_path in sums:
            with open(sums_path, "rb") as handle:
                records = list(parse_md5sums(sums_path, handle.read()))
            for record in records[:40]:
                if not os.path.isfile(record.path) or os.path.islink(record.path):
                    continue
                with open(record.path, "rb") as handle:
                    data = handle.read()
                verdict = ledger.verdict(record.path, 0, digests_of(data))
                assert verdict.standing is Standing.UNMODIFIED, (record.path, verdict)
                assert hashlib.md5(data).hexdigest() == record.digest
                checked += 1
    assert checked >= 10
    # merged /usr: bookworm's coreutils lists bin/cat, an image stores /usr/bin/cat
    with open("/usr/bin/cat", "rb") as handle:
        assert ledger.verdict("/usr/bin/cat", 0, digests_of(handle.read())).standing is Standing.UNMODIFIED
    assert ledger.verdict("/usr/bin/cat", 0, digests_of(b"planted")).standing is Standing.MODIFIED


def test_a_huge_conffiles_field_is_read_in_linear_time() -> None:
    line = b" /etc/x 0123456789abcdef0123456789abcdef\n"
    data = b"Package: big\nConffiles:\n" + line * 200_000
    assert sum(1 for _ in parse_status("/var/lib/dpkg/status", data)) == 200_000
