"""Which platform is audited: the host's when the image has it, else the image's only one (with a note),
else an error listing them; an explicit --platform the image lacks is always an error.

The host is pinned (`host` fixture) so the tests mean the same on an amd64 and an arm64 machine. Images
are written by the kit; the registry case serves a kit OCI layout from the scripted loopback registry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import SourceError
from auditor.sources import Options, open_image, selection
from testing import imagekit as kit
from testing.imagekit import Dir, File, ImageSpec
from testing.registry import Reply, running


def spec(arch: str, variant: str | None = None) -> ImageSpec:
    return ImageSpec(layers=[[Dir("/etc"), File(f"/etc/only-{arch}", arch.encode())]],
                     architecture=arch, variant=variant, repo_tags=["kit/app:1"])


ARM64 = spec("arm64", "v8")
S390X = spec("s390x")
AMD64 = spec("amd64")


@pytest.fixture(autouse=True)
def host(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """`host("linux/arm64")` makes that the machine's platform; linux/amd64 unless a test says so."""

    def pin(platform: str) -> None:
        monkeypatch.setattr(selection, "host_platform", lambda: platform)

    pin("linux/amd64")
    return pin


def write(kind: str, path: Path, images: list[ImageSpec]) -> str:
    """The reference of `images` written as a docker archive, an OCI archive or an OCI layout directory
    (several images become one multi-platform index)."""
    if kind == "docker-archive":
        kit.write_docker_archive(path / "image.tar", images[0])
        return f"docker-archive:{path / 'image.tar'}"
    index = "multiarch" if len(images) > 1 else "flat"
    if kind == "oci-archive":
        kit.write_oci_archive(path / "image.oci.tar", images, index=index, attestations=True)
        return f"oci-archive:{path / 'image.oci.tar'}"
    kit.write_oci_layout(path / "layout", images, index=index, attestations=True)
    return f"oci:{path / 'layout'}"


KINDS = ["docker-archive", "oci-archive", "oci"]


@pytest.mark.parametrize("kind", KINDS)
def test_an_image_only_for_another_platform_is_audited_with_a_note_naming_it(tmp_path, cli, kind):
    ref = write(kind, tmp_path, [ARM64])
    result = cli(ref, "--format", "json")
    assert result.code in (0, 1), result.err
    doc = result.json()
    assert [layer["index"] for layer in doc["image"]["layers"]] == [0]
    [note] = doc["warnings"]
    assert "linux/arm64/v8 image" in note and "linux/amd64" in note
    assert "linux/arm64/v8 image" in result.err


@pytest.mark.parametrize("kind", ["oci-archive", "oci"])
def test_the_hosts_platform_is_chosen_from_a_multi_platform_index_without_a_note(tmp_path, cli, files, host,
                                                                                  kind):
    host("linux/arm64")
    ref = write(kind, tmp_path, [AMD64, ARM64])
    assert [row[0] for row in files(ref)] == ["/etc", "/etc/only-arm64"]
    assert cli(ref, "--format", "json").json()["warnings"] == []


@pytest.mark.parametrize("kind", ["oci-archive", "oci"])
def test_a_multi_platform_index_without_the_hosts_platform_is_an_error_listing_them(tmp_path, cli, kind):
    ref = write(kind, tmp_path, [ARM64, S390X])
    result = cli(ref)
    assert (result.code, result.out) == (2, "")
    [line] = result.err.splitlines()
    assert "linux/amd64" in line and "linux/arm64/v8, linux/s390x" in line and "--platform" in line
    assert "unknown" not in line  # the attestations are no platform


@pytest.mark.parametrize("kind", KINDS)
def test_an_explicit_platform_the_image_lacks_is_an_error(tmp_path, cli, kind):
    ref = write(kind, tmp_path, [ARM64])
    result = cli(ref, "--platform", "linux/s390x")
    assert (result.code, result.out) == (2, "")
    [line] = result.err.splitlines()
    assert "linux/s390x" in line and "linux/arm64/v8" in line


@pytest.mark.parametrize("kind", KINDS)
def test_an_explicit_platform_the_image_has_is_audited_without_a_note(tmp_path, cli, kind):
    ref = write(kind, tmp_path, [ARM64])
    result = cli(ref, "--format", "json", "--platform", "linux/arm64")
    assert result.code in (0, 1), result.err
    assert result.json()["warnings"] == []


def test_auditor_platform_counts_as_an_explicit_platform(tmp_path, cli, monkeypatch):
    ref = write("docker-archive", tmp_path, [ARM64])
    monkeypatch.setenv("AUDITOR_PLATFORM", "linux/s390x")
    result = cli(ref)
    assert result.code == 2 and "linux/s390x" in result.err


@pytest.mark.parametrize(("machine", "expected"), [("x86_64", "linux/amd64"), ("AMD64", "linux/amd64"),
                                                   ("aarch64", "linux/arm64"), ("arm64", "linux/arm64"),
                                                   ("armv7l", "linux/arm/v7"), ("ppc64le", "linux/ppc64le")])
def test_host_platform_names_the_machine_as_oci_does(monkeypatch, machine, expected):
    import platform

    monkeypatch.undo()  # the autouse pin replaced host_platform itself
    monkeypatch.setattr(platform, "machine", lambda: machine)
    assert selection.host_platform() == expected


# --- a registry index --------------------------------------------------------------------------------


def layout_routes(layout: Path, repo: str, tag: str) -> dict[str, Reply]:
    """Serve an OCI layout as a registry: index.json at the tag, each blob as a blob and as a manifest."""
    def reply(data: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            media_type = json.loads(data).get("mediaType") or "application/octet-stream"
        except (ValueError, AttributeError):
            media_type = "application/octet-stream"
        return 200, {"Content-Type": media_type}, data

    routes: dict[str, Reply] = {f"/v2/{repo}/manifests/{tag}": reply((layout / "index.json").read_bytes())}
    for blob in (layout / "blobs" / "sha256").iterdir():
        for kind in ("blobs", "manifests"):
            routes[f"/v2/{repo}/{kind}/sha256:{blob.name}"] = reply(blob.read_bytes())
    return routes


@pytest.mark.parametrize(("images", "platform", "outcome"), [
    ([ARM64], None, "only-arm64"),
    ([ARM64, S390X], None, "no image for this host's platform linux/amd64"),
    ([ARM64], "linux/s390x", "no image for platform linux/s390x"),
])
def test_a_registry_index_follows_the_same_rule(tmp_path, images, platform, outcome):
    kit.write_oci_layout(tmp_path, images, index="multiarch")
    with running() as server:
        server.routes.update(layout_routes(tmp_path, "kit/app", "1"))
        ref = f"docker://{server.address}/kit/app:1"
        try:
            with open_image(ref, Options(platform=platform)) as image:
                got: Any = (image.warnings, image.config["architecture"])
        except SourceError as exc:
            got = str(exc)
    if outcome.startswith("only-"):
        [note], arch = got
        assert arch == "arm64" and "linux/arm64/v8 image" in note
    else:
        assert isinstance(got, str) and outcome in got


def test_the_index_entrys_platform_decides_over_the_config(tmp_path, cli):
    """A hand-made index may list an image under another platform than its config names (the registry
    integration test does): the index is what platforms are chosen by."""
    kit.write_oci_layout(tmp_path, AMD64)
    index = json.loads((tmp_path / "index.json").read_text())
    index["manifests"][0]["platform"] = {"os": "linux", "architecture": "arm64"}
    (tmp_path / "index.json").write_text(json.dumps(index))
    result = cli(tmp_path, "--format", "json", "--platform", "linux/arm64")
    assert result.code in (0, 1), result.err
    assert result.json()["warnings"] == []
