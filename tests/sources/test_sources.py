"""Every image source, through the real code paths, with images the kit writes to tmp_path.

Each inventory is checked against `testing.reference`, which applies the kit's layers to a dict.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import SourceError
from auditor.sources import Options, open_image
from testing import imagekit as kit
from testing import reference
from testing.imagekit import Blob, Dir, File, Hardlink, ImageSpec, Opaque, Symlink, Whiteout

ENV_TOKEN = "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"
CONFIG_TOKEN = "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"
AWS_KEY_ID = "AKIAJ7Q3EXAMPLE4XYZQ"

BASE = [Dir("/etc"), File("/etc/os-release", b'NAME="Kit Linux"\nID=kit\n'), Dir("/bin"),
        File("/bin/sh", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)), 0o755), Symlink("/bin/bash", "sh")]
APP = [Dir("/app"), File("/app/.env", f"GITHUB_TOKEN={ENV_TOKEN}\n".encode()),
       File("/app/config.yaml", f"github:\n  token: {CONFIG_TOKEN}\n".encode()),
       File("/app/main.py", b"print('hello')\n")]
CLEANUP = [Dir("/app"), Whiteout("/app/.env"), File("/app/config.yaml", b"github:\n  token: null\n")]


def app_spec(**overrides: Any) -> ImageSpec:
    """Base, app (two tokens), cleanup (deletes one, overwrites the other), then the app layer again:
    byte-identical, so a legacy `docker save` stores it as a symlink to the first copy."""
    fields: dict[str, Any] = {
        "layers": [BASE, APP, CLEANUP, APP],
        "history": ["/bin/sh -c #(nop) ADD file:base in / ", "COPY . /app # buildkit",
                    "RUN /bin/sh -c rm /app/.env # buildkit", "COPY . /app # buildkit"],
        "repo_tags": ["kit/app:1"],
    }
    return ImageSpec(**{**fields, **overrides})


# (path, layer, status, hidden_by) of every GitHub token finding in app_spec
APP_TOKENS = {
    ("/app/.env", 1, "deleted", 2),
    ("/app/config.yaml", 1, "overwritten", 2),
    ("/app/.env", 3, "visible", None),
    ("/app/config.yaml", 3, "visible", None),
}


def token_findings(doc: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {(f["path"], f["layer"], f["status"], f["hidden_by"])
            for f in doc["findings"] if f["rule"] == "ds-github-token"}


def expected_files(spec: ImageSpec) -> list[tuple[Any, ...]]:
    return sorted(reference.inventory(spec))


Writer = Callable[[Path, ImageSpec], tuple[str, str]]  # -> (reference, expected image digest)


def _docker(layout: str, gz: bool = False, symlink: bool = True, prefix: str = "") -> Writer:
    def write(tmp: Path, spec: ImageSpec) -> tuple[str, str]:
        path = tmp / "image.tar"
        written = kit.write_docker_archive(path, spec, layout=layout, gzip=gz, repeat_as_symlink=symlink)
        return f"{prefix}{path}", written[0].config

    return write


def _oci(compression: Any, index: str = "flat", archive: bool = False, prefix: str = "") -> Writer:
    def write(tmp: Path, spec: ImageSpec) -> tuple[str, str]:
        path = tmp / ("image.oci.tar" if archive else "layout")
        writer = kit.write_oci_archive if archive else kit.write_oci_layout
        written = writer(path, spec, compression=compression, index=index)  # type: ignore[arg-type]
        return f"{prefix}{path}", written[0].manifest or ""

    return write


SOURCES = {
    "legacy docker save": _docker("legacy"),
    "legacy docker save, repeated layer copied": _docker("legacy", symlink=False),
    "legacy docker save, docker-archive: transport": _docker("legacy", prefix="docker-archive:"),
    "docker 25 save": _docker("docker25"),
    "legacy docker save | gzip": _docker("legacy", gz=True),
    "docker 25 save | gzip": _docker("docker25", gz=True),
    "oci layout, gzip": _oci("gzip"),
    "oci layout, zstd": _oci("zstd", prefix="oci:"),
    "oci layout, uncompressed": _oci("none"),
    "oci layout, mixed": _oci(["gzip", "zstd", "none", "gzip"]),
    "oci layout, nested index": _oci("gzip", index="nested"),
    "oci archive": _oci("gzip", archive=True),
    "oci archive, oci-archive: transport": _oci("zstd", archive=True, prefix="oci-archive:"),
}


@pytest.mark.parametrize("writer", list(SOURCES.values()), ids=list(SOURCES))
def test_every_source_yields_the_reference_inventory_and_findings(tmp_path, cli, files, writer):
    spec = app_spec()
    ref, digest = writer(tmp_path, spec)

    assert files(ref) == expected_files(spec)
    result = cli(ref, "--format", "json")
    doc = result.json()
    assert result.code == 1, result.err
    assert doc["not_scanned"] == []
    assert token_findings(doc) == APP_TOKENS
    assert doc["image"]["digest"] == digest
    assert [layer["created_by"] for layer in doc["image"]["layers"]] == list(spec.history)  # type: ignore[arg-type]


def test_legacy_archive_stores_the_repeated_layer_as_a_symlink_and_it_is_read(tmp_path, cli):
    path = tmp_path / "image.tar"
    written = kit.write_docker_archive(path, app_spec())
    with tarfile.open(path) as tar:
        links = [m for m in tar.getmembers() if m.issym()]
    assert [m.name for m in links] == [written[0].layer_names[3]]
    assert links[0].linkname == f"../{written[0].layer_names[1]}"

    doc = cli(path, "--format", "json").json()
    assert ("/app/.env", 3, "visible", None) in token_findings(doc)
    assert doc["image"]["layers"][3]["diff_id"] == doc["image"]["layers"][1]["diff_id"]


def test_gzip_archive_leaves_no_temporary_file(tmp_path, cli, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    path = tmp_path / "image.tar.gz"
    kit.write_docker_archive(path, app_spec(), gzip=True)

    assert cli(path, "--quiet").code == 1
    assert list(scratch.iterdir()) == []


def test_docker25_archive_is_read_as_docker_save_not_as_oci(tmp_path):
    path = tmp_path / "image.tar"
    written = kit.write_docker_archive(path, app_spec(), layout="docker25")
    with open_image(str(path)) as image:
        assert image.digest == written[0].config  # the image id, as for every docker save archive
        assert [layer.digest for layer in image.layers] == [layer.diff_id for layer in image.layers]


def test_oci_layers_keep_their_media_types_and_compressed_digests(tmp_path):
    written = kit.write_oci_layout(tmp_path, app_spec(), compression=["gzip", "zstd", "none", "gzip"])
    with open_image(f"oci:{tmp_path}") as image:
        assert [layer.media_type for layer in image.layers] == [
            kit.LAYER_TYPES[c] for c in ("gzip", "zstd", "none", "gzip")
        ]
        assert ["blobs/sha256/" + layer.digest[7:] for layer in image.layers] == list(written[0].layer_names)
        assert image.layers[2].digest == image.layers[2].diff_id


# --- picking one image ---------------------------------------------------------------------------------


def platform_spec(arch: str, variant: str | None = None) -> ImageSpec:
    return ImageSpec(layers=[[Dir("/etc"), File(f"/etc/only-{arch}", arch.encode())]],
                     architecture=arch, variant=variant, repo_tags=["kit/multi:1"])


MULTI = [platform_spec("amd64"), platform_spec("arm64", "v8")]


@pytest.mark.parametrize("index", ["multiarch", "nested"])
@pytest.mark.parametrize(("platform", "expected"), [(None, 0), ("linux/arm64", 1), ("linux/arm64/v8", 1)])
def test_platform_selects_one_image_of_a_multi_arch_index(tmp_path, files, index, platform, expected):
    kit.write_oci_layout(tmp_path, MULTI, index=index, attestations=True)
    extra = ["--platform", platform] if platform else []
    assert files(str(tmp_path), *extra) == expected_files(MULTI[expected])


def test_missing_platform_error_lists_the_platforms_found_and_no_attestations(tmp_path, cli):
    kit.write_oci_layout(tmp_path, MULTI, index="nested", attestations=True)
    result = cli(tmp_path, "--platform", "linux/s390x")
    assert result.code == 2
    assert result.out == ""
    [line] = result.err.splitlines()
    assert line.startswith("audit: error:")
    assert "linux/s390x" in line and "linux/amd64, linux/arm64/v8" in line
    assert "unknown" not in line


def test_attestation_manifests_are_skipped(tmp_path, cli):
    kit.write_oci_layout(tmp_path, MULTI, index="nested", attestations=True)
    doc = cli(tmp_path, "--format", "json").json()
    assert doc["not_scanned"] == [] and doc["warnings"] == []
    assert len(doc["image"]["layers"]) == 1
    top = json.loads((tmp_path / "index.json").read_text())["manifests"][0]["digest"]
    assert "attestation-manifest" in (tmp_path / "blobs" / "sha256" / top[7:]).read_text()  # there is one


def tagged_specs() -> list[ImageSpec]:
    return [ImageSpec(layers=[[File(f"/v{n}", b"x")]], repo_tags=[f"kit/app:{n}"]) for n in (1, 2)]


@pytest.mark.parametrize("suffix", [":2", ":kit/app:2"])
def test_tag_selects_an_image_of_an_oci_layout(tmp_path, files, suffix):
    kit.write_oci_layout(tmp_path / "layout", tagged_specs())
    assert files(f"oci:{tmp_path / 'layout'}{suffix}") == expected_files(tagged_specs()[1])


def test_tag_selects_an_image_of_an_oci_archive(tmp_path, files):
    kit.write_oci_archive(tmp_path / "image.tar", tagged_specs())
    assert files(f"oci-archive:{tmp_path / 'image.tar'}:2") == expected_files(tagged_specs()[1])


def test_untagged_reference_to_a_layout_with_several_images_warns_and_takes_the_first(tmp_path, cli):
    kit.write_oci_layout(tmp_path, tagged_specs())
    result = cli(tmp_path, "--format", "json")
    assert result.code == 0
    assert [row["diff_id"] for row in result.json()["image"]["layers"]] == [
        kit.build(tagged_specs()[0]).layers[0].diff_id
    ]
    assert any("2 images match" in w for w in result.json()["warnings"])


def test_unknown_tag_error_lists_the_tags(tmp_path, cli):
    kit.write_oci_layout(tmp_path, tagged_specs())
    result = cli(f"oci:{tmp_path}:3")
    assert result.code == 2
    [line] = result.err.splitlines()
    assert line.startswith("audit: error:") and "1, 2" in line


@pytest.mark.parametrize("layout", ["legacy", "docker25"])
@pytest.mark.parametrize("how", [("--image", "kit/app:2"), ("--image", "docker.io/kit/app:2"), ("suffix",)])
def test_image_selects_one_of_a_multi_image_docker_archive(tmp_path, files, layout, how):
    path = tmp_path / "images.tar"
    kit.write_docker_archive(path, tagged_specs(), layout=layout)
    ref = f"docker-archive:{path}:kit/app:2" if how == ("suffix",) else str(path)
    extra = [] if how == ("suffix",) else list(how)
    assert files(ref, *extra) == expected_files(tagged_specs()[1])


def test_multi_image_docker_archive_defaults_to_the_first_with_a_warning(tmp_path, cli):
    path = tmp_path / "images.tar"
    kit.write_docker_archive(path, tagged_specs())
    result = cli("files", path)
    assert result.code == 0
    assert "/v1" in result.out and "/v2" not in result.out
    audit = cli(path)
    assert next(line for line in audit.err.splitlines() if "holds 2 images" in line).startswith("audit: warning:")
    assert "--image" in audit.err


def test_unknown_image_in_a_docker_archive_lists_the_tags(tmp_path, cli):
    path = tmp_path / "images.tar"
    kit.write_docker_archive(path, tagged_specs())
    result = cli(path, "--image", "kit/app:9")
    assert result.code == 2
    [line] = result.err.splitlines()
    assert "kit/app:1, kit/app:2" in line


# --- history -------------------------------------------------------------------------------------------


def test_missing_history_leaves_every_layer_without_an_instruction(tmp_path, cli, files):
    spec = app_spec(history=None)
    kit.write_docker_archive(tmp_path / "image.tar", spec)
    doc = cli(tmp_path / "image.tar", "--format", "json").json()
    assert [layer["created_by"] for layer in doc["image"]["layers"]] == [None] * 4
    assert token_findings(doc) == APP_TOKENS
    assert files(str(tmp_path / "image.tar")) == expected_files(spec)


def test_history_longer_than_the_layers_is_aligned_from_the_top_skipping_empty_layers(tmp_path, cli):
    history = [
        "ADD squashed-base.tar /",  # the squashed base's own steps, now one layer
        "RUN apt-get install -y curl",
        kit.History("ENV APP_HOME=/app", empty_layer=True),
        "COPY . /app",
        kit.History('CMD ["python", "main.py"]', empty_layer=True),
    ]
    spec = ImageSpec(layers=[BASE, APP], history=history)
    kit.write_docker_archive(tmp_path / "image.tar", spec)
    doc = cli(tmp_path / "image.tar", "--format", "json").json()
    assert [layer["created_by"] for layer in doc["image"]["layers"]] == ["RUN apt-get install -y curl", "COPY . /app"]
    assert "warnings" in doc and not any("history" in w for w in doc["warnings"])


def test_history_shorter_than_the_layers_names_only_the_top_ones(tmp_path, cli):
    spec = ImageSpec(layers=[BASE, APP, CLEANUP], history=["RUN rm /app/.env"])
    kit.write_oci_layout(tmp_path, spec)
    doc = cli(tmp_path, "--format", "json").json()
    assert [layer["created_by"] for layer in doc["image"]["layers"]] == [None, None, "RUN rm /app/.env"]


# --- links, markers ------------------------------------------------------------------------------------


def test_hard_link_keeps_the_content_of_a_target_deleted_later(tmp_path, cli, files):
    spec = ImageSpec(layers=[
        BASE,
        [Dir("/app"), File("/app/secret.env", f"AWS_ACCESS_KEY_ID={AWS_KEY_ID}\n".encode()),
         Hardlink("/app/link.env", "/app/secret.env")],
        [Dir("/app"), Whiteout("/app/secret.env")],
    ])
    kit.write_docker_archive(tmp_path / "image.tar", spec)
    doc = cli(tmp_path / "image.tar", "--format", "json", "--show-secrets").json()
    found = {(f["path"], f["layer"], f["status"], f["hidden_by"], f["secret"])
             for f in doc["findings"] if f["rule"] == "ds-aws-access-key"}
    assert found == {
        ("/app/link.env", 1, "visible", None, AWS_KEY_ID),
        ("/app/secret.env", 1, "deleted", 2, AWS_KEY_ID),
    }
    assert ("/app/link.env", 1, "hardlink", 0, "visible", None) in files(str(tmp_path / "image.tar"))
    assert files(str(tmp_path / "image.tar")) == expected_files(spec)


@pytest.mark.parametrize("first", [True, False], ids=["marker first", "marker last"])
def test_opaque_directory_hides_lower_entries_wherever_its_marker_stands(tmp_path, files, first):
    rebuilt = [Dir("/app"), File("/app/main.py", b"print(2)\n")]
    top = [Opaque("/app"), *rebuilt] if first else [*rebuilt, Opaque("/app")]
    spec = ImageSpec(layers=[BASE, APP, top])
    kit.write_oci_layout(tmp_path, spec)
    rows = files(str(tmp_path))
    assert rows == expected_files(spec)
    assert ("/app/.env", 1, "file", len(APP[1].data), "deleted", 2) in rows  # type: ignore[union-attr]
    assert ("/app/main.py", 2, "file", 9, "visible", None) in rows


def test_type_changes_and_symlinks_match_the_reference(tmp_path, files):
    spec = ImageSpec(layers=[
        [Dir("/srv"), Dir("/srv/data"), File("/srv/data/db", b"rows"), File("/srv/run", b"#!/bin/sh\n")],
        [Dir("/srv"), File("/srv/data", b"now a file"), Symlink("/srv/run", "/usr/bin/true")],
        [Dir("/srv"), Dir("/srv/data"), File("/srv/data/db", b"back")],
    ])
    kit.write_oci_layout(tmp_path, spec, compression="zstd")
    assert files(str(tmp_path)) == expected_files(spec)


# --- layers that cannot be read ------------------------------------------------------------------------


def assert_incomplete(result: Any, layer: int, reason: str) -> dict[str, Any]:
    doc = result.json()
    assert result.code == 2
    assert [(n["layer"], n["path"]) for n in doc["not_scanned"]] == [(layer, None)]
    assert reason in doc["not_scanned"][0]["reason"]
    assert "could not be read" in result.err
    return doc


def test_missing_layer_blob_in_an_oci_layout_is_not_scanned_and_the_rest_is_audited(tmp_path, cli):
    written = kit.write_oci_layout(tmp_path, app_spec())
    os.remove(tmp_path / written[0].layer_names[0])
    doc = assert_incomplete(cli(tmp_path, "--format", "json"), 0, "missing")
    assert token_findings(doc) == APP_TOKENS


def test_missing_layer_in_a_docker_archive_is_not_scanned_and_the_rest_is_audited(tmp_path, cli):
    path = tmp_path / "image.tar"
    written = kit.write_docker_archive(path, app_spec())
    drop_member(path, written[0].layer_names[0])
    doc = assert_incomplete(cli(path, "--format", "json"), 0, "missing")
    assert token_findings(doc) == APP_TOKENS


def drop_member(path: Path, name: str) -> None:
    out = io.BytesIO()
    with tarfile.open(path) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src.getmembers():
            if member.name != name:
                dst.addfile(member, src.extractfile(member) if member.isreg() else None)
    path.write_bytes(out.getvalue())


def test_blob_whose_digest_does_not_match_is_not_scanned(tmp_path, cli):
    written = kit.write_oci_layout(tmp_path, app_spec())
    other = kit.compress(kit.layer_tar([File("/etc/os-release", b"NAME=impostor\n")]), "gzip")
    (tmp_path / written[0].layer_names[0]).write_bytes(other)
    doc = assert_incomplete(cli(tmp_path, "--format", "json"), 0, "digest mismatch")
    assert token_findings(doc) == APP_TOKENS


def test_layer_whose_diff_id_does_not_match_is_not_scanned(tmp_path, cli):
    data = kit.compress(kit.layer_tar(BASE), "gzip")
    spec = app_spec(layers=[Blob(data, diff_id="sha256:" + "0" * 64), APP, CLEANUP, APP])
    kit.write_oci_layout(tmp_path, spec)
    assert_incomplete(cli(tmp_path, "--format", "json"), 0, "diff_id")


@pytest.mark.parametrize("damage", ["truncated", "garbled"])
def test_corrupt_gzip_layer_is_not_scanned(tmp_path, cli, damage):
    tar = kit.layer_tar(BASE)
    data = gzip.compress(tar, mtime=0)
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        middle = len(data) // 2
        data = data[:middle] + bytes(b ^ 0x5A for b in data[middle:middle + 16]) + data[middle + 16:]
    spec = app_spec(layers=[Blob(data, diff_id=kit.sha256(tar)), APP, CLEANUP, APP])
    kit.write_oci_layout(tmp_path, spec)
    doc = assert_incomplete(cli(tmp_path, "--format", "json"), 0, "layer unreadable")
    assert token_findings(doc) == APP_TOKENS


def test_open_image_reports_a_missing_archive_as_a_source_error(tmp_path):
    missing = f"docker-archive:{tmp_path / 'nope.tar'}"
    with pytest.raises(SourceError, match="no such file"), open_image(missing, Options()):
        pass


# --- known bugs outside the walk and the sources (strict xfail: they fail loudly once fixed) ------------


def test_repeated_path_in_one_layer_keeps_each_copys_own_content(tmp_path, cli):
    spec = ImageSpec(layers=[[
        Dir("/app"),
        File("/app/.env", f"AWS_ACCESS_KEY_ID={AWS_KEY_ID}\n".encode()),
        File("/app/.env", b"DEBUG=1\n"),  # the later entry wins: what ships visibly is harmless
    ]])
    kit.write_docker_archive(tmp_path / "image.tar", spec)
    doc = cli(tmp_path / "image.tar", "--format", "json").json()
    assert {(f["path"], f["status"]) for f in doc["findings"] if f["rule"] == "ds-aws-access-key"} == {
        ("/app/.env", "overwritten")
    }


def test_two_github_tokens_in_one_file_are_two_findings(tmp_path, cli):
    spec = ImageSpec(layers=[[Dir("/app"), File("/app/tokens.txt", f"a: {ENV_TOKEN}\nb: {CONFIG_TOKEN}\n".encode())]])
    kit.write_docker_archive(tmp_path / "image.tar", spec)
    doc = cli(tmp_path / "image.tar", "--format", "json", "--show-secrets").json()
    assert sorted((f["line"], f["secret"]) for f in doc["findings"] if f["rule"] == "ds-github-token") == [
        (1, ENV_TOKEN), (2, CONFIG_TOKEN)
    ]
