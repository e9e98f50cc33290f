"""Open an image from any reference: transports in skopeo's syntax, or a bare name or path sniffed."""

from __future__ import annotations

import contextlib
import os
import shutil
import tarfile
import tempfile
from dataclasses import replace
from typing import Iterator

from auditor.errors import SourceError
from auditor.model import Image
from auditor.registry import reference as registry_reference
from auditor.registry.client import RegistryClient
from auditor.sources import archive, daemon, oci_layout, registry
from auditor.sources.interface import Options, assemble
from auditor.sources.store import DirStore, TarStore
from auditor.tarsafe import SafeTarInfo

__all__ = ["Options", "open_image", "parse_reference"]

TRANSPORTS = ("docker-daemon", "docker-archive", "oci-archive", "oci", "docker", "registry")


def parse_reference(ref: str) -> tuple[str, str, str | None]:
    """Split a reference into (transport, location, tag-or-image).

    `docker-archive:PATH[:NAME:TAG]`, `oci:DIR[:TAG]`, `oci-archive:PATH[:TAG]`, `docker-daemon:NAME`,
    `docker://REGISTRY/REPO[:TAG|@DIGEST]` (or `registry:`, the same) for an image in a registry;
    a bare argument is a path when one exists there, else an image name in the local engine (unless it
    starts like a path, "/", "./", "../" or "~", which no image name does).
    """
    if ref.startswith("docker://"):
        return "docker", ref[len("docker://"):], None
    transport, sep, rest = ref.partition(":")
    if sep and transport in TRANSPORTS:
        if transport in ("docker-daemon",):
            return transport, rest, None
        if transport in ("docker", "registry"):
            return "docker", rest.removeprefix("//"), None
        return (transport, *_split_path(rest))
    if os.path.exists(ref):
        return _sniff(ref), ref, None
    if ref.startswith(("/", "./", "../", "~")):  # never an image name, so a mistyped path
        raise SourceError(f"{ref}: no such file or directory")
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
            tar.members = []
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
    with contextlib.ExitStack() as stack:
        def private_dir() -> str:
            path = tempfile.mkdtemp(prefix="layer-auditor-")
            stack.callback(shutil.rmtree, path, True)
            return path

        if transport == "docker-daemon":
            spool = os.path.join(private_dir(), "image.tar")
            daemon.save(location, options, spool)
            store = TarStore(spool)
            located = archive.locate(store, replace(options, image=None, pull=False), ref)
            yield assemble(ref, store, located)
            return
        if transport == "docker-archive":
            _must_exist(location, ref)
            path = location
            if archive.is_gzip(location):
                path = os.path.join(private_dir(), "archive.tar")
                archive.gunzip_to(location, path, options.max_archive_bytes, options.deadline)
            store = TarStore(path)
            if extra:
                options = replace(options, image=extra)
            yield assemble(ref, store, archive.locate(store, options, location))
            return
        if transport in ("oci", "oci-archive"):
            _must_exist(location, ref)
            if transport == "oci":
                if not os.path.isdir(location):
                    raise SourceError(f"{location}: not a directory (an OCI layout is a directory)")
                store_o: DirStore | TarStore = DirStore(location)
            else:
                store_o = TarStore(location)
            yield assemble(ref, store_o, oci_layout.locate(store_o, extra, options, location))
            return
        client = RegistryClient(registry_reference.parse(location), options.registry,
                                max_json_bytes=options.max_json_bytes, deadline=options.deadline)
        stack.callback(client.close)
        remote = registry.RegistryStore(client)
        yield assemble(ref, remote, registry.locate(remote, options, ref), pinned=True)


def _must_exist(path: str, ref: str) -> None:
    if not os.path.exists(path):
        raise SourceError(f"{ref}: no such file or directory")
