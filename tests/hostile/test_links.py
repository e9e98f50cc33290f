"""Links in hostile images: symlink loops and escapes inside layers, hard links to missing, forward,
escaping or later-deleted targets, and links in the archive or layout that holds the blobs."""

from __future__ import annotations

import io
import os
import tarfile

from testing.hostile import SECRET_FILE, paths, unscanned
from testing.imagekit import Dir, File, Hardlink, Raw, Symlink, Whiteout


def test_symlink_loops_and_escapes_are_recorded_and_never_followed(archive, audit, cli):
    ref = archive([[Dir("/etc"), File("/etc/real.env", SECRET_FILE),
                    Symlink("/a", "/b"), Symlink("/b", "/a"), Symlink("/self", "self"),
                    Symlink("/up", "../../../../etc/shadow"), Symlink("/app", "/etc"),
                    Symlink("/app.env", "/etc/real.env")],
                   [File("/app/through-link.env", SECRET_FILE)]])  # a tar path under a symlinked directory
    result = audit(ref)
    found = paths(result.json())
    assert result.code == 1
    assert {p for p, _ in found} == {"/etc/real.env", "/app/through-link.env"}  # the link itself is no secret
    rows = {r["path"]: r for r in cli("files", ref, "--format", "json").json()["files"]}
    assert rows["/self"]["type"] == rows["/a"]["type"] == rows["/up"]["type"] == "symlink"
    assert "/etc/through-link.env" not in rows  # recorded where the tar puts it, not where a link points


def test_hard_links_to_missing_forward_and_escaping_targets_carry_no_content(archive, audit, cli):
    ref = archive([[File("/data.env", SECRET_FILE),
                    Raw("missing", tarfile.LNKTYPE, linkname="nowhere"),
                    Raw("forward", tarfile.LNKTYPE, linkname="later.txt"), File("/later.txt", b"clean\n"),
                    Raw("escape", tarfile.LNKTYPE, linkname="../../../etc/shadow"),
                    Raw("self", tarfile.LNKTYPE, linkname="self"),
                    Raw("to-dir", tarfile.LNKTYPE, linkname=".")]])
    result = audit(ref)
    assert result.code == 2  # the escaping target is refused, which leaves the audit incomplete
    assert {p for p, _ in paths(result.json())} == {"/data.env"}
    assert unscanned(result.json()) == [(0, "escape", None)]
    rows = {r["path"]: r["type"] for r in cli("files", ref, "--format", "json").json()["files"]}
    assert {rows[p] for p in ("/missing", "/forward", "/self", "/to-dir")} == {"hardlink"}
    assert "/escape" not in rows


def test_hard_link_keeps_the_content_of_a_target_a_later_layer_deletes(archive, audit):
    ref = archive([[Dir("/a"), File("/a/key.env", SECRET_FILE), Dir("/b"), Hardlink("/b/key.env", "/a/key.env")],
                   [Whiteout("/a")]])
    found = {(f["path"], f["status"]) for f in audit(ref).json()["findings"] if f["kind"] == "secret"}
    assert found == {("/a/key.env", "deleted"), ("/b/key.env", "visible")}


def _rewrite(path: str, name: str, **fields: object) -> None:
    """Replace the archive member `name` by a copy with `fields` changed (a link, say), in place."""
    with tarfile.open(path) as tar:
        members = [(info, tar.extractfile(info).read() if info.isreg() else None)  # type: ignore[union-attr]
                   for info in tar]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as out:
        for info, data in members:
            if info.name == name:
                for key, value in fields.items():
                    setattr(info, key, value)
                info.size, data = 0, None
            out.addfile(info, io.BytesIO(data) if data is not None else None)
    with open(path, "wb") as handle:
        handle.write(buffer.getvalue())


def _layer_tar_names(path: str) -> list[str]:
    with tarfile.open(path) as tar:
        return [n for n in tar.getnames() if n.endswith("/layer.tar")]


def test_archive_member_links_that_loop_or_leave_the_archive_are_not_followed(archive, audit):
    ref = archive([[File("/base.env", SECRET_FILE)], [File("/loop.env", SECRET_FILE)],
                   [File("/out.env", SECRET_FILE)], [File("/top.env", SECRET_FILE)]])
    _, looping, leaving, _ = _layer_tar_names(ref)
    _rewrite(ref, looping, type=tarfile.SYMTYPE, linkname="layer.tar")
    _rewrite(ref, leaving, type=tarfile.SYMTYPE, linkname="../../../../../etc/passwd")
    result = audit(ref)
    report = result.json()
    assert result.code == 2  # a layer that could not be read is never a clean result
    assert {p for p, _ in paths(report)} == {"/base.env", "/top.env"}  # the other layers are still audited
    reasons = {n["layer"]: n["reason"] for n in report["not_scanned"]}
    assert "link loop" in reasons[1] and "links outside the archive" in reasons[2]


def test_layout_blob_that_is_a_symlink_is_refused(oci, audit, tmp_path):
    layout = oci([[File("/base.env", SECRET_FILE)], [File("/top.env", SECRET_FILE)]])
    index = os.listdir(os.path.join(layout, "blobs", "sha256"))
    outside = tmp_path / "outside"
    outside.write_bytes(b"anything")
    report = audit(layout).json()
    layer_blob = report["image"]["layers"][1]["digest"].split(":", 1)[1]
    assert layer_blob in index
    target = os.path.join(layout, "blobs", "sha256", layer_blob)
    os.replace(target, tmp_path / "moved")
    os.symlink(tmp_path / "moved", target)  # same bytes, but through a link out of the layout
    result = audit(layout)
    assert result.code == 2
    assert {p for p, _ in paths(result.json())} == {"/base.env"}
    assert [(layer, path) for layer, path, _ in unscanned(result.json())] == [(1, None)]
    assert "symbolic link; not followed" in result.json()["not_scanned"][0]["reason"]


def test_a_sparse_member_of_the_archive_is_not_read_as_a_blob(archive, audit):
    """Its size is what it claims to expand to, not its bytes: read in place it would run into what follows."""
    from testing import hostile

    ref = archive([[File("/base.env", SECRET_FILE)], [File("/top.env", SECRET_FILE)]])
    top = _layer_tar_names(ref)[1]
    with open(ref, "rb") as handle:
        store = hostile.MemoryStore.from_tar(handle.read())
    members = [(hostile.header(name.encode(), len(data)), data) for name, data in store.files.items() if name != top]
    sparse = hostile.gnu_sparse(top.encode(), 1 << 20, store.files[top][:512])
    with open(ref, "wb") as handle:
        handle.write(sparse + b"".join(head + hostile.padded(data) for head, data in members) + hostile.end())
    result = audit(ref)
    assert result.code == 2
    assert {p for p, _ in paths(result.json())} == {"/base.env"}
    assert "not a regular file" in result.json()["not_scanned"][0]["reason"]
