"""The sweep store: one SQLite file (`--db`, embedded, no server) that a sweep fills as it goes and a
later sweep starts from.

- `layers`: each distinct layer's scan, keyed by (blob digest, diff_id, rules key: `cache.rules_key`),
  as `cache.to_doc` keeps it (gzip'd JSON), with when it was scanned and whether completely. A later
  sweep reads again only layers it lacks, or whose scan was incomplete.
- `images`: each reference, the image digest and layer digests it resolved to, and the key of the
  assessment (`cache.memo_key`: every rule, the limits, the layers and the config): an image whose key
  is unchanged is not assessed again.
- `findings`: each image's findings, with the layer digest and the (redacted) instruction that made it.
- `rules`: each rules key and the rule ids it stands for ("with which rules").

Like the layer cache it holds no secret value: hits keep their redacted preview and sha256, findings their
fingerprint and preview, instructions are redacted as every report redacts them. Each layer and each
image is committed on its own, so an interrupted sweep keeps all it finished. The file is created private
to the user (mode 0600).
"""

from __future__ import annotations

import datetime
import gzip
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from auditor.errors import UsageError

SCHEMA_VERSION = "1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rules (key TEXT PRIMARY KEY, rule_ids TEXT NOT NULL, first_used TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS layers (
    digest TEXT NOT NULL, diff_id TEXT NOT NULL, rules TEXT NOT NULL, complete INTEGER NOT NULL,
    bytes INTEGER NOT NULL, scan BLOB NOT NULL, scanned_at TEXT NOT NULL, worker TEXT NOT NULL,
    PRIMARY KEY (digest, diff_id, rules));
CREATE TABLE IF NOT EXISTS images (
    reference TEXT PRIMARY KEY, digest TEXT, layers TEXT NOT NULL, assessment TEXT, complete INTEGER NOT NULL,
    error TEXT, resolved_at TEXT NOT NULL, assessed_at TEXT);
CREATE TABLE IF NOT EXISTS findings (
    reference TEXT NOT NULL, fingerprint TEXT NOT NULL, rule TEXT NOT NULL, severity TEXT NOT NULL,
    kind TEXT NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL, path TEXT, location TEXT, line INTEGER,
    layer INTEGER, layer_digest TEXT, instruction TEXT, preview TEXT, remediation TEXT);
CREATE INDEX IF NOT EXISTS findings_by_reference ON findings (reference);
"""
FINDING_COLUMNS = ("fingerprint", "rule", "severity", "kind", "status", "message", "path", "location", "line",
                   "layer", "layer_digest", "instruction", "preview", "remediation")


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ImageRow:
    """What the store knows of one reference."""

    reference: str
    digest: str | None
    layers: list[str]
    assessment: str | None
    complete: bool
    error: str | None


class Store:
    """The sweep store at `path` (created when missing)."""

    def __init__(self, path: str, create: bool = True) -> None:
        if not create and not os.path.isfile(path):
            raise UsageError(f"--db {path}: no such sweep store (run `audit sweep` first)")
        if create and not os.path.exists(path):
            try:
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
            except OSError as exc:
                raise UsageError(f"--db {path}: {exc.strerror}") from None
        try:
            self.db = sqlite3.connect(path)
            self.db.executescript(SCHEMA)
            found = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if found is None:
                self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
                self.db.commit()
            elif found[0] != SCHEMA_VERSION:
                raise UsageError(f"--db {path}: a sweep store of schema {found[0]}, not {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"--db {path}: not a sweep store ({exc})") from None
        self.path = path

    def close(self) -> None:
        self.db.close()

    # --- rules and layers --------------------------------------------------------------------------

    def note_rules(self, key: str, rule_ids: Iterable[str]) -> None:
        self.db.execute("INSERT OR IGNORE INTO rules VALUES (?, ?, ?)", (key, json.dumps(sorted(rule_ids)), now()))
        self.db.commit()

    def done_layers(self, rules: str) -> set[tuple[str, str]]:
        """The (digest, diff_id) of every layer completely scanned under `rules`."""
        rows = self.db.execute("SELECT digest, diff_id FROM layers WHERE rules = ? AND complete = 1", (rules,))
        return {(digest, diff_id) for digest, diff_id in rows}

    def put_layer(self, key: tuple[str, str], rules: str, doc: dict[str, Any], complete: bool, worker: str) -> None:
        data = gzip.compress(json.dumps(doc, separators=(",", ":")).encode("utf-8", "surrogateescape"), 3)
        self.db.execute("INSERT OR REPLACE INTO layers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (*key, rules, int(complete), int(doc.get("bytes_read", 0)), data, now(), worker))
        self.db.commit()

    def layer_doc(self, key: tuple[str, str], rules: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT scan FROM layers WHERE digest = ? AND diff_id = ? AND rules = ?",
                              (*key, rules)).fetchone()
        return None if row is None else dict(json.loads(gzip.decompress(row[0]).decode("utf-8", "surrogateescape")))

    def scanned_layers(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM layers").fetchone()[0])

    # --- images and findings -----------------------------------------------------------------------

    def image(self, reference: str) -> ImageRow | None:
        row = self.db.execute("SELECT reference, digest, layers, assessment, complete, error FROM images "
                              "WHERE reference = ?", (reference,)).fetchone()
        if row is None:
            return None
        return ImageRow(row[0], row[1], json.loads(row[2]), row[3], bool(row[4]), row[5])

    def put_failure(self, reference: str, reason: str) -> None:
        with self.db:
            self.db.execute("DELETE FROM findings WHERE reference = ?", (reference,))
            self.db.execute("INSERT OR REPLACE INTO images VALUES (?, NULL, '[]', NULL, 0, ?, ?, NULL)",
                            (reference, reason, now()))

    def put_image(self, row: ImageRow, findings: Iterable[dict[str, Any]]) -> None:
        """Replace what the store holds of `row.reference` (its findings included), in one transaction."""
        with self.db:
            self.db.execute("DELETE FROM findings WHERE reference = ?", (row.reference,))
            self.db.execute("INSERT OR REPLACE INTO images VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (row.reference, row.digest, json.dumps(row.layers), row.assessment, int(row.complete),
                             row.error, now(), now()))
            self.db.executemany(f"INSERT INTO findings VALUES (?, {', '.join('?' * len(FINDING_COLUMNS))})",
                                [(row.reference, *(f[c] for c in FINDING_COLUMNS)) for f in findings])

    def images(self) -> list[ImageRow]:
        rows = self.db.execute("SELECT reference, digest, layers, assessment, complete, error FROM images "
                               "ORDER BY reference")
        return [ImageRow(r[0], r[1], json.loads(r[2]), r[3], bool(r[4]), r[5]) for r in rows]

    def findings(self) -> Iterator[dict[str, Any]]:
        """Every finding of every image, each with its image's reference."""
        columns = ("reference", *FINDING_COLUMNS)
        for row in self.db.execute(f"SELECT {', '.join(columns)} FROM findings ORDER BY reference"):
            yield dict(zip(columns, row, strict=True))
