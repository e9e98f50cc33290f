"""Files in the user's cache directory: private at every level, replaced atomically, and read back only
while only the user can have written them.

The cache decides what is not read again, so a cache that someone else can write could hide findings.
As ssh does for ~/.ssh, a cache path is trusted only when it is owned by the current user and writable by
no one else (neither group nor others), checked at the cache root, at every directory below it on the way
to a file, and at the file itself; below the root none may be a symbolic link. An untrusted path is an
`UntrustedError` (an `OSError`, which every cache reader already takes as a miss), for reads and writes.
"""

from __future__ import annotations

import os
import stat

WRITABLE_BY_OTHERS = stat.S_IWGRP | stat.S_IWOTH


class UntrustedError(PermissionError):
    """A cache path that another user owns or can write."""


def _refusal(path: str, status: os.stat_result, kind: str) -> str | None:
    """Why `path` (with `status`) is not the user's own `kind` ("directory" or "file"); None when it is."""
    if kind == "directory" and not stat.S_ISDIR(status.st_mode):
        return f"{path} is not a directory"
    if kind == "file" and not stat.S_ISREG(status.st_mode):
        return f"{path} is not a regular file"
    getuid = getattr(os, "getuid", None)
    if getuid is not None and status.st_uid != getuid():
        return f"{path} is owned by uid {status.st_uid}, not by the current user"
    if status.st_mode & WRITABLE_BY_OTHERS:
        who = " and ".join(w for w, bit in (("group", stat.S_IWGRP), ("others", stat.S_IWOTH)) if status.st_mode & bit)
        return f"{path} is writable by {who} (mode {stat.S_IMODE(status.st_mode):o})"
    return None


def untrusted(root: str, *below: str) -> str | None:
    """Why the cache directory `root` must not be used, or None: `root` (followed if a link, as a user may
    move ~/.cache) and each of the `below` directories in it that exists must be the user's alone.
    A `root` that does not exist yet is fine: it is created private."""
    try:
        reason = _refusal(root, os.stat(root), "directory")
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{root}: {exc.strerror or exc}"
    for name in below:
        if reason is not None:
            break
        path = os.path.join(root, name)
        try:
            reason = _refusal(path, os.lstat(path), "directory")
        except FileNotFoundError:
            continue
        except OSError as exc:
            reason = f"{path}: {exc.strerror or exc}"
    return reason


def _levels(root: str, path: str) -> list[str]:
    """The directories from `root` (excluded) down to `path`'s parent."""
    relative = os.path.relpath(os.path.dirname(path), root)
    if relative == ".":
        return []
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        raise UntrustedError(f"{path} is not inside {root}")
    levels, level = [], root
    for part in relative.split(os.sep):
        level = os.path.join(level, part)
        levels.append(level)
    return levels


def _trust(path: str, status: os.stat_result, kind: str = "directory") -> None:
    reason = _refusal(path, status, kind)
    if reason is not None:
        raise UntrustedError(reason)


def read_file(root: str, path: str) -> bytes:
    """The bytes of `path` (inside `root`) when only the user can have written it (see the module
    docstring); `UntrustedError` when another user could have, `OSError` when it cannot be read."""
    _trust(root, os.stat(root))
    for level in _levels(root, path):
        _trust(level, os.lstat(level))
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        _trust(path, os.fstat(handle.fileno()), "file")
        return handle.read()


def default_root() -> str:
    """The user's cache directory for layer-auditor: `$XDG_CACHE_HOME/layer-auditor` (default
    `~/.cache/layer-auditor`)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "layer-auditor")


def write_file(root: str, path: str, data: bytes) -> None:
    """Write `data` to `path` (inside `root`) through a temp file and a rename, creating every directory
    from `root` down with mode 0700, not just the last one; `UntrustedError` (and nothing written) when a
    directory on the way is not the user's alone. OSError propagates; no temp file is left."""
    os.makedirs(root, mode=0o700, exist_ok=True)
    _trust(root, os.stat(root))
    for level in _levels(root, path):
        os.makedirs(level, mode=0o700, exist_ok=True)
        _trust(level, os.lstat(level))
    import tempfile  # only when writing: a run that only reads the cache does without it

    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
