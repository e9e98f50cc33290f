"""Stream one layer's tar: record every entry it adds and hand each text file's bytes to the scanner.

Nothing is written to disk; each file's content is held in memory only up to `max_file_bytes`. A file
that starts like an archive (zip, jar, wheel, tar, tar.gz, ...: `auditor.nested.kind`, on the bytes the
reader holds already) is read whole instead, up to `NestedLimits.total_bytes`, and each of its text
members goes to the scanner, its hits marked with the member's path (`Hit.member`). Given `scan_archive`
(`parallel.ScanPool.submit_archive`), the whole archive goes to a worker instead, which reads its members
and scans them there (`scan_archive`): reading a jar's thousands of members is work the reader would
otherwise do alone while the workers wait; `LayerScan.file_archives` files what came back.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import itertools
import tarfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from auditor import compression, nested, tarstream
from auditor.compression import CHUNK, DigestReader, decompress
from auditor.deadline import NO_DEADLINE, Deadline, DeadlineReader
from auditor.errors import DeadlineExceeded, DigestError, SourceError
from auditor.limits import (
    DEFAULT_MAX_ENTRIES,
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_LAYER_BYTES,
    ENTRIES_FLAG,
    FILE_FLAG,
    CappedReader,
    LimitExceeded,
    compressed_cap,
)
from auditor.model import FileDigests, Hit, Kind, Layer, Marker, NotScanned
from auditor.names import clean
from auditor.ownership.databases import is_database
from auditor.utf8 import is_utf8
from auditor.walk import classify

# What makes a layer unreadable (its entries so far kept, the rest not read): a broken tar, stream or blob.
UNREADABLE: tuple[type[BaseException], ...] = (tarfile.TarError, EOFError, OSError, *compression.ERRORS, SourceError)


class Deferred(Protocol):
    """Hits that another process is still computing (`parallel.Pending`)."""

    def result(self) -> list[Hit]: ...

    def done(self) -> bool: ...


ScanFile = Callable[[str, bytes], "list[Hit] | Deferred"]

MAX_DATABASE_BYTES = 256 << 20  # a package database kept for the ledger (an rpmdb.sqlite of a big image: ~100 MB)


EARLY_DIGESTS = 4 << 20  # bytes: a file this large is hashed while it is scanned, on a thread of its own


def with_digests(scan_file: Callable[[str, bytes], list[Hit]]) -> Callable[[str, bytes], list[Hit]]:
    """`scan_file`, whose hits carry their file's digests (`FileDigests`): computed from the bytes at
    hand (in the worker that scans them), and only for a file with hits, so the package ledger can judge
    it without hashing every file. A file of EARLY_DIGESTS bytes or more is hashed on a thread while it
    is scanned (hashing frees the GIL): the last big file of an image is scanned by one worker alone,
    and its three digests took that worker 0.13 s more (a 32 MB apt index)."""

    def scan(path: str, data: bytes) -> list[Hit]:
        if len(data) >= EARLY_DIGESTS:
            hits, digests = _hashed_while(scan_file, path, data)
        else:
            hits, digests = scan_file(path, data), None
        if not hits:
            return hits
        digests = digests or FileDigests.of(data)
        return [replace(hit, digests=digests) for hit in hits]

    return scan


def _hashed_while(scan_file: Callable[[str, bytes], list[Hit]], path: str, data: bytes,
                  ) -> tuple[list[Hit], FileDigests]:
    """`scan_file(path, data)`, and the file's digests, computed on a thread meanwhile (hashing frees the GIL)."""
    early: list[FileDigests] = []
    hashing = threading.Thread(target=lambda: early.append(FileDigests.of(data)), name="digests", daemon=True)
    hashing.start()
    try:
        hits = scan_file(path, data)
    finally:
        hashing.join()
    return hits, early[0] if early else FileDigests.of(data)


@dataclass(frozen=True)
class Split:
    """One file's scan in parts that run at once on several workers: a big file's checks shared among
    them (the bench image's last file, a 32 MB apt index, kept one worker busy alone for 0.5-0.75 s).
    Each part scans the whole file with some of the checks; `merge` of their hits, in part order, is
    what `scan_file` gives. The last part also hashes the file (`with_digests`, on a thread of its own)."""

    parts: tuple[Callable[[str, bytes], list[Hit]], ...]
    merge: Callable[[list[Hit]], list[Hit]]

    def scan(self, path: str, data: bytes, part: int) -> tuple[list[Hit], FileDigests | None]:
        """Part `part`'s hits, and the file's digests from the last part."""
        if part < len(self.parts) - 1:
            return self.parts[part](path, data), None
        return _hashed_while(self.parts[part], path, data)

    def join(self, results: list[tuple[list[Hit], FileDigests | None]]) -> list[Hit]:
        """The whole scan's hits from every part's result, in part order, with their file's digests."""
        hits = self.merge([hit for part, _ in results for hit in part])
        digests = results[-1][1]
        return [replace(hit, digests=digests) for hit in hits] if hits and digests is not None else hits


class Members:
    """The hits of an archive file's members, each marked with its member's path (some still deferred)."""

    def __init__(self, parts: list[tuple[str, list[Hit] | Deferred]]) -> None:
        self._parts = parts

    def result(self) -> list[Hit]:
        return [replace(hit, member=member) for member, part in self._parts
                for hit in (part if isinstance(part, list) else part.result())]

    def done(self) -> bool:
        return all(isinstance(part, list) or part.done() for _, part in self._parts)


@dataclass(frozen=True, slots=True)
class Record:
    """One tar entry of a layer, as stored (markers included)."""

    path: str
    kind: Kind | Marker
    size: int
    mode: int
    link: str | None
    target: int | None = None  # for a hard link: the position of its target's record in this layer


@dataclass(frozen=True, slots=True)
class ArchiveMember:
    """A text member of an archive file, for the path rules: its path in the archive and its size."""

    path: str
    size: int


@dataclass(frozen=True, slots=True)
class ArchiveScan:
    """What an archive file's members gave (`scan_archive`): its text members, what could not be read in it,
    and its members' hits, each marked with its member's path."""

    members: list[ArchiveMember]
    skipped: list[nested.Skip]
    hits: list[Hit]


class DeferredArchive(Protocol):
    """An `ArchiveScan` that a worker is still computing (`parallel.Pending`)."""

    def result(self) -> ArchiveScan: ...

    def done(self) -> bool: ...


ScanArchive = Callable[[str, bytes], "ArchiveScan | DeferredArchive"]


def scan_archive(path: str, data: bytes, *, scan_file: Callable[[str, bytes], list[Hit]],
                 limits: nested.NestedLimits) -> ArchiveScan:
    """Read the archive file `data` at `path` and scan its text members with `scan_file` (in a worker:
    `parallel.ScanPool.submit_archive`)."""
    members, skipped, parts = _expand(path, data, scan_file, limits)
    return ArchiveScan(members, skipped, Members(parts).result())


def _expand(path: str, data: bytes, scan_file: ScanFile, limits: nested.NestedLimits,
            ) -> tuple[list[ArchiveMember], list[nested.Skip], list[tuple[str, list[Hit] | Deferred]]]:
    """An archive's text members, what could not be read in it, and each member's hits from `scan_file`."""
    members: list[ArchiveMember] = []
    skipped: list[nested.Skip] = []
    parts: list[tuple[str, list[Hit] | Deferred]] = []
    for item in nested.members(data, limits):
        if isinstance(item, nested.Skip):
            skipped.append(item)
        else:
            parts.append((item.path, scan_file(f"{path}!{item.path}", item.data)))  # type: ignore[arg-type]  # bytes-like
            members.append(ArchiveMember(item.path, len(item.data)))
    return members, skipped, parts


@dataclass(frozen=True, slots=True)
class _SentArchive:
    """An archive file gone to a worker: its record's position, where its skips go in `not_scanned`."""

    position: int
    at: int
    path: str
    outcome: ArchiveScan | DeferredArchive


@dataclass
class LayerScan:
    """What reading one layer produced."""

    index: int
    records: list[Record] = field(default_factory=list)
    hits: dict[int, list[Hit]] = field(default_factory=dict)  # record position -> content hits
    deferred: dict[int, Deferred] = field(default_factory=dict, repr=False)  # hits still being computed
    members: dict[int, list[ArchiveMember]] = field(default_factory=dict)  # record position -> its text members
    latest: dict[str, int] = field(default_factory=dict, repr=False)  # path -> position of its latest record
    not_scanned: list[NotScanned] = field(default_factory=list)
    databases: dict[int, bytes] = field(default_factory=dict, repr=False)  # record position -> package database
    digests: dict[int, FileDigests] = field(default_factory=dict, repr=False)  # hash_files: every regular file's
    compression: str | None = None
    bytes_read: int = 0
    # (blob digest, diff_id) that the bytes were checked against while reading them whole (or, for a
    # scan from the cache, at lookup); None when not both were: such a scan is never cached
    identity: tuple[str, str] | None = None
    _in: int = field(default=0, repr=False)  # how many of `deferred`, in order, `ready` found done
    archives: list[_SentArchive] = field(default_factory=list, repr=False)  # read in a worker, not filed yet

    def ready(self) -> bool:
        """Whether every deferred hit is in (`resolve` would not wait). Asked again and again while the
        workers finish: a hit found in stays in, so each is asked about until it is in, then never again."""
        for pending in itertools.islice(self.deferred.values(), self._in, None):
            if not pending.done():
                return False
            self._in += 1
        return all(isinstance(sent.outcome, ArchiveScan) or sent.outcome.done() for sent in self.archives)

    def file_archives(self) -> None:
        """Wait for the archives read in workers and file what they gave: their members, their hits, and
        what could not be read in them, in `not_scanned` where reading the layer met it."""
        shift = 0
        for sent in self.archives:
            scanned = sent.outcome if isinstance(sent.outcome, ArchiveScan) else sent.outcome.result()
            skipped = [_skipped(self.index, sent.path, item) for item in scanned.skipped]
            self.not_scanned[sent.at + shift:sent.at + shift] = skipped
            shift += len(skipped)
            if scanned.members:
                self.members[sent.position] = scanned.members
            if scanned.hits:
                self.hits[sent.position] = scanned.hits
        self.archives.clear()

    def resolve(self) -> None:
        """Wait for the deferred hits (and archives) and file them with the others."""
        self.file_archives()
        for position, pending in sorted(self.deferred.items()):
            hits = pending.result()
            if hits:
                self.hits[position] = hits
        self.deferred.clear()
        self._in = 0


def _kind(info: tarfile.TarInfo) -> Kind:
    if info.isreg():
        return Kind.FILE
    if info.islnk():
        return Kind.HARDLINK
    if info.issym():
        return Kind.SYMLINK
    if info.isdir():
        return Kind.DIR
    return Kind.OTHER


SNIFF_BYTES = 4096  # most binary files show a byte that is not UTF-8 in their first page


def read_text(fileobj: tarstream.Reader, limit: int, size: int) -> bytearray | None | int:
    """Read a file's bytes if it is UTF-8 text (as detect-secrets would read it).

    Returns the bytes, None for binary content, or the number of bytes read when the text is longer
    than `limit` (not scanned). `size` (from the tar header) sizes the one buffer the bytes go into.
    """
    if not is_utf8(fileobj.peek(SNIFF_BYTES)[:SNIFF_BYTES], complete=False):  # most binary files show it in
        return None  # their first page: known before a buffer of their size is made
    buffer = bytearray(min(size, limit + 1))
    filled = 0
    with memoryview(buffer) as view:
        while filled < len(buffer):
            count = fileobj.readinto(view[filled:filled + CHUNK])
            if not count:
                break
            filled += count
    if filled < len(buffer):
        del buffer[filled:]
    if not is_utf8(buffer, complete=filled <= limit):  # checked once read: most text is ASCII, told at once
        return None
    return filled if filled > limit else buffer


def read_layer(layer: Layer, scan_file: ScanFile, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
               max_layer_bytes: int = DEFAULT_MAX_LAYER_BYTES, max_entries: int = DEFAULT_MAX_ENTRIES,
               deadline: Deadline = NO_DEADLINE, hash_files: bool = False, archives: bool = True,
               between: Callable[[], object] | None = None, scan_archive: ScanArchive | None = None) -> LayerScan:
    """Read every entry of `layer`, scanning text files (and, with `archives`, the text members of the
    archives in it, `auditor.nested`) and keeping the package databases the ledger reads
    (`auditor.ownership`), up to `MAX_DATABASE_BYTES` each, text or not; with `hash_files` (the inventory
    of `audit files`) every regular file's digests too. A failure becomes a `NotScanned`, never an error,
    except the deadline passing (checked before every read of the blob and every entry), which raises
    DeadlineExceeded: it ends the whole audit.

    Reading stops at `max_layer_bytes` uncompressed bytes (or `compressed_cap` of them compressed) or
    `max_entries` tar entries, with a `NotScanned` naming the limit (the entries read so far are kept).
    `archives` False leaves archive files unopened (a layer read for its entries only, e.g. --skip-base).
    `between` is called before each entry (`parallel.ScanPool.poll`: the workers start as soon as the
    checks are compiled, even while only binary files go by). `scan_archive`: archive files go to it whole
    (their members are read and scanned elsewhere; `LayerScan.file_archives` files the outcome)."""
    result = LayerScan(index=layer.index)
    nested_limits = nested.NestedLimits.scaled(max_file_bytes) if archives else None
    try:
        raw = DeadlineReader(layer.opener(), deadline)
    except SourceError as exc:
        result.not_scanned.append(NotScanned(reason=str(exc), layer=layer.index))
        return result
    blob_digest = layer.digest if layer.digest != layer.diff_id else None
    blob = CappedReader(raw, compressed_cap(max_layer_bytes), f"layer {layer.index} blob",  # type: ignore[arg-type]
                        verb="holds")
    outer = DigestReader(blob, blob_digest, f"layer {layer.index} blob {layer.digest}")  # type: ignore[arg-type]
    try:
        stream, result.compression = decompress(outer)  # type: ignore[arg-type]
        capped = CappedReader(stream, max_layer_bytes, f"layer {layer.index}")
        inner = DigestReader(capped, layer.diff_id, f"layer {layer.index} (diff_id {layer.diff_id})")  # type: ignore[arg-type]
        with tarstream.open_tar(io.BufferedReader(inner, CHUNK)) as tar:
            for count, info in enumerate(tar, 1):
                deadline.check()
                if between is not None:
                    between()
                tar.members = []  # type: ignore[attr-defined]  # stream mode keeps every header otherwise
                if count > max_entries:
                    raise LimitExceeded(ENTRIES_FLAG, f"layer {layer.index} has more than {max_entries} entries; "
                                        "the rest not read")
                _record(tar, info, result, scan_file, max_file_bytes, hash_files, nested_limits, scan_archive)
        inner.verify()
        outer.verify()
        result.bytes_read = inner.count
        result.identity = _identity(outer, inner, result.compression)
    except LimitExceeded as exc:
        result.bytes_read = capped.count
        result.not_scanned.append(NotScanned(reason=str(exc), layer=layer.index, limit=exc.flag))
    except UNREADABLE as exc:
        deadline.check()  # a blob cut short when the deadline passed: that ends the audit
        detail = _blob_mismatch(outer) or str(exc) or type(exc).__name__
        result.not_scanned.append(
            NotScanned(
                reason=f"layer unreadable after {len(result.records)} entries: {detail}",
                layer=layer.index,
            )
        )
    finally:
        outer.close()
    return result


def _skipped(layer: int, path: str, item: nested.Skip) -> NotScanned:
    """What could not be read in the archive file at `path`, as a `NotScanned` at `path!member`."""
    return NotScanned(reason=item.reason, layer=layer, path=f"{path}!{item.path}" if item.path else path,
                      limit=item.limit)


def _identity(outer: DigestReader, inner: DigestReader, compression: str | None) -> tuple[str, str] | None:
    """What the layer's bytes were checked to be: the blob's digest (checked on the blob, or, for a blob
    stored uncompressed, the diff_id checked on those very bytes) and its diff_id."""
    blob = outer.checked or (inner.checked if compression == "tar" else None)
    return (blob, inner.checked) if blob and inner.checked else None


def _blob_mismatch(outer: DigestReader) -> str | None:
    """Why a layer failed to read when its blob is not what its digest says: that is the cause to report
    (a tampered or corrupt blob), not the tar or decompression error it led to."""
    try:
        outer.verify()
    except DigestError as exc:
        return str(exc)
    except DeadlineExceeded:
        raise
    except Exception:  # noqa: BLE001 - the blob cannot be drained either; keep the first error
        return None
    return None


def _record(tar: tarfile.TarFile, info: tarfile.TarInfo, result: LayerScan, scan_file: ScanFile, limit: int,
            hash_files: bool = False, nested_limits: nested.NestedLimits | None = None,
            scan_archive: ScanArchive | None = None) -> None:
    path = clean(info.name)
    kind = _kind(info)
    link: str | None = None
    if kind is Kind.HARDLINK:
        link = clean(info.linkname)
    if path is None or (kind is Kind.HARDLINK and link is None):
        what = "entry name" if path is None else f"hard-link target {info.linkname!r}"
        result.not_scanned.append(  # an engine may still extract it (see auditor.names): the audit is incomplete
            NotScanned(reason=f"{what} escapes the image root once cleaned; entry not read", layer=result.index,
                       path=info.name, fatal=True)
        )
        return
    change = classify(path, kind)
    if change is None:
        return
    path, marker_or_kind = change
    target: int | None = None
    if kind is Kind.HARDLINK:
        target = result.latest.get(link) if link else None
    elif kind is Kind.SYMLINK:
        link = info.linkname
    position = len(result.records)
    result.records.append(Record(path, marker_or_kind, info.size if kind is Kind.FILE else 0, info.mode, link, target))
    if not isinstance(marker_or_kind, Marker):
        result.latest[path] = position
    if marker_or_kind is not Kind.FILE or info.size == 0:
        return
    fileobj = tarstream.member(tar, info)
    if fileobj is None:
        return
    content: bytes | bytearray | int | None
    if hash_files or is_database(path):
        content = _read_whole(fileobj, info.size, path, position, result, limit, hash_files)
    # peeking reads no byte that reading the text would not
    elif nested_limits and nested.kind(fileobj.peek(nested.HEAD)[:nested.HEAD]):
        _archive(fileobj, info.size, path, position, result, scan_file, nested_limits, scan_archive)
        return
    else:
        content = read_text(fileobj, limit, info.size)
    if content is None:
        return
    if isinstance(content, int):
        result.not_scanned.append(
            NotScanned(
                reason=f"text file larger than {limit} bytes; content not scanned",
                layer=result.index,
                path=path,
                limit=FILE_FLAG,
            )
        )
        return
    hits = scan_file(path, content)  # type: ignore[arg-type]  # any bytes-like buffer: a copy would double it
    if isinstance(hits, list):
        if hits:
            result.hits[position] = hits
    else:
        result.deferred[position] = hits


def _read_whole(fileobj: tarstream.Reader, size: int, path: str, position: int, result: LayerScan, limit: int,
                hash_files: bool) -> bytes | None | int:
    """Read a package database (kept in `result.databases`) or, with `hash_files`, any file (its digests
    kept in `result.digests`), and say what `read_text` would have: the bytes if they are UTF-8 text up to
    `limit`, None, or the length of text too long to scan. Only a database's bytes are ever all held."""
    database = is_database(path)
    keep = database and size <= MAX_DATABASE_BYTES
    if database and not keep:
        result.not_scanned.append(NotScanned(reason=f"package database larger than {MAX_DATABASE_BYTES} bytes; "
                                             "the files it lists count as not packaged", layer=result.index, path=path))
    hold = keep or size <= limit
    hashers = [hashlib.md5(), hashlib.sha1(), hashlib.sha256()] if hash_files else []
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    text = True
    chunks: list[bytes] = []
    count = 0
    while chunk := fileobj.read(CHUNK):
        count += len(chunk)
        for hasher in hashers:
            hasher.update(chunk)
        if hold:
            chunks.append(chunk)
        elif text:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                text = False
    if hashers:
        result.digests[position] = FileDigests(*(hasher.hexdigest() for hasher in hashers))
    if not hold:
        return count if text else None
    data = b"".join(chunks)
    if keep:
        result.databases[position] = data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return len(data) if len(data) > limit else data


def _archive(fileobj: tarstream.Reader, size: int, path: str, position: int, result: LayerScan,
             scan_file: ScanFile, limits: nested.NestedLimits, scan_archive: ScanArchive | None = None) -> None:
    """Scan the text members of the archive file at `path` (`auditor.nested`), here or, given
    `scan_archive`, in a worker; what they could not be scanned for becomes a `NotScanned` at
    `path!member`."""
    if size > limits.total_bytes:
        result.not_scanned.append(NotScanned(reason=f"archive larger than {limits.total_bytes} bytes; its members "
                                             "not scanned", layer=result.index, path=path, limit=nested.NESTED_FLAG))
        return
    if scan_archive is not None:
        result.archives.append(_SentArchive(position, len(result.not_scanned), path,
                                            scan_archive(path, fileobj.read(size))))
        return
    members, skipped, parts = _expand(path, fileobj.read(size), scan_file, limits)
    result.not_scanned.extend(_skipped(result.index, path, item) for item in skipped)
    if members:
        result.members[position] = members
    if all(isinstance(part, list) for _, part in parts):
        hits = Members(parts).result()
        if hits:
            result.hits[position] = hits
    elif parts:
        result.deferred[position] = Members(parts)
