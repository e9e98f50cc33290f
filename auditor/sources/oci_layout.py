"""OCI image layouts (a directory or a tar of one): index.json, nested indexes, platforms."""

from __future__ import annotations

from typing import Any

from auditor.errors import SourceError
from auditor.model import Digest
from auditor.sources.interface import LayerRef, Located, Options, Store, blob_name, int_or_none, mapping, read_json
from auditor.sources.interface import text_or_none

INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
MANIFEST_TYPES = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
}
REF_NAME = "org.opencontainers.image.ref.name"
MAX_DEPTH = 8


def parse_platform(text: str) -> tuple[str, str, str | None]:
    """"linux/arm64/v8" -> ("linux", "arm64", "v8")."""
    parts = text.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise SourceError(f"--platform {text!r}: expected os/arch[/variant], e.g. linux/amd64")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


def _is_attestation(desc: dict[str, Any]) -> bool:
    annotations = mapping(desc.get("annotations"))
    platform = mapping(desc.get("platform"))
    return (
        annotations.get("vnd.docker.reference.type") == "attestation-manifest"
        or (platform.get("os") == "unknown" and platform.get("architecture") == "unknown")
    )


def _platform_of(desc: dict[str, Any]) -> str | None:
    platform = desc.get("platform")
    if not isinstance(platform, dict) or not platform.get("os"):
        return None
    text = f"{platform.get('os')}/{platform.get('architecture')}"
    return text + (f"/{platform['variant']}" if platform.get("variant") else "")


def _matches(desc: dict[str, Any], wanted: tuple[str, str, str | None]) -> bool:
    platform = desc.get("platform")
    if not isinstance(platform, dict):
        return True
    os_, arch, variant = wanted
    if platform.get("os") != os_ or platform.get("architecture") != arch:
        return False
    return variant is None or platform.get("variant") in (variant, None)


def _manifests(store: Store, index: Any, name: str) -> list[dict[str, Any]]:
    manifests = mapping(index).get("manifests")
    if not isinstance(manifests, list) or not all(isinstance(m, dict) for m in manifests):
        raise SourceError(f"{name}: no 'manifests' list")
    return manifests


def _media_type(store: Store, desc: dict[str, Any], limit: int) -> tuple[str, Any]:
    digest = str(desc.get("digest", ""))
    document = read_json(store, blob_name(digest), limit, digest)
    media_type = text_or_none(desc.get("mediaType")) or text_or_none(mapping(document).get("mediaType"))
    if not media_type and isinstance(document, dict):
        media_type = next(iter(INDEX_TYPES)) if "manifests" in document else next(iter(MANIFEST_TYPES))
    return str(media_type), document


def locate(store: Store, tag: str | None, options: Options, where: str) -> Located:
    """Find the image manifest for `tag` (or the only image) and platform in an OCI layout."""
    wanted = parse_platform(options.platform)
    if not store.exists("index.json"):
        raise SourceError(f"{where}: not an OCI image layout (no index.json)")
    index = read_json(store, "index.json", options.max_json_bytes)
    if not isinstance(index, dict):
        raise SourceError(f"{where}: index.json is not a JSON object")
    top = _manifests(store, index, "index.json")
    if tag:
        tagged = [d for d in top if mapping(d.get("annotations")).get(REF_NAME) in (tag, tag.rsplit(":", 1)[-1])]
        if not tagged:
            names = sorted({str(mapping(d.get("annotations")).get(REF_NAME)) for d in top})
            raise SourceError(f"{where}: no image tagged {tag!r} (tags: {', '.join(names)})")
        top = tagged
    images: list[tuple[dict[str, Any], Any]] = []
    seen_platforms: list[str] = []
    _collect(store, top, wanted, images, seen_platforms, 0, options.max_json_bytes, set())
    if not images:
        found = ", ".join(sorted(set(seen_platforms))) or "none"
        raise SourceError(f"{where}: no image for platform {options.platform} (found: {found})")
    warnings = []
    if len(images) > 1:
        warnings.append(f"{where}: {len(images)} images match; auditing the first (name one with :TAG)")
    desc, manifest = images[0]
    return _from_manifest(store, desc, manifest, where, warnings, options.max_json_bytes)


def _collect(
    store: Store,
    descs: list[dict[str, Any]],
    wanted: tuple[str, str, str | None],
    out: list[tuple[dict[str, Any], Any]],
    seen: list[str],
    depth: int,
    limit: int,
    done: set[str],
) -> None:
    """Walk the indexes down to the image manifests for `wanted`. Each document is read once (`done`):
    an index that lists the same nested index many times, level after level, would otherwise take
    exponential time."""
    if depth > MAX_DEPTH:
        raise SourceError("image indexes nested too deeply")
    for desc in descs:
        digest = str(desc.get("digest"))
        if _is_attestation(desc) or digest in done:
            continue
        done.add(digest)
        platform = _platform_of(desc)
        if platform:
            seen.append(platform)
        if not _matches(desc, wanted):
            continue
        media_type, document = _media_type(store, desc, limit)
        if media_type in INDEX_TYPES:
            _collect(store, _manifests(store, document, digest), wanted, out, seen, depth + 1, limit, done)
        elif media_type in MANIFEST_TYPES:
            out.append((desc, document))


def _from_manifest(
    store: Store, desc: dict[str, Any], manifest: Any, where: str, warnings: list[str], limit: int
) -> Located:
    if not isinstance(manifest, dict) or not isinstance(manifest.get("config"), dict):
        raise SourceError(f"{where}: manifest {desc.get('digest')} has no config")
    layers = manifest.get("layers")
    if not isinstance(layers, list) or not all(isinstance(layer, dict) for layer in layers):
        raise SourceError(f"{where}: manifest {desc.get('digest')} has no layers list")
    config_digest = str(manifest["config"].get("digest", ""))
    config = read_json(store, blob_name(config_digest), limit, config_digest)
    refs = []
    for layer in layers:
        digest = str(layer.get("digest", ""))
        refs.append(
            LayerRef(
                name=blob_name(digest) if digest else "",
                digest=Digest(digest) if digest else None,
                media_type=text_or_none(layer.get("mediaType")),
                size=int_or_none(layer.get("size")),
            )
        )
    return Located(config=config, layers=refs, digest=Digest(str(desc.get("digest"))), warnings=warnings)
