"""apk: /lib/apk/db/installed blocks, F:/R:/Z: files and their checksum encodings."""

from __future__ import annotations

import base64
import hashlib

from auditor.ownership.apk import decode_checksum, parse_installed
from auditor.ownership.interface import Record


def q1(data: bytes) -> str:
    """apk's Z: value for a file with these bytes."""
    return "Q1" + base64.b64encode(hashlib.sha1(data).digest()).decode()


BUSYBOX = b"busybox binary"
PROFILE = b"export PATH=/usr/bin\n"
INSTALLED = f"""\
C:Q1ZyCsLxbCBVFz4fYyq/F3bN3gu3o=
P:musl
V:1.2.4-r2
A:x86_64
S:407574
I:663552
T:the musl c library (libc) implementation
o:musl
t:1698157226
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:X1{hashlib.sha1(b"musl").hexdigest()}
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q1{base64.b64encode(hashlib.sha1(b"ld-musl-x86_64.so.1").digest()).decode()}

C:Q1abc
P:busybox
V:1.36.1-r5
F:bin
R:busybox
a:0:0:755
Z:{q1(BUSYBOX)}
R:sh
F:etc
R:profile
Z:{q1(PROFILE)}
R:legacy.conf
Z:{hashlib.md5(b"legacy").hexdigest()}
R:broken
Z:Q1!!!not-base64!!!
R:short
Z:Q1{base64.b64encode(b"too short").decode()}
F:etc/../../escape
R:passwd
Z:{q1(b"x")}
R:../shadow
Z:{q1(b"x")}

F:usr/bin
R:orphan
Z:{q1(b"no P: line in this block")}
""".encode()


def test_files_get_their_package_and_sha1_from_q1_base64() -> None:
    records = {record.path: record for record in parse_installed("/lib/apk/db/installed", INSTALLED)}
    assert records["/bin/busybox"] == Record("/bin/busybox", "sha1", hashlib.sha1(BUSYBOX).hexdigest(), "busybox",
                                             "apk")
    assert records["/etc/profile"].digest == hashlib.sha1(PROFILE).hexdigest()
    assert records["/lib/ld-musl-x86_64.so.1"] == Record("/lib/ld-musl-x86_64.so.1", "sha1",
                                                         hashlib.sha1(b"musl").hexdigest(), "musl", "apk")
    assert records["/lib/libc.musl-x86_64.so.1"].package == "musl"


def test_a_bare_hex_checksum_is_md5_as_in_old_databases() -> None:
    records = {record.path: record for record in parse_installed("/lib/apk/db/installed", INSTALLED)}
    assert (records["/etc/legacy.conf"].algorithm, records["/etc/legacy.conf"].digest) == \
        ("md5", hashlib.md5(b"legacy").hexdigest())


def test_files_without_a_valid_checksum_escapes_and_blocks_without_a_package_yield_nothing() -> None:
    paths = {record.path for record in parse_installed("/lib/apk/db/installed", INSTALLED)}
    assert "/bin/sh" not in paths  # no Z: line (a symlink)
    assert "/etc/broken" not in paths and "/etc/short" not in paths
    assert not any("passwd" in path or "shadow" in path for path in paths)
    assert "/usr/bin/orphan" not in paths
    assert len(paths) == 5


def test_package_line_after_the_files_still_names_them() -> None:
    data = f"F:usr/bin\nR:tool\nZ:{q1(b'tool')}\nP:late\n".encode()
    assert [record.package for record in parse_installed("/lib/apk/db/installed", data)] == ["late"]


def test_checksum_encodings() -> None:
    digest = hashlib.sha256(b"v3").digest()
    assert decode_checksum("Q2" + base64.b64encode(digest).decode()) == ("sha256", digest.hex())
    assert decode_checksum("X1" + "AB" * 20) == ("sha1", "ab" * 20)
    assert decode_checksum("Q9AAAA") is None
    assert decode_checksum("") is None
    assert decode_checksum("Q1\udcff") is None
