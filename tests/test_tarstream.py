"""`tarstream`: tarfile's headers over a forward-only stream, each member's bytes read straight from it."""

from __future__ import annotations

import io
import random
import tarfile

import pytest

from auditor import tarstream
from testing import imagekit as kit


def _tar(files: list[tuple[str, bytes]]) -> bytes:
    return kit.layer_tar([*(kit.File(name, data) for name, data in files), kit.Symlink("link", "a" * 200)])


def _stream(data: bytes) -> io.BufferedReader:
    return io.BufferedReader(io.BytesIO(data), 4096)  # type: ignore[arg-type]


def test_each_member_reads_as_tarfile_reads_it_however_its_bytes_are_asked_for() -> None:
    rng = random.Random(7)
    sizes = [0, 1, 511, 512, 513, 4095, 4096, 70_000, (1 << 20) + 3]
    files = [(f"dir/{'n' * (150 if i % 3 else 5)}{i}", rng.randbytes(size)) for i, size in enumerate(sizes)]
    blob = _tar(files)
    seen = []
    with tarstream.open_tar(_stream(blob)) as tar:
        for index, info in enumerate(tar):
            reader = tarstream.member(tar, info)
            if reader is None:
                seen.append((info.name, None))
                continue
            if index % 3 == 2:  # a reader that stops early: the walk goes on at the next header
                seen.append((info.name, reader.read(100)))
                continue
            head = reader.peek(10)[:10]
            buffer = bytearray(info.size)
            with memoryview(buffer) as view:
                filled = 0
                while filled < len(buffer):
                    filled += reader.readinto(view[filled:filled + 1000])
            assert reader.read() == b"" and buffer.startswith(head)
            seen.append((info.name, bytes(buffer)))
    expected = [(name, data[:100] if i % 3 == 2 else data) for i, (name, data) in enumerate(files)]
    assert seen == [*expected, ("link", None)]


def test_a_member_cut_short_by_the_end_of_the_stream_is_a_read_error() -> None:
    blob = _tar([("big", b"x" * 5000)])[:512 + 1000]  # its header (no PAX one), then 1000 of its 5000 bytes
    with tarstream.open_tar(_stream(blob)) as tar:
        info = next(iter(tar))
        reader = tarstream.member(tar, info)
        assert reader is not None
        with pytest.raises(tarfile.ReadError, match="unexpected end of data"):
            reader.read(5000)


def test_the_stream_only_goes_forward() -> None:
    forward = tarstream.Forward(_stream(bytes(10_000)))
    assert forward.seek(3000) == 3000 and forward.read(10) == bytes(10) and forward.tell() == 3010
    with pytest.raises(tarfile.StreamError):
        forward.seek(3000)
