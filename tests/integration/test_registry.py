"""`audit docker://…` against real `docker-registry` processes, with no Docker engine reachable.

The scenario images are built by the engine (conftest.py), saved, and pushed with skopeo; every audit
then runs the CLI in a subprocess with DOCKER_HOST pointing at a socket that does not exist. Registries:
anonymous over plain HTTP on loopback; TLS with a generated CA and htpasswd (bcrypt) basic auth; token
auth with a token service in this process that signs JWTs the registry verifies. Logins come from a
temporary DOCKER_CONFIG, a fake docker-credential helper, or --username with --password-stdin, and no
password may appear in any output.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from base64 import b64encode
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import SUBPROCESS_TIMEOUT, audit_command, run
from tests.integration.registries import Registry, TokenService, htpasswd_file, make_pki, start_registry

pytestmark = [pytest.mark.docker, pytest.mark.skopeo]

NO_ENGINE = "unix:///nonexistent/layer-auditor/docker.sock"
USER = "auditor"
PASSWORD = "pw-" + secrets.token_hex(12)
FINDING_KEY = ("rule", "path", "status", "layer", "hidden_by", "location", "line", "fingerprint")
CA_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def findings(doc: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {tuple(f[k] for k in FINDING_KEY) for f in doc["findings"]}


class Audit:
    """Run the CLI in a subprocess: no engine, an empty DOCKER_CONFIG unless given, a private cache."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.empty_config = workdir / "empty-docker-config"
        self.empty_config.mkdir(parents=True, exist_ok=True)

    def __call__(self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None,
                 cache: str | None = None) -> subprocess.CompletedProcess[str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_") and k not in CA_VARIABLES}
        base |= {"DOCKER_HOST": NO_ENGINE, "DOCKER_CONFIG": str(self.empty_config)}
        if cache:
            base["XDG_CACHE_HOME"] = cache
        proc = subprocess.run([*audit_command(), *args], env=base | (env or {}), cwd=self.workdir, text=True,
                              capture_output=True, input=stdin, timeout=SUBPROCESS_TIMEOUT)
        assert PASSWORD not in proc.stdout + proc.stderr, "a password reached the output"
        return proc

    def json(self, *args: str, **kwargs: Any) -> dict[str, Any]:
        proc = self(*args, "--format", "json", **kwargs)
        assert proc.returncode in (0, 1), f"exit {proc.returncode}: {proc.stderr}"
        return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> Audit:
    return Audit(tmp_path_factory.mktemp("registry-audit"))


@pytest.fixture(scope="module")
def registry_binary(which: Callable[..., str]) -> str:
    return which("docker-registry", "apt-get install docker-registry")


@pytest.fixture(scope="module")
def push(routes: Any, skopeo: str) -> Callable[..., str]:
    """`push(scenario, registry, "repo:tag", *skopeo_args)` copies the scenario's save archive there."""

    def copy(name: str, registry: Registry, target: str, *extra: str) -> str:
        run([skopeo, "--insecure-policy", "copy", "--quiet", *extra, f"docker-archive:{routes.archive(name)}",
             f"docker://{registry.address}/{target}"], "skopeo copy")
        return f"docker://{registry.address}/{target}"

    return copy


@pytest.fixture(scope="module")
def anonymous(registry_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    registry = start_registry(registry_binary, tmp_path_factory.mktemp("registry-anonymous"))
    yield registry
    registry.stop()


@pytest.fixture
def scratch_registry(registry_binary: str, tmp_path: Path) -> Any:
    """A registry of this test alone, whose blobs it may tamper with."""
    registry = start_registry(registry_binary, tmp_path / "registry")
    yield registry
    registry.stop()


@pytest.fixture(scope="module")
def secured(registry_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("registry-secured")
    pki = make_pki(folder / "pki")
    registry = start_registry(registry_binary, folder / "registry", tls=pki,
                              htpasswd=htpasswd_file(folder / "htpasswd", USER, PASSWORD))
    yield registry
    registry.stop()


@pytest.fixture(scope="module")
def tokened(registry_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("registry-token")
    service = TokenService(folder / "token", USER, PASSWORD)
    registry = start_registry(registry_binary, folder / "registry", token=service)
    registry.extra["token"] = service
    yield registry
    registry.stop()
    service.stop()


def docker_config(folder: Path, doc: dict[str, Any]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(doc))
    return str(folder)


def basic_auths(registry: Registry, password: str = PASSWORD) -> dict[str, Any]:
    return {"auths": {registry.address: {"auth": b64encode(f"{USER}:{password}".encode()).decode()}}}


def layer_digests(doc: dict[str, Any]) -> list[str]:
    return [layer["digest"] for layer in doc["image"]["layers"]]


def tamper(path: Path) -> None:
    """Overwrite a blob's bytes in place (same length), as a corrupt disk or a malicious mirror would."""
    size = path.stat().st_size
    path.write_bytes(secrets.token_bytes(size))


# --- anonymous -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["deleted", "overwritten", "hardlinked", "metadata"])
def test_registry_daemon_and_archive_give_the_same_findings(name, anonymous, push, routes, audit):
    ref = push(name, anonymous, f"{name}:1", "--dest-tls-verify=false")
    from_registry = audit.json(ref)
    from_archive = audit.json(f"docker-archive:{routes.archive(name)}")
    from_daemon = audit.json(routes.ref(name, "daemon"), env={"DOCKER_HOST": os.environ.get("DOCKER_HOST", "")})

    assert from_registry["not_scanned"] == []
    assert findings(from_registry) == findings(from_archive) == findings(from_daemon)
    assert from_registry["findings"], "the scenario plants secrets, so there must be findings"
    for field in ("layers", "entries", "hidden_bytes", "by_status"):
        assert from_registry["summary"][field] == from_archive["summary"][field], field
    assert [layer["diff_id"] for layer in from_registry["image"]["layers"]] == \
        [layer["diff_id"] for layer in from_archive["image"]["layers"]]


def test_registry_alias_and_digest_reference_read_the_same_image(anonymous, push, audit):
    ref = push("deleted", anonymous, "alias:1", "--dest-tls-verify=false")
    by_tag = audit.json(ref)
    digest = by_tag["image"]["digest"]
    by_digest = audit.json(f"registry:{anonymous.address}/alias@{digest}")
    assert digest.startswith("sha256:")
    assert findings(by_digest) == findings(by_tag)


def test_works_with_no_engine_and_says_nothing_about_one(anonymous, push, audit):
    ref = push("deleted", anonymous, "app:1", "--dest-tls-verify=false")
    proc = audit(ref)
    assert proc.returncode == 1, proc.stderr  # findings, not an error
    assert "engine" not in proc.stderr.lower()


def test_a_missing_tag_is_a_not_found_error(anonymous, push, audit):
    push("deleted", anonymous, "present:1", "--dest-tls-verify=false")
    proc = audit(f"docker://{anonymous.address}/present:nope")
    assert proc.returncode == 2
    assert "not found" in proc.stderr and "404" in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_a_missing_repository_is_a_not_found_error(anonymous, audit):
    proc = audit(f"docker://{anonymous.address}/absent/repo:1")
    assert proc.returncode == 2 and "404" in proc.stderr


# --- multi-arch index ------------------------------------------------------------------------------


def _index_layout(routes: Any, folder: Path) -> Path:
    """An OCI layout holding one index: "deleted" as linux/amd64, "overwritten" as linux/arm64/v8, and a
    BuildKit-style attestation manifest (platform unknown/unknown)."""
    blobs = folder / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    entries = []
    for name, platform in (("deleted", {"os": "linux", "architecture": "amd64"}),
                           ("overwritten", {"os": "linux", "architecture": "arm64", "variant": "v8"})):
        layout = routes.oci(name, "gzip")
        for blob in (layout / "blobs" / "sha256").iterdir():
            shutil.copy(blob, blobs / blob.name)
        [desc] = json.loads((layout / "index.json").read_text())["manifests"]
        entries.append({"mediaType": desc["mediaType"], "digest": desc["digest"], "size": desc["size"],
                        "platform": platform})

    def put(data: bytes) -> dict[str, Any]:
        import hashlib

        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"digest": f"sha256:{digest}", "size": len(data)}

    statement = put(b'{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document"}')
    config = put(b'{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":[]}}')
    attestation = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
        "layers": [{"mediaType": "application/vnd.in-toto+json", **statement,
                    "annotations": {"in-toto.io/predicate-type": "https://spdx.dev/Document"}}],
    }).encode()
    entries.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", **put(attestation),
                    "platform": {"os": "unknown", "architecture": "unknown"},
                    "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                                    "vnd.docker.reference.digest": entries[0]["digest"]}})
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": entries}).encode()
    (folder / "index.json").write_text(json.dumps({
        "schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", **put(index),
                                           "annotations": {"org.opencontainers.image.ref.name": "multi"}}]}))
    (folder / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    return folder


def test_multi_arch_index_pushed_with_skopeo_picks_the_platform_and_skips_attestations(
        anonymous, routes, skopeo, audit, tmp_path):
    layout = _index_layout(routes, tmp_path / "multi")
    run([skopeo, "--insecure-policy", "copy", "--quiet", "--all", "--dest-tls-verify=false",
         f"oci:{layout}:multi", f"docker://{anonymous.address}/multi:1"], "skopeo copy --all")
    ref = f"docker://{anonymous.address}/multi:1"

    amd64 = audit.json(ref, "--platform", "linux/amd64")
    arm64 = audit.json(ref, "--platform", "linux/arm64")
    assert findings(amd64) == findings(audit.json(f"docker-archive:{routes.archive('deleted')}"))
    assert findings(arm64) == findings(audit.json(f"docker-archive:{routes.archive('overwritten')}"))

    proc = audit(ref, "--platform", "unknown/unknown")
    assert proc.returncode == 2
    assert "no image for platform unknown/unknown" in proc.stderr
    assert "linux/amd64" in proc.stderr and "linux/arm64/v8" in proc.stderr


# --- digests and the cache -------------------------------------------------------------------------


def test_a_tampered_layer_blob_is_refused_naming_it(scratch_registry, push, audit):
    ref = push("deleted", scratch_registry, "app:1", "--dest-tls-verify=false")
    layers = layer_digests(audit.json(ref, "--no-cache"))
    tamper(scratch_registry.blob_file(layers[-1]))

    proc = audit(ref, "--no-cache", "--format", "json")
    assert proc.returncode == 2
    [broken] = json.loads(proc.stdout)["not_scanned"]
    assert layers[-1] in broken["reason"] and "digest mismatch" in broken["reason"]
    assert broken["layer"] == len(layers) - 1
    assert "could not be read completely" in proc.stderr


def test_a_tampered_config_blob_is_an_error_naming_it(scratch_registry, push, audit):
    ref = push("metadata", scratch_registry, "app:1", "--dest-tls-verify=false")
    manifest_dir = scratch_registry.root / "docker/registry/v2/repositories/app/_manifests/revisions/sha256"
    [revision] = list(manifest_dir.iterdir())
    manifest = json.loads(scratch_registry.blob_file(f"sha256:{revision.name}").read_bytes())
    config_digest = manifest["config"]["digest"]
    tamper(scratch_registry.blob_file(config_digest))

    proc = audit(ref, "--no-cache")
    assert proc.returncode == 2
    assert f"blob {config_digest}" in proc.stderr and "digest mismatch" in proc.stderr


def test_cached_layers_are_not_downloaded_again(scratch_registry, push, audit, tmp_path):
    ref = push("deleted", scratch_registry, "app:1", "--dest-tls-verify=false")
    cache = str(tmp_path / "cache")
    first = audit.json(ref, cache=cache)
    assert first["summary"]["cached_layers"] == 0
    for digest in layer_digests(first):
        tamper(scratch_registry.blob_file(digest))  # any download of a layer would now fail its digest

    second = audit.json(ref, cache=cache)
    assert second["not_scanned"] == []
    assert second["summary"]["cached_layers"] == len(first["image"]["layers"])
    assert findings(second) == findings(first)
    uncached = audit(ref, "--no-cache", "--format", "json", cache=cache)
    assert uncached.returncode == 2 and json.loads(uncached.stdout)["not_scanned"]


# --- TLS and basic auth ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def secured_ref(secured, push) -> str:
    return push("deleted", secured, "app:1", "--dest-cert-dir", str(secured.tls.cert_dir),
                "--dest-creds", f"{USER}:{PASSWORD}")


def test_tls_basic_auth_with_config_json_login_and_ca_cert(secured, secured_ref, audit, tmp_path, routes):
    config = docker_config(tmp_path / "docker", basic_auths(secured))
    doc = audit.json(secured_ref, "--ca-cert", str(secured.tls.ca), env={"DOCKER_CONFIG": config})
    assert doc["not_scanned"] == []
    assert findings(doc) == findings(audit.json(f"docker-archive:{routes.archive('deleted')}"))


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_ca_bundle_variables_add_trust(variable, secured, secured_ref, audit, tmp_path):
    config = docker_config(tmp_path / "docker", basic_auths(secured))
    proc = audit(secured_ref, env={"DOCKER_CONFIG": config, variable: str(secured.tls.ca)})
    assert proc.returncode == 1, proc.stderr


def test_an_untrusted_certificate_is_refused(secured, secured_ref, audit, tmp_path):
    config = docker_config(tmp_path / "docker", basic_auths(secured))
    proc = audit(secured_ref, env={"DOCKER_CONFIG": config})
    assert proc.returncode == 2
    assert "certificate verify failed" in proc.stderr and "--ca-cert" in proc.stderr


def test_insecure_registry_skips_verification_when_asked(secured, secured_ref, audit, tmp_path):
    config = docker_config(tmp_path / "docker", basic_auths(secured))
    proc = audit(secured_ref, "--insecure-registry", env={"DOCKER_CONFIG": config})
    assert proc.returncode == 1, proc.stderr
    assert "Warning" not in proc.stderr


def test_no_login_is_a_401_error_that_says_how_to_log_in(secured, secured_ref, audit):
    proc = audit(secured_ref, "--ca-cert", str(secured.tls.ca))
    assert proc.returncode == 2
    assert "requires authentication (401 Unauthorized)" in proc.stderr


def test_password_stdin_logs_in(secured, secured_ref, audit):
    proc = audit(secured_ref, "--ca-cert", str(secured.tls.ca), "--username", USER, "--password-stdin",
                 stdin=PASSWORD + "\n")
    assert proc.returncode == 1, proc.stderr


def test_a_wrong_password_is_rejected_without_showing_either_password(secured, secured_ref, audit):
    wrong = "wrong-" + secrets.token_hex(8)
    proc = audit(secured_ref, "--ca-cert", str(secured.tls.ca), "--username", USER, "--password-stdin",
                 stdin=wrong + "\n")
    assert proc.returncode == 2
    assert "rejected the credentials from --username (401 Unauthorized)" in proc.stderr
    assert wrong not in proc.stderr + proc.stdout


def test_creds_store_helper_supplies_the_login(secured, secured_ref, audit, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    helper = bindir / "docker-credential-fake"
    helper.write_text(f"#!{sys.executable}\nimport json, sys\nserver = sys.stdin.read().strip()\n"
                      f"if server != {secured.address!r}:\n    print('credentials not found in native keychain')\n"
                      "    sys.exit(1)\n"
                      f"print(json.dumps({{'ServerURL': server, 'Username': {USER!r}, 'Secret': {PASSWORD!r}}}))\n")
    helper.chmod(0o755)
    config = docker_config(tmp_path / "docker", {"credsStore": "fake"})
    proc = audit(secured_ref, "--ca-cert", str(secured.tls.ca),
                 env={"DOCKER_CONFIG": config, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"})
    assert proc.returncode == 1, proc.stderr


# --- token auth ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def token_ref(tokened, push) -> str:
    return push("deleted", tokened, "team/app:1", "--dest-tls-verify=false", "--dest-creds", f"{USER}:{PASSWORD}")


def test_bearer_token_flow_with_config_json_login(tokened, token_ref, audit, tmp_path, routes):
    service: TokenService = tokened.extra["token"]
    config = docker_config(tmp_path / "docker", basic_auths(tokened))
    before = len(service.requests)
    doc = audit.json(token_ref, env={"DOCKER_CONFIG": config})
    assert doc["not_scanned"] == []
    assert findings(doc) == findings(audit.json(f"docker-archive:{routes.archive('deleted')}"))
    ours = service.requests[before:]
    assert ours and all(r["valid"] for r in ours)
    assert ours[0]["scope"] == ["repository:team/app:pull"]


def test_bearer_token_refused_without_a_login(tokened, token_ref, audit):
    proc = audit(token_ref)
    assert proc.returncode == 2
    assert "refused anonymous access" in proc.stderr and "401" in proc.stderr


def test_bearer_token_refused_for_a_wrong_password(tokened, token_ref, audit, tmp_path):
    config = docker_config(tmp_path / "docker", basic_auths(tokened, password="not-" + PASSWORD[3:]))
    proc = audit(token_ref, env={"DOCKER_CONFIG": config})
    assert proc.returncode == 2
    assert "refused the credentials from config.json" in proc.stderr
