"""The local Docker engine (or anything speaking its API, such as Podman): `docker save` spooled to a file,
exported only when a layer must be read.

The engine's image id is the sha256 of the image's config (the classic image store), so a config this
module exported once is kept in the cache directory by that digest (`auditor.sources.configs`) and, the
next time, found by asking the engine only for the id (`inspect`). The layers are then named by the
config's diff_ids, which is all the layer cache and the report memo need: an image whose every layer is
cached is audited without an export. Otherwise the image is exported by its id (never by a tag that may
move meanwhile) the first time a layer is opened, and the layers are read from that archive.

Such layers are `pinned` (`auditor.identity`): the layer cache takes the engine's diff_ids as the layers'
identity, as it takes a registry's digests, instead of exporting them to hash them; a layer that is read
is still checked against both digests as it is read.

Only this module talks to the engine; it hands the spooled archive to the archive source. Another engine
with a Docker-compatible API (`sources.podman`) passes its own `base_url` and `engine` name.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import IO, Any

from auditor import jsondoc
from auditor.errors import SourceError
from auditor.limits import JSON_FLAG
from auditor.model import Digest
from auditor.progress import heartbeat
from auditor.sources import archive, configs, hints
from auditor.sources.interface import LayerRef, Located, Opened, Options, private_dir
from auditor.sources.store import TarStore


@contextlib.contextmanager
def open_docker_daemon(ref: str, name: str, extra: str | None, options: Options, base_url: str | None = None,
                       engine: str = "Docker engine") -> Iterator[Opened]:
    """`docker-daemon:NAME` (or a bare name): the image's config from the cache when the engine's id names
    it, its layers exported (`docker save` spooled to a private temporary file, removed when the image is
    closed) when one is first read; else exported now and read as a docker archive. `extra` is never set.
    `base_url`: the engine's API address (default: DOCKER_HOST, as the docker CLI), `engine` its name in
    messages."""
    api = _Api(base_url, engine)
    image_id = inspect(name, options, api)
    with private_dir() as folder:
        spool = os.path.join(folder, "image.tar")
        raw = configs.get(options.cache_dir, image_id) if options.cache_dir else None
        if raw is None:
            save(name, image_id, options, spool, api)
            store = TarStore(spool)
            located = archive.locate(store, replace(options, image=None, pull=False), ref)
            if options.cache_dir:
                configs.put(options.cache_dir, image_id, _config_bytes(store, image_id))
            yield Opened(store, located)
            return
        if len(raw) > options.limits.max_json_bytes:
            raise SourceError(f"{ref}: image config larger than {options.limits.max_json_bytes} bytes (--{JSON_FLAG})")
        config = jsondoc.parse(raw, f"{ref} config")
        diff_ids = jsondoc.mapping(jsondoc.mapping(config).get("rootfs")).get("diff_ids")
        diff_ids = diff_ids if isinstance(diff_ids, list) else []
        export = _Export(lambda: _exported(name, image_id, options, spool, ref, len(diff_ids), api))
        # named by diff_id, as an export names an uncompressed layer: so the layers are pinned
        layers = [LayerRef(name=str(index), digest=Digest(diff_id) if isinstance(diff_id, str) else None)
                  for index, diff_id in enumerate(diff_ids)]
        yield Opened(export, Located(config=config, layers=layers, digest=Digest(image_id)), pinned=True)


@dataclass
class _Export:
    """The layers of an image not exported yet, by position: the first `open` exports the image (`spool`
    returns its archive and the name of each layer in it)."""

    spool: Callable[[], tuple[TarStore, list[str]]]
    _done: tuple[TarStore, list[str]] | None = None

    def open(self, name: str) -> IO[bytes]:
        if self._done is None:
            self._done = self.spool()
        store, names = self._done
        return store.open(names[int(name)])

    def exists(self, name: str) -> bool:
        return name.isdigit()


def _exported(name: str, image_id: str, options: Options, spool: str, ref: str,
              count: int, api: _Api) -> tuple[TarStore, list[str]]:
    """Export the image now that a layer must be read; its archive, and where each layer is in it. The
    export is by id, so it is the image whose config was used; a layer count that differs is an error."""
    save(name, image_id, options, spool, api)
    store = TarStore(spool)
    located = archive.locate(store, replace(options, image=None, pull=False), ref)
    if located.digest != image_id or len(located.layers) != count:
        raise SourceError(f"{ref}: the engine exported another image than {image_id}")
    return store, [layer.name for layer in located.layers]


def _config_bytes(store: TarStore, image_id: str) -> bytes | None:
    """The config of a `docker save` archive as stored, under the name either layout gives it."""
    hexpart = image_id.removeprefix("sha256:")
    for name in (f"{hexpart}.json", f"blobs/sha256/{hexpart}"):
        if store.exists(name):
            with store.open(name) as handle:
                return handle.read()
    return None


@dataclass(frozen=True)
class _Api:
    """Which engine: its API address (None: DOCKER_HOST, as the docker CLI) and its name in messages."""

    base_url: str | None = None
    engine: str = "Docker engine"


def inspect(name: str, options: Options, api: _Api = _Api()) -> str:
    """The engine's id of image `name` (pulled first with --pull)."""
    with _engine(name, api) as client:
        if options.pull:
            repo, tag = _split(name)
            client.images.pull(repo, tag=tag)
        return str(client.api.inspect_image(name)["Id"])


def save(name: str, image_id: str, options: Options, dest: str, api: _Api = _Api()) -> None:
    """Write `docker save IMAGE_ID` to `dest` (a file in a private temp dir), telling `options.progress`."""
    options.progress.step(f"exporting {name} from the {api.engine}")
    with heartbeat(options.progress), _engine(name, api) as client, open(dest, "wb") as out:
        for chunk in client.api.get_image(image_id):
            options.deadline.check()
            out.write(chunk)
            options.progress.advance(len(chunk))


@contextlib.contextmanager
def _engine(name: str, api: _Api) -> Iterator[Any]:
    """A client of the engine, its errors about image `name` turned into SourceErrors."""
    base_url, engine = api.base_url, api.engine
    import docker  # the SDK (and requests) only when an engine is asked for
    import docker.errors

    try:
        client = docker.DockerClient(base_url=base_url, timeout=600) if base_url else docker.from_env(timeout=600)
        client.ping()
    except docker.errors.DockerException as exc:
        raise SourceError(hints.unreachable(exc, base_url, engine)) from None
    try:
        yield client
    except docker.errors.ImageNotFound:
        raise SourceError(hints.not_in_engine(name, engine)) from None
    except docker.errors.NotFound as exc:
        raise SourceError(f"image {name!r} not found: {_reason(exc)}") from None
    except docker.errors.DockerException as exc:
        raise SourceError(f"{engine} error for {name!r}: {_reason(exc)}") from None
    finally:
        client.close()


def _split(name: str) -> tuple[str, str | None]:
    if "@" in name:
        return name, None
    head, _, last = name.rpartition("/")
    if ":" in last:
        repo, tag = last.rsplit(":", 1)
        return (f"{head}/{repo}" if head else repo), tag
    return name, "latest"


def _reason(exc: Exception) -> str:
    explanation = getattr(exc, "explanation", None)
    text = str(explanation or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
