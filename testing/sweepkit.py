"""Fill a real registry with many images that share base layers, through the distribution API (no engine,
no skopeo): for the sweep tests and `bench/sweep.py`.

Images are built with `testing.imagekit` (deterministic to the byte, so a layer shared by two images has
one digest), gzip'd, and pushed blob by blob (a monolithic `POST` then `PUT` upload) with their manifest.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import requests

from testing import imagekit as kit

_gzipped: dict[str, bytes] = {}  # diff_id -> its gzip blob: a layer shared by many images is compressed once


@dataclass(frozen=True)
class Pushed:
    reference: str  # REGISTRY/REPO:TAG
    manifest: str  # its digest
    layers: tuple[str, ...]  # blob digests, base first


def _put_blob(session: requests.Session, base: str, repository: str, data: bytes, known: set[str]) -> str:
    digest = kit.sha256(data)
    if digest in known:
        return digest
    head = session.head(f"{base}/v2/{repository}/blobs/{digest}", timeout=30)
    if head.status_code != 200:
        start = session.post(f"{base}/v2/{repository}/blobs/uploads/", timeout=30)
        start.raise_for_status()
        location = start.headers["Location"]
        location = location if location.startswith("http") else base + location
        done = session.put(location, params={"digest": digest}, data=data,
                           headers={"Content-Type": "application/octet-stream"}, timeout=60)
        done.raise_for_status()
    known.add(digest)
    return digest


def push(address: str, repository: str, tag: str, spec: kit.ImageSpec,
         session: requests.Session | None = None) -> Pushed:
    """Push `spec` (gzip layers, OCI manifest) as `address/repository:tag` over plain HTTP."""
    session = session or requests.Session()
    base = f"http://{address}"
    built = kit.build(spec)
    known: set[str] = set()
    descs = []
    for layer in built.layers:
        blob = _gzipped.get(layer.diff_id) or _gzipped.setdefault(layer.diff_id, kit.gzip_bytes(layer.data))
        descs.append({"mediaType": kit.LAYER_TYPES["gzip"], "digest": _put_blob(session, base, repository, blob, known),
                      "size": len(blob)})
    config = {"mediaType": kit.OCI_CONFIG, "digest": _put_blob(session, base, repository, built.config, known),
              "size": len(built.config)}
    body = json.dumps({"schemaVersion": 2, "mediaType": kit.OCI_MANIFEST, "config": config, "layers": descs}).encode()
    answer = session.put(f"{base}/v2/{repository}/manifests/{tag}", data=body,
                         headers={"Content-Type": kit.OCI_MANIFEST}, timeout=30)
    answer.raise_for_status()
    return Pushed(f"{address}/{repository}:{tag}", kit.sha256(body), tuple(d["digest"] for d in descs))


def push_all(address: str, images: Sequence[tuple[str, str, kit.ImageSpec]]) -> list[Pushed]:
    """Push each (repository, tag, spec) through one HTTP session."""
    with requests.Session() as session:
        return [push(address, repository, tag, spec, session) for repository, tag, spec in images]
