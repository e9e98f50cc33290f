"""The layer cache: what reading a layer produced, keyed by the layer's verified (blob digest, diff_id)
pair, the rules and the tool version.

A layer is content-addressed, so an image that shares base layers with one already audited only reads
its new layers. What makes an entry usable for a layer is `auditor.identity`'s rule: made from bytes
checked against both digests, used only where the image pins the same pair and the blob is what its
digest names. Entries hold no secret values: each hit keeps the secret's sha256 (for fingerprints) and
its redacted preview. They live in `$XDG_CACHE_HOME/layer-auditor` (default `~/.cache/layer-auditor`),
in a directory only the user can read, written atomically; an unreadable entry is a miss, and so is one
that another user owns or could have written (`auditor.private`).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from auditor import __version__, private
from auditor.checks import KINDS
from auditor.checks.judge import VERSION as JUDGE_VERSION
from auditor.identity import Identity, claimed, confirmed
from auditor.layers import ArchiveMember, LayerScan, Record
from auditor.model import (
    FileDigests,
    Finding,
    Hit,
    Image,
    Kind,
    Layer,
    LayerAudit,
    Marker,
    NotScanned,
    Rule,
    RuleId,
    Severity,
    Status,
)
from auditor.redact import redact

FORMAT = 6  # 2: names cleaned as the engines do, a refused name fatal; 3: keyed by (blob, diff_id);
# 4: package databases and the digests of files with hits kept (package ownership), findings marked with it;
# 5: each hit carries the value judge's verdict and its archive member; archives' text members kept;
# 6: the eager pass reads only the lines the keyword and entropy plugins can newly match


default_dir = private.default_root


def untrusted(directory: str) -> str | None:
    """Why the cache `directory` must not be used at all, or None: it and its versioned subdirectory must
    be the user's own and writable by no one else (each entry is checked again when read)."""
    return private.untrusted(directory, f"v{FORMAT}")


def preview(secret: str | None) -> str | None:
    """What a cached hit keeps of its secret: the redacted form every report shows."""
    return redact(secret, False)


def secret_hash(secret: str | None) -> str | None:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest() if secret is not None else None


def rules_key(rules: list[Rule], max_file_bytes: int) -> str:
    """Changes whenever anything that decides a layer's hits changes: the rules of the kinds whose hits
    are cached (`KINDS[kind].cached`), the versions of the libraries those kinds run, and the value
    judge's version (its verdicts are kept with the hits)."""
    cached = [kind for kind, spec in KINDS.items() if spec.cached]
    versions = [spec.version() for spec in map(KINDS.__getitem__, cached) if spec.version is not None]
    described = sorted(json.dumps([r.id, r.kind, r.paths, r.exclude, [s.value for s in r.status],
                                   [k.value for k in r.types], dict(r.params)], sort_keys=True, default=list)
                       for r in rules if r.kind in cached)
    text = "\n".join([__version__, f"judge {JUDGE_VERSION}", *versions, str(max_file_bytes), *described])
    return hashlib.sha256(text.encode()).hexdigest()


ReadLayer = Callable[[Layer], LayerScan]


class LayerCache:
    """Get and put `LayerScan`s by layer content and rules."""

    def __init__(self, directory: str, rules_hash: str) -> None:
        self.root = directory
        self.directory = os.path.join(directory, f"v{FORMAT}")
        self.rules_hash = rules_hash
        self.hits = 0
        self.misses = 0

    def _path(self, identity: Identity) -> str:
        blob, diff_id = identity
        key = hashlib.sha256(f"{blob}\0{diff_id}\0{self.rules_hash}".encode()).hexdigest()
        return os.path.join(self.directory, key[:2], key + ".json.gz")

    def get(self, layer: Layer) -> LayerScan | None:
        """The cached scan of `layer`, if there is one for the pair the image pins and the blob is
        confirmed to be what its digest names (see `auditor.identity`); None: read the layer."""
        pair = claimed(layer)
        path = self._path(pair) if pair else None
        if path is None or not os.path.exists(path) or confirmed(layer) is None:
            self.misses += 1
            return None
        try:
            scan = from_doc(_read(self.root, path), layer.index)
        except (OSError, ValueError, KeyError, TypeError, EOFError):
            self.misses += 1
            return None
        scan.identity = pair
        self.hits += 1
        return scan

    def put(self, scan: LayerScan) -> None:
        """Keep `scan` under the pair its bytes were checked against; a scan not checked against both
        digests, or with a layer or entry left unread, is not kept."""
        if scan.identity is None or any(n.broken for n in scan.not_scanned):
            return
        _write(self.root, self._path(scan.identity), to_doc(scan))


class CachedReader:
    """A layer reader with the layer cache in front of it (go-containerregistry's `cache.Image`): a layer
    the cache holds a usable scan of is not read; any other is read by `read` and its scan kept, to be
    stored by `store` once its hits are in. `lookup` False (--show-secrets, which needs the values) reads
    every layer but still stores what it read."""

    def __init__(self, read: ReadLayer, cache: LayerCache, lookup: bool = True) -> None:
        self._read = read
        self.cache = cache
        self._lookup = lookup
        self._fresh: list[LayerScan] = []

    def __call__(self, layer: Layer) -> LayerScan:
        scan = self.cache.get(layer) if self._lookup else None
        if scan is None:
            scan = self._read(layer)
            self._fresh.append(scan)
        return scan

    def store(self, scan: LayerScan) -> None:
        """Put `scan` into the cache if it was read here, not taken from it (once its hits are resolved)."""
        for index, fresh in enumerate(self._fresh):
            if fresh is scan:
                del self._fresh[index]
                self.cache.put(scan)
                return


def _read(root: str, path: str) -> Any:
    """An entry's document, read only while only the user can have written it (`private.read_file`)."""
    return json.loads(gzip.decompress(private.read_file(root, path)).decode("utf-8"))


def _write(root: str, path: str, doc: Any) -> None:
    try:
        data = json.dumps(doc, separators=(",", ":")).encode("utf-8", "surrogateescape")
        private.write_file(root, path, gzip.compress(data, compresslevel=3))
    except OSError:
        pass  # a cache that cannot be written only costs time


def to_doc(scan: LayerScan) -> dict[str, Any]:
    """A scan as JSON-ready data that holds no secret value (each hit's redacted preview and sha256):
    what the cache and a sweep's store keep, and what a sweep's worker sends back."""
    return {
        "records": [[r.path, r.kind.value, isinstance(r.kind, Marker), r.size, r.mode, r.link, r.target]
                    for r in scan.records],
        "hits": {str(pos): [[h.rule, h.line, preview(h.secret) if h.secret_hash is None else h.secret,
                             h.secret_hash or secret_hash(h.secret), h.message, h.rejected,
                             h.member] for h in hits]
                 for pos, hits in scan.hits.items()},
        "members": {str(pos): [[m.path, m.size] for m in members] for pos, members in scan.members.items()},
        "not_scanned": [{"reason": n.reason, "path": n.path, "limit": n.limit} for n in scan.not_scanned],
        "databases": {str(pos): base64.b64encode(data).decode("ascii") for pos, data in scan.databases.items()},
        "digests": {str(pos): [d.md5, d.sha1, d.sha256] for pos, hits in scan.hits.items()
                    if (d := next((h.digests for h in hits if h.digests), None))},
        "compression": scan.compression,
        "bytes_read": scan.bytes_read,
    }


def from_doc(doc: dict[str, Any], index: int) -> LayerScan:
    """The scan `to_doc` described, as the layer at `index` of an image."""
    scan = LayerScan(index=index, compression=doc["compression"], bytes_read=int(doc["bytes_read"]))
    scan.records = [Record(path, Marker(kind) if marker else Kind(kind), size, mode, link, target)
                    for path, kind, marker, size, mode, link, target in doc["records"]]
    digests = {pos: FileDigests(*map(str, hashes)) for pos, hashes in doc["digests"].items()}
    scan.hits = {int(pos): [Hit(RuleId(rule), line, shown, message, secret_hash=digest, digests=digests.get(pos),
                                rejected=rejected, member=member)
                            for rule, line, shown, digest, message, rejected, member in hits]
                 for pos, hits in doc["hits"].items()}
    scan.databases = {int(pos): base64.b64decode(data) for pos, data in doc["databases"].items()}
    scan.members = {int(pos): [ArchiveMember(path, size) for path, size in members]
                    for pos, members in doc["members"].items()}
    scan.not_scanned = [NotScanned(reason=n["reason"], layer=index, path=n["path"], limit=n.get("limit"))
                        for n in doc["not_scanned"]]
    return scan


class ReportMemo:
    """A whole audit's file findings, for an image whose every layer, config, rule and setting is the same
    as an earlier audit's: a second run then reads no layer at all. Like layer entries, a memo holds no
    secret value (the redacted preview, and the fingerprint); metadata findings are never kept, they are
    recomputed from the config each run (their raw values redact history lines in every format)."""

    def __init__(self, directory: str, key: str) -> None:
        self.root = directory
        self.path = os.path.join(directory, f"v{FORMAT}", "images", key[:2], key + ".json.gz")

    def get(self, layers: list[Layer]) -> LayerAudit | None:
        """The remembered audit, once every one of `layers` is confirmed to be what the key pinned."""
        try:
            doc = _read(self.root, self.path)
            if any(confirmed(layer) is None for layer in layers):
                return None
            return LayerAudit(
                findings=[_finding(f) for f in doc["findings"]],
                not_scanned=[NotScanned(**n) for n in doc["not_scanned"]],
                entries=doc["entries"],
                hidden_bytes=doc["hidden_bytes"],
                total_bytes=doc["total_bytes"],
                layer_bytes={int(k): v for k, v in doc["layer_bytes"].items()},
                hidden_bytes_by_layer={int(k): v for k, v in doc["hidden_bytes_by_layer"].items()},
            )
        except (OSError, ValueError, KeyError, TypeError, EOFError):
            return None

    def put(self, audit: LayerAudit) -> None:
        doc = {"entries": audit.entries, "hidden_bytes": audit.hidden_bytes, "total_bytes": audit.total_bytes,
               "layer_bytes": audit.layer_bytes, "hidden_bytes_by_layer": audit.hidden_bytes_by_layer,
               "not_scanned": [{f.name: getattr(n, f.name) for f in fields(NotScanned)} for n in audit.not_scanned],
               "findings": [{**{f.name: getattr(finding, f.name) for f in fields(Finding)},
                             "severity": finding.severity.value, "status": finding.status.value,
                             "secret": preview(finding.secret)} for finding in audit.findings]}
        _write(self.root, self.path, doc)


def _finding(doc: dict[str, Any]) -> Finding:
    return Finding(**{**doc, "rule": RuleId(doc["rule"]), "severity": Severity(doc["severity"]),
                      "status": Status(doc["status"])})


def memo_key(image: Image, rules: list[Rule], settings: tuple[Any, ...]) -> str | None:
    """What an audit's file findings depend on; None when a layer is not pinned by both digests."""
    contents = [claimed(layer) for layer in image.layers]
    if None in contents:
        return None
    text = json.dumps([__version__, [repr(r) for r in rules], repr(settings), contents, image.config],
                      sort_keys=True, default=repr)
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
