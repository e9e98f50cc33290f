"""Reading one layer: records, markers, text handed to the scanner, compression and digest checks."""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Callable
from typing import IO

import pytest

from auditor.deadline import Deadline
from auditor.errors import DeadlineExceeded, SourceError
from auditor.layers import LayerScan, read_layer, read_text
from auditor.limits import compressed_cap
from auditor.model import Digest, Hit, Kind, Layer, Marker, RuleId
from testing import imagekit as kit
from testing.imagekit import Dir, File, Hardlink, Opaque, Raw, Symlink, Whiteout


def layer(blob: bytes, digest: str | None = None, diff_id: str | None = None, media_type: str | None = None,
          opener: Callable[[], IO[bytes]] | None = None) -> Layer:
    return Layer(
        index=3,
        digest=Digest(digest or kit.sha256(blob)),
        diff_id=Digest(diff_id) if diff_id else None,
        media_type=media_type,
        size=len(blob),
        opener=opener or (lambda: io.BytesIO(blob)),
    )


class Scanner:
    """Records what it is handed; reports one hit for files containing "SECRET"."""

    def __init__(self) -> None:
        self.seen: dict[str, bytes] = {}

    def __call__(self, path: str, data: bytes) -> list[Hit]:
        self.seen[path] = data
        return [Hit(RuleId("test"), 1, "SECRET", "found")] if b"SECRET" in data else []


def read(entries: list[kit.Entry], limit: int | None = None) -> tuple[LayerScan, Scanner]:
    tar = kit.layer_tar(entries)
    scanner = Scanner()
    args = (limit,) if limit is not None else ()
    return read_layer(layer(tar, diff_id=kit.sha256(tar)), scanner, *args), scanner


def test_records_every_entry_in_tar_order_with_markers_classified():
    scan, _ = read([
        Opaque("/app"),
        Dir("/app"),
        File("/app/key", b"k" * 5, mode=0o600),
        Symlink("/app/current", "../releases/7"),
        Hardlink("/app/key-link", "/app/key"),
        Whiteout("/app/old"),
        Raw("app/fifo", tarfile.FIFOTYPE),
    ])
    assert [(r.path, r.kind, r.size, r.mode, r.link) for r in scan.records] == [
        ("/app", Marker.OPAQUE, 0, 0o644, None),
        ("/app", Kind.DIR, 0, 0o755, None),
        ("/app/key", Kind.FILE, 5, 0o600, None),
        ("/app/current", Kind.SYMLINK, 0, 0o777, "../releases/7"),  # recorded, never resolved
        ("/app/key-link", Kind.HARDLINK, 0, 0o644, "/app/key"),
        ("/app/old", Marker.WHITEOUT, 0, 0o644, None),
        ("/app/fifo", Kind.OTHER, 0, 0o644, None),
    ]
    assert scan.not_scanned == []


def test_tar_names_are_normalised_to_absolute_paths():
    scan, _ = read([Raw("./etc/a"), Raw("etc//b"), Raw("/etc/c"), Raw("./", tarfile.DIRTYPE),
                    Raw("x", tarfile.LNKTYPE, linkname="./etc/a")])
    assert [(r.path, r.link) for r in scan.records] == [
        ("/etc/a", None), ("/etc/b", None), ("/etc/c", None), ("/", None), ("/x", "/etc/a")
    ]


def test_entry_escaping_the_root_is_not_scanned_and_reading_goes_on():
    scan, scanner = read([Raw("../etc/cron.d/evil", data=b"SECRET"), File("/ok", b"SECRET")])
    assert [r.path for r in scan.records] == ["/ok"]
    assert [(n.layer, n.path) for n in scan.not_scanned] == [(3, "../etc/cron.d/evil")]
    assert list(scanner.seen) == ["/ok"]


def test_an_escaping_name_or_hard_link_target_makes_the_layer_incomplete():
    scan, _ = read([Raw("a/../../x", data=b"SECRET"), File("/ok", b"x"),
                    Raw("link", tarfile.LNKTYPE, linkname="a/../../ok")])
    assert [r.path for r in scan.records] == ["/ok"]
    assert [(n.path, n.fatal, n.broken) for n in scan.not_scanned] == [("a/../../x", True, True),
                                                                       ("link", True, True)]


def test_names_with_dot_dot_inside_the_root_are_read_where_the_engines_put_them():
    scan, scanner = read([Raw("tmp/../app/.env", data=b"SECRET"), Raw("./a/../root/.ssh/id_rsa", data=b"SECRET"),
                          Raw("a/b/../../c", data=b"x"), Raw("/../etc/shadow", data=b"x"),
                          Raw("srv/copy", tarfile.LNKTYPE, linkname="tmp/../app/.env"),
                          Raw("tmp/../old/.wh.key")])
    assert [(r.path, r.kind, r.link, r.target) for r in scan.records] == [
        ("/app/.env", Kind.FILE, None, None), ("/root/.ssh/id_rsa", Kind.FILE, None, None),
        ("/c", Kind.FILE, None, None), ("/etc/shadow", Kind.FILE, None, None),
        ("/srv/copy", Kind.HARDLINK, "/app/.env", 0), ("/old/key", Marker.WHITEOUT, None, None)]
    assert list(scanner.seen) == ["/app/.env", "/root/.ssh/id_rsa", "/c", "/etc/shadow"]
    assert scan.not_scanned == [] and set(scan.hits) == {0, 1}


def test_only_text_files_reach_the_scanner_and_their_hits_are_kept():
    text = b"line one\nSECRET=\xc3\xa9t\xc3\xa9\n"
    scan, scanner = read([
        File("/app/notes.txt", text),
        File("/app/blob.bin", b"SECRET\xff\xfe\x00"),
        File("/app/empty", b""),
        Symlink("/app/link", "notes.txt"),
        Raw("app/.wh.removed", data=b"SECRET"),  # a marker, never content
        Raw("app/.wh..wh.plnk", data=b"SECRET"),  # aufs metadata, ignored
    ])
    assert scanner.seen == {"/app/notes.txt": text}
    assert list(scan.hits) == [0]  # keyed by the record position of /app/notes.txt
    assert [r.path for r in scan.records] == ["/app/notes.txt", "/app/blob.bin", "/app/empty", "/app/link",
                                              "/app/removed"]


class _Member:
    """A member's reader over `data` that counts what `readinto` is asked for."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BufferedReader(io.BytesIO(data), buffer_size=len(data) or 1)
        self.asked = 0

    def peek(self, size: int = 1) -> bytes:
        return self._stream.peek(size)

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def readinto(self, buffer) -> int:  # noqa: ANN001 - any writable buffer
        self.asked += len(buffer)
        return self._stream.readinto(buffer)


def test_a_binary_file_is_known_from_its_first_page_before_any_of_it_is_read():
    member = _Member(b"\x89PNG\r\n\x1a\n" + b"\x00\xff" * 50_000)
    assert read_text(member, limit=1 << 20, size=100_008) is None
    assert member.asked == 0  # no buffer of the file's size was made and filled


@pytest.mark.parametrize("data, expected", [
    (b"a" * 4095 + "\u00e9".encode() + b"b" * 10, "text"),  # a character across the first page's end
    (b"a" * 5000 + b"\xff", "binary"),  # text in the first page, not after it
    ("\u00e9".encode() * 3000, "text"),
    (b"", "text"),
])
def test_text_is_told_from_binary_over_the_whole_file_wherever_the_page_ends(data, expected):
    content = read_text(_Member(data), limit=1 << 20, size=len(data))
    assert (content is not None) == (expected == "text")
    if content is not None:
        assert bytes(content) == data


def test_text_larger_than_the_limit_is_listed_as_not_scanned():
    scan, scanner = read([File("/big.txt", b"a" * 100), File("/small.txt", b"SECRET")], limit=50)
    assert scanner.seen == {"/small.txt": b"SECRET"}
    assert [(n.path, "larger than 50 bytes" in n.reason) for n in scan.not_scanned] == [("/big.txt", True)]
    assert [r.path for r in scan.records] == ["/big.txt", "/small.txt"]


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_compression_is_sniffed_from_magic_bytes_whatever_the_media_type(compression):
    tar = kit.layer_tar([Dir("/etc"), File("/etc/hostname", b"SECRET\n")])
    blob = kit.compress(tar, compression)
    scanner = Scanner()
    scan = read_layer(layer(blob, diff_id=kit.sha256(tar), media_type=kit.LAYER_TYPES["zstd" if compression == "gzip"
                                                                                       else "gzip"]), scanner)
    assert scan.not_scanned == []
    assert scan.compression == {"none": "tar"}.get(compression, compression)
    assert [r.path for r in scan.records] == ["/etc", "/etc/hostname"]
    assert scan.bytes_read == len(tar)


@pytest.mark.parametrize("compression", ["gzip", "zstd"])
def test_blob_and_diff_id_are_both_verified(compression):
    tar = kit.layer_tar([File("/a", b"x")])
    blob = kit.compress(tar, compression)
    good = read_layer(layer(blob, diff_id=kit.sha256(tar)), Scanner())
    wrong_blob = read_layer(layer(blob, digest=kit.sha256(b"other"), diff_id=kit.sha256(tar)), Scanner())
    wrong_diff = read_layer(layer(blob, diff_id=kit.sha256(b"other")), Scanner())
    assert good.not_scanned == []
    assert "digest mismatch" in wrong_blob.not_scanned[0].reason and "blob" in wrong_blob.not_scanned[0].reason
    assert "digest mismatch" in wrong_diff.not_scanned[0].reason and "diff_id" in wrong_diff.not_scanned[0].reason


def test_the_whole_blob_is_hashed_including_bytes_after_the_end_of_the_tar():
    tar = kit.layer_tar([File("/a", b"x")])
    padded = tar + b"\0" * 4096 + b"tail"
    assert read_layer(layer(padded, diff_id=kit.sha256(padded)), Scanner()).not_scanned == []
    short = read_layer(layer(padded, digest=kit.sha256(tar), diff_id=kit.sha256(tar)), Scanner())
    assert "digest mismatch" in short.not_scanned[0].reason


def test_an_opener_that_fails_becomes_not_scanned():
    def missing() -> IO[bytes]:
        raise SourceError("image.tar: missing blobs/sha256/abc")

    scan = read_layer(layer(b"", opener=missing), Scanner())
    assert scan.records == []
    assert [(n.layer, n.path, n.reason) for n in scan.not_scanned] == [(3, None, "image.tar: missing blobs/sha256/abc")]


def test_truncated_layer_keeps_the_entries_read_so_far():
    tar = kit.layer_tar([File("/a", b"x" * 600), File("/b", b"y" * 5000)])
    cut = tar[:2048]
    scan = read_layer(layer(cut), Scanner())
    assert [r.path for r in scan.records][:1] == ["/a"]
    assert len(scan.not_scanned) == 1 and scan.not_scanned[0].path is None
    assert scan.not_scanned[0].reason.startswith("layer unreadable after")


@pytest.mark.parametrize("compression", ["gzip", "zstd"])
def test_corrupt_compressed_layer_is_not_scanned(compression):
    tar = kit.layer_tar([File("/a", b"SECRET" * 200)])
    blob = kit.compress(tar, compression)
    broken = blob[:8] + bytes(b ^ 0xFF for b in blob[8:40]) + blob[40:]
    scan = read_layer(layer(broken, diff_id=kit.sha256(tar)), Scanner())
    assert len(scan.not_scanned) == 1 and scan.not_scanned[0].layer == 3


def test_a_garbled_blob_is_reported_as_a_digest_mismatch_not_as_the_tar_error_it_causes():
    tar = kit.layer_tar([File("/a", b"x" * 600)])
    blob = kit.compress(tar, "gzip")
    garbled = bytes(b ^ 0x5A for b in blob)  # no longer gzip, nor a tar: reading fails before the end
    scan = read_layer(layer(garbled, digest=kit.sha256(blob), diff_id=kit.sha256(tar)), Scanner())
    [reason] = [n.reason for n in scan.not_scanned]
    assert f"blob {kit.sha256(blob)}: digest mismatch" in reason
    intact_digest = read_layer(layer(garbled, diff_id=kit.sha256(tar)), Scanner())
    assert "digest mismatch" not in intact_digest.not_scanned[0].reason  # the blob is what it claims: a tar error


def test_a_gzip_blob_corrupt_after_its_header_is_reported_as_a_digest_mismatch():
    tar = kit.layer_tar([File(f"/data/{n}.txt", bytes([65 + n]) * (1 << 20)) for n in range(8)])
    blob = kit.compress(tar, "gzip")
    garbled = blob[:len(blob) // 2] + bytes(b ^ 0x5A for b in blob[len(blob) // 2:])  # inflates, then fails
    scan = read_layer(layer(garbled, digest=kit.sha256(blob), diff_id=kit.sha256(tar)), Scanner())
    [reason] = [n.reason for n in scan.not_scanned]
    assert f"blob {kit.sha256(blob)}: digest mismatch" in reason


def test_identity_is_the_pair_of_digests_checked_on_the_whole_blob():
    tar = kit.layer_tar([File("/a", b"a\n"), File("/b", b"b\n")])
    gz = kit.compress(tar, "gzip")
    diff_id = kit.sha256(tar)
    scan = read_layer(layer(gz, diff_id=diff_id), Scanner())
    assert scan.identity == (kit.sha256(gz), diff_id)
    scan = read_layer(layer(tar, digest=diff_id, diff_id=diff_id), Scanner())  # stored uncompressed
    assert scan.identity == (diff_id, diff_id)
    # no identity when a digest went unchecked: a compressed blob named by its diff_id, no diff_id, a limit hit
    assert read_layer(layer(gz, digest=diff_id, diff_id=diff_id), Scanner()).identity is None
    assert read_layer(layer(gz), Scanner()).identity is None
    assert read_layer(layer(gz, diff_id=diff_id), Scanner(), max_entries=1).identity is None
    assert read_layer(layer(gz, diff_id=kit.sha256(b"other")), Scanner()).identity is None


class Slow(io.RawIOBase):
    """A blob that arrives slowly and never ends (a stalled disk, a FIFO): a page every `every` seconds."""

    def __init__(self, head: bytes, every: float) -> None:
        self._head, self._every = head, every

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        time.sleep(self._every)
        data, self._head = (self._head or b"\0" * 512)[:len(buffer)], self._head[len(buffer):]
        buffer[:len(data)] = data
        return len(data)


def test_slow_local_reading_ends_at_the_deadline_and_is_never_taken_for_not_scanned():
    tar = kit.layer_tar([File("/a", b"x" * 100)])[:-1024]  # no end-of-archive blocks: zeros follow slowly
    slow = layer(b"", opener=lambda: Slow(tar, 0.05))
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        read_layer(slow, Scanner(), deadline=Deadline.after(0.5))
    assert time.monotonic() - started < 2


def test_compressed_bytes_are_capped_too_so_padding_cannot_run_on():
    tar = kit.layer_tar([File("/a", b"x")])
    read: list[int] = []

    class Padded(io.RawIOBase):
        """The gzip'd layer, then zeros without end: gzip skips them, adding no uncompressed byte."""

        def __init__(self) -> None:
            self._head = kit.compress(tar, "gzip")

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            data, self._head = (self._head or bytes(len(buffer)))[:len(buffer)], self._head[len(buffer):]
            buffer[:len(data)] = data
            read.append(len(data))
            if sum(read) > 64 << 20:
                raise AssertionError("read 64 MiB of padding")
            return len(data)

    scan = read_layer(layer(b"", diff_id=kit.sha256(tar), opener=Padded), Scanner(), max_layer_bytes=1 << 20)
    assert [(n.limit, "holds more than" in n.reason) for n in scan.not_scanned] == [("max-layer-bytes", True)]
    assert sum(read) <= compressed_cap(1 << 20) + (1 << 20)


class _Later:
    """A deferred result that is in once `arrived` is set, counting how often it is asked."""

    def __init__(self) -> None:
        self.arrived = False
        self.asked = 0

    def done(self) -> bool:
        self.asked += 1
        return self.arrived

    def result(self) -> list[Hit]:
        return []


def test_ready_asks_about_each_deferred_hit_until_it_is_in_and_never_after():
    parts = [_Later() for _ in range(5)]
    scan = LayerScan(index=0, deferred=dict(enumerate(parts)))  # type: ignore[arg-type]
    parts[0].arrived = parts[1].arrived = True
    assert not scan.ready()
    assert not scan.ready()
    assert [p.asked for p in parts] == [1, 1, 2, 0, 0]
    for part in parts:
        part.arrived = True
    assert scan.ready() and scan.ready()
    assert [p.asked for p in parts] == [1, 1, 3, 1, 1]


def test_between_is_called_before_every_entry_binary_or_text() -> None:
    """The scan pool's poll (`read_layer(between=...)`) runs before each entry, so a run of binary files,
    which are never submitted, still lets the workers start once the checks are compiled."""
    blob = kit.layer_tar([Dir("/bin"), File("/bin/tool", b"\x7fELF\x00\x01" * 100), File("/etc/motd", b"hi\n")])
    calls: list[int] = []
    scan = read_layer(layer(blob), lambda path, data: [], between=lambda: calls.append(1))
    assert len(calls) == len(scan.records) == 3


@pytest.mark.parametrize("early", [1 << 30, 10])
def test_a_big_files_hits_carry_the_digests_worked_out_while_it_was_scanned(early: int,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A file of EARLY_DIGESTS bytes or more is hashed on a thread during its scan: its hits carry the same
    digests as a small file's, computed after the scan; a file without hits carries none."""
    from auditor import layers
    from auditor.model import FileDigests

    monkeypatch.setattr(layers, "EARLY_DIGESTS", early)
    data = b"token = abc\n" * 50
    scan = layers.with_digests(lambda path, text: [Hit(RuleId("r"), 1, "abc", "m")] if b"abc" in text else [])
    assert [hit.digests for hit in scan("/f", data)] == [FileDigests.of(data)]
    assert scan("/g", b"nothing here\n" * 50) == []


@pytest.mark.parametrize("data, expected", [
    (b"a" * 8000 + "\u00e9".encode() + b"b" * 10, 8001),  # cut inside a character at the limit: text, too long
    (b"a" * 5000 + b"\xff" + b"a" * 5000, None),  # binary after the first page, before the limit: binary
])
def test_a_file_over_the_limit_is_counted_only_when_what_was_read_is_text(data, expected):
    assert read_text(_Member(data), limit=8000, size=len(data)) == expected
