"""The local Docker engine (or anything speaking its API, such as Podman): `docker save` spooled to a file.

Only this module talks to the engine; it hands the spooled archive to the archive source.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import replace

from auditor.errors import SourceError
from auditor.sources import archive, hints
from auditor.sources.interface import Opened, Options, private_dir
from auditor.sources.store import TarStore


@contextlib.contextmanager
def open_docker_daemon(ref: str, name: str, extra: str | None, options: Options) -> Iterator[Opened]:
    """`docker-daemon:NAME` (or a bare name): `docker save NAME` spooled to a private temporary file, which
    is removed when the image is closed, and read as a docker archive. `extra` is never set."""
    with private_dir() as folder:
        spool = os.path.join(folder, "image.tar")
        save(name, options, spool)
        store = TarStore(spool)
        yield Opened(store, archive.locate(store, replace(options, image=None, pull=False), ref))


def save(name: str, options: Options, dest: str) -> str:
    """Write `docker save NAME` to `dest` (a file in a private temp dir); return the image id."""
    import docker  # the SDK (and requests) only when an engine is asked for
    import docker.errors

    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except docker.errors.DockerException as exc:
        raise SourceError(hints.unreachable(exc)) from None
    try:
        if options.pull:
            repo, tag = _split(name)
            client.images.pull(repo, tag=tag)
        image = client.images.get(name)
        with open(dest, "wb") as out:
            for chunk in image.save(named=True):
                options.deadline.check()
                out.write(chunk)
    except docker.errors.ImageNotFound:
        raise SourceError(hints.not_in_engine(name)) from None
    except docker.errors.NotFound as exc:
        raise SourceError(f"image {name!r} not found: {_reason(exc)}") from None
    except docker.errors.DockerException as exc:
        raise SourceError(f"Docker engine error for {name!r}: {_reason(exc)}") from None
    finally:
        client.close()
    return str(image.id)


def _split(name: str) -> tuple[str, str | None]:
    if "@" in name:
        return name, None
    head, _, last = name.rpartition("/")
    if ":" in last:
        repo, tag = last.rsplit(":", 1)
        return (f"{head}/{repo}" if head else repo), tag
    return name, "latest"


def _reason(exc: Exception) -> str:
    explanation = getattr(exc, "explanation", None)
    text = str(explanation or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
