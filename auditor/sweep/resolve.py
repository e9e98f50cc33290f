"""Resolve each reference of a sweep to its image (manifest, platform choice, config), reading no layer.

One registry client per repository reads its tag list and every manifest of it, so a token is asked for
once per repository. A reference that cannot be resolved (gone since the catalog listed it, no image for
the platform, refused) is a `Failed` with its one-line reason, and the sweep goes on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from auditor.errors import DeadlineExceeded, SourceError
from auditor.model import Image
from auditor.registry.client import RegistryClient
from auditor.registry.reference import RegistryRef
from auditor.sources.interface import Options, assemble
from auditor.sources.registry import RegistryStore, locate
from auditor.sweep import catalog
from auditor.sweep.catalog import Tags


@dataclass(frozen=True)
class Resolved:
    """An image found behind a reference: its layers' blobs are read later, by the executor."""

    ref: RegistryRef
    image: Image

    @property
    def created(self) -> str:
        value = self.image.config.get("created")
        return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class Failed:
    """A reference (or a repository's tag list) that could not be resolved, and why."""

    reference: str
    reason: str


Outcome = Resolved | Failed


def _client(registry: str, repository: str, options: Options) -> RegistryClient:
    return RegistryClient(RegistryRef(registry, repository), options.registry,
                          max_json_bytes=options.limits.max_json_bytes, deadline=options.deadline)


def _one(store: RegistryStore, ref: RegistryRef, options: Options) -> Outcome:
    where = f"docker://{ref}"
    try:
        located = locate(store, options, where, ref.version)
    except DeadlineExceeded:
        raise
    except SourceError as exc:
        return Failed(str(ref), str(exc))
    return Resolved(ref, assemble(str(ref), store, located, pinned=True))


def _newest(found: list[Outcome], count: int) -> list[Outcome]:
    """The `count` most recently created images of a repository, and every failure."""
    images = sorted((item for item in found if isinstance(item, Resolved)), key=lambda r: r.created, reverse=True)
    return [*images[:count], *(item for item in found if isinstance(item, Failed))]


def from_registry(registry: str, prefix: str, pattern: str | None, wanted: Tags, options: Options) -> Iterator[Outcome]:
    """Every image the catalog lists under `prefix` whose repository matches `pattern`, tags as `wanted`."""
    for repository in catalog.repositories(registry, prefix, pattern, options.registry, options.limits.max_json_bytes):
        client = _client(registry, repository, options)
        with contextlib.closing(client):
            try:
                names = catalog.tags(client, wanted)
            except SourceError as exc:
                yield Failed(f"{registry}/{repository}", str(exc))
                continue
            store = RegistryStore(client)
            found = [_one(store, RegistryRef(registry, repository, tag=tag), options) for tag in names]
        yield from _newest(found, wanted.count) if wanted.which == "newest" else found


def from_refs(refs: Iterable[RegistryRef], options: Options) -> Iterator[Outcome]:
    """Each listed reference's image, the references of one repository through one client."""
    groups: dict[tuple[str, str], list[RegistryRef]] = {}
    for ref in refs:
        groups.setdefault((ref.registry, ref.repository), []).append(ref)
    for (registry, repository), members in groups.items():
        client = _client(registry, repository, options)
        with contextlib.closing(client):
            store = RegistryStore(client)
            for ref in members:
                yield _one(store, ref, options)
