"""Build Docker/OCI images in memory with `tarfile`, for tests and scripts.

A layer is a list of entries (`File`, `Dir`, `Symlink`, `Hardlink`, `Whiteout`, `Opaque`, `Raw`) written
in the given order, or a `Blob` stored exactly as given. An `ImageSpec` adds the config: history, env,
labels, cmd, tags, platform. The writers lay images out the way `docker save` (legacy and Docker 25+),
an OCI image layout and an OCI archive do, with correct sha256 digests and `rootfs.diff_ids`. Output is
deterministic to the byte (fixed mtimes and owners, gzip without a timestamp, no tar record padding).
"""

from __future__ import annotations

import gzip as gzip_module
import hashlib
import io
import json
import os
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import zstandard

MTIME = 1_700_000_000
CREATED = "2023-11-14T22:13:20Z"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TYPES = {
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "none": "application/vnd.oci.image.layer.v1.tar",
}
REF_NAME = "org.opencontainers.image.ref.name"
IMAGE_NAME = "io.containerd.image.name"

Compression = Literal["gzip", "zstd", "none"]


# --- layer entries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class File:
    path: str
    data: bytes = b""
    mode: int = 0o644


@dataclass(frozen=True)
class Dir:
    path: str
    mode: int = 0o755


@dataclass(frozen=True)
class Symlink:
    path: str
    target: str


@dataclass(frozen=True)
class Hardlink:
    """A hard link to `target`, an earlier entry of the same layer."""

    path: str
    target: str


@dataclass(frozen=True)
class Whiteout:
    """`.wh.NAME` beside `path`: removes `path` of lower layers."""

    path: str


@dataclass(frozen=True)
class Opaque:
    """`DIR/.wh..wh..opq`: hides everything lower layers put under `dir`."""

    dir: str


@dataclass(frozen=True)
class Raw:
    """Escape hatch: a tar entry with exactly this name, type and link name (odd names, devices, `../`)."""

    name: str
    type: bytes = tarfile.REGTYPE
    data: bytes = b""
    linkname: str = ""
    mode: int = 0o644


Entry = File | Dir | Symlink | Hardlink | Whiteout | Opaque | Raw


@dataclass(frozen=True)
class Blob:
    """A layer stored byte for byte (corrupt, truncated or pre-compressed); `diff_id` goes in the config."""

    data: bytes
    diff_id: str | None = None  # default: sha256 of `data`, right for an uncompressed tar
    media_type: str = LAYER_TYPES["gzip"]


def _name(path: str) -> str:
    return path.lstrip("/") or "."


def _info(name: str, type_: bytes, mode: int, size: int = 0, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size, info.linkname = type_, mode, size, linkname
    info.mtime, info.uid, info.gid, info.uname, info.gname = MTIME, 0, 0, "root", "root"
    return info


def _tar_entry(entry: Entry) -> tuple[tarfile.TarInfo, bytes]:
    if isinstance(entry, File):
        return _info(_name(entry.path), tarfile.REGTYPE, entry.mode, len(entry.data)), entry.data
    if isinstance(entry, Dir):
        return _info(_name(entry.path), tarfile.DIRTYPE, entry.mode), b""
    if isinstance(entry, Symlink):
        return _info(_name(entry.path), tarfile.SYMTYPE, 0o777, linkname=entry.target), b""
    if isinstance(entry, Hardlink):
        return _info(_name(entry.path), tarfile.LNKTYPE, 0o644, linkname=_name(entry.target)), b""
    if isinstance(entry, Whiteout):
        head, _, tail = _name(entry.path).rpartition("/")
        return _info(f"{head}/.wh.{tail}" if head else f".wh.{tail}", tarfile.REGTYPE, 0o644), b""
    if isinstance(entry, Opaque):
        folder = _name(entry.dir)
        return _info(".wh..wh..opq" if folder == "." else f"{folder}/.wh..wh..opq", tarfile.REGTYPE, 0o644), b""
    size = len(entry.data) if entry.type in (tarfile.REGTYPE, tarfile.AREGTYPE) else 0
    return _info(entry.name, entry.type, entry.mode, size, entry.linkname), entry.data


def _tar(members: Sequence[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    """An uncompressed tar ending right after its two zero blocks, as Go's archive/tar writes it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.size else None)
    return buffer.getvalue()[: tar.offset]


def layer_tar(entries: Sequence[Entry]) -> bytes:
    """One uncompressed layer tar holding `entries` in the given order."""
    return _tar([_tar_entry(entry) for entry in entries])


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def gzip_bytes(data: bytes) -> bytes:
    """gzip without a timestamp, the same on every Python: the header's OS byte is set to 3 (Unix), which
    zlib writes, since `gzip.compress` writes 3 on Python 3.11 and 3.12 but 255 on 3.10 and 3.13+."""
    out = bytearray(gzip_module.compress(data, mtime=0))
    out[9] = 3
    return bytes(out)


def compress(data: bytes, compression: Compression) -> bytes:
    if compression == "gzip":
        return gzip_bytes(data)
    if compression == "zstd":
        return zstandard.ZstdCompressor().compress(data)
    return data


# --- images --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    created_by: str
    empty_layer: bool = False


@dataclass
class ImageSpec:
    """An image: layers base first; `history` "auto" (one entry per layer), a list, or None to omit it."""

    layers: Sequence[Sequence[Entry] | Blob]
    history: Sequence[History | str] | None | Literal["auto"] = "auto"
    env: Sequence[str] = ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",)
    labels: Mapping[str, str] = field(default_factory=dict)
    cmd: Sequence[str] | None = None
    repo_tags: Sequence[str] = ("kit/app:latest",)
    os: str = "linux"
    architecture: str = "amd64"
    variant: str | None = None

    @property
    def platform(self) -> dict[str, str]:
        out = {"architecture": self.architecture, "os": self.os}
        return {**out, "variant": self.variant} if self.variant else out


@dataclass(frozen=True)
class BuiltLayer:
    data: bytes  # the uncompressed tar, or a Blob's bytes
    diff_id: str
    blob: Blob | None = None


@dataclass(frozen=True)
class BuiltImage:
    spec: ImageSpec
    layers: tuple[BuiltLayer, ...]
    config: bytes

    @property
    def config_digest(self) -> str:
        return sha256(self.config)


@dataclass(frozen=True)
class Written:
    """Where one image went: manifest digest (None in a legacy archive), config digest, layer blob names."""

    manifest: str | None
    config: str
    layer_names: tuple[str, ...]


def _dumps(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def build(spec: ImageSpec) -> BuiltImage:
    """Serialise the layers and the config (with matching `rootfs.diff_ids`)."""
    layers = []
    for layer in spec.layers:
        if isinstance(layer, Blob):
            layers.append(BuiltLayer(layer.data, layer.diff_id or sha256(layer.data), layer))
        else:
            data = layer_tar(layer)
            layers.append(BuiltLayer(data, sha256(data)))
    inner: dict[str, Any] = {"Env": list(spec.env)}
    if spec.labels:
        inner["Labels"] = dict(spec.labels)
    if spec.cmd is not None:
        inner["Cmd"] = list(spec.cmd)
    doc: dict[str, Any] = {
        **spec.platform,
        "created": CREATED,
        "config": inner,
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in layers]},
    }
    if spec.history == "auto":
        doc["history"] = [
            {"created": CREATED, "created_by": f"/bin/sh -c #(nop) ADD file:{layer.diff_id[7:23]} in / "}
            for layer in layers
        ]
    elif spec.history is not None:
        steps = [History(h) if isinstance(h, str) else h for h in spec.history]
        doc["history"] = [
            {"created": CREATED, "created_by": h.created_by, **({"empty_layer": True} if h.empty_layer else {})}
            for h in steps
        ]
    return BuiltImage(spec, tuple(layers), _dumps(doc))


def _built(images: ImageSpec | Sequence[ImageSpec]) -> list[BuiltImage]:
    return [build(spec) for spec in ([images] if isinstance(images, ImageSpec) else images)]


def _split_tag(tag: str) -> tuple[str, str]:
    repo, sep, name = tag.rpartition(":")
    return (repo, name) if sep and "/" not in name else (tag, "latest")


def _full_name(tag: str) -> str:
    first = tag.split("/", 1)[0]
    if "/" not in tag:
        return "docker.io/library/" + tag
    return tag if ("." in first or ":" in first or first == "localhost") else "docker.io/" + tag


class _Members:
    """Files of an archive or layout, in insertion order; directories are implied."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[tarfile.TarInfo, bytes]] = {}

    def add(self, name: str, data: bytes) -> None:
        self._dirs(name)
        self.files[name] = (_info(name, tarfile.REGTYPE, 0o644, len(data)), data)

    def link(self, name: str, target: str) -> None:
        self._dirs(name)
        self.files[name] = (_info(name, tarfile.SYMTYPE, 0o777, linkname=target), b"")

    def blob(self, data: bytes) -> str:
        digest = sha256(data)
        self.add("blobs/sha256/" + digest[7:], data)
        return digest

    def _dirs(self, name: str) -> None:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folder = "/".join(parts[:i])
            self.files.setdefault(folder + "/", (_info(folder, tarfile.DIRTYPE, 0o755), b""))

    def tar(self) -> bytes:
        return _tar(list(self.files.values()))


# --- docker save ---------------------------------------------------------------------------------------


def write_docker_archive(
    path: str | os.PathLike[str],
    images: ImageSpec | Sequence[ImageSpec],
    layout: Literal["legacy", "docker25"] = "legacy",
    gzip: bool = False,
    repeat_as_symlink: bool = True,
) -> list[Written]:
    """Write a `docker save` archive (legacy or Docker 25+ layout), optionally gzip-compressed whole."""
    members = _Members()
    built = _built(images)
    written = _legacy(members, built, repeat_as_symlink) if layout == "legacy" else _docker25(members, built)
    data = members.tar()
    with open(path, "wb") as out:
        out.write(gzip_bytes(data) if gzip else data)
    return written


def _legacy(members: _Members, built: list[BuiltImage], repeat_as_symlink: bool) -> list[Written]:
    manifest: list[dict[str, Any]] = []
    repositories: dict[str, dict[str, str]] = {}
    first_stored: dict[str, str] = {}  # diff_id -> the layer.tar holding it
    written = []
    for image in built:
        parent = ""
        names = []
        for layer in image.layers:
            v1id = hashlib.sha256(f"{parent}\n{layer.diff_id}".encode()).hexdigest()
            name = f"{v1id}/layer.tar"
            if name not in members.files:
                members.add(f"{v1id}/VERSION", b"1.0")
                v1 = {"id": v1id, "created": CREATED, "os": image.spec.os, **({"parent": parent} if parent else {})}
                members.add(f"{v1id}/json", _dumps(v1))
                first = first_stored.get(layer.diff_id)
                if first and repeat_as_symlink:
                    members.link(name, f"../{first}")
                else:
                    members.add(name, layer.data)
                    first_stored.setdefault(layer.diff_id, name)
            names.append(name)
            parent = v1id
        config_name = image.config_digest[7:] + ".json"
        members.add(config_name, image.config)
        tags = list(image.spec.repo_tags)
        manifest.append({"Config": config_name, "RepoTags": tags or None, "Layers": names})
        for tag in tags:
            repo, name_tag = _split_tag(tag)
            repositories.setdefault(repo, {})[name_tag] = parent
        written.append(Written(None, image.config_digest, tuple(names)))
    members.add("manifest.json", _dumps(manifest))
    members.add("repositories", _dumps(repositories))
    return written


def _docker25(members: _Members, built: list[BuiltImage]) -> list[Written]:
    manifest: list[dict[str, Any]] = []
    index: list[dict[str, Any]] = []
    repositories: dict[str, dict[str, str]] = {}
    written = []
    for image in built:
        descs: list[dict[str, Any]] = [
            {"mediaType": LAYER_TYPES["none"], "digest": members.blob(layer.data), "size": len(layer.data)}
            for layer in image.layers
        ]
        desc = _manifest(members, image, descs)
        names = tuple("blobs/sha256/" + d["digest"][7:] for d in descs)
        tags = list(image.spec.repo_tags)
        index.extend(_tagged(desc, tag) for tag in _or_untagged(tags))
        for tag in tags:
            repo, name_tag = _split_tag(tag)
            repositories.setdefault(repo, {})[name_tag] = descs[-1]["digest"][7:] if descs else ""
        manifest.append({
            "Config": "blobs/sha256/" + image.config_digest[7:],
            "RepoTags": tags or None,
            "Layers": list(names),
            "LayerSources": {d["digest"]: d for d in descs},
        })
        written.append(Written(desc["digest"], image.config_digest, names))
    members.add("index.json", _dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": index}))
    members.add("manifest.json", _dumps(manifest))
    members.add("oci-layout", _dumps({"imageLayoutVersion": "1.0.0"}))
    members.add("repositories", _dumps(repositories))
    return written


def _manifest(members: _Members, image: BuiltImage, layer_descs: list[dict[str, Any]]) -> dict[str, Any]:
    """Store the config and the image manifest; return the manifest's descriptor."""
    config = {"mediaType": OCI_CONFIG, "digest": members.blob(image.config), "size": len(image.config)}
    body = _dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layer_descs})
    return {"mediaType": OCI_MANIFEST, "digest": members.blob(body), "size": len(body)}


# --- OCI image layouts ---------------------------------------------------------------------------------


def _oci(
    images: ImageSpec | Sequence[ImageSpec],
    compression: Compression | Sequence[Compression],
    index: Literal["flat", "multiarch", "nested"],
    attestations: bool,
) -> tuple[_Members, list[Written]]:
    members = _Members()
    members.add("oci-layout", _dumps({"imageLayoutVersion": "1.0.0"}))
    platform_descs: list[dict[str, Any]] = []
    attestation_descs: list[dict[str, Any]] = []
    written = []
    for image in _built(images):
        descs: list[dict[str, Any]] = []
        for i, layer in enumerate(image.layers):
            how = compression if isinstance(compression, str) else compression[i]
            blob = layer.blob.data if layer.blob else compress(layer.data, how)
            media_type = layer.blob.media_type if layer.blob else LAYER_TYPES[how]
            descs.append({"mediaType": media_type, "digest": members.blob(blob), "size": len(blob)})
        desc = _manifest(members, image, descs)
        blobs = tuple("blobs/sha256/" + d["digest"][7:] for d in descs)
        written.append(Written(desc["digest"], image.config_digest, blobs))
        platform_descs.append({**desc, "platform": image.spec.platform, "_tags": list(image.spec.repo_tags)})
        if attestations:
            attestation_descs.append(_attestation(members, desc["digest"]))
    if index == "flat":
        top = [_tagged(d, tag) for d in platform_descs for tag in _or_untagged(d["_tags"])]
    else:
        tags = platform_descs[0]["_tags"] if platform_descs else []
        listed = [_tagged(d, None) for d in platform_descs] + attestation_descs
        if index == "multiarch":
            top = listed
        else:
            body = _dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": listed})
            nested = {"mediaType": OCI_INDEX, "digest": members.blob(body), "size": len(body)}
            top = [_tagged(nested, tag) for tag in _or_untagged(tags)]
    if index == "flat":
        top += attestation_descs
    members.add("index.json", _dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": top}))
    return members, written


def _or_untagged(tags: Sequence[str]) -> list[str | None]:
    """Each tag, or one untagged entry when there are none."""
    return [*tags] or [None]


def _tagged(desc: dict[str, Any], tag: str | None) -> dict[str, Any]:
    out = {k: v for k, v in desc.items() if k != "_tags"}
    if tag:
        out["annotations"] = {IMAGE_NAME: _full_name(tag), REF_NAME: _split_tag(tag)[1]}
    return out


def _attestation(members: _Members, subject: str) -> dict[str, Any]:
    """A BuildKit provenance attestation manifest for `subject` (not a filesystem layer)."""
    statement = _dumps({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "subject": [{"name": "_", "digest": {"sha256": subject[7:]}}],
        "predicate": {"builder": {"id": ""}},
    })
    layer = {
        "mediaType": "application/vnd.in-toto+json",
        "digest": members.blob(statement),
        "size": len(statement),
        "annotations": {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"},
    }
    config = _dumps({"architecture": "unknown", "os": "unknown", "config": {},
                     "rootfs": {"type": "layers", "diff_ids": [sha256(statement)]}})
    config_desc = {"mediaType": OCI_CONFIG, "digest": members.blob(config), "size": len(config)}
    body = _dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config_desc, "layers": [layer]})
    return {
        "mediaType": OCI_MANIFEST,
        "digest": members.blob(body),
        "size": len(body),
        "annotations": {"vnd.docker.reference.digest": subject, "vnd.docker.reference.type": "attestation-manifest"},
        "platform": {"architecture": "unknown", "os": "unknown"},
    }


def write_oci_layout(
    root: str | os.PathLike[str],
    images: ImageSpec | Sequence[ImageSpec],
    compression: Compression | Sequence[Compression] = "gzip",
    index: Literal["flat", "multiarch", "nested"] = "flat",
    attestations: bool = False,
) -> list[Written]:
    """Write an OCI image layout directory.

    `index`: "flat" lists each image's manifest in index.json, once per tag (ref-name annotation);
    "multiarch" makes index.json itself the multi-platform index; "nested" puts that index in a blob that
    index.json points to (as `buildx --output type=oci` does). `attestations` adds a provenance
    attestation manifest (platform unknown/unknown) per image. `compression` may be one per layer.
    """
    members, written = _oci(images, compression, index, attestations)
    for name, (info, data) in members.files.items():
        if info.isdir():
            continue
        target = os.path.join(root, *name.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as out:
            out.write(data)
    return written


def write_oci_archive(
    path: str | os.PathLike[str],
    images: ImageSpec | Sequence[ImageSpec],
    compression: Compression | Sequence[Compression] = "gzip",
    index: Literal["flat", "multiarch", "nested"] = "flat",
    attestations: bool = False,
) -> list[Written]:
    """Write a tar of an OCI image layout (`oci-archive:`), laid out as `write_oci_layout` does."""
    members, written = _oci(images, compression, index, attestations)
    with open(path, "wb") as out:
        out.write(members.tar())
    return written
