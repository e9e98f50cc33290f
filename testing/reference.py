"""A reference layer walk for tests: apply layers one by one to a dict filesystem and record fates.

Deliberately written apart from `auditor.walk` (forward, state-based, no lookups from above) so the two
can be compared. Semantics, as docs/formats.md states them: entries of a layer apply in tar order and a later
entry replaces an earlier one at the same path (a directory over a directory merges); replacing a
directory removes everything under it (deleted), while what stood at the path itself, of whatever type, is
overwritten (the path is still there); whiteout and opaque markers apply only to lower layers,
wherever they stand in the tar. An entry's fate is set by the first thing that removes or replaces it.
"""

from __future__ import annotations

import posixpath
import tarfile
from collections.abc import Sequence

from auditor.model import VISIBLE, Fate, Kind, Marker, Status
from testing.imagekit import Blob, Dir, Entry, File, Hardlink, ImageSpec, Opaque, Raw, Symlink, Whiteout

Change = tuple[str, Kind | Marker]


def _under(path: str, root: str) -> bool:
    """Whether `path` lies strictly under `root`."""
    return path != root and (root == "/" or path.startswith(root + "/"))


def fates(layers: Sequence[Sequence[Change]]) -> list[list[Fate | None]]:
    """The fate of every entry (None for markers), by applying the layers base first."""
    out: list[list[Fate | None]] = [[None if isinstance(k, Marker) else VISIBLE for _, k in layer] for layer in layers]
    live: dict[str, list[tuple[int, int]]] = {}  # path -> (layer, position) of what is there now
    kind_at: dict[str, Kind] = {}

    def hide(path: str, status: Status, by: int, lower_than: int | None = None) -> None:
        kept = []
        for layer, pos in live.pop(path, []):
            if lower_than is not None and layer >= lower_than:
                kept.append((layer, pos))
            else:
                out[layer][pos] = Fate(status, by)
        if kept:
            live[path] = kept
        else:
            kind_at.pop(path, None)

    for index, layer in enumerate(layers):
        for pos, (path, kind) in enumerate(layer):
            if isinstance(kind, Marker):
                continue
            for parent, parent_kind in kind_at.items():
                if parent_kind is not Kind.DIR and _under(path, parent):
                    raise ValueError(f"layer {index} writes {path} under the non-directory {parent}")
            old = kind_at.get(path)
            if old is not None and not (old is Kind.DIR and kind is Kind.DIR):
                hide(path, Status.OVERWRITTEN, index)  # the path is still there, whatever its new type
                if old is Kind.DIR:
                    for below in [p for p in live if _under(p, path)]:
                        hide(below, Status.DELETED, index)
            live.setdefault(path, []).append((index, pos))
            kind_at[path] = kind
        for path, kind in layer:
            if kind is Marker.WHITEOUT:
                doomed = [p for p in live if p == path or _under(p, path)]
            elif kind is Marker.OPAQUE:
                doomed = [p for p in live if _under(p, path)]
            else:
                continue
            for p in doomed:
                hide(p, Status.DELETED, index, lower_than=index)
    return out


def _path(name: str) -> str | None:
    """Where the engines put a tar name (written apart from `auditor.names`, on `posixpath.normpath`);
    None for a relative name that climbs above the root once cleaned."""
    rooted = name.startswith("/")
    cleaned = posixpath.normpath("/" + name) if rooted else posixpath.normpath(name or ".")
    if cleaned == ".." or cleaned.startswith("../"):
        return None
    cleaned = cleaned.lstrip("/")
    return "/" if cleaned in ("", ".") else "/" + cleaned


RAW_KINDS = {tarfile.REGTYPE: Kind.FILE, tarfile.AREGTYPE: Kind.FILE, tarfile.DIRTYPE: Kind.DIR,
             tarfile.SYMTYPE: Kind.SYMLINK, tarfile.LNKTYPE: Kind.HARDLINK}


KINDS: dict[type, Kind] = {File: Kind.FILE, Dir: Kind.DIR, Symlink: Kind.SYMLINK, Hardlink: Kind.HARDLINK}


def change(entry: Entry) -> Change | None:
    """What a kit entry does to the filesystem; None for a name that escapes the root."""
    if isinstance(entry, Raw):
        path = _path(entry.name)
        if path is not None and path.rsplit("/", 1)[-1].startswith(".wh."):
            raise ValueError("use Whiteout or Opaque for markers")
        return None if path is None else (path, RAW_KINDS.get(entry.type, Kind.OTHER))
    what: Kind | Marker
    if isinstance(entry, Opaque):
        path, what = _path(entry.dir), Marker.OPAQUE
    elif isinstance(entry, Whiteout):
        path, what = _path(entry.path), Marker.WHITEOUT
    else:
        path, what = _path(entry.path), KINDS[type(entry)]
    return None if path is None else (path, what)


def inventory(spec: ImageSpec) -> list[tuple[str, int, str, int, str, int | None]]:
    """The rows `audit files` should print for `spec`: (path, layer, type, size, status, hidden_by)."""
    layers: list[list[tuple[Change, int]]] = []
    for entries in spec.layers:
        if isinstance(entries, Blob):
            raise ValueError("a Blob layer has no entries to model")  # noqa: TRY004 - a value, not a type
        rows = []
        for entry in entries:
            found = change(entry)
            if found is not None:
                is_file = isinstance(entry, File) or (isinstance(entry, Raw) and found[1] is Kind.FILE)
                rows.append((found, len(entry.data) if is_file else 0))  # type: ignore[union-attr]
        layers.append(rows)
    result = fates([[c for c, _ in layer] for layer in layers])
    out = []
    for index, (layer, layer_fates) in enumerate(zip(layers, result, strict=False)):
        for ((path, kind), size), fate in zip(layer, layer_fates, strict=False):
            if fate is None or path == "/":
                continue
            assert isinstance(kind, Kind)
            out.append((path, index, kind.value, size, fate.status.value, fate.hidden_by))
    return out
