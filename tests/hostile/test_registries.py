"""Hostile registries, through the real command: where a login may go, bodies without end, servers that
drip, descriptors without sizes, huge indexes and odd Retry-After values.

Every registry here is a `testing.registry.Scripted` server on 127.0.0.1; nothing else is contacted.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing import imagekit as kit
from testing import registry as fake
from testing.hostile import SECRET_FILE
from testing.imagekit import File

USER = "ci"
TOKEN = "ci-token-" + "z" * 24  # what a CI job would pipe to --password-stdin
LOGIN = fake.basic(USER, TOKEN)
LAYERS = [[File("/app.env", SECRET_FILE)]]


@pytest.fixture(autouse=True)
def empty_docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No login from the Docker config of whoever runs the tests."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "no-docker-config"))


@pytest.fixture
def registry() -> Iterator[fake.Scripted]:
    """The registry the audited image lives in; it requires the CI login."""
    with fake.running() as server:
        server.routes = fake.image_routes("app", "1", LAYERS)
        server.login = LOGIN
        yield server


@pytest.fixture
def elsewhere() -> Iterator[fake.Scripted]:
    """Another registry (another origin), which asks for a login (Basic, or Bearer through its own realm)
    and would log whatever it gets."""
    with fake.running() as server:
        server.routes = fake.image_routes("base", "1")
        server.routes["/token"] = fake.json_reply({"token": "t"})
        server.login = LOGIN
        yield server


def _with_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN + "\n"))


def _one_error_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.code == 2, result
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("audit: error: "), lines
    return lines[0]


# --- case 1: a command-line login belongs to one registry -------------------------------------------


def test_the_command_line_login_goes_to_the_first_images_registry(registry, audit, monkeypatch):
    _with_password(monkeypatch)
    result = audit(f"docker://{registry.address}/app:1", "--username", USER, "--password-stdin")
    assert result.code == 1, result.err  # logged in, audited, the planted secret found
    assert LOGIN in registry.authorizations()


@pytest.mark.parametrize("where", ["--skip-base", "second image", "config file skip-base"])
def test_the_command_line_login_never_reaches_another_registry(registry, elsewhere, cli, monkeypatch, where):
    _with_password(monkeypatch)
    other = f"docker://{elsewhere.address}/base:1"
    refs = [f"docker://{registry.address}/app:1"]
    flags = ["--username", USER, "--password-stdin", "--format", "json", "--no-cache"]
    if where == "--skip-base":
        flags += ["--skip-base", other]
    elif where == "second image":
        refs.append(other)
    else:  # a repository's own configuration names the base: it must not choose where the login goes
        Path(".layer-auditor.yaml").write_text(f"skip-base: {other}\n")
    result = cli(*refs, *flags)
    assert result.code == 2 and "requires authentication" in result.err
    assert elsewhere.requests, "the other registry was asked (anonymously)"
    assert elsewhere.authorizations() == []
    assert TOKEN not in result.out + result.err


def test_the_other_registry_gets_only_the_docker_configs_login_for_its_own_host(
        registry, elsewhere, audit, monkeypatch, tmp_path):
    folder = tmp_path / "docker-config"
    folder.mkdir()
    own = fake.basic("base-user", "base-password")
    (folder / "config.json").write_text(json.dumps({"auths": {elsewhere.address: {"auth": own.split()[1]}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    elsewhere.login = own
    _with_password(monkeypatch)
    result = audit(f"docker://{registry.address}/app:1", "--skip-base", f"docker://{elsewhere.address}/base:1",
                   "--username", USER, "--password-stdin")
    assert result.code == 1, result.err
    assert set(elsewhere.authorizations()) == {own} and set(registry.authorizations()) == {LOGIN}


def test_registry_login_names_the_one_registry_the_login_is_for(registry, elsewhere, audit, monkeypatch):
    elsewhere.login = None  # the audited image is public; its base is in the private registry
    _with_password(monkeypatch)
    result = audit(f"docker://{elsewhere.address}/base:1", "--skip-base", f"docker://{registry.address}/app:1",
                   "--registry-login", registry.address, "--username", USER, "--password-stdin")
    assert result.code == 0, result.err
    assert set(registry.authorizations()) == {LOGIN} and elsewhere.authorizations() == []


def test_registry_login_scopes_the_login_when_the_image_is_not_in_a_registry(registry, archive, audit, monkeypatch):
    _with_password(monkeypatch)
    result = audit(archive(LAYERS), "--skip-base", f"docker://{registry.address}/app:1",
                   "--registry-login", registry.address, "--username", USER, "--password-stdin")
    assert result.code == 0, result.err  # the base is the image itself: nothing left to report
    assert set(registry.authorizations()) == {LOGIN}


@pytest.mark.parametrize(("args", "says"), [
    (["--registry-login", "127.0.0.1:1"], "--registry-login needs --username"),
    (["--username", USER, "--password-stdin", "--registry-login", "http://127.0.0.1:1/"], "--registry-login"),
])
def test_registry_login_mistakes_are_usage_errors(archive, cli, monkeypatch, args, says):
    _with_password(monkeypatch)
    assert says in _one_error_line(cli(archive(LAYERS), *args))


def test_a_login_for_an_image_that_is_not_in_a_registry_must_name_its_registry(archive, cli, monkeypatch):
    _with_password(monkeypatch)
    line = _one_error_line(cli(archive(LAYERS), "--skip-base", "docker://127.0.0.1:1/base:1",
                               "--username", USER, "--password-stdin"))
    assert "--registry-login" in line and TOKEN not in line


# --- case 2: a challenge from where a redirect led is not answered --------------------------------------


def test_a_challenge_from_the_host_a_blob_redirects_to_gets_no_login(registry, elsewhere, audit, monkeypatch):
    [layer_path] = [p for p in registry.routes if "/blobs/" in p and p != _config_path(registry)]
    registry.routes[layer_path] = (307, {"Location": f"http://{elsewhere.address}/cdn/blob"}, b"")
    elsewhere.login = None
    elsewhere.routes["/cdn/blob"] = fake.challenge(f'Bearer realm="http://{elsewhere.address}/token"')
    _with_password(monkeypatch)
    result = audit(f"docker://{registry.address}/app:1", "--username", USER, "--password-stdin")
    assert result.code == 2 and "could not be read completely" in result.err
    reason = result.json()["not_scanned"][0]["reason"]
    assert f"redirected to {elsewhere.address}, which demands authentication" in reason
    assert [r.path for r in elsewhere.requests] == ["/cdn/blob"]  # never the token realm it chose
    assert elsewhere.authorizations() == []


def _config_path(server: fake.Scripted) -> str:
    manifest = json.loads(server.routes["/v2/app/manifests/1"][2])  # type: ignore[index]
    return f"/v2/app/blobs/{manifest['config']['digest']}"


# --- case 6: no body is read whole before it is measured ------------------------------------------------


@pytest.mark.parametrize("body", ["manifest", "error body", "token answer"])
def test_an_endless_body_is_refused_after_little_more_than_the_cap(registry, audit, body):
    registry.login = None
    if body == "manifest":
        registry.routes["/v2/app/manifests/1"] = fake.endless()
    elif body == "error body":
        registry.routes["/v2/app/manifests/1"] = fake.endless(404)
    else:
        registry.routes["/v2/app/manifests/1"] = fake.challenge(f'Bearer realm="http://{registry.address}/token"')
        registry.routes["/token"] = fake.endless()
    result = audit(f"docker://{registry.address}/app:1", "--max-json-size", "64K")
    assert result.code == 2, result
    assert registry.finished.wait(10)
    assert registry.sent < 32 << 20, f"{registry.sent} bytes sent: the body was read whole"


# --- case 7: nothing runs forever ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("how", ["body", "headers"])
@pytest.mark.parametrize("given", ["flag", "environment"])
def test_a_registry_that_drips_is_cut_off_at_the_deadline(registry, cli, monkeypatch, how, given):
    registry.login = None
    registry.routes["/v2/app/manifests/1"] = fake.drip(every=0.3, headers_too=how == "headers")
    flags = ["--deadline", "2"] if given == "flag" else []
    if given == "environment":
        monkeypatch.setenv("AUDITOR_DEADLINE", "2s")
    started = time.monotonic()
    line = _one_error_line(cli(f"docker://{registry.address}/app:1", "--timeout", "5", *flags))
    assert time.monotonic() - started < 6
    assert "did not finish within --deadline 2s" in line and "incomplete" in line


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf", ""])
def test_deadline_refuses_what_is_not_a_positive_duration(archive, cli, capsys, value):
    with pytest.raises(SystemExit) as stop:
        cli(archive(LAYERS), f"--deadline={value}")
    assert stop.value.code == 2
    assert "--deadline" in capsys.readouterr().err


def test_a_bad_deadline_in_the_environment_is_a_one_line_error(archive, cli, monkeypatch):
    monkeypatch.setenv("AUDITOR_DEADLINE", "soon")
    assert "AUDITOR_DEADLINE" in _one_error_line(cli(archive(LAYERS)))


def test_a_layer_descriptor_without_a_size_is_refused(registry, audit):
    registry.login = None
    registry.routes = fake.image_routes("app", "1", LAYERS, descriptor=lambda d: {**d, "size": None})
    line = _one_error_line(audit(f"docker://{registry.address}/app:1"))
    assert "layer 0" in line and "no valid size" in line


def test_an_index_of_thousands_of_entries_costs_one_fetch_for_the_one_used(registry, audit):
    registry.login = None
    manifest = registry.routes.pop("/v2/app/manifests/1")
    digest = kit.sha256(manifest[2])  # type: ignore[index]
    amd64 = {"os": "linux", "architecture": "amd64"}
    entries = [{"mediaType": kit.OCI_MANIFEST, "digest": digest, "size": 1, "platform": amd64}]
    entries += [{"mediaType": kit.OCI_MANIFEST, "digest": kit.sha256(b"%d" % n), "size": 1, "platform": amd64}
                for n in range(3000)]  # none of these is served: fetching any would fail the audit
    registry.routes["/v2/app/manifests/1"] = fake.json_reply(
        {"schemaVersion": 2, "mediaType": kit.OCI_INDEX, "manifests": entries}, kit.OCI_INDEX)
    result = audit(f"docker://{registry.address}/app:1")
    assert result.code == 1, result.err
    assert [r.path for r in registry.requests if "/manifests/" in r.path] == [
        "/v2/app/manifests/1", f"/v2/app/manifests/{digest}"]
    assert any("3001 images match" in w for w in result.json()["warnings"])


def test_a_layer_padded_without_end_stops_at_the_layer_limit(registry, audit):
    registry.login = None
    registry.routes = fake.image_routes("app", "1", LAYERS, descriptor=lambda d: {**d, "size": 1 << 40})
    [layer_path] = [p for p in registry.routes if "/blobs/" in p and p != _config_path(registry)]
    gzipped = registry.routes[layer_path][2]  # type: ignore[index]
    registry.routes[layer_path] = fake.endless(head=gzipped, fill=b"\0")  # gzip skips zero padding
    result = audit(f"docker://{registry.address}/app:1", "--max-layer-bytes", "1M")
    assert result.code in (0, 1), result.err
    assert [(n["layer"], n["limit"]) for n in result.json()["not_scanned"]] == [(0, "max-layer-bytes")]
    assert registry.finished.wait(10)
    assert registry.sent < 32 << 20, f"{registry.sent} bytes sent: the padding was read on"


@pytest.mark.parametrize("value", ["nan", "inf", "-5", "1e999", "Wed, 21 Oct 2015 07:28:00 GMT",
                                   "soon"])
@pytest.mark.slow
def test_any_retry_after_is_a_bounded_wait_never_a_crash(registry, audit, value):
    registry.login = None
    served = registry.routes["/v2/app/manifests/1"]
    registry.routes["/v2/app/manifests/1"] = lambda handler: (429, {"Retry-After": value}, b"") \
        if sum("/manifests/" in r.path for r in registry.requests) == 1 else served
    started = time.monotonic()
    result = audit(f"docker://{registry.address}/app:1")
    assert result.code == 1, result.err
    assert time.monotonic() - started < 15  # the longest wait is the retry policy's cap (10 s)
