"""OCI image layouts (a directory or a tar of one): index.json, nested indexes, platforms."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from auditor.errors import SourceError
from auditor.jsondoc import mapping
from auditor.sources import selection
from auditor.sources.interface import Located, Opened, Options, Store, blob_name, must_exist, read_json
from auditor.sources.store import DirStore, TarStore

REF_NAME = "org.opencontainers.image.ref.name"


@contextlib.contextmanager
def open_oci(ref: str, location: str, tag: str | None, options: Options) -> Iterator[Opened]:
    """`oci:DIR[:TAG]`: an OCI image layout directory, read in place."""
    must_exist(location, ref)
    if not os.path.isdir(location):
        raise SourceError(f"{location}: not a directory (an OCI layout is a directory)")
    store = DirStore(location)
    yield Opened(store, locate(store, tag, options, location))


@contextlib.contextmanager
def open_oci_archive(ref: str, location: str, tag: str | None, options: Options) -> Iterator[Opened]:
    """`oci-archive:PATH[:TAG]`: a tar of an OCI image layout, read in place."""
    must_exist(location, ref)
    store = TarStore(location)
    yield Opened(store, locate(store, tag, options, location))


def locate(store: Store, tag: str | None, options: Options, where: str) -> Located:
    """Find the image manifest for `tag` (or the only image) and platform in an OCI layout."""
    if options.platform:
        selection.parse_platform(options.platform)  # a malformed --platform is refused before any read
    if not store.exists("index.json"):
        raise SourceError(f"{where}: not an OCI image layout (no index.json)")
    limit = options.limits.max_json_bytes
    index = read_json(store, "index.json", limit)
    if not isinstance(index, dict):
        raise SourceError(f"{where}: index.json is not a JSON object")
    top = selection.manifests_of(index, "index.json")
    if tag:
        tagged = [d for d in top if mapping(d.get("annotations")).get(REF_NAME) in (tag, tag.rsplit(":", 1)[-1])]
        if not tagged:
            names = sorted({str(mapping(d.get("annotations")).get(REF_NAME)) for d in top})
            raise SourceError(f"{where}: no image tagged {tag!r} (tags: {', '.join(names)})")
        top = tagged

    def read(digest: str) -> Any:
        return read_json(store, blob_name(digest), limit, digest)

    chosen = selection.choose(top, lambda desc: (None, read(str(desc.get("digest", "")))), options.platform, where)
    return selection.located(chosen, read, blob_name, where)
