"""The floor: read and decompress every layer byte and walk every tar entry, doing nothing else.

    python bench/floor.py docker-archive:IMAGE.tar | oci:DIR[:TAG] | oci-archive:FILE[:TAG] [--sha256]

A separate implementation from `auditor` on purpose (standard library plus zstandard for zstd blobs and
ISA-L's `isal` for gzip when installed, the fastest inflater here, as `audit` uses it; `--zlib` forces the
standard library's): each layer blob is streamed from the archive or layout, decompressed in memory (gzip
or zstd, sniffed from the magic bytes), and its tar is iterated with `tarfile` in stream mode, reading every
member's bytes in 1 MiB chunks and throwing them away. `--sha256` also hashes the blob and the uncompressed tar (what a
digest-checking reader must add). Prints one JSON object: layers, entries, compressed and uncompressed
bytes, seconds.

`extract()` (used by run.py for the detect-secrets row) walks the same streams and writes each layer's
regular files under DEST/layerNN/.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import time
from collections.abc import Callable, Iterator, Sequence
from typing import IO

CHUNK = 1 << 20


class Counter(io.RawIOBase):
    """Count (and optionally hash) the bytes read through it."""

    def __init__(self, inner: IO[bytes], sha256: bool = False) -> None:
        self.inner = inner
        self.count = 0
        self.hash = hashlib.sha256() if sha256 else None

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        data = self.inner.read(size)
        self.count += len(data)
        if self.hash is not None:
            self.hash.update(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class Store:
    """Named files of an archive (a tar) or a directory."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.tar = None if os.path.isdir(path) else tarfile.open(path, "r:")  # noqa: SIM115 - closed by close()

    def read(self, name: str) -> bytes:
        with self.open(name) as handle:
            return handle.read()

    def open(self, name: str) -> IO[bytes]:
        if self.tar is None:
            return open(os.path.join(self.path, name), "rb")
        handle = self.tar.extractfile(os.path.normpath(name))  # follows the symlinks `docker save` writes
        if handle is None:
            raise SystemExit(f"floor: {name}: not a file in {self.path}")
        return handle  # type: ignore[return-value]

    def close(self) -> None:
        if self.tar is not None:
            self.tar.close()


def _blob(digest: str) -> str:
    algorithm, hexdigest = digest.split(":", 1)
    return f"blobs/{algorithm}/{hexdigest}"


def _oci_layers(store: Store, tag: str | None) -> list[str]:
    index = json.loads(store.read("index.json"))
    while True:
        manifests = index.get("manifests", [])
        if tag is not None:
            named = [m for m in manifests if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
            manifests = named or manifests
        amd64 = [m for m in manifests if m.get("platform", {}).get("architecture") in (None, "amd64")]
        chosen = (amd64 or manifests)[0]
        doc = json.loads(store.read(_blob(chosen["digest"])))
        if "layers" in doc:
            return [_blob(layer["digest"]) for layer in doc["layers"]]
        index, tag = doc, None


def parse_ref(ref: str) -> tuple[str, str, str | None]:
    """(transport, path, tag) of a docker-archive:, oci: or oci-archive: reference (or a bare path)."""
    for transport in ("docker-archive", "oci-archive", "oci"):
        if ref.startswith(transport + ":"):
            rest = ref[len(transport) + 1:]
            path, tag = rest, None
            if transport != "docker-archive" and not os.path.exists(rest) and ":" in rest:
                path, tag = rest.rsplit(":", 1)
            return transport, path, tag
    if os.path.isdir(ref):
        return "oci", ref, None
    with tarfile.open(ref, "r:") as tar:
        names = set(tar.getnames())
    return ("docker-archive" if "manifest.json" in names else "oci-archive"), ref, None


@contextlib.contextmanager
def layers(ref: str) -> Iterator[list[tuple[str, Callable[[], IO[bytes]]]]]:
    """The image's layer blobs, base first: (name, opener of the raw blob)."""
    transport, path, tag = parse_ref(ref)
    store = Store(path)
    try:
        if transport == "docker-archive":
            names = json.loads(store.read("manifest.json"))[0]["Layers"]
        else:
            names = _oci_layers(store, tag)
        yield [(name, lambda name=name: store.open(name)) for name in names]  # type: ignore[misc]
    finally:
        store.close()


USE_ZLIB = False  # --zlib


def decompress(raw: IO[bytes]) -> tuple[IO[bytes], str]:
    """Uncompressed bytes of a blob, the compression sniffed from its magic bytes."""
    buffered = io.BufferedReader(raw, CHUNK)  # type: ignore[arg-type,type-var]
    head = buffered.peek(4)[:4]
    if head.startswith(b"\x1f\x8b"):
        if not USE_ZLIB:
            try:
                from isal import igzip

                return igzip.IGzipFile(fileobj=buffered, mode="rb"), "gzip"  # type: ignore[return-value]
            except ImportError:
                pass
        return gzip.GzipFile(fileobj=buffered, mode="rb"), "gzip"  # type: ignore[return-value]
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(buffered, read_size=CHUNK, read_across_frames=True)
        return io.BufferedReader(reader, CHUNK), "zstd"  # type: ignore[arg-type]
    return buffered, "tar"


def walk(ref: str, sha256: bool = False,
         visit: Callable[[int, tarfile.TarFile, tarfile.TarInfo], None] | None = None) -> dict[str, object]:
    """Stream every layer of `ref`, reading every member's bytes (or handing it to `visit`)."""
    started = time.perf_counter()
    totals: dict[str, object] = {"ref": ref, "layers": 0, "entries": 0, "file_bytes": 0, "tar_bytes": 0,
                                 "blob_bytes": 0, "compression": {}}
    compression: dict[str, int] = totals["compression"]  # type: ignore[assignment]
    with layers(ref) as blobs:
        for index, (_, opener) in enumerate(blobs):
            outer = Counter(opener(), sha256)
            stream, kind = decompress(outer)  # type: ignore[arg-type]
            compression[kind] = compression.get(kind, 0) + 1
            if kind == "tar":
                outer.hash = None  # the blob is the tar: hash it once
            inner = Counter(stream, sha256)
            with tarfile.open(fileobj=inner, mode="r|") as tar:  # type: ignore[call-overload]
                for info in tar:
                    tar.members = []  # type: ignore[attr-defined]  # stream mode keeps every header otherwise
                    totals["entries"] += 1  # type: ignore[operator]
                    if visit is not None:
                        visit(index, tar, info)
                    elif info.isreg():
                        handle = tar.extractfile(info)
                        assert handle is not None
                        while chunk := handle.read(CHUNK):
                            totals["file_bytes"] += len(chunk)  # type: ignore[operator]
            while inner.read(CHUNK):  # the tar's end blocks and padding
                pass
            while outer.read(CHUNK):
                pass
            totals["layers"] += 1  # type: ignore[operator]
            totals["tar_bytes"] += inner.count  # type: ignore[operator]
            totals["blob_bytes"] += outer.count  # type: ignore[operator]
            outer.inner.close()
    totals["seconds"] = round(time.perf_counter() - started, 3)
    return totals


def extract(ref: str, dest: str) -> dict[str, object]:
    """Write every layer's regular files (including ones later layers delete) under dest/layerNN/.

    Links are not created or followed, devices and whiteout markers are skipped; file mode 0644."""
    written = {"files": 0, "bytes": 0}

    def visit(index: int, tar: tarfile.TarFile, info: tarfile.TarInfo) -> None:
        if not info.isreg():
            return
        parts = [p for p in info.name.split("/") if p not in ("", ".")]
        if not parts or ".." in parts or parts[-1].startswith(".wh."):
            return
        target = os.path.join(dest, f"layer{index:02d}", *parts)
        parent = os.path.dirname(target)
        try:
            os.makedirs(parent, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            return  # a file of this layer stands where a directory would go
        source = tar.extractfile(info)
        assert source is not None
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(target, flags, 0o644)
        except IsADirectoryError:
            return  # a directory of this layer stands at this path
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK):
                out.write(chunk)
                written["bytes"] += len(chunk)
        written["files"] += 1

    totals = walk(ref, visit=visit)
    totals.update(extracted_files=written["files"], extracted_bytes=written["bytes"])
    return totals


def main(argv: Sequence[str] | None = None) -> int:
    """Walk one image and print the totals as JSON."""
    parser = argparse.ArgumentParser(prog="floor.py",
                                     description="Read, decompress and walk every layer; nothing else.")
    parser.add_argument("ref", help="docker-archive:PATH, oci:DIR[:TAG], oci-archive:PATH[:TAG] or a path")
    parser.add_argument("--sha256", action="store_true", help="also hash every blob and uncompressed layer")
    parser.add_argument("--zlib", action="store_true", help="inflate gzip with the standard library, not isal")
    args = parser.parse_args(argv)
    global USE_ZLIB
    USE_ZLIB = args.zlib
    json.dump(walk(args.ref, args.sha256), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
