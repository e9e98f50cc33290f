"""Open an image from any reference: transports in skopeo's syntax, or a bare name or path sniffed."""

from __future__ import annotations

import contextlib
import os
import tarfile
from collections.abc import Iterator

from auditor.errors import SourceError
from auditor.model import Image
from auditor.sources import archive, containerd, daemon, hints, oci_layout, podman, registry, selection
from auditor.sources.interface import Open, Options, assemble
from auditor.tarsafe import SafeTarInfo

__all__ = ["OPENERS", "Options", "open_image", "parse_reference"]

# Every transport, by the name a reference gives it: each finds the image and its blobs its own way
# (`interface.Open`); `open_image` does the rest the same way for all.
OPENERS: dict[str, Open] = {
    "docker-daemon": daemon.open_docker_daemon,
    "docker-archive": archive.open_docker_archive,
    "oci": oci_layout.open_oci,
    "oci-archive": oci_layout.open_oci_archive,
    "docker": registry.open_docker,
    "podman": podman.open_podman,
    "containerd": containerd.open_containerd,
}
ENGINES = ("docker-daemon", "podman", "containerd")  # NAME:IMAGE or NAME://IMAGE: an image in an engine, no path
ALIASES = {"registry": "docker"}


def parse_reference(ref: str) -> tuple[str, str, str | None]:
    """Split a reference into (transport, location, tag-or-image).

    `docker-archive:PATH[:NAME:TAG]`, `oci:DIR[:TAG]`, `oci-archive:PATH[:TAG]`, `docker-daemon:NAME`,
    `docker://REGISTRY/REPO[:TAG|@DIGEST]` (or `registry:`, the same) for an image in a registry;
    `podman://NAME` and `containerd://NAMESPACE/NAME` for an image in those engines;
    a bare argument is a path when one exists there, else an image name in the local engine (unless it
    starts like a path or ends like an archive: `hints.missing_path`).
    """
    if ref.startswith("docker://"):
        return "docker", ref[len("docker://"):], None
    transport, sep, rest = ref.partition(":")
    transport = ALIASES.get(transport, transport)
    if sep and transport in OPENERS:
        if transport in ENGINES:
            return transport, rest.removeprefix("//"), None
        if transport == "docker":
            return transport, rest.removeprefix("//"), None
        return (transport, *_split_path(rest))
    if os.path.exists(ref):
        return _sniff(ref), ref, None
    mistyped = hints.missing_path(ref)
    if mistyped:
        raise SourceError(mistyped)
    return "docker-daemon", ref, None


def _split_path(rest: str) -> tuple[str, str | None]:
    """`PATH[:TAG]` where PATH may itself contain colons: the longest existing prefix wins."""
    if os.path.exists(rest) or ":" not in rest:
        return rest, None
    index = rest.find(":")
    while index != -1:
        if os.path.exists(rest[:index]):
            return rest[:index], rest[index + 1:] or None
        index = rest.find(":", index + 1)
    return rest, None


def _sniff(path: str) -> str:
    if os.path.isdir(path):
        return "oci"
    if archive.is_gzip(path):
        return "docker-archive"
    try:
        with tarfile.open(path, mode="r:", tarinfo=SafeTarInfo) as tar:
            names = set()
            for info in tar:
                names.add(info.name.removeprefix("./"))
                if "manifest.json" in names:
                    return "docker-archive"
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise SourceError(f"{path}: not a docker save archive, OCI archive or OCI layout ({exc})") from None
    if "index.json" in names:
        return "oci-archive"
    raise SourceError(f"{path}: a tar archive but neither a docker save archive nor an OCI layout")


@contextlib.contextmanager
def open_image(ref: str, options: Options | None = None) -> Iterator[Image]:
    """Open `ref` for reading; temp files (a spooled daemon export) are removed on exit."""
    options = options or Options()
    transport, location, extra = parse_reference(ref)
    with OPENERS[transport](ref, location, extra, options) as opened:
        opened.located.warnings.extend(selection.platform_notes(opened.located, options.platform, ref))
        yield assemble(ref, opened.store, opened.located, pinned=opened.pinned)
