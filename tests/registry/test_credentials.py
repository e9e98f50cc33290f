"""Logins come from --username, else from the Docker config (auths, credsStore, credHelpers), as the
Docker CLI finds them; no secret ever shows in a repr or an error."""

from __future__ import annotations

import base64
import json
import os
import sys

import pytest

from auditor.errors import SourceError
from auditor.registry.credentials import Credentials, from_docker_config, resolve

HELPER = """#!{python}
import json, sys
server = sys.stdin.read().strip()
if sys.argv[1] != "get":
    sys.exit(2)
if server == {server!r}:
    print(json.dumps({{"ServerURL": server, "Username": {user!r}, "Secret": {secret!r}}}))
elif server == "fails.example":
    print("helper crashed while holding " + {secret!r})
    sys.exit(1)
else:
    print("credentials not found in native keychain")
    sys.exit(1)
"""


@pytest.fixture
def docker_config(tmp_path, monkeypatch):
    """Write a config.json into a private DOCKER_CONFIG; returns the writer."""
    folder = tmp_path / "docker-config"
    folder.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def write(doc):
        (folder / "config.json").write_text(json.dumps(doc))

    return write


@pytest.fixture
def helper(tmp_path, monkeypatch):
    """Install `docker-credential-NAME` on PATH that knows one server's login."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")

    def install(name, server, user, secret):
        path = bindir / f"docker-credential-{name}"
        path.write_text(HELPER.format(python=sys.executable, server=server, user=user, secret=secret))
        path.chmod(0o755)

    return install


def _auth(user, password):
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def test_auths_entry_is_used(docker_config):
    docker_config({"auths": {"127.0.0.1:5000": {"auth": _auth("alice", "pa:ss")}}})
    found = from_docker_config("127.0.0.1:5000")
    assert (found.username, found.password) == ("alice", "pa:ss")
    assert from_docker_config("other.example:5000") is None


def test_legacy_url_keys_match_by_host(docker_config):
    docker_config({"auths": {"https://127.0.0.1:5000/v2/": {"auth": _auth("alice", "secret1")}}})
    assert from_docker_config("127.0.0.1:5000").basic == ("alice", "secret1")


def test_identity_token_is_kept_for_the_oauth_flow(docker_config):
    docker_config({"auths": {"r.example": {"auth": _auth("<token>", ""), "identitytoken": "refresh-me"}}})
    assert from_docker_config("r.example").identity_token == "refresh-me"


def test_creds_store_helper_is_asked(docker_config, helper):
    helper("fake", "127.0.0.1:5000", "helper-user", "helper-secret")
    docker_config({"credsStore": "fake", "auths": {"127.0.0.1:5000": {}}})
    found = from_docker_config("127.0.0.1:5000")
    assert found.basic == ("helper-user", "helper-secret")
    assert found.source == "docker-credential-fake"


def test_cred_helpers_win_over_creds_store_for_their_registry(docker_config, helper):
    helper("fake", "127.0.0.1:5000", "store-user", "store-secret")
    helper("special", "127.0.0.1:5000", "special-user", "special-secret")
    docker_config({"credsStore": "fake", "credHelpers": {"127.0.0.1:5000": "special"}})
    assert from_docker_config("127.0.0.1:5000").basic == ("special-user", "special-secret")


def test_a_helper_without_the_registry_means_anonymous(docker_config, helper):
    helper("fake", "127.0.0.1:5000", "u", "s")
    docker_config({"credsStore": "fake"})
    assert from_docker_config("elsewhere.example") is None


def test_a_missing_helper_is_an_error_naming_it(docker_config):
    docker_config({"credsStore": "nonexistent-helper"})
    with pytest.raises(SourceError, match="docker-credential-nonexistent-helper is not installed"):
        from_docker_config("127.0.0.1:5000")


def test_a_failing_helper_is_an_error_that_does_not_repeat_its_output(docker_config, helper):
    helper("fake", "127.0.0.1:5000", "u", "leaked-helper-secret")
    docker_config({"credsStore": "fake"})
    with pytest.raises(SourceError) as raised:
        from_docker_config("fails.example")
    assert "docker-credential-fake failed" in str(raised.value)
    assert "leaked-helper-secret" not in str(raised.value)


def test_no_config_file_means_anonymous(docker_config):
    assert from_docker_config("127.0.0.1:5000") is None


def test_docker_config_replaces_the_home_config_even_when_empty(docker_config, tmp_path):
    home_config = tmp_path / "home" / ".docker"
    home_config.mkdir(parents=True)
    (home_config / "config.json").write_text(json.dumps({"auths": {"127.0.0.1:5000": {"auth": _auth("h", "p")}}}))
    assert from_docker_config("127.0.0.1:5000") is None


def test_home_config_is_used_without_docker_config(docker_config, tmp_path, monkeypatch):
    monkeypatch.delenv("DOCKER_CONFIG")
    home_config = tmp_path / "home" / ".docker"
    home_config.mkdir(parents=True)
    (home_config / "config.json").write_text(json.dumps({"auths": {"127.0.0.1:5000": {"auth": _auth("h", "p")}}}))
    assert from_docker_config("127.0.0.1:5000").basic == ("h", "p")


def test_explicit_login_wins_over_the_config(docker_config):
    docker_config({"auths": {"127.0.0.1:5000": {"auth": _auth("alice", "from-config")}}})
    explicit = Credentials("bob", "from-stdin", registry="127.0.0.1:5000")
    assert resolve("127.0.0.1:5000", explicit) is explicit
    assert resolve("127.0.0.1:5000", None).password == "from-config"


def test_repr_shows_no_secret():
    text = repr(Credentials("bob", "hunter2-password", identity_token="tok-secret"))
    assert "bob" in text
    assert "hunter2-password" not in text and "tok-secret" not in text


def test_a_command_line_login_is_only_for_the_registry_it_was_given_for(docker_config):
    docker_config({"auths": {"other.example:5000": {"auth": _auth("carol", "from-config")}}})
    explicit = Credentials("bob", "from-stdin", registry="127.0.0.1:5000")
    assert resolve("127.0.0.1:50000", explicit) is None  # a prefix, a port apart: another registry
    assert resolve("other.example:5000", explicit).password == "from-config"
    assert resolve("127.0.0.1:5000", Credentials("bob", "unscoped")) is None  # given for no registry: none
