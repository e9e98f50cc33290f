"""The guarded tar header reader: what the standard parser would buffer without bound, loop on, crash on or
quietly stop at becomes an unreadable layer (`tarfile.ReadError`), while ordinary tars read as before."""

from __future__ import annotations

import io
import tarfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.layers import read_layer
from auditor.model import Digest, Layer
from auditor.tarsafe import MAX_SPECIAL_BYTES, SafeTarInfo, _byte_sum, check_pax_records
from testing import hostile
from testing import imagekit as kit


def read(data: bytes):  # type: ignore[no-untyped-def]
    layer = Layer(0, Digest("unknown"), None, None, len(data), lambda: io.BytesIO(data))
    return read_layer(layer, lambda path, content: [])


def test_a_corrupt_header_after_good_entries_makes_the_layer_unreadable_not_shorter():
    good = kit.layer_tar([kit.File("/a", b"x")])[:-1024]  # without its end blocks
    broken = bytearray(hostile.header(b"hidden/.env", 5))
    broken[148:156] = b"0000000\0"  # a wrong checksum
    scan = read(good + bytes(broken) + hostile.padded(b"12345") + hostile.end())
    assert [r.path for r in scan.records] == ["/a"]
    assert len(scan.not_scanned) == 1 and "corrupt tar header" in scan.not_scanned[0].reason


def test_an_endless_chain_of_old_gnu_sparse_extension_blocks_is_cut_off():
    first = hostile.header(b"s", 0, tarfile.GNUTYPE_SPARSE, extra={482: b"\x01", 483: b"%011o\0" % 1024})
    extension = bytearray(512)
    extension[0:24] = b"%011o\0" % 0 + b"%011o\0" % 1
    extension[504] = 1  # "more follow", forever
    scan = read(first + bytes(extension) * (MAX_SPECIAL_BYTES // 512 + 10) + hostile.end())
    assert "GNU sparse map longer than" in scan.not_scanned[0].reason


@pytest.mark.parametrize("sparse_map", [b"1000000000\n" + b"1\n" * 600_000, b"3\n" + b"9" * 3000, b"x\n", b"5"])
def test_a_pax_sparse_map_that_is_endless_or_malformed_is_refused(sparse_map):
    records = b"".join([hostile.pax_record("GNU.sparse.major", b"1"), hostile.pax_record("GNU.sparse.minor", b"0"),
                        hostile.pax_record("GNU.sparse.name", b"s"), hostile.pax_record("GNU.sparse.realsize", b"9")])
    data = hostile.pax_header(records) + hostile.header(b"s", len(sparse_map)) + hostile.padded(sparse_map)
    scan = read(data + hostile.end())
    assert scan.records == [] and len(scan.not_scanned) == 1 and scan.not_scanned[0].path is None


MALFORMED_PAX = {
    "no length": b"path=/x\n",
    "negative length": b"-5 path=/x\n",
    "length past the data": b"99999 path=/x\n",
    "length shorter than the record": b"9 path=/x/y/z\n",
    "length below five": b"4 a=\n",
    "no equals sign": b"8 path/x\n",
    "empty keyword": b"6 =abc\n",
    "a good record, then garbage": hostile.pax_record("path", b"/x") + b"garbage\n",
}


@pytest.mark.parametrize("records", MALFORMED_PAX.values(), ids=MALFORMED_PAX)
@pytest.mark.parametrize("kind", [tarfile.XHDTYPE, tarfile.XGLTYPE])
@pytest.mark.parametrize("after_a_good_entry", [False, True])
def test_a_malformed_pax_record_makes_the_layer_unreadable_on_every_python(records, kind, after_a_good_entry):
    """tarfile refuses these itself only since 3.13.0 (3.12.6, 3.11.10, 3.10.15), and then only as the
    archive's first header: further on it ended the archive without a word, and before it skipped them."""
    good = kit.layer_tar([kit.File("/a", b"x")])[:-1024] if after_a_good_entry else b""
    pax = hostile.header(b"././@PaxHeader", len(records), kind) + hostile.padded(records)
    data = good + pax + hostile.header(b"f/.env", 5) + hostile.padded(b"12345") + hostile.end()
    scan = read(data)
    assert [r.path for r in scan.records] == (["/a"] if after_a_good_entry else [])
    assert len(scan.not_scanned) == 1 and "malformed PAX record" in scan.not_scanned[0].reason


@pytest.mark.parametrize("records", [b"", b"\0" * 512, hostile.pax_record("path", b"") + b"\0" * 40,
                                     hostile.pax_record("comment", b"a=b\nc") + hostile.pax_record("path", b"/x")])
def test_well_formed_pax_records_pass_the_check(records):
    check_pax_records(hostile.padded(records))


@pytest.mark.parametrize("kind", [tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK])
def test_extended_headers_over_a_mebibyte_are_refused_before_they_are_read(kind):
    scan = read(hostile.header(b"././@LongLink", MAX_SPECIAL_BYTES + 1, kind) + b"a" * 4096)
    assert f"extended header of {MAX_SPECIAL_BYTES + 1} bytes" in scan.not_scanned[0].reason


def test_long_names_sparse_files_and_pax_headers_under_the_caps_read_as_usual():
    name = "/" + "n" * 3000
    tar = kit.layer_tar([kit.File(name, b"long"), kit.Symlink("/l", "t" * 2000)])
    sparse = hostile.gnu_sparse(b"s", 1 << 30, b"tail") + hostile.end()
    assert [(r.path, r.link) for r in read(tar).records] == [(name, None), ("/l", "t" * 2000)]
    scan = read(sparse)
    assert [(r.path, r.size) for r in scan.records] == [("/s", 1 << 30)]
    assert scan.not_scanned[0].limit == "max-file-size"


def _fields(info: tarfile.TarInfo) -> dict[str, object]:
    return {name: getattr(info, name, None) for name in tarfile.TarInfo.__slots__}


def _header(name: str, type_: bytes, size: int, linkname: str, fmt: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname, info.mode, info.mtime = type_, size, linkname, 0o4755, 1_700_000_000
    info.uname, info.gname, info.uid, info.gid = "root", "wheel", 0, 1000
    return info.tobuf(fmt, "utf-8", "surrogateescape")[-tarfile.BLOCKSIZE:]  # the member's own header


@settings(max_examples=300, deadline=None)
@given(name=st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\0/"), min_size=1, max_size=40),
                     min_size=1, max_size=6).map("/".join),  # long ones go to ustar's prefix field
       type_=st.sampled_from([tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE,
                              tarfile.LNKTYPE, tarfile.FIFOTYPE, tarfile.CHRTYPE]),
       size=st.integers(0, 1 << 40), fmt=st.sampled_from([tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT]),
       flips=st.lists(st.tuples(st.integers(0, 511), st.integers(0, 255)), max_size=3))
def test_an_ordinary_header_reads_exactly_as_tarfile_reads_it(name: str, type_: bytes, size: int, fmt: int,
                                                               flips: list[tuple[int, int]]) -> None:
    try:
        buf = bytearray(_header(name, type_, size, "target", fmt))
    except ValueError:
        return  # a name ustar cannot hold
    for at, value in flips:  # damage: a bad checksum, a number tarfile refuses, another type
        buf[at] = value
    try:
        expected = _fields(tarfile.TarInfo.frombuf(bytes(buf), "utf-8", "surrogateescape"))
    except tarfile.HeaderError:
        expected = None
    plain = SafeTarInfo._plain(bytes(buf), "utf-8", "surrogateescape")
    if plain is not None:  # it takes only what tarfile takes, and reads it the same
        assert _fields(plain) == expected
    elif not flips and expected is not None and type_ not in (tarfile.FIFOTYPE, tarfile.CHRTYPE):
        assert size >= 8 ** 11  # an ordinary header goes the short way unless its size needs base-256


@given(block=st.binary(min_size=tarfile.BLOCKSIZE, max_size=tarfile.BLOCKSIZE))
def test_a_blocks_byte_sum_is_exact(block: bytes) -> None:
    assert _byte_sum(block) == sum(block)


def test_the_byte_sum_is_exact_at_its_extremes() -> None:
    for block in (bytes(512), b"\xff" * 512, b"\xff" * 256 + bytes(256), bytes(256) + b"\xff" * 256):
        assert _byte_sum(block) == sum(block)
