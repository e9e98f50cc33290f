"""Hostile input: every parser on arbitrary bytes, and the ledger's bookkeeping against a plain model.

Parsers get attacker-controlled bytes: they must never raise (only the BerkeleyDB parser raises, on
purpose), and whatever they yield must be an absolute, normalised in-image path with a well-formed digest.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.ownership.databases import DATABASES, parser_for
from auditor.ownership.interface import DirectoryOwner, Record, UnsupportedDatabase, valid_digest
from auditor.ownership.ledger import Ledger, Standing, digests_of
from auditor.ownership.paths import join

# One database path per registry pattern, so every parser is exercised.
SAMPLE_PATHS = [
    "/var/lib/dpkg/status",
    "/var/lib/dpkg/info/libc6:amd64.md5sums",
    "/var/lib/dpkg/status.d/libc6",
    "/var/lib/dpkg/status.d/libc6.md5sums",
    "/lib/apk/db/installed",
    "/var/lib/rpm/rpmdb.sqlite",
    "/usr/lib/sysimage/rpm/rpmdb.sqlite",
    "/var/lib/rpm/Packages",
    "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/RECORD",
    "/app/node_modules/left-pad/package.json",
    "/app/node_modules/@scope/pkg/package.json",
    "/root/.m2/repository/junit/junit/4.13.2/junit-4.13.2.jar.sha1",
    "/root/go/pkg/mod/cache/download/golang.org/x/net/@v/v0.19.0.ziphash",
]


def test_every_registry_pattern_has_a_sample() -> None:
    assert {id(parser_for(path)) for path in SAMPLE_PATHS} == {id(parser) for parser in DATABASES.values()}


def normalised(path: str) -> bool:
    return path.startswith("/") and path != "/" and join("/", path) == path and "\0" not in path


def check(path: str, data: bytes) -> None:
    parser = parser_for(path)
    assert parser is not None
    try:
        entries = list(parser(path, data))
    except UnsupportedDatabase:
        assert path.endswith(("/Packages", "/Packages.db"))
        return
    for entry in entries:
        assert normalised(entry.path), entry
        if isinstance(entry, Record):
            assert valid_digest(entry.algorithm, entry.digest)
        else:
            assert isinstance(entry, DirectoryOwner)


# Bytes that look enough like each format to get past the first checks.
LINES = st.lists(st.sampled_from([
    "", " ", "Package: p", "Status: install ok installed", "Conffiles:", " /etc/x " + "a" * 32, " ../../x " + "a" * 32,
    "a" * 32 + "  usr/bin/x", "a" * 32 + "  ../../../etc/shadow", "P:p", "F:usr", "F:..", "R:x", "R:../x",
    "Z:Q1" + "A" * 27 + "=", "Z:X1" + "a" * 40, "x.py,sha256=AAAA,1", "../../../../../../x,sha256=" + "A" * 43 + ",1",
    '"a,b",sha256=' + "A" * 43 + ",1", "h1:abc", "\udcff", "\x00", "a" * 40,
]), max_size=30).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogateescape"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(SAMPLE_PATHS), data=st.one_of(st.binary(max_size=2048), LINES))
def test_no_parser_raises_or_yields_a_path_outside_the_root(path: str, data: bytes) -> None:
    check(path, data)


@pytest.mark.parametrize("path", SAMPLE_PATHS)
@pytest.mark.parametrize("data", [
    b"",
    b"\n" * 100_000,
    b"x" * 200_000,  # one line over the line limit
    b"\xff\xfe\x00" * 1000,
    json.dumps({"name": "left-pad", "version": "1.0.0"}).encode(),
    b"SQLite format 3\0" + b"\0" * 200,
])
def test_degenerate_inputs(path: str, data: bytes) -> None:
    check(path, data)


# --- the ledger against a plain model of database versions -----------------------------------------

DATABASE_PATHS = ["/var/lib/dpkg/info/a.md5sums", "/var/lib/dpkg/info/b.md5sums", "/var/lib/dpkg/status.d/c.md5sums"]
FILES = ["/usr/lib/f", "/usr/lib/g", "/etc/h"]
CONTENTS = [b"0", b"1", b"2"]

feeds = st.tuples(st.just("feed"), st.sampled_from(DATABASE_PATHS),
                  st.dictionaries(st.sampled_from(FILES), st.sampled_from(CONTENTS), max_size=3))
deletes = st.tuples(st.just("delete"), st.sampled_from([*DATABASE_PATHS, "/var/lib/dpkg/info", "/var/lib/dpkg"]),
                    st.just({}))
steps = st.lists(st.tuples(st.integers(0, 1), st.one_of(feeds, deletes)), max_size=14)


def model_verdict(versions: dict[str, list[tuple[int, dict[str, bytes] | None]]], path: str, layer: int,
                  data: bytes, visible: bool) -> Standing:
    """The rule, written plainly: the versions in force at `layer` (else, if visible, at the end)."""
    def in_force(at: int | None) -> list[bytes]:
        found = []
        for timeline in versions.values():
            current = [content for start, content in timeline if at is None or start <= at]
            if current and current[-1] is not None and path in current[-1]:
                found.append(current[-1][path])
        return found

    records = in_force(layer) or (in_force(None) if visible else [])
    if not records:
        return Standing.NOT_PACKAGED
    return Standing.UNMODIFIED if data in records else Standing.MODIFIED


@settings(max_examples=300, deadline=None)
@given(steps=steps)
def test_ledger_verdicts_equal_the_plain_models(steps: list[tuple[int, tuple[str, str, dict[str, bytes]]]]) -> None:
    ledger = Ledger()
    versions: dict[str, list[tuple[int, dict[str, bytes] | None]]] = {}
    layer = 0
    for gap, (action, target, files) in steps:
        layer += gap
        if action == "feed":
            data = "".join(f"{hashlib.md5(v).hexdigest()}  {k.lstrip('/')}\n" for k, v in files.items()).encode()
            ledger.feed(layer, target, data)
            timeline = versions.setdefault(target, [])
            if timeline and timeline[-1][0] == layer:
                timeline.pop()
            timeline.append((layer, dict(files)))
        else:
            ledger.delete(layer, target)
            for database, timeline in versions.items():
                hit = database == target or database.startswith(target + "/")
                if hit and timeline and timeline[-1][0] < layer:
                    timeline.append((layer, None))
    for path in FILES:
        for at in range(layer + 2):
            for data in CONTENTS:
                for visible in (False, True):
                    expected = model_verdict(versions, path, at, data, visible)
                    got = ledger.verdict(path, at, digests_of(data), visible=visible).standing
                    assert got is expected, (path, at, data, visible)


@pytest.mark.parametrize("base,name,expected", [
    ("/", "usr/bin/ls", "/usr/bin/ls"),
    ("/usr/lib/python3/site-packages", "../../../bin/x", "/usr/bin/x"),
    ("/usr/lib/python3/site-packages", "a/./b//c/", "/usr/lib/python3/site-packages/a/b/c"),
    ("/srv", "/etc/x", "/etc/x"),
    ("/srv", "///etc/x", "/etc/x"),
    ("/srv", "..", None),
    ("/", "../etc/shadow", None),
    ("/srv", "../../etc/shadow", None),
    ("/srv", "/../etc/shadow", None),
    ("/", "", None),
    ("/", ".", None),
    ("/", "a\0b", None),
    ("/", ".bashrc", "/.bashrc"),
    ("/", "a/..b/c", "/a/..b/c"),
])
def test_join_normalises_and_refuses_escapes(base: str, name: str, expected: str | None) -> None:
    assert join(base, name) == expected
