"""What a layer is, as the layer cache and the audit memo may rely on it: its (blob digest, diff_id) pair.

Both caches reuse what reading a layer produced instead of reading it, so neither may take an image's
word for what a layer holds. The rule:

- An entry is made only from a layer whose blob digest and diff_id were both checked against its bytes
  while it was read whole (`LayerScan.identity`), and it is keyed by that pair.
- An entry is used for a layer only when the image pins the same pair (its manifest the blob digest, its
  config the diff_id) and the blob at hand is known to be what that digest names: a local blob (a
  `docker save` archive, an OCI layout, a daemon export) is hashed, which costs far less than reading
  and scanning it; a registry blob is fetched by its digest and checked by whoever reads it, so there
  the digest is the content's name (`Layer.pinned`) and a cached layer is never downloaded.

So a config that claims a cached layer's diff_id for other bytes, or a cached blob truncated or altered
in place, misses the cache and is read, and its mismatch is reported.
"""

from __future__ import annotations

import hashlib
import re

from auditor.compression import CHUNK
from auditor.errors import SourceError
from auditor.model import Layer

Identity = tuple[str, str]  # (blob digest, diff_id), both "sha256:<hex>"

_SHA256 = re.compile(r"sha256:[0-9a-f]{64}")


def claimed(layer: Layer) -> Identity | None:
    """The (blob digest, diff_id) the image pins for `layer`; None unless both are sha256 digests."""
    digest, diff_id = str(layer.digest), str(layer.diff_id or "")
    if _SHA256.fullmatch(digest) and _SHA256.fullmatch(diff_id):
        return (digest, diff_id)
    return None


def confirmed(layer: Layer) -> Identity | None:
    """`claimed(layer)` once the blob is known to be what its digest names (hashed here unless the layer
    is pinned); None when it is not, or cannot be read: the layer must then be read, not looked up."""
    pair = claimed(layer)
    if pair is None or layer.pinned:
        return pair
    hasher = hashlib.sha256()
    try:
        with layer.opener() as handle:
            while chunk := handle.read(CHUNK):
                hasher.update(chunk)
    except (SourceError, OSError, ValueError):
        return None
    return pair if f"sha256:{hasher.hexdigest()}" == pair[0] else None
