"""OCI image layouts (a directory or a tar of one): index.json, nested indexes, platforms."""

from __future__ import annotations

from typing import Any

from auditor.errors import SourceError
from auditor.sources import selection
from auditor.sources.interface import Located, Options, Store, blob_name, mapping, read_json

REF_NAME = "org.opencontainers.image.ref.name"


def locate(store: Store, tag: str | None, options: Options, where: str) -> Located:
    """Find the image manifest for `tag` (or the only image) and platform in an OCI layout."""
    selection.parse_platform(options.platform)
    if not store.exists("index.json"):
        raise SourceError(f"{where}: not an OCI image layout (no index.json)")
    index = read_json(store, "index.json", options.max_json_bytes)
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
        return read_json(store, blob_name(digest), options.max_json_bytes, digest)

    chosen = selection.choose(top, lambda desc: (None, read(str(desc.get("digest", "")))), options.platform, where)
    return selection.located(chosen, read, blob_name, where)
