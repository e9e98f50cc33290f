"""`docker save` archives: the legacy layout and the Docker 25+ OCI layout, both through manifest.json."""

from __future__ import annotations

import contextlib
import gzip
import os
import zlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from auditor.compression import CHUNK, sniff
from auditor.deadline import NO_DEADLINE, Deadline
from auditor.errors import SourceError
from auditor.jsondoc import int_or_none, mapping, text_or_none
from auditor.limits import ARCHIVE_FLAG
from auditor.model import Digest
from auditor.sources.interface import LayerRef, Located, Opened, Options, Store, must_exist, private_dir, read_json
from auditor.sources.store import TarStore

DOCKER_HUB_PREFIXES = ("docker.io/library/", "docker.io/", "index.docker.io/library/")


def _short(tag: str) -> str:
    for prefix in DOCKER_HUB_PREFIXES:
        if tag.startswith(prefix):
            tag = tag[len(prefix):]
            break
    return tag if ":" in tag.rsplit("/", 1)[-1] else tag + ":latest"


def _tags(entry: dict[str, Any]) -> list[str]:
    tags = entry.get("RepoTags")
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


@contextlib.contextmanager
def open_docker_archive(ref: str, location: str, image: str | None, options: Options) -> Iterator[Opened]:
    """`docker-archive:PATH[:NAME:TAG]`: the archive read in place, or (gzip-compressed) decompressed to a
    private temporary file first; `image` (else --image) picks one image of several."""
    must_exist(location, ref)
    with contextlib.ExitStack() as stack:
        path = location
        if is_gzip(location):
            path = os.path.join(stack.enter_context(private_dir()), "archive.tar")
            gunzip_to(location, path, options.limits.max_archive_bytes, options.deadline)
        store = TarStore(path)
        if image:
            options = replace(options, image=image)
        yield Opened(store, locate(store, options, location))


def locate(store: Store, options: Options, where: str) -> Located:
    """Pick the image from manifest.json (by --image, else the first with a warning)."""
    manifest = read_json(store, "manifest.json", options.limits.max_json_bytes)
    if not isinstance(manifest, list) or not manifest or not all(isinstance(m, dict) for m in manifest):
        raise SourceError(f"{where}: manifest.json lists no images")
    warnings: list[str] = []
    if options.image:
        wanted = _short(options.image)
        chosen = [m for m in manifest if wanted in {_short(t) for t in _tags(m)}]
        if not chosen:
            tags = sorted({t for m in manifest for t in _tags(m)})
            raise SourceError(f"{where}: no image {options.image!r} in the archive (has: {', '.join(tags) or 'none'})")
        entry = chosen[0]
    else:
        entry = manifest[0]
        if len(manifest) > 1:
            tags = [", ".join(_tags(m) or ["<untagged>"]) for m in manifest]
            warnings.append(
                f"{where}: holds {len(manifest)} images ({'; '.join(tags)}); auditing the first — "
                "choose one with --image NAME:TAG"
            )
    config_name = entry.get("Config")
    layer_names = entry.get("Layers")
    if not isinstance(config_name, str) or not isinstance(layer_names, list):
        raise SourceError(f"{where}: manifest.json entry has no Config or Layers")
    config = read_json(store, config_name, options.limits.max_json_bytes, _digest_from_name(config_name))
    sources = mapping(entry.get("LayerSources"))
    refs = [_layer_ref(str(name), sources) for name in layer_names]
    return Located(config=config, layers=refs, digest=_digest_from_name(config_name), warnings=warnings)


def _digest_from_name(name: str) -> Digest | None:
    if name.startswith("blobs/sha256/"):
        return Digest("sha256:" + name.rsplit("/", 1)[-1])
    base = os.path.basename(name)
    if base.endswith(".json") and len(base) == 69:
        return Digest("sha256:" + base[:-5])
    return None


def _layer_ref(name: str, sources: dict[str, Any]) -> LayerRef:
    digest = _digest_from_name(name) if name.startswith("blobs/") else None
    media_type = None
    size = None
    if digest:
        media_type = text_or_none(mapping(sources.get(digest)).get("mediaType"))
        size = int_or_none(mapping(sources.get(digest)).get("size"))
    return LayerRef(name=name, digest=digest, media_type=media_type, size=size)


def gunzip_to(path: str, dest: str, limit: int, deadline: Deadline = NO_DEADLINE) -> None:
    """Spool a gzip-compressed archive (`docker save | gzip`) to an uncompressed private file of at most
    `limit` bytes (a small archive may inflate a thousandfold), within the deadline."""
    try:
        with gzip.open(path, "rb") as src, open(dest, "wb") as out:
            written = 0
            while chunk := src.read(CHUNK):
                deadline.check()
                written += len(chunk)
                if written > limit:
                    raise SourceError(f"{path}: inflates to more than {limit} bytes (--{ARCHIVE_FLAG})")
                out.write(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceError(f"{path}: corrupt gzip archive ({exc or type(exc).__name__})") from None


def is_gzip(path: str) -> bool:
    """Whether the file at `path` starts like a gzip stream."""
    with open(path, "rb") as handle:
        return sniff(handle.read(4)) == "gzip"
