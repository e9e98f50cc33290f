"""The layer walk: table tests on (path, kind) tuples, and properties against an independent model."""

from __future__ import annotations

import io
import tarfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.layers import read_layer
from auditor.model import VISIBLE, Digest, Fate, Kind, Layer, Marker, Status
from auditor.walk import classify, resolve
from testing import imagekit as kit
from testing import reference

F, D, L, H, OT = Kind.FILE, Kind.DIR, Kind.SYMLINK, Kind.HARDLINK, Kind.OTHER
WH, OPQ = Marker.WHITEOUT, Marker.OPAQUE
V = VISIBLE


def gone(layer: int) -> Fate:
    return Fate(Status.DELETED, layer)


def over(layer: int) -> Fate:
    return Fate(Status.OVERWRITTEN, layer)


@pytest.mark.parametrize(
    ("path", "kind", "expected"),
    [
        ("/etc/passwd", F, ("/etc/passwd", F)),
        ("/etc/ssh", D, ("/etc/ssh", D)),
        ("/etc/.wh.passwd", F, ("/etc/passwd", WH)),
        ("/.wh.etc", F, ("/etc", WH)),
        ("/a/.wh.b", D, ("/a/b", WH)),
        ("/a/.wh..wh..opq", F, ("/a", OPQ)),
        ("/.wh..wh..opq", F, ("/", OPQ)),
        ("/a/x.wh.y", F, ("/a/x.wh.y", F)),
        ("/a/.wh.", F, None),  # bare prefix names nothing
        ("/a/.wh..", F, None),
        ("/a/.wh...", F, None),
        ("/a/.wh..wh.plnk", D, None),  # aufs metadata, not a whiteout
        ("/.wh..wh.aufs", F, None),
    ],
)
def test_classify_turns_whiteout_names_into_markers(path, kind, expected):
    assert classify(path, kind) == expected


CASES = {
    "whiteout of a file": (
        [[("/etc", D), ("/etc/secret", F), ("/etc/keep", F)], [("/etc", D), ("/etc/secret", WH)]],
        [[V, gone(1), V], [V, None]],
    ),
    "whiteout of a directory hides everything under it, not a sibling sharing its prefix": (
        [[("/a", D), ("/a/b", D), ("/a/b/c", F), ("/ab", F)], [("/a", WH)]],
        [[gone(1), gone(1), gone(1), V], [None]],
    ),
    "opaque directory, marker first": (
        [[("/a", D), ("/a/old", F), ("/ab", F)], [("/a", OPQ), ("/a", D), ("/a/new", F)]],
        [[V, gone(1), V], [None, V, V]],
    ),
    "opaque directory, marker last": (
        [[("/a", D), ("/a/old", F), ("/a/sub", D), ("/a/sub/x", F)], [("/a", D), ("/a/new", F), ("/a", OPQ)]],
        [[V, gone(1), gone(1), gone(1)], [V, V, None]],
    ),
    "opaque root hides every lower entry": (
        [[("/bin", D), ("/bin/sh", F)], [("/", OPQ), ("/etc", D)]],
        [[gone(1), gone(1)], [None, V]],
    ),
    "file replaced by a directory is overwritten: the path is still there": (
        [[("/x", F)], [("/x", D), ("/x/y", F)]], [[over(1)], [V, V]]),
    "file replaced by an opaque directory is overwritten too (overlay2's rm f && mkdir f)": (
        [[("/x", F)], [("/x", D), ("/x", OPQ)]], [[over(1)], [V, None]]),
    "directory replaced by a file: the directory is overwritten, its contents deleted": (
        [[("/x", D), ("/x/y", D), ("/x/y/z", F)], [("/x", F)]],
        [[over(1), gone(1), gone(1)], [V]],
    ),
    "file replaced by a symlink is overwritten (rm f && ln -s x f)": ([[("/x", F)], [("/x", L)]], [[over(1)], [V]]),
    "symlink replaced by a file is overwritten": ([[("/x", L)], [("/x", F)]], [[over(1)], [V]]),
    "directory replaced by a symlink: its contents are deleted": (
        [[("/x", D), ("/x/y", F)], [("/x", L)]],
        [[over(1), gone(1)], [V]],
    ),
    "removed and recreated directory: opaque marker deletes the old contents (rm -r d && mkdir d)": (
        [[("/a", D), ("/a/g", D), ("/a/g/x", F)], [("/a", D), ("/a/g", D), ("/a/g", OPQ)]],
        [[V, V, gone(1)], [V, V, None]],
    ),
    "overwrite": ([[("/x", F)], [("/x", F)]], [[over(1)], [V]]),
    "hard link over a file is an overwrite": ([[("/x", F)], [("/x", H)]], [[over(1)], [V]]),
    "symlink over a symlink is an overwrite": ([[("/x", L)], [("/x", L)]], [[over(1)], [V]]),
    "directory over a directory merges and hides nothing": (
        [[("/a", D), ("/a/f", F)], [("/a", D), ("/a/g", F)]],
        [[V, V], [V, V]],
    ),
    "re-add after whiteout": ([[("/x", F)], [("/x", WH)], [("/x", F)]], [[gone(1)], [None], [V]]),
    "duplicate file in one layer: the later tar entry wins": ([[("/x", F), ("/x", F)]], [[over(0), V]]),
    "duplicate of another type in one layer": ([[("/x", F), ("/x", D)]], [[over(0), V]]),
    "duplicate directory in one layer merges": ([[("/a", D), ("/a", D)]], [[V, V]]),
    "a later non-directory in the same layer removes what an earlier entry put under it": (
        [[("/a", D), ("/a/f", F), ("/a", F)]],
        [[over(0), gone(0), V]],
    ),
    "whiteout of a path that never existed": ([[("/x", F)], [("/nope", WH), ("/x/y", WH)]], [[V], [None, None]]),
    "markers never touch their own layer": (
        [[("/x", F), ("/x", WH), ("/d", D), ("/d/f", F), ("/d", OPQ)]],
        [[V, None, V, V, None]],
    ),
    "the lowest hiding layer wins": (
        [[("/a", D), ("/a/f", F)], [("/a", D), ("/a/f", F)], [("/a", WH)]],
        [[gone(2), over(1)], [gone(2), gone(2)], [None]],
    ),
    "a lower whiteout beats a higher overwrite": (
        [[("/a/f", F)], [("/a", WH)], [("/a", D), ("/a/f", F)]],
        [[gone(1)], [None], [V, V]],
    ),
    "whiteout and rewrite in one layer: the rewrite names the fate": (
        [[("/x", F)], [("/x", WH), ("/x", F)]],
        [[over(1)], [None, V]],
    ),
}


@pytest.mark.parametrize(("layers", "expected"), list(CASES.values()), ids=list(CASES))
def test_resolve_table(layers, expected):
    assert resolve(layers) == expected


@pytest.mark.parametrize(("layers", "expected"), list(CASES.values()), ids=list(CASES))
def test_reference_model_agrees_with_table(layers, expected):
    """The model the properties compare against must itself pass the table."""
    assert reference.fates(layers) == expected


# --- properties ----------------------------------------------------------------------------------------

NAMES = ("a", "b", "c")
KINDS = (F, H, L, D, OT)
paths = st.lists(st.sampled_from(NAMES), min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts))
dirs = st.one_of(st.just("/"), paths)


def parents(path: str) -> list[str]:
    parts = path.split("/")[1:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


@st.composite
def tidy_layer(draw: st.DrawFn) -> list[tuple[str, Kind | Marker]]:
    """A layer as builders write one: each path once with one type, parents as directories first,
    nothing under a non-directory; markers anywhere; some entries repeated verbatim."""
    adds = draw(st.dictionaries(paths, st.sampled_from(KINDS), max_size=6))
    adds = {p: k for p, k in adds.items() if all(adds.get(a, D) is D for a in parents(p))}
    for path in list(adds):
        for parent in parents(path):
            adds.setdefault(parent, D)
    entries: list[tuple[str, Kind | Marker]] = sorted(
        draw(st.permutations(sorted(adds.items()))), key=lambda item: item[0].count("/")
    )
    markers = draw(st.lists(st.one_of(st.tuples(paths, st.just(WH)), st.tuples(dirs, st.just(OPQ))), max_size=3))
    for marker in markers:
        entries.insert(draw(st.integers(0, len(entries))), marker)
    for _ in range(draw(st.integers(0, 2))):
        if entries:
            first = draw(st.integers(0, len(entries) - 1))
            entries.insert(draw(st.integers(first + 1, len(entries))), entries[first])
    return entries


@st.composite
def chaotic_layer(draw: st.DrawFn) -> list[tuple[str, Kind | Marker]]:
    """Any sequence of adds (each preceded by directory entries for its parents), whiteouts and
    opaque markers, so one layer may change a path's type several times."""
    entries: list[tuple[str, Kind | Marker]] = []
    for _ in range(draw(st.integers(0, 8))):
        what = draw(st.sampled_from(("add", "add", "add", "whiteout", "opaque")))
        if what == "add":
            path = draw(paths)
            entries += [(p, D) for p in parents(path)] + [(path, draw(st.sampled_from(KINDS)))]
        elif what == "whiteout":
            entries.append((draw(paths), WH))
        else:
            entries.append((draw(dirs), OPQ))
    return entries


@pytest.mark.slow  # 400 examples: 5-10 s
@settings(max_examples=400, deadline=None)
@given(st.lists(tidy_layer(), min_size=1, max_size=5))
def test_resolve_matches_the_model_on_builder_shaped_layers(layers):
    assert resolve(layers) == reference.fates(layers)


def _hidden_by(result: list[list[Fate | None]]) -> list[list[object]]:
    return [[None if f is None else ("visible" if f.hidden_by is None else f.hidden_by) for f in layer]
            for layer in result]


@settings(max_examples=400, deadline=None)
@given(st.lists(chaotic_layer(), min_size=1, max_size=5))
def test_resolve_hides_the_same_entries_as_the_model_on_any_layers(layers):
    """Where one layer changes a path's type twice, "deleted" versus "overwritten" depends on which
    change is counted; whether and by which layer an entry is hidden does not."""
    assert _hidden_by(resolve(layers)) == _hidden_by(reference.fates(layers))


def _kit_entry(path: str, kind: Kind | Marker) -> kit.Entry:
    if kind is WH:
        return kit.Whiteout(path)
    if kind is OPQ:
        return kit.Opaque(path)
    return {
        F: lambda: kit.File(path, b"data"),
        D: lambda: kit.Dir(path),
        L: lambda: kit.Symlink(path, "/elsewhere"),
        H: lambda: kit.Hardlink(path, "/a"),
        OT: lambda: kit.Raw(path.lstrip("/"), tarfile.FIFOTYPE),
    }[kind]()


def _read(index: int, data: bytes) -> list[tuple[str, Kind | Marker]]:
    digest = Digest(kit.sha256(data))
    layer = Layer(index, digest, digest, None, len(data), lambda: io.BytesIO(data))
    scan = read_layer(layer, lambda path, content: [])
    assert scan.not_scanned == []
    return [(record.path, record.kind) for record in scan.records]


@settings(max_examples=150, deadline=None)
@given(st.lists(tidy_layer(), min_size=1, max_size=4))
def test_tar_layers_read_back_give_the_models_fates(layers):
    """Through real tars: kit entries are written, read by `read_layer`, classified and resolved."""
    entries = [[_kit_entry(path, kind) for path, kind in layer] for layer in layers]
    read = [_read(i, kit.layer_tar(layer)) for i, layer in enumerate(entries)]
    expected = reference.fates([[reference.change(e) for e in layer] for layer in entries])  # type: ignore[misc]
    assert resolve(read) == expected


def _operations(layers: list[list[tuple[str, Kind | Marker]]]) -> set[str]:
    """What a stack of layers exercises: adds, overwrites, type changes, whiteouts, opaque dirs, hard links."""
    ops: set[str] = set()
    before: dict[str, Kind] = {}
    for layer in layers:
        for path, kind in layer:
            if kind is WH:
                ops.add("whiteout")
            elif kind is OPQ:
                ops.add("opaque")
            else:
                old = before.get(path)
                ops.add("add" if old is None else "overwrite" if old is kind else "type change")
                if kind is H:
                    ops.add("hardlink")
        before.update((p, k) for p, k in layer if isinstance(k, Kind))
    return ops


ALL_PATHS = sorted({"/" + "/".join(p) for n in (1, 2, 3) for p in __import__("itertools").product(NAMES, repeat=n)})
ALL_DIRS = ["/", *ALL_PATHS]


@st.composite
def lean_layer(draw: st.DrawFn) -> list[tuple[str, Kind | Marker]]:
    """`tidy_layer` drawn from three lists of small integers, so thousands of examples stay cheap."""
    adds: dict[str, Kind] = {}
    for path_at, kind_at in draw(st.lists(st.tuples(st.integers(0, len(ALL_PATHS) - 1), st.integers(0, 4)),
                                          max_size=6)):
        path = ALL_PATHS[path_at]
        if path not in adds and all(adds.get(a, D) is D for a in parents(path)):
            if not any(p.startswith(path + "/") for p in adds) or KINDS[kind_at] is D:
                adds[path] = KINDS[kind_at]
                for parent in parents(path):
                    adds.setdefault(parent, D)
    entries: list[tuple[str, Kind | Marker]] = sorted(adds.items(), key=lambda item: item[0].count("/"))
    for is_opaque, where, at in draw(st.lists(st.tuples(st.booleans(), st.integers(0, len(ALL_PATHS)),
                                                        st.integers(0, 64)), max_size=3)):
        marker = (ALL_DIRS[where], OPQ) if is_opaque else (ALL_PATHS[where % len(ALL_PATHS)], WH)
        entries.insert(at % (len(entries) + 1), marker)
    for first, later in draw(st.lists(st.tuples(st.integers(0, 64), st.integers(0, 64)), max_size=2)):
        if entries:
            i = first % len(entries)
            entries.insert(i + 1 + later % (len(entries) - i), entries[i])
    return entries


@pytest.mark.slow  # 3000 random stacks: ~20 s
def test_resolve_equals_the_model_over_thousands_of_random_stacks():
    """Random stacks of up to six layers against the independent model, 3000 of them; the stacks must
    really exercise every kind of change, or the property would prove little."""
    seen: dict[str, int] = {}

    @settings(max_examples=3000, deadline=None, database=None)
    @given(st.lists(lean_layer(), min_size=1, max_size=6))
    def check(layers: list[list[tuple[str, Kind | Marker]]]) -> None:
        assert resolve(layers) == reference.fates(layers)
        for op in _operations(layers):
            seen[op] = seen.get(op, 0) + 1

    check()
    for op in ("add", "overwrite", "type change", "whiteout", "opaque", "hardlink"):
        assert seen.get(op, 0) >= 300, seen
