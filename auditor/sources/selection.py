"""Pick one image manifest from an index: platforms, nested indexes, attestations skipped.

Shared by every source that reads OCI/Docker indexes and manifests (an OCI layout, a registry). The
source supplies how to fetch a document a descriptor points at; the walk and the choice are here.

Without `--platform` the choice is the host's platform when the image offers it, else the image's only
platform (audited with a note naming it: an arm64-only image on an amd64 machine is still worth
auditing), else an error listing the platforms. An explicit `--platform` the image lacks is an error.
`platform_notes` applies the same rule to the chosen image's config, which is all a docker archive has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditor.errors import SourceError
from auditor.jsondoc import int_or_none, mapping, text_or_none
from auditor.model import Digest
from auditor.sources.interface import LayerRef, Located

INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
MANIFEST_TYPES = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
}
MAX_DEPTH = 8

Descriptor = dict[str, Any]
Fetch = Callable[[Descriptor], tuple[str | None, Any]]  # descriptor -> (media type if known, parsed document)


@dataclass(frozen=True)
class Chosen:
    """The image manifest picked for a platform, with its descriptor and what the choice warns about."""

    descriptor: Descriptor
    manifest: Any
    warnings: list[str]


# `uname -m` (what `platform.machine()` answers, lowercased) -> the architecture an OCI platform names
MACHINES = {"x86_64": "amd64", "aarch64": "arm64", "armv8l": "arm64", "armv7l": "arm/v7", "armv6l": "arm/v6",
            "i386": "386", "i686": "386", "x86": "386", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}


def host_platform() -> str:
    """The platform an engine on this machine runs: linux (the images' OS, whatever the auditor runs on)
    and this machine's architecture, e.g. "linux/amd64"."""
    import platform  # only when no --platform is given (3 ms)

    machine = platform.machine().lower()
    return "linux/" + MACHINES.get(machine, machine)


def parse_platform(text: str) -> tuple[str, str, str | None]:
    """"linux/arm64/v8" -> ("linux", "arm64", "v8")."""
    parts = text.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise SourceError(f"--platform {text!r}: expected os/arch[/variant], e.g. linux/amd64")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


def is_attestation(desc: Descriptor) -> bool:
    """BuildKit attestation manifests sit in an index beside the images; they are not images."""
    annotations = mapping(desc.get("annotations"))
    platform = mapping(desc.get("platform"))
    return bool(
        annotations.get("vnd.docker.reference.type") == "attestation-manifest"
        or (platform.get("os") == "unknown" and platform.get("architecture") == "unknown")
    )


def _platform_of(desc: Descriptor) -> str | None:
    return _platform_text(desc.get("platform"))


def _platform_text(platform: Any) -> str | None:
    """"os/architecture[/variant]" of an OCI platform object (or an image config, which has the same keys)."""
    if not isinstance(platform, dict) or not platform.get("os") or not platform.get("architecture"):
        return None
    text = f"{platform.get('os')}/{platform.get('architecture')}"
    return text + (f"/{platform['variant']}" if platform.get("variant") else "")


def _matches(desc: Descriptor, wanted: tuple[str, str, str | None]) -> bool:
    return _fits(desc.get("platform"), wanted)


def _fits(platform: Any, wanted: tuple[str, str, str | None]) -> bool:
    if not isinstance(platform, dict):
        return True
    os_, arch, variant = wanted
    if platform.get("os") != os_ or platform.get("architecture") != arch:
        return False
    return variant is None or platform.get("variant") in (variant, None)


def manifests_of(index: Any, name: str) -> list[Descriptor]:
    """The descriptors an index lists; SourceError when it lists none properly."""
    manifests = index.get("manifests") if isinstance(index, dict) else None
    if not isinstance(manifests, list) or not all(isinstance(m, dict) for m in manifests):
        raise SourceError(f"{name}: no 'manifests' list")
    return manifests


def kind_of(media_type: str | None, document: Any) -> str:
    """A document's media type: the declared one, else guessed from its shape ("manifests" or not)."""
    if not media_type:
        media_type = text_or_none(mapping(document).get("mediaType"))
    if not media_type and isinstance(document, dict):
        media_type = next(iter(INDEX_TYPES)) if "manifests" in document else next(iter(MANIFEST_TYPES))
    return str(media_type)


def choose(descs: list[Descriptor], fetch: Fetch, platform: str | None, where: str) -> Chosen:
    """The image manifest for `platform` (None: the host's, else the only one offered): the first
    matching entry of `descs`, depth first through the indexes it leads to. Only what leads to the choice
    is fetched; the other matching entries are counted for the warning, never fetched (an index of
    thousands of entries costs one fetch per level)."""
    wanted = platform or host_platform()
    seen: list[str] = []
    found = _first(descs, fetch, parse_platform(wanted), seen, 0, set())
    offered = sorted(set(seen))
    if found is None and platform is None and len(offered) == 1:
        found = _first(descs, fetch, parse_platform(offered[0]), [], 0, set())
    if found is None:
        listed = ", ".join(offered) or "none"
        if platform is None:
            raise SourceError(f"{where}: no image for this host's platform {wanted} (found: {listed}); "
                              "choose one with --platform")
        raise SourceError(f"{where}: no image for platform {platform} (found: {listed})")
    desc, manifest, others = found
    warnings = []
    if others:
        warnings.append(f"{where}: {others + 1} images match; auditing the first (name one with :TAG)")
    return Chosen(desc, manifest, warnings)


def _first(
    descs: list[Descriptor],
    fetch: Fetch,
    wanted: tuple[str, str, str | None],
    seen: list[str],
    depth: int,
    done: set[str],
) -> tuple[Descriptor, Any, int] | None:
    """The first image manifest for `wanted` under `descs`, with how many other entries match too.
    Each document is visited once (`done`): an index that lists the same nested index many times, level
    after level, would otherwise take exponential time."""
    if depth > MAX_DEPTH:
        raise SourceError("image indexes nested too deeply")
    chosen: tuple[Descriptor, Any] | None = None
    others = 0
    for desc in descs:
        digest = str(desc.get("digest"))
        if is_attestation(desc) or digest in done:
            continue
        done.add(digest)
        platform = _platform_of(desc)
        if platform:
            seen.append(platform)
        if not _matches(desc, wanted):
            continue
        if chosen is not None:
            others += 1
            continue
        declared, document = fetch(desc)
        media_type = kind_of(text_or_none(desc.get("mediaType")) or declared, document)
        if media_type in INDEX_TYPES:
            inner = _first(manifests_of(document, digest), fetch, wanted, seen, depth + 1, done)
            if inner is not None:
                chosen, others = (inner[0], inner[1]), others + inner[2]
        elif media_type in MANIFEST_TYPES:
            chosen = (desc, document)
    return None if chosen is None else (chosen[0], chosen[1], others)


def located(chosen: Chosen, read_config: Callable[[str], Any], blob_name: Callable[[str], str], where: str) -> Located:
    """The config and layer blobs of a chosen manifest; `blob_name` maps a digest to a store name."""
    manifest, digest = chosen.manifest, chosen.descriptor.get("digest")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("config"), dict):
        raise SourceError(f"{where}: manifest {digest} has no config")
    layers = manifest.get("layers")
    if not isinstance(layers, list) or not all(isinstance(layer, dict) for layer in layers):
        raise SourceError(f"{where}: manifest {digest} has no layers list")
    config = read_config(str(manifest["config"].get("digest", "")))
    refs = []
    for layer in layers:
        layer_digest = str(layer.get("digest", ""))
        refs.append(
            LayerRef(
                name=blob_name(layer_digest) if layer_digest else "",
                digest=Digest(layer_digest) if layer_digest else None,
                media_type=text_or_none(layer.get("mediaType")),
                size=int_or_none(layer.get("size")),
            )
        )
    return Located(config=config, layers=refs, digest=Digest(str(digest)), warnings=list(chosen.warnings),
                   platform=_platform_of(chosen.descriptor))


def platform_notes(located: Located, platform: str | None, where: str) -> list[str]:
    """Check the chosen image's platform against what was asked: an explicit `platform` it is not for is a
    SourceError; without one, an image for another platform than the host's is audited, with a note
    naming its platform. Its platform is what the index entry that chose it names (an index is what
    platforms are chosen by, and a hand-made one may list a config under another name), else its
    config's os, architecture and variant (a docker archive has no index); one naming none passes."""
    found = located.platform or _platform_text(located.config)
    if found is None:
        return []
    wanted = platform or host_platform()
    os_, arch, variant = parse_platform(wanted)
    base = f"{os_}/{arch}"  # as `_fits`: a variant on one side only still matches
    if found == base or found == f"{base}/{variant}" or (variant is None and found.startswith(base + "/")):
        return []
    if platform is not None:
        raise SourceError(f"{where}: the image is for {found}, not {platform} (--platform)")
    return [f"{where}: a {found} image, not for this host's {wanted}; audited as it is"]
