"""The ledger: what the image's package databases say about a file, as of the layer the file is in.

Fed every package database file the layer walk meets (`feed`, base layer first) and every deletion
(`delete`), it answers `verdict(path, layer, digests)`:

- UNMODIFIED: a record for `path` in force at that layer has the file's digest: package content as
  shipped, which can hold test keys and sample tokens but never a secret planted in this image.
- MODIFIED: records exist but none matches: someone changed a package file (an edited conffile is
  where a real password goes).
- PACKAGED_UNVERIFIED: no record, but the file is inside a package directory with no per-file digests
  (node_modules, Go module cache): probably package content, unproven.
- NOT_PACKAGED: nothing in force claims the file.

The layer-state rule. Each database file has versions: the one a layer writes is in force from that
layer until a later layer rewrites or deletes it. A file added in layer L is judged against the versions
in force at L, which include the databases layer L itself writes, in whatever order the tar lists them
(so the caller must have fed every database file of layer L before asking; simplest is to ask after the
walk). A database rewritten in a later layer does not judge an earlier layer's file: by then the file
may have been replaced, and the record describe the replacement. One exception: when nothing in force at
L records the file and the caller says the file is still visible in the final image (`visible=True`),
the records in force after the last layer are used. Layering tools such as apko put package files in
lower layers and the database only in the top one; the final database does describe the final files.
Hidden files get no fallback, and directory owners none at all: an unverified claim from another layer
is too weak to lean on.

A match is trustworthy whatever layer it came from: equal digests mean the bytes are those the
package shipped (forging a second file with a given MD5 is a preimage attack, out of reach), so the rule
only decides which records apply, never lets a changed file pass.

Merged /usr: Debian and Ubuntu databases list /bin/ls while the image (where /bin links to usr/bin)
stores /usr/bin/ls. When a path has no record at all, its alias across /bin, /sbin, /lib* <-> /usr/...
is looked up instead; a match is still a digest match.

Memory: ~50k records for a Debian image, up to a few hundred thousand for a large rpm image, and the
same database may be rewritten in every layer. A record is one bytes object (struct header plus raw
digest) in a dict keyed by path; a rewritten database whose record for a path did not change extends
the existing record's span instead of storing it again. Package names are interned.

Errors: a parser that raises (`UnsupportedDatabase`, or an unexpected bug on hostile bytes) costs that
database version its records and leaves a `Note`; the walk goes on and those files count as not
packaged, the conservative outcome. So do the caps on records.
"""

from __future__ import annotations

import enum
import hashlib
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from auditor.ownership.databases import parser_for
from auditor.ownership.interface import ALGORITHMS, DirectoryOwner, OwnershipError, Record

MAX_RECORDS_PER_DATABASE = 1_000_000  # a whole Fedora workstation's rpmdb holds ~400k files
MAX_RECORDS = 3_000_000  # all spans of all databases together, ~700 MB at worst
MAX_SPANS_PER_PATH = 64  # databases (or versions) claiming one path; more is crafted, and would cost O(n^2)

OPEN = 0xFFFFFFFF  # end of a span still in force after the last layer fed
_SPAN = struct.Struct("<IIIBI")  # database id, first layer, end layer (exclusive), algorithm, package id
_CONTENT = _SPAN.size - 5  # where algorithm + package + digest start: equal content, same record
_ALGORITHMS = list(ALGORITHMS)
_ALIASES = ("/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/libo32/")

Posting = bytes | tuple[bytes, ...]  # one span, or several (another database, an older version)


class Standing(str, enum.Enum):
    """How a file stands with the package databases."""

    NOT_PACKAGED = "not packaged"
    UNMODIFIED = "package file, unmodified"
    MODIFIED = "package file, modified"
    PACKAGED_UNVERIFIED = "packaged (unverified)"


@dataclass(frozen=True)
class Verdict:
    """A standing, with the package and manager (None for NOT_PACKAGED)."""

    standing: Standing
    package: str | None = None
    manager: str | None = None


NOT_PACKAGED = Verdict(Standing.NOT_PACKAGED)


@dataclass(frozen=True)
class Note:
    """A database (version) that yielded less than it holds, and why."""

    layer: int
    path: str
    reason: str


def digests_of(data: bytes) -> Callable[[str], str]:
    """A `digests` callback for bytes at hand: hex digest by hashlib name, each computed once."""
    memo: dict[str, str] = {}

    def digest(algorithm: str) -> str:
        if algorithm not in memo:
            memo[algorithm] = hashlib.new(algorithm, data).hexdigest()
        return memo[algorithm]

    return digest


class Ledger:
    """Package databases across the layers of one image; see the module docstring for the rules."""

    def __init__(self, *, max_records_per_database: int = MAX_RECORDS_PER_DATABASE,
                 max_records: int = MAX_RECORDS) -> None:
        self.notes: list[Note] = []
        self.max_records_per_database = max_records_per_database
        self.max_records = max_records
        self._files: dict[str, Posting] = {}
        self._dirs: dict[str, Posting] = {}
        self._spans = 0
        self._database_ids: dict[str, int] = {}
        self._database_names: list[str] = []  # by id
        self._database_dirs: set[str] = {"/"}  # every directory holding a database, at any depth
        self._fed_at: dict[int, int] = {}  # database id -> layer of its version in force
        self._open_files: dict[int, list[str]] = {}  # database id -> paths it has an open span for
        self._open_dirs: dict[int, list[str]] = {}
        self._packages: list[tuple[str, str]] = []
        self._package_ids: dict[tuple[str, str], int] = {}

    # --- feeding -------------------------------------------------------------------------------------

    def feed(self, layer: int, path: str, data: bytes) -> None:
        """Take the version of the database file at `path` (absolute, normalised) that `layer` writes.

        It replaces the version in force from `layer` on. Paths that are not databases are ignored.
        """
        parser = parser_for(path)
        if parser is None:
            return
        files: dict[str, bytes] = {}
        dirs: dict[str, bytes] = {}
        entries = parser(path, data)
        try:
            for count, entry in enumerate(entries):
                if count >= self.max_records_per_database:
                    self._note(layer, path, f"more than {self.max_records_per_database} records; the rest not read")
                    break
                if isinstance(entry, Record):
                    files[entry.path] = _content(_ALGORITHMS.index(entry.algorithm), self._package(entry),
                                                 bytes.fromhex(entry.digest))
                elif isinstance(entry, DirectoryOwner):
                    dirs[entry.path] = _content(0, self._package(entry), b"")
        except OwnershipError as exc:
            self._note(layer, path, str(exc))
        except Exception as exc:  # noqa: BLE001 - hostile bytes must not end the audit; judged conservatively
            files, dirs = {}, {}
            self._note(layer, path, f"could not be read ({type(exc).__name__}); its files count as not packaged")
        finally:
            close = getattr(entries, "close", None)
            if close is not None:
                close()
        self._replace(self._database_id(path), layer, files, dirs)

    def delete(self, layer: int, path: str) -> None:
        """`layer` removes `path` and everything under it (a whiteout, an opaque directory's lower content).

        Database versions written by earlier layers stop counting from `layer` on; one `layer` writes
        itself stays, whatever the order of the tar entries, as whiteouts only hide lower layers.
        """
        doomed = [path] if path in self._database_ids else []
        if path in self._database_dirs:  # rare (rm -rf node_modules): most whiteouts hold no database
            prefix = path.rstrip("/") + "/"
            doomed += [database for database in self._database_names if database.startswith(prefix)]
        for database in doomed:
            number = self._database_ids[database]
            if self._fed_at.get(number, layer) < layer:
                self._replace(number, layer, {}, {})

    # --- judging -------------------------------------------------------------------------------------

    def verdict(self, path: str, layer: int, digests: Callable[[str], str], *, visible: bool = False) -> Verdict:
        """How the file at `path` (absolute, normalised) added by `layer` stands; see the module docstring.

        `digests(algorithm)` returns the file's hex digest for a hashlib algorithm name, or "" when it
        cannot (no match); it is called only when a record applies, at most once per algorithm.
        """
        spans = self._spans_for(path, layer, visible)
        if spans:
            seen: dict[int, str] = {}
            for span in spans:
                algorithm = span[_CONTENT]
                if algorithm not in seen:
                    seen[algorithm] = digests(_ALGORITHMS[algorithm]).lower()
                if seen[algorithm] == span[_SPAN.size:].hex():
                    return self._verdict(Standing.UNMODIFIED, span)
            return self._verdict(Standing.MODIFIED, max(spans, key=lambda span: _SPAN.unpack_from(span)[1]))
        directory = path
        while directory not in ("/", ""):
            directory = directory.rpartition("/")[0] or "/"
            owners = [span for span in _spans(self._dirs.get(directory)) if _in_force(span, layer)]
            if owners:
                return self._verdict(Standing.PACKAGED_UNVERIFIED, owners[-1])
        return NOT_PACKAGED

    def __len__(self) -> int:
        """The number of record spans held (a measure of memory)."""
        return self._spans

    # --- internals -----------------------------------------------------------------------------------

    def _spans_for(self, path: str, layer: int, visible: bool) -> list[bytes]:
        """The record spans that judge `path` at `layer`: in force then, else (visible) at the end."""
        spans = list(_spans(self._files.get(path)))
        if not spans:
            alias = _alias(path)
            spans = list(_spans(self._files.get(alias))) if alias else []
        in_force = [span for span in spans if _in_force(span, layer)]
        if not in_force and visible:
            in_force = [span for span in spans if _SPAN.unpack_from(span)[2] == OPEN]
        return in_force

    def _verdict(self, standing: Standing, span: bytes) -> Verdict:
        package, manager = self._packages[_SPAN.unpack_from(span)[4]]
        return Verdict(standing, package, manager)

    def _note(self, layer: int, path: str, reason: str) -> None:
        self.notes.append(Note(layer, path, reason))

    def _package(self, entry: Record | DirectoryOwner) -> int:
        key = (entry.package, entry.manager)
        number = self._package_ids.get(key)
        if number is None:
            number = self._package_ids[key] = len(self._packages)
            self._packages.append(key)
        return number

    def _database_id(self, path: str) -> int:
        number = self._database_ids.get(path)
        if number is None:
            number = self._database_ids[path] = len(self._database_names)
            self._database_names.append(path)
            directory = path.rpartition("/")[0]
            while directory and directory not in self._database_dirs:
                self._database_dirs.add(directory)
                directory = directory.rpartition("/")[0]
        return number

    def _replace(self, database: int, layer: int, files: dict[str, bytes], dirs: dict[str, bytes]) -> None:
        """Make `files`/`dirs` (path -> content) the version of `database` in force from `layer` on."""
        self._fed_at[database] = layer
        for index, new, opened in ((self._files, files, self._open_files), (self._dirs, dirs, self._open_dirs)):
            still_open: list[str] = []
            for path in opened.pop(database, ()):
                if self._close(index, path, database, layer, new.get(path)):
                    del new[path]
                    still_open.append(path)
            crowded = 0
            for path, content in new.items():
                if self._spans >= self.max_records:
                    self._note(layer, self._database_names[database],
                               f"the ledger holds {self.max_records} records; the rest not kept")
                    break
                if not _add(index, path, _SPAN.pack(database, layer, OPEN, 0, 0)[:_CONTENT] + content):
                    crowded += 1
                    continue
                self._spans += 1
                still_open.append(path)
            if crowded:
                self._note(layer, self._database_names[database],
                           f"{crowded} paths already claimed {MAX_SPANS_PER_PATH} times; those records not kept")
            if still_open:
                opened[database] = still_open

    def _close(self, index: dict[str, Posting], path: str, database: int, layer: int, new: bytes | None) -> bool:
        """End `database`'s open span at `path` at `layer`, unless its content equals `new` (then True:
        it stays open and the new version reuses it). A span that would end where it began is dropped."""
        spans = list(_spans(index.get(path)))
        for position, span in enumerate(spans):
            number, start, end = _SPAN.unpack_from(span)[:3]
            if number != database or end != OPEN:
                continue
            if new is not None and span[_CONTENT:] == new:
                return True
            if start >= layer:
                del spans[position]
                self._spans -= 1
            else:
                spans[position] = span[:8] + struct.pack("<I", layer) + span[12:]
            break
        if not spans:
            del index[path]
        else:
            index[path] = spans[0] if len(spans) == 1 else tuple(spans)
        return False


def _content(algorithm: int, package: int, digest: bytes) -> bytes:
    """The part of a span that says what the record is (compared across versions), after the span's ids."""
    return bytes([algorithm]) + struct.pack("<I", package) + digest


def _spans(posting: Posting | None) -> Iterator[bytes]:
    if posting is None:
        return iter(())
    return iter((posting,)) if isinstance(posting, bytes) else iter(posting)


def _add(index: dict[str, Posting], path: str, span: bytes) -> bool:
    """Add a span at `path`; False (nothing added) when the path already has `MAX_SPANS_PER_PATH`."""
    posting = index.get(path)
    if posting is None:
        index[path] = span
    elif isinstance(posting, bytes):
        index[path] = (posting, span)
    elif len(posting) >= MAX_SPANS_PER_PATH:
        return False
    else:
        index[path] = (*posting, span)
    return True


def _in_force(span: bytes, layer: int) -> bool:
    start: int
    end: int
    _, start, end = _SPAN.unpack_from(span)[:3]
    return start <= layer < end


def _alias(path: str) -> str | None:
    """The same file's path on the other side of a merged /usr ("/usr/bin/ls" <-> "/bin/ls"), if any."""
    if path.startswith("/usr/"):
        rest = path[4:]
        return rest if rest.startswith(_ALIASES) else None
    return "/usr" + path if path.startswith(_ALIASES) else None
