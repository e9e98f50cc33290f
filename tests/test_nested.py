"""Archives inside files (`auditor.nested`): every kind recognised by its first bytes, members yielded with
their `!/` paths, and every cap (depth, members, bytes, ratio) and every kind of trouble (corrupt,
encrypted, path tricks, links) turned into a `Skip` rather than an error or silence."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import stat
import struct
import tarfile
import tracemalloc
import zipfile

import pytest
import zstandard

from auditor.limits import FILE_FLAG
from auditor.nested import BOMB_FLOOR, READ_PIECE, Member, NestedLimits, Skip, kind, members

CONFIG = b"spring.datasource.password=s3cr3t-value\n"


def zip_bytes(files: list[tuple[str | zipfile.ZipInfo, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return buffer.getvalue()


def tar_bytes(files: list[tuple[str, bytes]], links: list[tuple[str, str]] = ()) -> bytes:  # type: ignore[assignment]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in links:
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return buffer.getvalue()


def found(data: bytes, limits: NestedLimits | None = None) -> dict[str, bytes]:
    items = list(members(data, limits))
    assert not [item for item in items if isinstance(item, Skip)], items
    return {item.path: item.data for item in items if isinstance(item, Member)}


def skips(data: bytes, limits: NestedLimits | None = None) -> list[Skip]:
    return [item for item in members(data, limits) if isinstance(item, Skip)]


TAR = tar_bytes([("conf/app.properties", CONFIG)])
COMPRESSED = {
    "gzip": gzip.compress(TAR),
    "zstd": zstandard.ZstdCompressor().compress(TAR),
    "xz": lzma.compress(TAR),
}


@pytest.mark.parametrize(("data", "expected"), [
    (zip_bytes([("a.txt", CONFIG)]), "zip"),
    (zip_bytes([]), "zip"),  # an empty zip is only its end record
    (TAR, "tar"),
    *[(data, name) for name, data in COMPRESSED.items()],
    (gzip.compress(b".TH LS 1\n" * 100), None),  # a gzipped man page is not a tar
    (bz2.compress(TAR), None),  # bzip2 cannot be told from its head: not opened (see the module docstring)
    (CONFIG, None),
    (b"\xca\xfe\xba\xbe" + bytes(600), None),
])
def test_kind_is_told_by_the_first_bytes_only(data, expected):
    assert kind(data[:4096]) == expected


@pytest.mark.parametrize("name", sorted(COMPRESSED))
def test_a_compressed_tar_yields_its_text_members(name):
    assert found(COMPRESSED[name]) == {"/conf/app.properties": CONFIG}


def test_a_zip_yields_text_members_and_leaves_out_binaries_and_directories():
    data = zip_bytes([("BOOT-INF/", b""), ("BOOT-INF/classes/application.properties", CONFIG),
                      ("BOOT-INF/classes/App.class", b"\xca\xfe\xba\xbe" + bytes(5000)),
                      ("META-INF/MANIFEST.MF", b"Main-Class: App\n")])
    assert found(data) == {"/BOOT-INF/classes/application.properties": CONFIG,
                           "/META-INF/MANIFEST.MF": b"Main-Class: App\n"}


def test_a_stored_zip_of_text_is_read_as_an_archive_not_as_text():
    data = zip_bytes([("a.env", CONFIG)], method=zipfile.ZIP_STORED)
    assert found(data) == {"/a.env": CONFIG}


def test_nested_archives_join_their_paths_with_a_bang():
    lib = zip_bytes([("application.yml", CONFIG)])
    jar = zip_bytes([("BOOT-INF/lib/b.jar", lib), ("bundle.tgz", COMPRESSED["gzip"])])
    assert found(jar) == {"/BOOT-INF/lib/b.jar!/application.yml": CONFIG,
                          "/bundle.tgz!/conf/app.properties": CONFIG}


def nest(levels: int) -> bytes:
    data = zip_bytes([("deep.env", CONFIG)])
    for level in range(levels - 1):
        data = zip_bytes([(f"l{level}.zip", data)])
    return data


def test_archives_are_opened_down_to_the_depth_limit_and_the_deeper_one_is_skipped():
    assert list(found(nest(3)).values()) == [CONFIG]
    [skip] = skips(nest(4))
    assert skip.path == "/l2.zip!/l1.zip!/l0.zip" and "nested more than 3 deep" in skip.reason
    assert skip.limit == FILE_FLAG
    assert not [m for m in members(nest(4)) if isinstance(m, Member)]


def test_an_archive_with_more_members_than_the_cap_is_skipped_whole():
    data = zip_bytes([(f"f{i}.txt", CONFIG) for i in range(5)])
    [skip] = skips(data, NestedLimits(members=4))
    assert skip.path == "" and "more than 4 members" in skip.reason and skip.limit == FILE_FLAG
    assert found(data, NestedLimits(members=5)).keys() == {f"/f{i}.txt" for i in range(5)}


def test_members_of_one_outer_file_are_capped_across_depths():
    inner = zip_bytes([(f"f{i}.txt", CONFIG) for i in range(3)])
    data = zip_bytes([("a.zip", inner), ("b.zip", inner)])
    items = list(members(data, NestedLimits(total_members=5)))  # a.zip, its three, b.zip
    assert [i.path for i in items if isinstance(i, Member)] == ["/a.zip!/f0.txt", "/a.zip!/f1.txt", "/a.zip!/f2.txt"]
    assert [(i.path, i.limit) for i in items if isinstance(i, Skip)] == [("", FILE_FLAG)]


def test_a_member_larger_than_the_member_cap_is_skipped_and_others_are_read():
    data = zip_bytes([("big.txt", b"x" * 2000 + b"\n"), ("small.txt", CONFIG)])
    items = list(members(data, NestedLimits(member_bytes=1000)))
    assert Member("/small.txt", CONFIG) in items
    [skip] = [i for i in items if isinstance(i, Skip)]
    assert skip.path == "/big.txt" and "larger than 1000 bytes" in skip.reason


def _properties(size: int, unicode: bool = False) -> bytes:
    lines, total, n = [], 0, 0
    word = "caf\u00e9 " if unicode else ""
    while total < size:
        line = f"setting_{n % 300} = value {n % 29} {word}token\n".encode()
        lines.append(line)
        total += len(line)
        n += 1
    return b"".join(lines)


@pytest.mark.parametrize("archive", ["zip", "tar.gz"])
@pytest.mark.parametrize("unicode", [False, True])
def test_a_big_member_is_held_once_while_it_is_read_and_checked(archive, unicode):
    text = _properties(8 << 20, unicode)
    data = zip_bytes([("conf/big.properties", text)]) if archive == "zip" else gzip.compress(
        tar_bytes([("conf/big.properties", text)]))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        [item] = members(data, NestedLimits(ratio=1000))
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert item == Member("/conf/big.properties", text)
    assert peak < 1.5 * len(text), f"{peak / len(text):.1f} times the member's size"  # was 3 times


@pytest.mark.parametrize("member, is_text", [
    (b"a" * (READ_PIECE - 1) + "\u00e9".encode() + b"b", True),  # a character across two pieces
    (b"a" * (READ_PIECE + 10) + b"\xff", False),  # not UTF-8 only after the first piece
    ("\u00e9".encode() * READ_PIECE, True),
])
def test_a_member_is_text_only_if_all_of_it_is_utf8_across_the_pieces_it_is_checked_in(member, is_text):
    assert found(zip_bytes([("m.txt", member)], zipfile.ZIP_STORED)) == ({"/m.txt": member} if is_text else {})


def _zip_claiming(text: bytes, claimed: int) -> bytes:
    """A stored zip of one member whose local header and directory both claim `claimed` bytes."""
    data = bytearray(zip_bytes([("a.txt", text)], zipfile.ZIP_STORED))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        data[at + offset:at + offset + 4] = struct.pack("<I", claimed)
    return bytes(data)


@pytest.mark.parametrize("claimed, outcome", [
    (10, "unreadable"), (5199, "unreadable"),  # fewer bytes than it holds: zipfile's own checks refuse it
    (5201, "read"), (10**6, "read"),  # more: what it holds is read, no more, whatever buffer the claim sized
    (40 * 10**6, "zip bomb"),  # a claim far past its compressed bytes: not read at all
])
def test_a_zip_member_whose_header_lies_about_its_size_is_read_as_it_is_or_skipped(claimed, outcome):
    text = b"password = hunter2hunter2\n" * 200  # 5200 bytes
    items = list(members(_zip_claiming(text, claimed)))
    if outcome == "read":
        assert items == [Member("/a.txt", text)]
    else:
        [skip] = items
        assert isinstance(skip, Skip) and outcome in skip.reason


def test_bytes_inflated_for_one_outer_file_are_capped():
    data = zip_bytes([(f"f{i}.txt", b"%d\n" % i * 300) for i in range(10)])
    items = list(members(data, NestedLimits(total_bytes=3000)))
    assert 0 < len([i for i in items if isinstance(i, Member)]) < 10
    assert isinstance(items[-1], Skip) and "inflate to more than 3000 bytes" in items[-1].reason


def test_a_zip_bomb_member_is_skipped_by_its_ratio_without_inflating_it():
    data = zip_bytes([("bomb.txt", b"0" * (BOMB_FLOOR * 4)), ("app.env", CONFIG)])
    items = list(members(data))
    assert Member("/app.env", CONFIG) in items
    [skip] = [i for i in items if isinstance(i, Skip)]
    assert skip.path == "/bomb.txt" and "zip bomb" in skip.reason


def test_a_compressed_tar_bomb_stops_at_its_ratio():
    bomb = gzip.compress(tar_bytes([("zeros.txt", b"0" * (BOMB_FLOOR * 4))]))
    [skip] = skips(bomb)
    assert "decompression bomb" in skip.reason and skip.limit == FILE_FLAG


def test_text_under_the_bomb_floor_is_read_whatever_its_ratio():
    data = zip_bytes([("blank.txt", b"\n" * (BOMB_FLOOR // 2))])
    assert found(data) == {"/blank.txt": b"\n" * (BOMB_FLOOR // 2)}


def test_a_corrupt_member_is_skipped_and_the_others_are_still_read():
    data = bytearray(zip_bytes([("bad.txt", CONFIG * 20), ("good.txt", CONFIG)], method=zipfile.ZIP_STORED))
    at = data.index(CONFIG)
    data[at:at + 6] = b"tamper"  # stored bytes that no longer match the member's CRC
    items = list(members(bytes(data)))
    assert Member("/good.txt", CONFIG) in items
    [skip] = [i for i in items if isinstance(i, Skip)]
    assert skip.path == "/bad.txt" and "unreadable" in skip.reason and skip.limit is None


@pytest.mark.parametrize("cut", [30, 100, -10])
def test_a_truncated_archive_is_not_scanned_rather_than_an_error(cut):
    data = zip_bytes([("a.txt", CONFIG), ("b.txt", CONFIG)])[:cut]
    items = list(members(data))
    assert items and all(isinstance(i, Skip) and i.limit is None for i in items)


def test_a_truncated_compressed_tar_is_not_scanned():
    text = b"".join(b"line %d of a long file\n" % i for i in range(20_000))
    data = gzip.compress(tar_bytes([("a.txt", CONFIG), ("long.txt", text)]))
    items = list(members(data[:len(data) // 2]))
    assert Member("/a.txt", CONFIG) in items
    assert [(i.path, i.limit) for i in items if isinstance(i, Skip)] == [("", None)]


def test_an_encrypted_member_is_reported_not_read():
    data = bytearray(zip_bytes([("secret.env", CONFIG)]))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # the flag bits, in both headers
        at = data.index(signature) + offset
        data[at] |= 0x1
    [skip] = skips(bytes(data))
    assert skip.path == "/secret.env" and "encrypted" in skip.reason


@pytest.mark.parametrize(("name", "path"), [
    ("../../etc/passwd", "/etc/passwd"),
    ("/abs/app.env", "/abs/app.env"),
    ("a/./b/../c.env", "/a/c.env"),
])
def test_member_names_are_cleaned_and_bounded_at_the_archive_root(name, path):
    assert found(zip_bytes([(name, CONFIG)])) == {path: CONFIG}
    assert found(tar_bytes([(name, CONFIG)])) == {path: CONFIG}


def test_a_symlink_member_is_never_followed_or_read():
    link = zipfile.ZipInfo("creds")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    data = zip_bytes([(link, b"/root/.aws/credentials"), ("a.env", CONFIG)])
    assert found(data) == {"/a.env": CONFIG}
    assert found(tar_bytes([("a.env", CONFIG)], links=[("creds", "/root/.aws/credentials")])) == {"/a.env": CONFIG}


def test_a_file_that_is_no_archive_yields_nothing():
    assert list(members(CONFIG)) == []
