"""The ledger: verdicts by layer state, replaced and deleted databases, unverified owners, caps, notes."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable

import pytest

from auditor.ownership import databases
from auditor.ownership import ledger as ledger_module
from auditor.ownership.ledger import Ledger, Standing, Verdict, digests_of

STATUS = "/var/lib/dpkg/info/app.md5sums"
OTHER = "/var/lib/dpkg/info/tool.md5sums"
SHIPPED = b"shipped bytes"
PATCHED = b"shipped bytes, then a password=hunter2"


def sums(*pairs: tuple[str, bytes]) -> bytes:
    return "".join(f"{hashlib.md5(data).hexdigest()}  {path.lstrip('/')}\n" for path, data in pairs).encode()


def standing(ledger: Ledger, path: str, layer: int, data: bytes, **kwargs: bool) -> Standing:
    return ledger.verdict(path, layer, digests_of(data), **kwargs).standing


def test_an_untouched_package_file_is_unmodified_with_its_package() -> None:
    ledger = Ledger()
    ledger.feed(0, STATUS, sums(("/usr/share/app/key.pem", SHIPPED)))
    assert ledger.verdict("/usr/share/app/key.pem", 0, digests_of(SHIPPED)) == \
        Verdict(Standing.UNMODIFIED, "app", "dpkg")


def test_a_changed_package_file_is_modified() -> None:
    ledger = Ledger()
    ledger.feed(0, STATUS, sums(("/etc/app.conf", SHIPPED)))
    assert ledger.verdict("/etc/app.conf", 0, digests_of(PATCHED)) == Verdict(Standing.MODIFIED, "app", "dpkg")


def test_a_file_no_database_mentions_is_not_packaged_and_no_digest_is_computed() -> None:
    ledger = Ledger()
    ledger.feed(0, STATUS, sums(("/etc/app.conf", SHIPPED)))

    def never(algorithm: str) -> str:
        raise AssertionError("no record, so no digest needed")

    assert ledger.verdict("/root/.aws/credentials", 0, never) == Verdict(Standing.NOT_PACKAGED)


def test_digests_are_asked_once_per_algorithm() -> None:
    ledger = Ledger()
    ledger.feed(0, STATUS, sums(("/usr/lib/x.so", SHIPPED)))
    ledger.feed(0, OTHER, sums(("/usr/lib/x.so", b"the other package's bytes")))
    asked: list[str] = []
    inner = digests_of(PATCHED)

    def counting(algorithm: str) -> str:
        asked.append(algorithm)
        return inner(algorithm)

    assert ledger.verdict("/usr/lib/x.so", 0, counting).standing is Standing.MODIFIED
    assert asked == ["md5"]


def test_a_file_two_databases_claim_matches_either() -> None:
    ledger = Ledger()
    ledger.feed(0, STATUS, sums(("/usr/lib/python3/dist-packages/six.py", b"deb six")))
    record = "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/RECORD"
    digest = base64.urlsafe_b64encode(hashlib.sha256(b"pip six").digest()).rstrip(b"=").decode()
    ledger.feed(1, record, f"six.py,sha256={digest},7\n".encode())
    assert ledger.verdict("/usr/lib/python3/dist-packages/six.py", 1, digests_of(b"pip six")) == \
        Verdict(Standing.UNMODIFIED, "six", "pip")
    assert ledger.verdict("/usr/lib/python3/dist-packages/six.py", 1, digests_of(b"deb six")) == \
        Verdict(Standing.UNMODIFIED, "app", "dpkg")
    assert ledger.verdict("/usr/lib/python3/dist-packages/six.py", 1, digests_of(b"edited")).standing is \
        Standing.MODIFIED


# --- layer state -------------------------------------------------------------------------------------

def test_a_database_in_force_at_a_files_layer_judges_it_including_its_own_layer() -> None:
    ledger = Ledger()
    ledger.feed(2, STATUS, sums(("/usr/bin/app", SHIPPED)))
    assert standing(ledger, "/usr/bin/app", 2, SHIPPED) is Standing.UNMODIFIED
    assert standing(ledger, "/usr/bin/app", 5, SHIPPED) is Standing.UNMODIFIED


def test_a_database_from_a_later_layer_judges_an_earlier_file_only_if_the_file_is_still_visible() -> None:
    ledger = Ledger()
    ledger.feed(3, STATUS, sums(("/usr/bin/app", SHIPPED)))  # apko-style: files low, database on top
    assert standing(ledger, "/usr/bin/app", 1, SHIPPED) is Standing.NOT_PACKAGED
    assert standing(ledger, "/usr/bin/app", 1, SHIPPED, visible=True) is Standing.UNMODIFIED
    assert standing(ledger, "/usr/bin/app", 1, PATCHED, visible=True) is Standing.MODIFIED


def test_a_rewritten_database_judges_files_from_its_layer_on_and_the_old_version_before() -> None:
    ledger = Ledger()
    ledger.feed(0, STATUS, sums(("/etc/app.conf", b"v1")))
    ledger.feed(4, STATUS, sums(("/etc/app.conf", b"v2")))
    assert standing(ledger, "/etc/app.conf", 0, b"v1") is Standing.UNMODIFIED
    assert standing(ledger, "/etc/app.conf", 3, b"v1") is Standing.UNMODIFIED
    assert standing(ledger, "/etc/app.conf", 3, b"v2") is Standing.MODIFIED
    assert standing(ledger, "/etc/app.conf", 4, b"v2") is Standing.UNMODIFIED
    assert standing(ledger, "/etc/app.conf", 4, b"v1") is Standing.MODIFIED
    assert standing(ledger, "/etc/app.conf", 3, b"v2", visible=True) is Standing.MODIFIED  # layer 3 has a record


def test_a_file_dropped_from_the_rewritten_database_counts_only_before() -> None:
    ledger = Ledger()
    ledger.feed(0, STATUS, sums(("/usr/bin/old", SHIPPED), ("/usr/bin/kept", SHIPPED)))
    ledger.feed(2, STATUS, sums(("/usr/bin/kept", SHIPPED)))
    assert standing(ledger, "/usr/bin/old", 1, SHIPPED) is Standing.UNMODIFIED
    assert standing(ledger, "/usr/bin/old", 2, SHIPPED) is Standing.NOT_PACKAGED
    assert standing(ledger, "/usr/bin/old", 1, SHIPPED, visible=True) is Standing.UNMODIFIED


def test_an_unchanged_record_in_a_rewritten_database_is_stored_once() -> None:
    ledger = Ledger()
    files = [(f"/usr/lib/f{n}", b"%d" % n) for n in range(100)]
    for layer in range(5):  # every apt-get layer rewrites the database
        ledger.feed(layer, STATUS, sums(*files))
    assert len(ledger) == 100
    ledger.feed(5, STATUS, sums(*files[:99], ("/usr/lib/f99", b"changed")))
    assert len(ledger) == 101
    assert standing(ledger, "/usr/lib/f99", 4, b"99") is Standing.UNMODIFIED
    assert standing(ledger, "/usr/lib/f99", 5, b"changed") is Standing.UNMODIFIED


def test_the_same_database_twice_in_one_layer_keeps_the_later_entry() -> None:
    ledger = Ledger()
    ledger.feed(1, STATUS, sums(("/etc/a", b"first")))
    ledger.feed(1, STATUS, sums(("/etc/a", b"second")))
    assert standing(ledger, "/etc/a", 1, b"second") is Standing.UNMODIFIED
    assert standing(ledger, "/etc/a", 1, b"first") is Standing.MODIFIED
    assert len(ledger) == 1


def test_a_deleted_database_stops_counting_from_the_deleting_layer() -> None:
    ledger = Ledger()
    ledger.feed(0, STATUS, sums(("/usr/bin/app", SHIPPED)))
    ledger.delete(3, STATUS)
    assert standing(ledger, "/usr/bin/app", 2, SHIPPED) is Standing.UNMODIFIED
    assert standing(ledger, "/usr/bin/app", 3, SHIPPED) is Standing.NOT_PACKAGED
    assert standing(ledger, "/usr/bin/app", 3, SHIPPED, visible=True) is Standing.NOT_PACKAGED


def test_deleting_a_directory_deletes_the_databases_under_it_but_not_its_namesakes() -> None:
    ledger = Ledger()
    ledger.feed(0, STATUS, sums(("/usr/bin/app", SHIPPED)))
    ledger.feed(0, "/var/lib/dpkg/status", b"Package: a\nConffiles:\n /etc/a " +
                hashlib.md5(b"a").hexdigest().encode() + b"\n")
    ledger.delete(2, "/var/lib/dpkg/info")  # an opaque directory or a whiteout of info/
    assert standing(ledger, "/usr/bin/app", 2, SHIPPED) is Standing.NOT_PACKAGED
    assert standing(ledger, "/etc/a", 2, b"a") is Standing.UNMODIFIED


def test_deleting_a_package_directory_spares_its_namesakes_which_sort_between_it_and_its_children() -> None:
    ledger = Ledger()
    for name in ("a", "a-b", "a.c"):
        ledger.feed(0, f"/app/node_modules/{name}/package.json", package_json(name))
    ledger.delete(1, "/app/node_modules/a")
    assert [standing(ledger, f"/app/node_modules/{name}/x.js", 1, b"") for name in ("a", "a-b", "a.c")] == \
        [Standing.NOT_PACKAGED, Standing.PACKAGED_UNVERIFIED, Standing.PACKAGED_UNVERIFIED]
    ledger.delete(2, "/app/node_modules/a-b/package.json")
    assert standing(ledger, "/app/node_modules/a-b/x.js", 2, b"") is Standing.NOT_PACKAGED


def test_a_whiteout_in_the_layer_that_writes_the_database_leaves_that_version() -> None:
    ledger = Ledger()
    ledger.feed(0, STATUS, sums(("/usr/bin/app", b"old")))
    ledger.feed(2, STATUS, sums(("/usr/bin/app", SHIPPED)))
    ledger.delete(2, "/var/lib/dpkg/info")  # opaque info/ in layer 2, which rewrote it: hides layer 0's only
    assert standing(ledger, "/usr/bin/app", 2, SHIPPED) is Standing.UNMODIFIED


def test_a_database_deleted_then_written_again_counts_again() -> None:
    ledger = Ledger()
    ledger.feed(0, STATUS, sums(("/usr/bin/app", SHIPPED)))
    ledger.delete(1, STATUS)
    ledger.feed(2, STATUS, sums(("/usr/bin/app", SHIPPED)))
    assert [standing(ledger, "/usr/bin/app", layer, SHIPPED) for layer in range(3)] == \
        [Standing.UNMODIFIED, Standing.NOT_PACKAGED, Standing.UNMODIFIED]


def test_merged_usr_aliases_find_the_record_of_the_other_spelling() -> None:
    ledger = Ledger()
    ledger.feed(0, STATUS, sums(("/bin/ls", SHIPPED), ("/usr/lib/libz.so.1", SHIPPED)))
    assert standing(ledger, "/usr/bin/ls", 0, SHIPPED) is Standing.UNMODIFIED
    assert standing(ledger, "/usr/bin/ls", 0, PATCHED) is Standing.MODIFIED
    assert standing(ledger, "/lib/libz.so.1", 0, SHIPPED) is Standing.UNMODIFIED
    assert standing(ledger, "/usr/share/ls", 0, SHIPPED) is Standing.NOT_PACKAGED


# --- directory owners ----------------------------------------------------------------------------------

def package_json(name: str, version: str = "1.0.0") -> bytes:
    return json.dumps({"name": name, "version": version}).encode()


def test_files_inside_a_package_directory_are_packaged_unverified_and_the_innermost_package_names_them() -> None:
    ledger = Ledger()
    ledger.feed(1, "/app/node_modules/a/package.json", package_json("a"))
    ledger.feed(1, "/app/node_modules/a/node_modules/b/package.json", package_json("b", "2.0.0"))
    assert ledger.verdict("/app/node_modules/a/index.js", 1, digests_of(b"")) == \
        Verdict(Standing.PACKAGED_UNVERIFIED, "a@1.0.0", "npm")
    assert ledger.verdict("/app/node_modules/a/node_modules/b/lib/x.js", 1, digests_of(b"")).package == "b@2.0.0"
    assert standing(ledger, "/app/node_modules/ab/index.js", 1, b"") is Standing.NOT_PACKAGED
    assert standing(ledger, "/app/src/index.js", 1, b"") is Standing.NOT_PACKAGED


def test_a_package_directory_only_counts_for_files_of_its_layer_and_later_even_if_visible() -> None:
    ledger = Ledger()
    ledger.feed(3, "/app/node_modules/a/package.json", package_json("a"))
    assert standing(ledger, "/app/node_modules/a/.env", 1, b"", visible=True) is Standing.NOT_PACKAGED
    ledger.delete(5, "/app/node_modules/a")
    assert standing(ledger, "/app/node_modules/a/.env", 4, b"") is Standing.PACKAGED_UNVERIFIED
    assert standing(ledger, "/app/node_modules/a/.env", 5, b"") is Standing.NOT_PACKAGED


def test_a_record_outranks_a_directory_owner() -> None:
    ledger = Ledger()
    ledger.feed(0, "/root/go/pkg/mod/cache/download/example.com/m/@v/v1.0.0.ziphash", b"h1:abc=")
    assert standing(ledger, "/root/go/pkg/mod/example.com/m@v1.0.0/m.go", 0, b"") is Standing.PACKAGED_UNVERIFIED
    ledger.feed(0, STATUS, sums(("/root/go/pkg/mod/example.com/m@v1.0.0/m.go", SHIPPED)))
    assert standing(ledger, "/root/go/pkg/mod/example.com/m@v1.0.0/m.go", 0, PATCHED) is Standing.MODIFIED


# --- notes and caps ------------------------------------------------------------------------------------

def test_an_unsupported_rpmdb_leaves_a_note_and_no_records() -> None:
    ledger = Ledger()
    ledger.feed(2, "/var/lib/rpm/Packages", b"\0" * 512)
    assert len(ledger) == 0
    assert [(note.layer, note.path) for note in ledger.notes] == [(2, "/var/lib/rpm/Packages")]
    assert "BerkeleyDB" in ledger.notes[0].reason


def test_a_parser_that_fails_costs_its_database_version_and_leaves_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = Ledger()
    ledger.feed(0, STATUS, sums(("/usr/bin/app", SHIPPED)))

    def broken(path: str, data: bytes):  # type: ignore[no-untyped-def]
        yield from ()
        raise IndexError("bug")

    monkeypatch.setattr(databases, "_PARSERS", [broken] * len(databases._PARSERS))
    ledger.feed(1, STATUS, b"anything")
    assert standing(ledger, "/usr/bin/app", 0, SHIPPED) is Standing.UNMODIFIED
    assert standing(ledger, "/usr/bin/app", 1, SHIPPED) is Standing.NOT_PACKAGED
    assert "IndexError" in ledger.notes[0].reason


def test_record_caps_keep_what_fits_and_say_so() -> None:
    ledger = Ledger(max_records_per_database=3, max_records=5)
    ledger.feed(0, STATUS, sums(*[(f"/f{n}", b"x") for n in range(10)]))
    assert len(ledger) == 3
    ledger.feed(0, OTHER, sums(*[(f"/g{n}", b"x") for n in range(3)]))
    assert len(ledger) == 5
    assert [note.path for note in ledger.notes] == [STATUS, OTHER]
    assert standing(ledger, "/f0", 0, b"x") is Standing.UNMODIFIED


def test_paths_that_are_not_databases_are_ignored() -> None:
    ledger = Ledger()
    ledger.feed(0, "/etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
    ledger.delete(0, "/etc")
    assert len(ledger) == 0 and not ledger.notes


def test_digests_of_computes_each_algorithm_once() -> None:
    digest: Callable[[str], str] = digests_of(b"abc")
    assert digest("sha256") == hashlib.sha256(b"abc").hexdigest()
    assert digest("md5") == hashlib.md5(b"abc").hexdigest()
    assert ledger_module.NOT_PACKAGED.package is None


def test_a_path_claimed_by_too_many_databases_keeps_the_first_claims_and_says_so() -> None:
    ledger = Ledger()
    for n in range(ledger_module.MAX_SPANS_PER_PATH + 10):
        ledger.feed(0, f"/var/lib/dpkg/info/p{n}.md5sums", sums(("/etc/shared", b"%d" % n)))
    assert len(ledger) == ledger_module.MAX_SPANS_PER_PATH
    assert len(ledger.notes) == 10
    assert standing(ledger, "/etc/shared", 0, b"0") is Standing.UNMODIFIED
