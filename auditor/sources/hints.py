"""Messages that point the right way when a reference names nothing a source can open: a mistyped path, an
image that is only in a registry, an engine that is not running. Each is one line, free of the HTTP
libraries' own text, and names what to try instead."""

from __future__ import annotations

import json
import os

# Names a file has and an image name practically never has; `docker-daemon:NAME` still reaches such an image.
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.zstd", ".oci")
ENGINE_FREE = "docker-archive:FILE (docker save output), oci:DIR, oci-archive:FILE or docker://REGISTRY/REPO:TAG"
DEFAULT_SOCKET = "unix:///var/run/docker.sock"


def missing_path(ref: str) -> str | None:
    """The error for a bare reference that names no file but was meant as one, else None (it is an image
    name): it starts like a path ("/", "./", "../", "~"), which no image name does, or ends like an
    archive."""
    if ref.startswith(("/", "./", "../", "~")):
        return f"{ref}: no such file or directory"
    if ref.lower().endswith(ARCHIVE_SUFFIXES):
        return f"{ref}: no such file or directory (for an image of that name in the engine: docker-daemon:{ref})"
    return None


def not_in_engine(name: str, engine: str = "Docker engine") -> str:
    """The error for an image the engine does not have. A name that starts with a registry host
    (`127.0.0.1:5000/app:1`, `ghcr.io/org/app`) was most likely meant for the registry."""
    first, slash, _ = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return (f"image {name!r} is not in the local {engine}; did you mean docker://{name} (read from "
                "the registry, no engine)? Or pass --pull to pull it into the engine first")
    return f"image {name!r} is not in the local {engine}; pass --pull to pull it first"


def unreachable(exc: BaseException, base_url: str | None = None, engine: str = "Docker engine") -> str:
    """The error for an engine that does not answer: where we looked (`base_url`, else DOCKER_HOST, or the
    default socket and any docker context we do not follow), why in a few words, and the references that
    need no engine."""
    if base_url:
        return f"cannot reach a {engine} at {base_url}: {_cause(exc)}. Without an engine: {ENGINE_FREE}"
    host = os.environ.get("DOCKER_HOST")
    where = f"{host} (DOCKER_HOST)" if host else f"{DEFAULT_SOCKET} (the default; set DOCKER_HOST for another)"
    context = _docker_context()
    follow = (f"; the docker context {context!r} is not followed: set DOCKER_HOST to its endpoint "
              f"(docker context inspect {context} --format '{{{{.Endpoints.docker.Host}}}}')"
              if context and not host else "")
    return f"cannot reach a {engine} at {where}: {_cause(exc)}{follow}. Without an engine: {ENGINE_FREE}"


def _cause(exc: BaseException) -> str:
    """The operating system's reason (`No such file or directory`, `Connection refused`) from the chain of
    wrapped exceptions; else the message of an error that wraps nothing (a malformed DOCKER_HOST)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror
        if isinstance(seen, TimeoutError):
            return "timed out"
        seen = seen.__cause__ or seen.__context__
    if exc.__cause__ is None and exc.__context__ is None:
        lines = str(exc).strip().splitlines()
        return lines[0] if lines else type(exc).__name__
    return "no answer"


def _docker_context() -> str | None:
    """The docker CLI's current context (DOCKER_CONTEXT, else `currentContext` in its config), when it is not
    `default`: the Docker SDK we use reads only DOCKER_HOST, so such a context is not where we look."""
    name = os.environ.get("DOCKER_CONTEXT")
    if name is None:
        config = os.path.join(os.environ.get("DOCKER_CONFIG") or os.path.expanduser("~/.docker"), "config.json")
        try:
            with open(config, encoding="utf-8") as handle:
                document = json.load(handle)
        except (OSError, ValueError, RecursionError):
            return None
        current = document.get("currentContext") if isinstance(document, dict) else None
        name = current if isinstance(current, str) else None
    return name if name and name != "default" else None
