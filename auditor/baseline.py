"""Baselines: record today's findings so only new ones count. Keyed by fingerprint, never by layer digest.

An entry no finding of a run has any more is stale: `Baseline.stale` lists them so that a baseline is
refreshed instead of rotting (a stale entry would silently accept the same finding if it came back)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor import __version__, localfile
from auditor.errors import UsageError
from auditor.model import Finding

VERSION = 1


@dataclass(frozen=True)
class Baseline:
    """A baseline file's entries by fingerprint (each the record `write` stored); `path` None is no baseline."""

    path: str | None = None
    entries: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def fingerprints(self) -> frozenset[str]:
        return frozenset(self.entries)

    def stale(self, found: Iterable[str]) -> list[str]:
        """The entries whose fingerprint is not among `found` (every finding of a run, before suppression),
        each as a person finds it again: its rule and where (`dotenv-file /app/.env`)."""
        gone = set(self.entries) - set(found)
        return [f"{r.get('rule', '?')} {r.get('path') or r.get('location') or fingerprint[:12]}"
                for fingerprint, r in self.entries.items() if fingerprint in gone]


def write(path: str, findings: Iterable[Finding]) -> int:
    """Write the baseline file; secrets are never stored, only fingerprints and where they were."""
    records = sorted(
        {
            f.fingerprint: {
                "fingerprint": f.fingerprint,
                "rule": f.rule,
                "path": f.path,
                "location": f.location,
                "severity": f.severity.value,
                "status": f.status.value,
            }
            for f in findings
        }.values(),
        key=lambda r: (r["rule"], r["path"] or r["location"] or ""),
    )
    document = {"version": VERSION, "tool": f"layer-auditor {__version__}", "findings": records}
    localfile.write_text(path, json.dumps(document, indent=2) + "\n",
                         lambda message: UsageError(f"--write-baseline {message}"))
    return len(records)


def read(path: str) -> Baseline:
    """The entries recorded in a baseline file."""
    data = localfile.read_bytes(path, localfile.MAX_BASELINE_BYTES, lambda message: UsageError(f"baseline {message}"))
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"baseline {path}: not valid JSON ({exc})") from None
    findings = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(findings, list) or not all(isinstance(f, dict) and isinstance(f.get("fingerprint"), str)
                                                  for f in findings):
        raise UsageError(f"baseline {path}: expected {{\"findings\": [{{\"fingerprint\": ...}}]}}")
    return Baseline(path, {f["fingerprint"]: f for f in findings})
