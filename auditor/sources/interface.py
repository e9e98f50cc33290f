"""What every image source provides, and the shared assembly of an `Image` from it.

A source only has to say where the config and the layer blobs are (a `Store` of named blobs plus
descriptors); `assemble` does the rest: diff ids, history mapping, layer records. Each transport is one
`Open` function (listed by name in `auditor.sources.OPENERS`) that finds the image behind a reference.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from auditor import jsondoc
from auditor.deadline import NO_DEADLINE, Deadline
from auditor.errors import SourceError
from auditor.limits import JSON_FLAG, Limits
from auditor.model import Digest, Image, Layer
from auditor.progress import SILENT, Progress
from auditor.registry.settings import RegistryOptions


class Store(Protocol):
    """Named blobs inside an image container (a directory or a tar); names are relative posix paths."""

    def open(self, name: str) -> IO[bytes]:
        """A fresh stream of the named blob; SourceError when it is missing."""
        ...

    def exists(self, name: str) -> bool:
        """Whether the named blob is present."""
        ...


@dataclass(frozen=True)
class Options:
    """How to pick and read an image; set from the command line."""

    platform: str | None = None  # os/arch[/variant]; None: the host's if the image has it, else its only one
    image: str | None = None  # which image of a multi-image docker archive
    pull: bool = False
    registry: RegistryOptions = field(default_factory=RegistryOptions)  # for docker:// references
    limits: Limits = field(default_factory=Limits)  # max_json_bytes and max_archive_bytes are the sources'
    deadline: Deadline = NO_DEADLINE  # --deadline: when the whole audit must be over
    progress: Progress = SILENT  # what an engine export reports as it goes
    cache_dir: str | None = None  # the layer cache: the engine source keeps the configs it exported there


@dataclass
class LayerRef:
    """Where a layer blob lives in a store, as a manifest describes it."""

    name: str
    digest: Digest | None
    media_type: str | None = None
    size: int | None = None


@dataclass
class Located:
    """An image found in a store: its config and layer blobs, base first."""

    config: dict[str, Any]
    layers: list[LayerRef]
    digest: Digest | None = None
    warnings: list[str] = field(default_factory=list)
    platform: str | None = None  # what the index entry that chose it names; else the config says


@dataclass(frozen=True)
class Opened:
    """An image a transport found: the store its blobs are read from, and where they are in it."""

    store: Store
    located: Located
    pinned: bool = False  # the store fetches each blob by its digest (a registry): see `Layer.pinned`


# A transport: (the whole reference, for messages; its location; the tag or image name after the location,
# if any; options) -> the image found, open until the context ends, which removes whatever it spooled.
Open = Callable[[str, str, str | None, Options], AbstractContextManager[Opened]]


@contextlib.contextmanager
def private_dir() -> Iterator[str]:
    """A new private temporary directory (mode 0700) for an image spooled to disk, removed with what it
    holds when the context ends, however it ends (an error, Ctrl-C, SIGTERM unwinding as `Terminated`)."""
    path = tempfile.mkdtemp(prefix="layer-auditor-")
    try:
        yield path
    finally:
        shutil.rmtree(path, True)


def must_exist(path: str, ref: str) -> None:
    """SourceError naming `ref` when nothing is at `path`."""
    if not os.path.exists(path):
        raise SourceError(f"{ref}: no such file or directory")


def blob_name(digest: str) -> str:
    """The path of a content-addressed blob in an OCI layout."""
    algorithm, _, hexpart = digest.partition(":")
    if not hexpart or "/" in hexpart or not algorithm.isalnum() or hexpart in (".", ".."):
        raise SourceError(f"malformed digest {digest!r}")
    return f"blobs/{algorithm}/{hexpart}"


def read_json(store: Store, name: str, limit: int, digest: str | None = None) -> Any:
    """Parse a JSON document from the store, refusing oversized, too deeply nested or malformed ones, and
    (given its sha256 `digest`) one whose bytes are not what the digest names."""
    with store.open(name) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise SourceError(f"{name}: JSON document larger than {limit} bytes (--{JSON_FLAG})")
    if digest is not None and digest.startswith("sha256:"):
        actual = "sha256:" + hashlib.sha256(data).hexdigest()
        if actual != digest:
            raise SourceError(f"{name}: digest mismatch (expected {digest}, got {actual})")
    return jsondoc.parse(data, name)


def assemble(reference: str, store: Store, located: Located, pinned: bool = False) -> Image:
    """Build the `Image`: attach diff ids and the history instruction that made each layer. `pinned`: the
    store fetches each blob by its digest (a registry), see `Layer.pinned`."""
    config = located.config
    if not isinstance(config, dict):
        raise SourceError(f"{reference}: image config is not a JSON object")
    diff_ids = jsondoc.mapping(config.get("rootfs")).get("diff_ids")
    if not isinstance(diff_ids, list):
        diff_ids = []
    warnings = list(located.warnings)
    if diff_ids and len(diff_ids) != len(located.layers):
        warnings.append(
            f"config lists {len(diff_ids)} diff_ids for {len(located.layers)} layers; "
            "uncompressed digests not verified"
        )
        diff_ids = []
    history = history_for_layers(config, len(located.layers))
    layers = []
    for index, ref in enumerate(located.layers):
        diff_id = diff_ids[index] if diff_ids and isinstance(diff_ids[index], str) else None
        layers.append(
            Layer(
                index=index,
                digest=ref.digest or Digest(diff_id or "unknown"),
                diff_id=Digest(diff_id) if diff_id else None,
                media_type=ref.media_type,
                size=ref.size,
                opener=_opener(store, ref.name),
                created_by=history[index][1],
                history_index=history[index][0],
                pinned=pinned and ref.digest is not None,
            )
        )
    return Image(reference=reference, digest=located.digest, config=config, layers=layers, warnings=warnings)


def _opener(store: Store, name: str) -> Callable[[], IO[bytes]]:
    return lambda: store.open(name)


def history_for_layers(config: dict[str, Any], count: int) -> list[tuple[int | None, str | None]]:
    """Map each layer to `(history index, created_by)`, skipping `empty_layer` entries.

    History may be missing or not match the layers (imported bases, squashed images): when the counts
    differ the entries are aligned from the top, where the image's own instructions are.
    """
    none: tuple[int | None, str | None] = (None, None)
    history = config.get("history")
    if not isinstance(history, list):
        return [none] * count
    real: list[tuple[int | None, str | None]] = [
        (i, jsondoc.text_or_none(h.get("created_by")))
        for i, h in enumerate(history)
        if isinstance(h, dict) and not h.get("empty_layer")
    ]
    if len(real) >= count:
        return real[len(real) - count:]
    return [none] * (count - len(real)) + real
