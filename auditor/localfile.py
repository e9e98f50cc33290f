"""The user's own files (rule packs, configuration, baselines, Dockerfiles, reports): read and written
as a repository an attacker controls cannot turn against us.

Reading takes only a regular file, and only up to a bound: `/dev/zero`, a FIFO or a 10 GB file named as
a rule pack is an error, not an endless read or a hang. Writing never follows a final symlink (as git
refuses to write through one): a link planted in a checkout cannot make `--output` or
`--write-baseline` overwrite its target.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable

from auditor.errors import AuditorError

MAX_TEXT_BYTES = 16 << 20  # a rule pack, configuration or Dockerfile larger than this is refused
MAX_BASELINE_BYTES = 256 << 20  # a baseline lists one fingerprint per finding: it may be larger


def read_bytes(path: str, limit: int, error: Callable[[str], AuditorError]) -> bytes:
    """The bytes of the regular file `path`, which must hold at most `limit` bytes. Anything else (a
    missing file, a device, a FIFO, a directory, a larger file) raises `error(message)`, where the
    message starts with `path`."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below as not regular.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{path}: not a regular file; refused")
        if info.st_size > limit:
            raise error(f"{path}: larger than {limit} bytes; refused")
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - total)):  # the size may grow as we read
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise error(f"{path}: larger than {limit} bytes; refused")
        return b"".join(chunks)
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    finally:
        os.close(fd)


def shown(path: str) -> str:
    """`path` as a message names it: relative when it is under the current directory."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def write_text(path: str, text: str, error: Callable[[str], AuditorError]) -> None:
    """Create or truncate `path` and write `text` as UTF-8, refusing a symlink in its place. Names under
    /dev (`/dev/stdout`, `/dev/fd/3`) are the system's own links, which no checkout can plant: they are
    followed."""
    fd = _open_for_writing(path, os.O_CREAT | os.O_TRUNC, error)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise error(f"{path}: {exc.strerror}") from None


def check_writable(path: str, error: Callable[[str], AuditorError]) -> None:
    """Raise `error(message)` now if `write_text(path, ...)` would fail later, so that a run that cannot
    write its report fails before it starts: an existing file is opened for writing but not truncated, a
    new one is created and removed again. A FIFO is left to the write (opening it waits for a reader)."""
    if os.path.lexists(path):
        try:
            fifo = stat.S_ISFIFO(os.stat(path).st_mode)
        except OSError:
            fifo = False  # a dangling link: the open below says so
        if not fifo:
            os.close(_open_for_writing(path, 0, error))
        return
    os.close(_open_for_writing(path, os.O_CREAT | os.O_EXCL, error))
    os.unlink(path)


def _open_for_writing(path: str, flags: int, error: Callable[[str], AuditorError]) -> int:
    """`os.open(path)` for writing with `flags`, never through a final symlink outside /dev; a failure is
    `error(message)`."""
    flags |= os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
    if not os.path.abspath(path).startswith("/dev/"):
        flags |= os.O_NOFOLLOW
    try:
        return os.open(path, flags, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise error(f"{path}: is a symbolic link; refusing to write through it") from None
        raise error(f"{path}: {exc.strerror}") from None
