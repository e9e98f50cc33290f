"""pip: dist-info RECORD rows, relative to site-packages, scripts reached with '..'."""

from __future__ import annotations

import base64
import hashlib

from auditor.ownership.interface import Record
from auditor.ownership.pip import decode_hash, parse_record

SITE = "/usr/local/lib/python3.12/site-packages"
RECORD_PATH = f"{SITE}/requests-2.31.0.dist-info/RECORD"


def b64(algorithm: str, data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.new(algorithm, data).digest()).rstrip(b"=").decode()


RECORD = f"""\
requests/__init__.py,sha256={b64("sha256", b"init")},4965
requests/api.py,sha256={b64("sha256", b"api")},6377
requests/__pycache__/__init__.cpython-312.pyc,,
requests-2.31.0.dist-info/RECORD,,
"requests/with,comma.txt",sha256={b64("sha256", b"comma")},5
../../../bin/normalizer,sha256={b64("sha256", b"#!/usr/local/bin/python3")},253
/etc/requests/defaults.cfg,sha512={b64("sha512", b"cfg")},3
../../../../../../../../etc/shadow,sha256={b64("sha256", b"x")},1
requests/md5.py,md5=not-base64!,1
requests/weird.py,sha256=AAAA,1
requests/unknown.py,blake2b={b64("sha256", b"x")},1
""".encode()


def test_rows_are_records_relative_to_site_packages() -> None:
    records = {record.path: record for record in parse_record(RECORD_PATH, RECORD)}
    assert records[f"{SITE}/requests/api.py"] == Record(
        f"{SITE}/requests/api.py", "sha256", hashlib.sha256(b"api").hexdigest(), "requests", "pip")
    assert records[f"{SITE}/requests/with,comma.txt"].digest == hashlib.sha256(b"comma").hexdigest()


def test_scripts_reached_with_dot_dot_resolve_to_bin() -> None:
    records = {record.path: record for record in parse_record(RECORD_PATH, RECORD)}
    assert records["/usr/local/bin/normalizer"].digest == hashlib.sha256(b"#!/usr/local/bin/python3").hexdigest()


def test_absolute_paths_are_kept_and_other_hash_algorithms_read() -> None:
    records = {record.path: record for record in parse_record(RECORD_PATH, RECORD)}
    assert (records["/etc/requests/defaults.cfg"].algorithm, records["/etc/requests/defaults.cfg"].digest) == \
        ("sha512", hashlib.sha512(b"cfg").hexdigest())


def test_unhashed_rows_escapes_and_bad_hashes_give_nothing() -> None:
    paths = {record.path for record in parse_record(RECORD_PATH, RECORD)}
    assert not any(path.endswith((".pyc", "/RECORD", "md5.py", "weird.py", "unknown.py")) for path in paths)
    assert "/etc/shadow" not in paths
    assert len(paths) == 5


def test_hash_fields() -> None:
    assert decode_hash("sha256=" + b64("sha256", b"")) == ("sha256", hashlib.sha256(b"").hexdigest())
    assert decode_hash("sha256") is None
    assert decode_hash("sha256=" + b64("sha1", b"")) is None  # wrong length for the algorithm
    assert decode_hash("sha256=\udcff") is None
