"""Podman and containerd, for real: a kit image loaded into the engine is audited through `podman://`
(and through DOCKER_HOST at Podman's socket) and `containerd://`, with the same findings and files as
the archive it was loaded from.

The engines are the ones the environment names, as the tools find them: CONTAINER_HOST (else Podman's
default sockets) and CONTAINERD_ADDRESS (else /run/containerd/containerd.sock); .ci/run starts both on
private sockets. Without one the tests skip, and fail under CI=true.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from auditor.sources import containerd, podman
from testing import imagekit as kit
from tests.conftest import missing
from tests.sources.test_sources import APP_TOKENS, app_spec, token_findings

pytestmark = pytest.mark.slow

RUN_ID = secrets.token_hex(4)
FINDING_KEY = ("rule", "path", "status", "layer", "hidden_by", "line", "fingerprint")


def findings(doc: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {tuple(f[k] for k in FINDING_KEY) for f in doc["findings"]}


def same_audit(cli: Any, files: Any, ref: str, archive: str) -> None:
    """`ref` audits exactly as `archive` does: findings (the app's tokens among them) and files."""
    got, want = cli(ref, "--format", "json"), cli(archive, "--format", "json")
    assert got.code == want.code == 1, got.err
    assert got.json()["not_scanned"] == []
    assert token_findings(got.json()) == APP_TOKENS
    assert findings(got.json()) == findings(want.json())
    assert files(ref) == files(archive)


# --- Podman ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def podman_client() -> Iterator[Any]:
    import docker

    url = podman.socket_url()
    try:
        client = docker.DockerClient(base_url=url, timeout=120)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no Podman"
        missing(f"no Podman service at {url} ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); "
                "start one: podman system service --time=0 unix:///PATH, and set CONTAINER_HOST=unix:///PATH")
    yield client
    client.close()


@pytest.fixture(scope="module")
def in_podman(podman_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(image name in Podman, the docker archive it was loaded from)."""
    name = f"kit/podman-{RUN_ID}:1"
    archive = tmp_path_factory.mktemp("podman") / "image.tar"
    kit.write_docker_archive(archive, app_spec(repo_tags=[name]))
    podman_client.images.load(archive.read_bytes())
    yield name, str(archive)
    podman_client.images.remove(name, force=True)


def test_podman_image_audits_as_its_archive(cli, files, in_podman):
    name, archive = in_podman
    same_audit(cli, files, f"podman://{name}", archive)


def test_docker_host_at_the_podman_socket_audits_as_its_archive(cli, files, in_podman, monkeypatch):
    name, archive = in_podman
    monkeypatch.setenv("DOCKER_HOST", podman.socket_url())
    same_audit(cli, files, f"docker-daemon:{name}", archive)


def test_an_image_podman_lacks_is_one_line_naming_podman(cli, in_podman):
    result = cli(f"podman://kit/absent-{RUN_ID}:1")
    assert (result.code, result.out) == (2, "")
    [line] = result.err.splitlines()
    assert "Podman" in line and f"absent-{RUN_ID}" in line


# --- containerd ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ctr() -> list[str]:
    """The ctr command line for the test namespace, once containerd answers."""
    path = shutil.which("ctr")
    if path is None:
        missing("ctr is not installed (apt-get install containerd)")
    address = containerd.address()
    argv = [path, "--address", address, "--namespace", f"layer-auditor-test-{RUN_ID}"]
    try:
        proc = subprocess.run([path, "--address", address, "version"], capture_output=True, text=True, timeout=20,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        proc = None
    if proc is None or proc.returncode != 0:
        missing(f"no containerd answers at {address}; start one (containerd --address PATH ...) and set "
                "CONTAINERD_ADDRESS=PATH")
    return argv


@pytest.fixture(scope="module")
def in_containerd(ctr: list[str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(namespace/short name in containerd, the OCI archive it was imported from)."""
    short = f"kit/ctrd-{RUN_ID}:1"
    archive = tmp_path_factory.mktemp("containerd") / "image.oci.tar"
    kit.write_oci_archive(archive, app_spec(repo_tags=[short]))
    subprocess.run([*ctr, "images", "import", "--no-unpack", str(archive)], check=True, capture_output=True,
                   timeout=120, stdin=subprocess.DEVNULL)
    yield f"{ctr[-1]}/{short}", f"oci-archive:{archive}"
    subprocess.run([*ctr, "images", "rm", f"docker.io/{short}"], capture_output=True, timeout=120,
                   stdin=subprocess.DEVNULL, check=False)
    subprocess.run([*ctr[:3], "namespaces", "rm", ctr[-1]], capture_output=True, timeout=120,
                   stdin=subprocess.DEVNULL, check=False)


@pytest.mark.parametrize("form", ["short name", "full name"])
def test_containerd_image_audits_as_its_archive(cli, files, in_containerd, form):
    where, archive = in_containerd
    namespace, short = where.split("/", 1)
    name = short if form == "short name" else f"docker.io/{short}"
    same_audit(cli, files, f"containerd://{namespace}/{name}", archive)


def test_an_image_containerd_lacks_is_one_line_naming_the_namespace(cli, in_containerd):
    namespace = in_containerd[0].split("/", 1)[0]
    result = cli(f"containerd://{namespace}/kit/absent:1")
    assert (result.code, result.out) == (2, "")
    [line] = result.err.splitlines()
    assert f"namespace {namespace!r}" in line and "ctr -n" in line
