"""Podman (`podman://IMAGE`): its Docker-compatible API, read exactly as the Docker engine is.

`podman system service` (or the `podman.socket` systemd unit) answers the Docker API on a socket, so the
daemon source does all the work (`docker save` spooled to a private file); this module only finds the
socket: CONTAINER_HOST (what `podman --remote` reads), else the rootless socket under XDG_RUNTIME_DIR
when it exists, else the rootful /run/podman/podman.sock.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager

from auditor.sources import daemon
from auditor.sources.interface import Opened, Options

ROOTFUL_SOCKET = "/run/podman/podman.sock"


def socket_url() -> str:
    """The address of the Podman API to use, as the podman client would pick it."""
    host = os.environ.get("CONTAINER_HOST")
    if host:
        return host
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.exists(os.path.join(runtime, "podman", "podman.sock")):
        return "unix://" + os.path.join(runtime, "podman", "podman.sock")
    return "unix://" + ROOTFUL_SOCKET


def open_podman(ref: str, name: str, extra: str | None, options: Options) -> AbstractContextManager[Opened]:
    """`podman://NAME`: `docker save NAME` through Podman's Docker-compatible API. `extra` is never set."""
    return daemon.open_docker_daemon(ref, name, extra, options, base_url=socket_url(), engine="Podman service")
