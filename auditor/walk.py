"""The layer walk: which added entries survive into the final filesystem, and which layer hides the rest.

Pure functions over `(path, kind)` pairs so the whiteout logic is table-tested without tar or Docker.
Paths are absolute and normalised ("/etc/passwd"); the root is "/".
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from auditor.model import VISIBLE, Fate, Kind, Marker, Status

Change = tuple[str, Kind | Marker]

WHITEOUT_PREFIX = ".wh."
OPAQUE_NAME = ".wh..wh..opq"


def classify(path: str, kind: Kind) -> Change | None:
    """Turn a normalised tar path into a change; whiteout names become markers.

    Returns None for names that are whiteout-shaped but mean nothing (a bare ".wh.", aufs ".wh..wh.*"
    metadata other than the opaque marker).
    """
    parent, name = posixpath.split(path)
    if not name.startswith(WHITEOUT_PREFIX):
        return (path, kind)
    if name == OPAQUE_NAME:
        return (parent or "/", Marker.OPAQUE)
    target = name[len(WHITEOUT_PREFIX):]
    if not target or target.startswith(WHITEOUT_PREFIX) or target in (".", ".."):
        return None
    return (posixpath.join(parent, target), Marker.WHITEOUT)


def _ancestors(path: str) -> list[str]:
    """Strict ancestors of an absolute path, root first: "/a/b/c" -> ["/", "/a", "/a/b"]."""
    if path == "/":
        return []
    out = ["/"]
    end = path.find("/", 1)
    while end != -1:
        out.append(path[:end])
        end = path.find("/", end + 1)
    return out


def resolve(layers: Sequence[Sequence[Change]]) -> list[list[Fate | None]]:
    """Work out the fate of every change in every layer (layers base first).

    The result mirrors the input: a `Fate` for each entry, None for each marker. An entry is hidden by
    the lowest later layer that whites it (or an ancestor) out, marks an ancestor opaque, puts a non-dir
    at an ancestor, or writes its own path. Writing its own path, with any type, is an overwrite: the
    path is still there in the final image (a file replaced by a symlink or a directory, overlay2's
    `rm f && ln -s x f`); the others delete it. A later directory over a directory merges and hides
    nothing. Within one layer the later tar entry wins: a repeated path overwrites its earlier
    occurrences, and a non-directory deletes what earlier entries of the layer put under its path.
    """
    # Covers from the layers above the one being resolved; each maps path -> lowest layer index.
    dir_at: dict[str, int] = {}  # a directory written at exactly this path
    file_at: dict[str, int] = {}  # a non-directory written at exactly this path
    gone: dict[str, int] = {}  # path and everything under it removed (whiteout)
    below: dict[str, int] = {}  # everything strictly under path removed (opaque dir, non-dir entry)

    result: list[list[Fate | None]] = [[] for _ in layers]
    for index in range(len(layers) - 1, -1, -1):
        changes = layers[index]
        fates: list[Fate | None] = [None] * len(changes)
        later_in_layer: dict[str, Kind] = {}  # the nearest later entry at each path
        later_non_dirs: set[str] = set()  # a later non-directory entry replaces what is under its path
        for pos in range(len(changes) - 1, -1, -1):
            path, kind = changes[pos]
            if isinstance(kind, Marker):
                continue
            dup = later_in_layer.get(path)
            ancestors = _ancestors(path)
            if dup is not None and not (kind is Kind.DIR and dup is Kind.DIR):
                fates[pos] = Fate(Status.OVERWRITTEN, index)
            elif path in later_non_dirs or not later_non_dirs.isdisjoint(ancestors):
                fates[pos] = Fate(Status.DELETED, index)
            else:
                fates[pos] = _fate(path, kind, ancestors, dir_at, file_at, gone, below)
            later_in_layer[path] = kind
            if kind is not Kind.DIR:
                later_non_dirs.add(path)
        result[index] = fates

        for path, kind in changes:
            if kind is Marker.WHITEOUT:
                gone[path] = index
            elif kind is Marker.OPAQUE:
                below[path] = index
            elif kind is Kind.DIR:
                dir_at[path] = index
            else:
                file_at[path] = index
                below[path] = index
    return result


def _fate(
    path: str,
    kind: Kind,
    ancestors: list[str],
    dir_at: dict[str, int],
    file_at: dict[str, int],
    gone: dict[str, int],
    below: dict[str, int],
) -> Fate:
    best: Fate = VISIBLE
    over = [file_at.get(path)]  # layers that write its path: a non-directory, or a directory over a non-directory
    if kind is not Kind.DIR:
        over.append(dir_at.get(path))
    for hider in over:
        if hider is not None:
            best = _lower(best, Fate(Status.OVERWRITTEN, hider))
    deleting = [gone.get(path)]  # layers that delete it: a whiteout of it or an ancestor, an ancestor's end
    if gone or below:
        deleting += [table.get(ancestor) for ancestor in ancestors for table in (gone, below)]
    for hider in deleting:
        if hider is not None:
            best = _lower(best, Fate(Status.DELETED, hider))
    return best


def _lower(current: Fate, candidate: Fate) -> Fate:
    """The fate from the lower hiding layer; on a tie an overwrite says more than a deletion."""
    if current.hidden_by is None:
        return candidate
    assert candidate.hidden_by is not None
    if candidate.hidden_by < current.hidden_by:
        return candidate
    return current
