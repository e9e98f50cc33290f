"""OCI image layouts (a directory or a tar of one): index.json, nested indexes, platforms."""

from __future__ import annotations

from typing import Any

from auditor.errors import SourceError
from auditor.sources import selection
from auditor.sources.interface import Located, Options, Store, blob_name, read_json

REF_NAME = "org.opencontainers.image.ref.name"


def locate(store: Store, tag: str | None, options: Options, where: str) -> Located:
    """Find the image manifest for `tag` (or the only image) and platform in an OCI layout."""
    selection.parse_platform(options.platform)
    if not store.exists("index.json"):
        raise SourceError(f"{where}: not an OCI image layout (no index.json)")
    index = read_json(store, "index.json")
    if not isinstance(index, dict):
        raise SourceError(f"{where}: index.json is not a JSON object")
    top = selection.manifests_of(index, "index.json")
    if tag:
        tagged = [d for d in top if (d.get("annotations") or {}).get(REF_NAME) in (tag, tag.rsplit(":", 1)[-1])]
        if not tagged:
            names = sorted({str((d.get("annotations") or {}).get(REF_NAME)) for d in top})
            raise SourceError(f"{where}: no image tagged {tag!r} (tags: {', '.join(names)})")
        top = tagged

    def fetch(desc: dict[str, Any]) -> tuple[str | None, Any]:
        return None, read_json(store, blob_name(str(desc.get("digest", ""))))

    chosen = selection.choose(top, fetch, options.platform, where)
    return selection.located(chosen, lambda digest: read_json(store, blob_name(digest)), blob_name, where)
