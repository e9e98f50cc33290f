"""Images in a registry (`docker://`, `registry:`), read through the OCI distribution API.

Only this source and `auditor.registry` touch the network. The manifest (or index, then the platform's
manifest) and the config are fetched into memory, size-capped and checked against their digests; layer
blobs are fetched only when the layer reader opens them, so layers the cache already holds are never
downloaded, and they stream straight into the reader, which checks their digests. Nothing is written.
A layer descriptor must give the blob's size: the download is refused past it, so a registry cannot
stream a blob without end.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from auditor.errors import SourceError
from auditor.registry import reference
from auditor.sources import selection
from auditor.sources.interface import Located, Opened, Options

if TYPE_CHECKING:
    from auditor.registry.client import RegistryClient


@contextlib.contextmanager
def open_docker(ref: str, location: str, extra: str | None, options: Options) -> Iterator[Opened]:
    """`docker://REGISTRY/REPO[:TAG|@DIGEST]` (or `registry:`): the image read through the distribution API,
    each blob fetched by its digest; the connection is closed with the image. `extra` is never set."""
    from auditor.registry.client import RegistryClient  # `requests` loads only for a registry (0.15 s)

    client = RegistryClient(reference.parse(location), options.registry,
                            max_json_bytes=options.limits.max_json_bytes, deadline=options.deadline)
    with contextlib.closing(client):
        store = RegistryStore(client)
        yield Opened(store, locate(store, options, ref), pinned=True)


class RegistryStore:
    """The repository's blobs by digest, as a `Store`; each open is a fresh download."""

    def __init__(self, client: RegistryClient) -> None:
        self.client = client
        self.sizes: dict[str, int] = {}  # digest -> size the manifest declares; larger bodies are refused

    def open(self, name: str) -> IO[bytes]:
        return self.client.blob(name, self.sizes.get(name))

    def exists(self, name: str) -> bool:
        return self.client.exists(name)


def locate(store: RegistryStore, options: Options, where: str, version: str | None = None) -> Located:
    """The image for `options.platform` behind the reference's tag or digest (or `version`, another tag
    or digest of the same repository: `audit sweep` reads a repository's tags through one client)."""
    client = store.client
    if options.platform:
        selection.parse_platform(options.platform)  # a malformed --platform is refused before any read
    media_type, document, digest = client.manifest(version or client.ref.version)
    fetched: dict[str, tuple[str | None, Any]] = {digest: (media_type, document)}

    def fetch(desc: dict[str, Any]) -> tuple[str | None, Any]:
        wanted = str(desc.get("digest", ""))
        if wanted not in fetched:
            if not wanted.startswith("sha256:"):
                raise SourceError(f"{where}: index entry with unsupported digest {wanted!r}")
            found_type, found, _ = client.manifest(wanted)
            fetched[wanted] = (found_type, found)
        return fetched[wanted]

    top = {"digest": digest, **({"mediaType": media_type} if media_type else {})}
    chosen = selection.choose([top], fetch, options.platform, where)
    located = selection.located(chosen, client.blob_json, lambda digest: digest, where)
    for index, ref in enumerate(located.layers):
        if ref.size is None or ref.size < 0:
            raise SourceError(f"{where}: layer {index} ({ref.digest}) has no valid size in its descriptor; refused "
                              "(a registry blob is read only up to its declared size)")
    store.sizes = {str(ref.digest): ref.size for ref in located.layers if ref.digest and ref.size is not None}
    return located
