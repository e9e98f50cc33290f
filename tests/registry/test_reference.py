"""Registry references are read as the Docker CLI reads them."""

from __future__ import annotations

import pytest

from auditor.errors import SourceError
from auditor.registry.reference import RegistryRef, parse
from auditor.sources import parse_reference

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:5000/app:1", RegistryRef("127.0.0.1:5000", "app", "1")),
        ("localhost/team/app", RegistryRef("localhost", "team/app", "latest")),
        ("ghcr.io/org/app@" + DIGEST, RegistryRef("ghcr.io", "org/app", None, DIGEST)),
        ("ghcr.io/org/app:v2@" + DIGEST, RegistryRef("ghcr.io", "org/app", "v2", DIGEST)),
        ("alpine", RegistryRef("docker.io", "library/alpine", "latest")),
        ("user/app:3.1", RegistryRef("docker.io", "user/app", "3.1")),
        ("index.docker.io/library/busybox:1", RegistryRef("docker.io", "library/busybox", "1")),
        ("//127.0.0.1:5000/app:1", RegistryRef("127.0.0.1:5000", "app", "1")),
    ],
)
def test_reference_is_split_into_registry_repository_tag_and_digest(text, expected):
    assert parse(text) == expected


def test_docker_hub_is_read_from_its_api_host_and_keyed_as_docker_login_keys_it():
    ref = parse("alpine:3")
    assert ref.host == "registry-1.docker.io"
    assert ref.auth_key == "https://index.docker.io/v1/"
    assert parse("127.0.0.1:5000/app").auth_key == "127.0.0.1:5000"


def test_a_digest_is_asked_for_before_the_tag():
    assert parse("r.example/app:1@" + DIGEST).version == DIGEST
    assert parse("r.example/app:1").version == "1"


@pytest.mark.parametrize("text", ["r.example/App:1", "r.example/app:bad/tag", "r.example/app@sha256:xyz", "r.example/"])
def test_malformed_references_are_refused_by_name(text):
    with pytest.raises(SourceError, match="malformed"):
        parse(text)


@pytest.mark.parametrize("ref", ["docker://127.0.0.1:5000/app:1", "registry:127.0.0.1:5000/app:1",
                                 "docker:127.0.0.1:5000/app:1", "registry://127.0.0.1:5000/app:1"])
def test_docker_and_registry_transports_both_mean_a_registry(ref):
    assert parse_reference(ref) == ("docker", "127.0.0.1:5000/app:1", None)
