"""Registry image references as the Docker CLI reads them: `[REGISTRY/]REPO[:TAG][@DIGEST]`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.errors import SourceError

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"  # where `docker login` keeps Docker Hub credentials
_REPO = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
_REGISTRY = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")
DOCKER_HUB_NAMES = ("docker.io", "index.docker.io", "registry-1.docker.io")


@dataclass(frozen=True)
class RegistryRef:
    """One image in a registry: where (`registry`, as written), which repository, and tag or digest."""

    registry: str  # e.g. "127.0.0.1:5000", "ghcr.io", "docker.io"
    repository: str  # e.g. "app", "library/alpine"
    tag: str | None = None
    digest: str | None = None

    @property
    def host(self) -> str:
        """The host[:port] the API is served from."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def auth_key(self) -> str:
        """The key under which `docker login` stores credentials for this registry."""
        return DOCKER_HUB_AUTH_KEY if self.registry == DOCKER_HUB else self.registry

    @property
    def version(self) -> str:
        """What to ask the manifests endpoint for: the digest when given, else the tag."""
        return self.digest or self.tag or "latest"

    def __str__(self) -> str:
        text = f"{self.registry}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        return text + (f"@{self.digest}" if self.digest else "")


def parse(text: str) -> RegistryRef:
    """Parse a reference; the first component is a registry when it has a "." or ":" or is "localhost"."""
    rest = text.removeprefix("//")
    digest = None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        if not _DIGEST.match(digest):
            raise SourceError(f"{text}: malformed digest {digest!r} (expected sha256:<64 hex digits>)")
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = DOCKER_HUB, rest
    if registry in DOCKER_HUB_NAMES:
        registry = DOCKER_HUB
    tag = None
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        path, tag = path.rsplit(":", 1)
        if not _TAG.match(tag):
            raise SourceError(f"{text}: malformed tag {tag!r}")
    if not path or not _REPO.match(path):
        raise SourceError(f"{text}: malformed repository name {path!r} (lowercase letters, digits, . _ - /)")
    if registry == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    if tag is None and digest is None:
        tag = "latest"
    return RegistryRef(registry=registry, repository=path, tag=tag, digest=digest)


def auth_key_of(registry: str) -> str:
    """The auth key of a registry named as in a reference (`HOST[:PORT]`, e.g. for `--registry-login`);
    SourceError for anything else (a scheme, a path, a user name)."""
    if not _REGISTRY.match(registry):
        raise SourceError(f"{registry!r}: expected a registry as HOST or HOST:PORT (e.g. ghcr.io, 127.0.0.1:5000)")
    return RegistryRef(DOCKER_HUB if registry in DOCKER_HUB_NAMES else registry, "x").auth_key
