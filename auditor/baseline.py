"""Baselines: record today's findings so only new ones count. Keyed by fingerprint, never by layer digest."""

from __future__ import annotations

import json
from collections.abc import Iterable

from auditor import __version__, localfile
from auditor.errors import UsageError
from auditor.model import Finding

VERSION = 1


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


def read(path: str) -> frozenset[str]:
    """The fingerprints recorded in a baseline file."""
    data = localfile.read_bytes(path, localfile.MAX_BASELINE_BYTES, lambda message: UsageError(f"baseline {message}"))
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"baseline {path}: not valid JSON ({exc})") from None
    findings = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(findings, list) or not all(isinstance(f, dict) and isinstance(f.get("fingerprint"), str)
                                                  for f in findings):
        raise UsageError(f"baseline {path}: expected {{\"findings\": [{{\"fingerprint\": ...}}]}}")
    return frozenset(f["fingerprint"] for f in findings)
