"""The registry client against a scripted HTTP server on loopback: retries, auth challenges, refusals
told apart, digests checked, and no credential in any message."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import replace

import pytest
import requests
import requests.adapters

from auditor.deadline import Deadline
from auditor.errors import DeadlineExceeded, SourceError
from auditor.registry.client import RegistryClient
from auditor.registry.credentials import Credentials
from auditor.registry.reference import parse
from auditor.registry.retry import RetryPolicy
from auditor.registry.settings import RegistryOptions
from testing.registry import Handler, Scripted, drip, running

MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"digest": "sha256:" + "0" * 64}, "layers": []}).encode()
MANIFEST_DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
PASSWORD = "s3cret-Pa55word-never-shown"
TOKEN = "tok-" + "x" * 40


@pytest.fixture
def server():
    with running() as scripted:
        scripted.default = (200, {}, MANIFEST)
        yield scripted


def _client(server: Scripted, sleeps: list[float] | None = None, credentials: Credentials | None = None,
            repo: str = "app") -> RegistryClient:
    if credentials is not None:  # a login given for this registry
        credentials = replace(credentials, registry=server.address)
    options = RegistryOptions(credentials=credentials, timeout=5, retry=RetryPolicy(attempts=3, base=0.01, cap=0.05))
    sink = sleeps if sleeps is not None else []
    return RegistryClient(parse(f"{server.address}/{repo}:1"), options, sleep=sink.append)


@pytest.fixture(autouse=True)
def no_docker_config(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "empty-docker-config"))


def test_loopback_registry_over_plain_http_is_read_without_a_flag(server):
    media_type, document, digest = _client(server).manifest("1")
    assert digest == MANIFEST_DIGEST and document["schemaVersion"] == 2
    assert server.seen[0][0] == "/v2/app/manifests/1"
    assert "application/vnd.oci.image.index.v1+json" in server.seen[0][1]["Accept"]


@pytest.mark.parametrize("transient", [(503, {}, b"busy"), (429, {}, b"slow down"), (502, {}, b""), "reset"])
def test_transient_failures_are_retried_with_backoff(server, transient):
    server.script = [transient, transient]
    sleeps: list[float] = []
    _, _, digest = _client(server, sleeps).manifest("1")
    assert digest == MANIFEST_DIGEST
    assert len(sleeps) == 2


def test_retry_after_is_honoured(server):
    server.script = [(429, {"Retry-After": "0.04"}, b"")]
    sleeps: list[float] = []
    _client(server, sleeps).manifest("1")
    assert sleeps == [0.04]


def test_retries_give_up_with_an_error_after_the_last_attempt(server):
    server.default = (503, {}, b"down")
    with pytest.raises(SourceError, match="HTTP 503"):
        _client(server).manifest("1")
    assert len(server.seen) == 3


@pytest.mark.parametrize(("status", "says"), [
    (401, "requires authentication"), (403, "access denied"), (404, "not found in the registry"),
])
def test_refusals_say_which(server, status, says):
    server.default = (status, {}, json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN"}]}).encode())
    with pytest.raises(SourceError, match=says) as raised:
        _client(server).manifest("1")
    assert str(status) in str(raised.value)


def test_basic_challenge_is_answered_with_the_login_and_a_rejection_hides_the_password(server):
    challenge = (401, {"WWW-Authenticate": 'Basic realm="registry"'}, b"")
    server.script = [challenge]
    _client(server, credentials=Credentials("alice", PASSWORD)).manifest("1")
    sent = server.seen[1][1]["Authorization"]
    assert base64.b64decode(sent.split()[1]).decode() == f"alice:{PASSWORD}"

    server.default = challenge
    with pytest.raises(SourceError, match="rejected the credentials from --username") as raised:
        _client(server, credentials=Credentials("alice", PASSWORD)).manifest("1")
    assert PASSWORD not in str(raised.value) and "alice:" not in str(raised.value)


def test_bearer_challenge_fetches_a_token_with_the_login_and_uses_it(server):
    def token(handler: Handler) -> tuple[int, dict[str, str], bytes]:
        assert handler.path.startswith("/token?")
        assert "scope=repository%3Aapp%3Apull" in handler.path and "service=reg" in handler.path
        return 200, {}, json.dumps({"token": TOKEN}).encode()

    realm = f"http://{server.address}/token"
    server.script = [(401, {"WWW-Authenticate": f'Bearer realm="{realm}",service="reg",'
                                                 'scope="repository:app:pull"'}, b""), token]
    _client(server, credentials=Credentials("alice", PASSWORD)).manifest("1")
    assert server.seen[1][1]["Authorization"].startswith("Basic ")  # the login goes to the token service
    assert server.seen[2][1]["Authorization"] == f"Bearer {TOKEN}"


def test_anonymous_bearer_token_is_fetched_without_a_login(server):
    realm = f"http://{server.address}/token"
    server.script = [(401, {"WWW-Authenticate": f'Bearer realm="{realm}"'}, b""),
                     (200, {}, json.dumps({"access_token": TOKEN}).encode())]
    _client(server).manifest("1")
    assert "Authorization" not in server.seen[1][1]
    assert server.seen[2][1]["Authorization"] == f"Bearer {TOKEN}"


def test_a_refused_token_request_is_an_error_without_the_password(server):
    realm = f"http://{server.address}/token"
    server.script = [(401, {"WWW-Authenticate": f'Bearer realm="{realm}"'}, b""), (401, {}, b"no")]
    with pytest.raises(SourceError, match="refused the credentials from --username") as raised:
        _client(server, credentials=Credentials("alice", PASSWORD)).manifest("1")
    assert PASSWORD not in str(raised.value)


def test_credentials_are_never_sent_to_a_plain_http_realm_elsewhere(server):
    server.script = [(401, {"WWW-Authenticate": 'Bearer realm="http://auth.example/token"'}, b"")]
    with pytest.raises(SourceError, match="refusing to send credentials over plain HTTP to auth.example"):
        _client(server, credentials=Credentials("alice", PASSWORD)).manifest("1")
    assert len(server.seen) == 1


def test_a_manifest_that_does_not_match_its_digest_is_refused(server):
    wanted = "sha256:" + "1" * 64
    with pytest.raises(SourceError, match=f"manifest {wanted}.*digest mismatch"):
        _client(server).manifest(wanted)


def test_a_config_blob_that_does_not_match_its_digest_is_refused_by_name(server):
    server.default = (200, {}, b'{"rootfs": {}}')
    digest = "sha256:" + "2" * 64
    with pytest.raises(SourceError, match=f"blob {digest}.*digest mismatch"):
        _client(server).blob_json(digest)


def test_a_blob_longer_than_its_declared_size_is_refused(server):
    server.default = (200, {}, b"x" * 100)
    stream = _client(server).blob("sha256:" + "3" * 64, size=10)
    with pytest.raises(SourceError, match="more bytes than the manifest's size"):
        stream.read()


def test_schema1_manifests_are_refused_clearly(server):
    server.default = (200, {"Content-Type": "application/vnd.docker.distribution.manifest.v1+prettyjws"}, b"{}")
    with pytest.raises(SourceError, match="schema 1"):
        _client(server).manifest("1")


def test_plain_http_is_never_tried_for_a_registry_elsewhere_unless_asked(server, monkeypatch):
    from auditor.registry import client as client_module

    monkeypatch.setattr(client_module.tls, "is_loopback", lambda address: False)  # as if it were remote
    with pytest.raises(SourceError, match="TLS failed"):
        _client(server).manifest("1")
    assert server.seen == []  # no request went out in plain HTTP

    insecure = RegistryOptions(insecure=True, timeout=5)
    client = RegistryClient(parse(f"{server.address}/app:1"), insecure)
    assert client.manifest("1")[2] == MANIFEST_DIGEST


def test_a_stalled_registry_times_out_after_the_configured_seconds_and_retries(server):
    import time as clock

    def stall(handler: Handler) -> tuple[int, dict[str, str], bytes]:
        clock.sleep(1.0)
        return 200, {}, MANIFEST

    server.script = [stall, stall, stall]
    sleeps: list[float] = []
    options = RegistryOptions(timeout=0.2, retry=RetryPolicy(attempts=3, base=0.01, cap=0.05))
    client = RegistryClient(parse(f"{server.address}/app:1"), options, sleep=sleeps.append)
    started = clock.monotonic()
    with pytest.raises(SourceError, match="read timed out \\(after 3 attempts\\)"):
        client.manifest("1")
    assert clock.monotonic() - started < 5
    assert len(sleeps) == 2


@pytest.mark.parametrize("digest", ["sha512:" + "a" * 128, "md5:abc", "sha256:short"])
def test_blobs_whose_digest_cannot_be_verified_are_refused_before_any_request(server, digest):
    with pytest.raises(SourceError, match="unsupported digest"):
        _client(server).blob_json(digest)
    with pytest.raises(SourceError, match="unsupported digest"):
        _client(server).blob(digest)
    assert server.seen == []


def test_max_json_size_bounds_registry_manifests_too(server):
    options = RegistryOptions(timeout=5, retry=RetryPolicy(attempts=1, base=0.01, cap=0.05))
    client = RegistryClient(parse(f"{server.address}/app:1"), options, max_json_bytes=len(MANIFEST) - 1)
    with pytest.raises(SourceError, match="larger than"):
        client.manifest("1")
    roomy = RegistryClient(parse(f"{server.address}/app:1"), options, max_json_bytes=len(MANIFEST))
    assert roomy.manifest("1")[2] == MANIFEST_DIGEST


class Recorder(requests.adapters.BaseAdapter):
    """Stands in for a host that must not be contacted (never resolved): records what would be sent to it
    and answers with a token."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        self.sent.append(request)
        response = requests.Response()
        response.status_code, response.url, response.request = 200, request.url, request
        response._content, response._content_consumed = json.dumps({"token": TOKEN}).encode(), True
        return response

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("realm", "host"), [("http://localhost:1@evil.example/token", "http://localhost:1@evil.example"),
                                             ("http://[::1]@127.1:{port}/token", "http://[::1]@127.1")])
def test_a_token_realm_with_userinfo_never_gets_the_login(server, realm, host):
    realm = realm.format(port=server.server_address[1])
    server.script = [(401, {"WWW-Authenticate": f'Bearer realm="{realm}"'}, b"")]
    client = _client(server, credentials=Credentials("alice", PASSWORD))
    recorder = Recorder()
    client.session.mount(host, recorder)
    with pytest.raises(SourceError, match="carries a user name") as raised:
        client.manifest("1")
    assert recorder.sent == [] and len(server.seen) == 1
    assert PASSWORD not in str(raised.value)


def test_the_login_is_stripped_when_the_registry_redirects_to_another_origin(server):
    with running() as cdn:
        cdn.default = (200, {}, b"blob bytes")
        server.script = [(401, {"WWW-Authenticate": 'Basic realm="registry"'}, b""),
                         (307, {"Location": f"http://{cdn.address}/blob"}, b"")]
        stream = _client(server, credentials=Credentials("alice", PASSWORD)).blob("sha256:" + "4" * 64, size=10)
        assert stream.read() == b"blob bytes"
    assert server.seen[1][1]["Authorization"].startswith("Basic ")
    assert cdn.authorizations() == []


def test_a_challenge_from_the_host_a_redirect_led_to_is_not_answered(server):
    with running() as cdn:
        cdn.default = (401, {"WWW-Authenticate": f'Bearer realm="http://{cdn.address}/token"'}, b"")
        server.script = [(307, {"Location": f"http://{cdn.address}/blob"}, b"")]
        with pytest.raises(SourceError, match=f"redirected to {cdn.address}, which demands authentication"):
            _client(server, credentials=Credentials("alice", PASSWORD)).blob("sha256:" + "4" * 64, size=10)
    assert [path for path, _ in cdn.seen] == ["/blob"] and cdn.authorizations() == []


def test_a_nan_retry_after_is_a_bounded_wait(server):
    server.script = [(429, {"Retry-After": "nan"}, b""), (503, {"Retry-After": "-3"}, b"")]
    sleeps: list[float] = []
    assert _client(server, sleeps).manifest("1")[2] == MANIFEST_DIGEST
    assert len(sleeps) == 2 and all(0 <= s <= 0.05 for s in sleeps)


def test_a_dripping_body_ends_at_the_deadline_though_no_read_times_out(server):
    server.script = [drip(every=0.2)]
    options = RegistryOptions(timeout=1, retry=RetryPolicy(attempts=3, base=0.01, cap=0.05))
    client = RegistryClient(parse(f"{server.address}/app:1"), options, deadline=Deadline.after(1.0))
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        client.manifest("1")
    assert time.monotonic() - started < 3
    client.close()


def test_a_retry_wait_past_the_deadline_ends_the_audit_at_once(server):
    server.script = [(503, {"Retry-After": "5"}, b"")]
    sleeps: list[float] = []
    options = RegistryOptions(timeout=5, retry=RetryPolicy(attempts=3, base=0.01, cap=10))
    client = RegistryClient(parse(f"{server.address}/app:1"), options, sleep=sleeps.append,
                            deadline=Deadline.after(2.0))
    with pytest.raises(DeadlineExceeded, match="--deadline 2s"):
        client.manifest("1")
    assert sleeps == []
