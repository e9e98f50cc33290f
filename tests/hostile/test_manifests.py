"""Hostile manifests, indexes and configs: missing and mismatched blobs, malformed, enormous, deeply
nested or wrongly shaped JSON, and history that does not match the layers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from testing import imagekit as kit
from testing.hostile import SECRET_FILE, paths, unscanned
from testing.imagekit import File, History

LAYERS = [[File("/base.env", SECRET_FILE)], [File("/middle.env", SECRET_FILE)], [File("/top.env", SECRET_FILE)]]


def one_error_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.code == 2, result
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("audit: error: "), lines
    return lines[0]


def _blob(layout: str, name: str) -> Path:
    return Path(layout) / name


def test_a_manifest_pointing_to_a_missing_layer_blob_skips_that_layer_only(oci, audit):
    layout = oci(LAYERS)
    written = audit(layout).json()["image"]["layers"]
    os.remove(_blob(layout, "blobs/sha256/" + written[1]["digest"][7:]))
    result = audit(layout)
    assert result.code == 2
    assert {p for p, _ in paths(result.json())} == {"/base.env", "/top.env"}
    assert [(layer, path) for layer, path, _ in unscanned(result.json())] == [(1, None)]
    assert "missing" in result.json()["not_scanned"][0]["reason"]


def test_a_missing_config_blob_is_a_one_line_error(oci, cli, tmp_path):
    layout = oci(LAYERS)
    index = json.loads(_blob(layout, "index.json").read_text())
    manifest = json.loads(_blob(layout, "blobs/sha256/" + index["manifests"][0]["digest"][7:]).read_text())
    os.remove(_blob(layout, "blobs/sha256/" + manifest["config"]["digest"][7:]))
    assert "missing" in one_error_line(cli(layout))


def test_a_blob_whose_digest_does_not_match_is_not_scanned(oci, audit):
    layout = oci(LAYERS)
    middle = audit(layout).json()["image"]["layers"][1]["digest"]
    other = kit.compress(kit.layer_tar([File("/swapped.env", SECRET_FILE)]), "gzip")
    _blob(layout, "blobs/sha256/" + middle[7:]).write_bytes(other)  # same name, other content
    result = audit(layout)
    assert result.code == 2  # what was read from it may be reported, but the audit cannot pass
    assert [(layer, path) for layer, path, _ in unscanned(result.json())] == [(1, None)]
    assert "digest mismatch" in result.json()["not_scanned"][0]["reason"]


MALFORMED = {
    "not json": b"[{not json",
    "not utf-8": b'[{"Config": "\xff\xfe"}]',
    "truncated": b'[{"Config": "abc.json", "Layers": [',
    "deeply nested": b"[" * 200_000 + b"]" * 200_000,
    "huge number": b'[{"Config": 1' + b"0" * 10_000 + b"}]",
    "empty": b"",
}


@pytest.mark.parametrize("document", ["manifest.json", "config"])
@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_json_in_manifest_or_config_is_a_one_line_error(archive, cli, tmp_path, document, case):
    ref = archive(LAYERS)
    _replace_member(ref, document, MALFORMED[case])
    line = one_error_line(cli(ref))
    assert "JSON" in line or "nested" in line or "no images" in line or "no Config" in line


def _replace_member(path: str, which: str, data: bytes) -> None:
    """Swap the bytes of manifest.json, or of the config it names, inside a `docker save` archive."""
    import tarfile

    from testing.hostile import MemoryStore

    with open(path, "rb") as handle:
        store = MemoryStore.from_tar(handle.read())
    name = which if which == "manifest.json" else json.loads(store.read("manifest.json"))[0]["Config"]
    with open(path, "wb") as handle:
        handle.write(store.replaced(name, data).to_tar())
    with tarfile.open(path):  # still a readable archive
        pass


@pytest.mark.slow  # writes a JSON document past the limit: ~5 s
def test_enormous_json_is_refused_at_the_json_limit(archive, cli):
    ref = archive(LAYERS, labels={"padding": "x" * (2 << 20)})
    line = one_error_line(cli(ref, "--max-json-size", "1M"))
    assert "larger than 1048576 bytes" in line and "--max-json-size" in line
    assert cli(ref, "--quiet").code == 1  # under the default limit the same image is audited


WRONG_SHAPES = {
    "manifest.json": [
        {"Config": 5, "Layers": []}, {"Config": "c.json", "Layers": "abc"}, [{"RepoTags": 5, "Config": "x"}],
        [{"Config": "x.json", "Layers": [1, None, {"a": 1}]}], [], {}, None, "text", 17,
    ],
    "index.json": [
        {"manifests": 5}, {"manifests": [1, 2]}, {"manifests": [{"digest": 5}]},
        {"manifests": [{"digest": "sha256:../../etc/passwd"}]}, {"manifests": [{"annotations": [1], "platform": "x"}]},
        [], None, {"manifests": [{"digest": "md5:abc", "mediaType": ["x"]}]},
    ],
}


@pytest.mark.parametrize(("document", "shape"), [(d, s) for d, shapes in WRONG_SHAPES.items() for s in shapes])
def test_json_of_the_wrong_shape_is_an_error_never_a_crash(tmp_path, cli, document, shape):
    spec = kit.ImageSpec(layers=LAYERS)
    if document == "manifest.json":
        ref = str(tmp_path / "image.tar")
        kit.write_docker_archive(ref, spec)
        _replace_member(ref, "manifest.json", json.dumps(shape).encode())
    else:
        ref = str(tmp_path / "layout")
        kit.write_oci_layout(ref, spec)
        Path(ref, "index.json").write_text(json.dumps(shape))
    one_error_line(cli(ref))


def test_odd_config_values_are_ignored_not_trusted(archive, audit, tmp_path):
    ref = archive(LAYERS)
    with open(ref, "rb") as handle:
        from testing.hostile import MemoryStore

        store = MemoryStore.from_tar(handle.read())
    name = json.loads(store.read("manifest.json"))[0]["Config"]
    config = json.loads(store.read(name))
    config.update({"config": {"Env": 5, "Labels": [1], "Cmd": "sh", "Entrypoint": {"a": 1}},
                   "history": [5, "x", {"created_by": 7}, {"empty_layer": "yes"}]})
    config["rootfs"]["diff_ids"][1] = 42
    with open(ref, "wb") as handle:
        handle.write(store.replaced(name, json.dumps(config).encode()).to_tar())
    result = audit(ref)
    assert result.code == 1
    assert {p for p, _ in paths(result.json())} == {"/base.env", "/middle.env", "/top.env"}


def test_a_config_without_history_audits_every_layer(archive, audit):
    report = audit(archive(LAYERS, history=None)).json()
    assert [layer["created_by"] for layer in report["image"]["layers"]] == [None, None, None]
    assert {p for p, _ in paths(report)} == {"/base.env", "/middle.env", "/top.env"}


def test_more_history_entries_than_layers_are_aligned_from_the_top(archive, audit):
    history = ["FROM scratch", "ADD a /", "ADD b /", "ADD c /", History("ENV X=1", empty_layer=True), "COPY d /"]
    report = audit(archive(LAYERS, history=history)).json()
    assert [layer["created_by"] for layer in report["image"]["layers"]] == ["ADD b /", "ADD c /", "COPY d /"]
    assert {p for p, _ in paths(report)} == {"/base.env", "/middle.env", "/top.env"}


def test_fewer_history_entries_than_layers_leave_the_bottom_unnamed(archive, audit):
    report = audit(archive(LAYERS, history=["COPY top /"])).json()
    assert [layer["created_by"] for layer in report["image"]["layers"]] == [None, None, "COPY top /"]


def test_a_config_or_manifest_blob_whose_digest_does_not_match_is_a_one_line_error(oci, cli):
    layout = oci(LAYERS)
    index = json.loads(_blob(layout, "index.json").read_text())
    manifest_path = _blob(layout, "blobs/sha256/" + index["manifests"][0]["digest"][7:])
    manifest = json.loads(manifest_path.read_text())
    config_path = _blob(layout, "blobs/sha256/" + manifest["config"]["digest"][7:])
    config = json.loads(config_path.read_text())
    config["config"]["Env"] = ["SWAPPED=1"]
    config_path.write_text(json.dumps(config))
    assert "digest mismatch" in one_error_line(cli(layout))
    manifest_path.write_text(json.dumps({**manifest, "layers": manifest["layers"][:1]}))
    assert "digest mismatch" in one_error_line(cli(layout))


def test_indexes_that_fan_out_to_the_same_index_level_after_level_are_read_once(tmp_path, audit):
    """Eight levels each listing the next one 200 times would be 200**8 reads without memory of what was read."""
    layout = tmp_path / "layout"
    kit.write_oci_layout(layout, kit.ImageSpec(layers=LAYERS))
    index = json.loads((layout / "index.json").read_text())
    desc = index["manifests"][0]
    for _ in range(8):
        body = json.dumps({"schemaVersion": 2, "mediaType": kit.OCI_INDEX, "manifests": [desc] * 200}).encode()
        digest = kit.sha256(body)
        (layout / "blobs" / "sha256" / digest[7:]).write_bytes(body)
        desc = {"mediaType": kit.OCI_INDEX, "digest": digest, "size": len(body)}
    (layout / "index.json").write_text(json.dumps({**index, "manifests": [desc] * 200}))
    result = audit(str(layout))
    assert result.code == 1
    assert {p for p, _ in paths(result.json())} == {"/base.env", "/middle.env", "/top.env"}
