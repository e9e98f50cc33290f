"""The typed records that flow through an audit: image, layer, entry, finding, report."""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, NewType

Digest = NewType("Digest", str)
RuleId = NewType("RuleId", str)


class Kind(str, enum.Enum):
    """What a tar entry is."""

    FILE = "file"
    HARDLINK = "hardlink"
    SYMLINK = "symlink"
    DIR = "dir"
    OTHER = "other"


class Marker(str, enum.Enum):
    """Whiteout markers: they remove lower-layer paths and are never entries themselves."""

    WHITEOUT = "whiteout"  # .wh.NAME removes NAME (and everything under it)
    OPAQUE = "opaque"  # .wh..wh..opq hides everything lower layers put under its directory


class Status(str, enum.Enum):
    """Where a finding or entry stands in the final image."""

    VISIBLE = "visible"
    DELETED = "deleted"
    OVERWRITTEN = "overwritten"
    METADATA = "metadata"

    @property
    def hidden(self) -> bool:
        return self in (Status.DELETED, Status.OVERWRITTEN)


class Severity(str, enum.Enum):
    """Finding severities, ordered from least to most severe."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)


_SEVERITY_ORDER = list(Severity)


@dataclass(frozen=True)
class Fate:
    """What became of an added entry: visible, or hidden by layer `hidden_by`."""

    status: Status
    hidden_by: int | None = None


VISIBLE = Fate(Status.VISIBLE)


@dataclass(frozen=True, slots=True)
class Entry:
    """One path a layer adds, with its fate in the final filesystem."""

    path: str  # absolute in-image path, e.g. "/root/.ssh/id_rsa"
    layer: int
    kind: Kind
    size: int
    mode: int
    link: str | None  # symlink target, or hard-link target as an absolute path
    status: Status = Status.VISIBLE
    hidden_by: int | None = None
    digests: FileDigests | None = None  # `audit files` only (it hashes every file)
    ownership: str | None = None  # `audit files`: the package ledger's standing (`auditor.ownership.Standing`)
    package: str | None = None  # and the package, "NAME (MANAGER)"


@dataclass(frozen=True, slots=True)
class FileDigests:
    """The digests package databases record, of one file's bytes (hex): computed only for files with a
    content hit (or every file, for `audit files`), so the package ledger can tell shipped from changed."""

    md5: str
    sha1: str
    sha256: str

    @classmethod
    def of(cls, data: bytes) -> FileDigests:
        return cls(hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(), hashlib.sha256(data).hexdigest())

    def get(self, algorithm: str) -> str:
        """The hex digest for a hashlib name, or "" for one not kept (a record in it then never matches)."""
        return str(getattr(self, algorithm, "")) if algorithm in ("md5", "sha1", "sha256") else ""


@dataclass
class Layer:
    """One layer of an image. `opener` returns a fresh stream of the blob as stored."""

    index: int
    digest: Digest
    diff_id: Digest | None
    media_type: str | None
    size: int | None
    opener: Callable[[], IO[bytes]] = field(repr=False)
    created_by: str | None = None
    history_index: int | None = None
    # the source fetches the blob by `digest` (a registry) and the reader checks it: the layer cache takes
    # the digest as the blob's identity instead of downloading the blob to hash it
    pinned: bool = False


@dataclass
class Image:
    """An image opened from any source. Layers are base first."""

    reference: str
    digest: Digest | None
    config: dict[str, Any]
    layers: list[Layer]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Finding:
    """One thing a rule found, in an image or in a Dockerfile. `secret` holds the raw value; formats redact
    it. An image's finding has a `layer` (or, in the config, a `location`) and `line` is the line in the
    in-image file; a Dockerfile's has a `file`, and `line` (with `related_line`, the other instruction
    involved) is the line of its instruction."""

    rule: RuleId
    kind: str  # "secret" or "file"
    severity: Severity
    status: Status
    message: str
    fingerprint: str
    path: str | None = None
    layer: int | None = None
    hidden_by: int | None = None
    location: str | None = None
    line: int | None = None
    secret: str | None = None
    remediation: str | None = None
    file: str | None = None  # the Dockerfile, for `audit dockerfile`
    related_line: int | None = None
    ownership: str | None = None  # a content finding in a package's file: its standing (`auditor.ownership`)
    package: str | None = None  # that package, "NAME (MANAGER)"
    rejected: str | None = None  # the value judge's reason (`auditor.checks.judge.REASONS`): not a finding


@dataclass(frozen=True)
class NotScanned:
    """Something the audit could not read; never silently counted as clean."""

    reason: str
    layer: int | None = None
    path: str | None = None
    limit: str | None = None  # the option whose limit stopped reading (e.g. "max-entries"); None: unreadable
    fatal: bool = False  # an entry an engine would extract was left out (a name escaping the root)

    @property
    def broken(self) -> bool:
        """The audit is incomplete: a layer that could not be read (not a limit), or an entry that an
        engine would extract and that was not read (`fatal`)."""
        return self.fatal or (self.path is None and self.limit is None)


@dataclass
class LayerAudit:
    """What an image's layers gave its audit (everything but the config's findings): the part of a report
    that the report memo keeps."""

    findings: list[Finding]
    not_scanned: list[NotScanned]
    entries: int = 0
    hidden_bytes: int = 0
    total_bytes: int = 0
    layer_bytes: dict[int, int] = field(default_factory=dict)  # uncompressed tar bytes read per layer
    hidden_bytes_by_layer: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Origin:
    """Where one finding of an image came from: the history entry whose instruction made it, that
    instruction as recorded (raw: formats redact it), the layer it made, and with `--dockerfile` the line of
    that instruction in the Dockerfile."""

    history: int | None = None
    instruction: str | None = None
    layer: int | None = None
    line: int | None = None


UNKNOWN_ORIGIN = Origin()


@dataclass(frozen=True)
class Provenance:
    """The origin of every finding of a report, worked out once before formatting (`auditor.provenance`)."""

    origins: dict[Finding, Origin] = field(default_factory=dict)
    dockerfile: str | None = None  # with --dockerfile: the file (relative path) whose lines `Origin.line` are

    def of(self, finding: Finding) -> Origin:
        return self.origins.get(finding, UNKNOWN_ORIGIN)


@dataclass
class Report:
    """Everything an audit produced; formats take only this.

    A report of `audit dockerfile` names the Dockerfiles it checked in `files`; its findings carry their
    `file` and `line`, and its `image` is an empty stand-in."""

    image: Image
    findings: list[Finding]
    not_scanned: list[NotScanned]
    entries: int = 0
    hidden_bytes: int = 0
    total_bytes: int = 0
    suppressed: int = 0
    suppressed_by: dict[str, int] = field(default_factory=dict)  # "the baseline FILE" -> findings it suppressed
    below_severity: int = 0  # findings under --min-severity: counted, not shown
    skipped_layers: int = 0
    cached_layers: int = 0  # layers whose results came from the layer cache
    layer_bytes: dict[int, int] = field(default_factory=dict)  # uncompressed tar bytes read per layer
    hidden_bytes_by_layer: dict[int, int] = field(default_factory=dict)
    provenance: Provenance = field(default_factory=Provenance)
    rules: dict[str, Any] = field(default_factory=dict)  # rule id -> Rule, for formats that describe rules
    files: list[str] = field(default_factory=list)  # audit dockerfile: the Dockerfiles checked
    package_files: PackageCounts = field(default_factory=lambda: PackageCounts())
    rejected: list[Finding] = field(default_factory=list)  # values the judge rejected: never gate, `--explain`


@dataclass(frozen=True)
class PackageCounts:
    """Content findings left out of a report (or, with --include-package-files, shown) because they sit
    in package content: unmodified package files, files in package directories without per-file digests
    (unverified), and package managers' own indexes and caches. Each is (findings, files)."""

    unmodified: tuple[int, int] = (0, 0)
    unverified: tuple[int, int] = (0, 0)
    indexes: tuple[int, int] = (0, 0)
    shown: bool = False  # --include-package-files: they are in the report, each saying its ownership

    @property
    def hidden(self) -> int:
        """How many findings these counts left out of the report."""
        return 0 if self.shown else self.unmodified[0] + self.unverified[0] + self.indexes[0]


@dataclass(frozen=True)
class Hit:
    """A content match inside one file, before the walk tells where that file stands."""

    rule: RuleId
    line: int | None
    secret: str | None
    message: str
    secret_hash: str | None = None  # set when `secret` is only a preview (a hit read back from the cache)
    digests: FileDigests | None = field(default=None, compare=False)  # of the file the hit is in
    rejected: str | None = None  # why the value judge says the value is no credential (`checks.judge`)
    member: str | None = None  # in an archive file: the member's path in it (`auditor.nested`), e.g. "/a.yml"


@dataclass(frozen=True)
class Rule:
    """One rule of a pack (`auditor.rules` loads them). `params` holds the kind's own settings, validated
    by the kind's entry in `auditor.checks.KINDS`."""

    id: RuleId
    kind: str
    severity: Severity
    description: str
    remediation: str
    message: str = ""
    paths: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    status: tuple[Status, ...] = ()  # empty: any status
    types: tuple[Kind, ...] = (Kind.FILE, Kind.HARDLINK)
    params: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def headline(self) -> str:
        """The rule's message, or the first clause of its description: what a finding says."""
        return self.message or re.split(r":\s|\.\s|\s\(|\.$", self.description.strip(), maxsplit=1)[0]

    def applies_to_status(self, status: Status) -> bool:
        return not self.status or status in self.status
