"""A real `docker-registry` on loopback holding 22 images in 4 repositories that share base layers
(25 distinct layers), pushed through the distribution API from `testing.imagekit` images.

Planted: a GitHub token in the shared base layer (every image ships it) and an AWS-style secret in the
own layer of one image. Values are generated per run.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from testing import imagekit as kit
from testing.sweepkit import Pushed, push_all
from testing.tokens import github_token
from tests.integration.registries import Registry, start_registry

REPOSITORIES = ("team/api", "team/web", "team/worker", "other/db")
IMAGES = 22
LONER = 7  # the image whose own layer holds the single-image secret


@dataclass(frozen=True)
class Fleet:
    registry: Registry
    pushed: list[Pushed]
    shared_secret: str
    single_secret: str

    @property
    def address(self) -> str:
        return self.registry.address

    @property
    def distinct_layers(self) -> set[str]:
        return {digest for image in self.pushed for digest in image.layers}


def specs(shared_secret: str, single_secret: str) -> list[tuple[str, str, kit.ImageSpec]]:
    base = [kit.Dir("/etc"), kit.Dir("/etc/app"),
            kit.File("/etc/app/settings.conf", f"user: ci-bot\ngithub_token: {shared_secret}\n".encode()),
            kit.File("/bin/tool", b"\x7fELF" + bytes(range(256)) * 8, 0o755)]
    libs = [kit.Dir("/usr"), kit.Dir("/usr/lib"), kit.File("/usr/lib/libfoo.txt", b"foo library\n" * 50)]
    other = [kit.Dir("/opt"), kit.File("/opt/other.txt", b"other runtime\n" * 50)]
    out = []
    for number in range(IMAGES):
        own: list[kit.Entry] = [kit.Dir("/app"), kit.File("/app/build.txt", f"build {number}\n".encode())]
        if number == LONER:
            own.append(kit.File("/app/.env", f"AWS_SECRET_ACCESS_KEY={single_secret}\nREGION=eu-west-1\n".encode()))
        spec = kit.ImageSpec(layers=[base, libs if number % 2 == 0 else other, own],
                             history=["ADD base.tar /", "COPY libs /usr/lib" if number % 2 == 0 else "COPY other /opt",
                                      f"COPY app{number} /app"])
        out.append((REPOSITORIES[number % len(REPOSITORIES)], f"v{number}", spec))
    return out


def aws_secret() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40))


@pytest.fixture(scope="session")
def registry_binary(which: Callable[..., str]) -> str:
    return which("docker-registry", "apt-get install docker-registry")


@pytest.fixture(scope="module")
def fleet(registry_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    registry = start_registry(registry_binary, tmp_path_factory.mktemp("sweep-registry"))
    try:
        shared, single = github_token(), aws_secret()
        yield Fleet(registry, push_all(registry.address, specs(shared, single)), shared, single)
    finally:
        registry.stop()


def store_text(db: Path) -> str:
    """Everything the sweep store holds, layer scans decompressed, as one text to search."""
    import gzip
    import sqlite3

    with sqlite3.connect(db) as conn:
        parts = [repr(row) for table in ("images", "findings", "rules")
                 for row in conn.execute(f"SELECT * FROM {table}")]
        parts += [gzip.decompress(blob).decode() for (blob,) in conn.execute("SELECT scan FROM layers")]
    return "\n".join(parts)
