"""Helpers every format shares: redaction, status phrases, summary counts."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from auditor.model import Finding, Report, Severity, Status

KEEP = 4


def redact(secret: str | None, show: bool) -> str | None:
    """At most 4 characters of a secret are kept, and only from a long one, unless `show`."""
    if secret is None or show:
        return secret
    keep = KEEP if len(secret) >= 16 else 0
    return secret[:keep] + "*" * 8


BUILD_ARGS = re.compile(r"^\|(\d+) ")


def safe_command(text: str | None, report: Report, show: bool) -> str | None:
    """A history `created_by` with build-argument values and every found secret redacted."""
    if text is None or show:
        return text
    match = BUILD_ARGS.match(text)
    if match:
        words = text[match.end():].split(" ")
        count = int(match.group(1))
        for i, word in enumerate(words[:count]):
            key, sep, value = word.partition("=")
            if sep and value:
                words[i] = f"{key}={redact(value, False)}"
        text = text[: match.end()] + " ".join(words)
    for finding in report.findings:
        if finding.secret and len(finding.secret) >= 4 and finding.secret in text:
            text = text.replace(finding.secret, redact(finding.secret, False) or "")
    return text


def status_phrase(finding: Finding) -> str:
    if finding.status is Status.DELETED:
        return f"deleted in layer {finding.hidden_by}"
    if finding.status is Status.OVERWRITTEN:
        return f"overwritten in layer {finding.hidden_by}"
    return finding.status.value


def summary(report: Report) -> dict[str, Any]:
    by_status = Counter(f.status.value for f in report.findings)
    by_severity = Counter(f.severity.value for f in report.findings)
    return {
        "findings": len(report.findings),
        "by_status": {s.value: by_status.get(s.value, 0) for s in Status},
        "by_severity": {s.value: by_severity.get(s.value, 0) for s in Severity},
        "hidden": by_status.get("deleted", 0) + by_status.get("overwritten", 0),
        "layers": len(report.image.layers),
        "entries": report.entries,
        "hidden_bytes": report.hidden_bytes,
        "total_bytes": report.total_bytes,
        "efficiency": round(1 - report.hidden_bytes / report.total_bytes, 4) if report.total_bytes else 1.0,
        "not_scanned": len(report.not_scanned),
        "suppressed": report.suppressed,
        "skipped_layers": report.skipped_layers,
    }


def human_bytes(count: int | None) -> str:
    if count is None:
        return "?"
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{count} B"


def instruction(created_by: str | None, width: int = 100) -> str:
    """A history `created_by` as the Dockerfile instruction it was, on one line."""
    if not created_by:
        return "(no history for this layer)"
    text = " ".join(created_by.split())
    if "#(nop) " in text:
        text = text.split("#(nop) ", 1)[1].strip()
    elif text.startswith("/bin/sh -c "):
        text = "RUN " + text[len("/bin/sh -c "):]
    elif text.startswith("|") and " /bin/sh -c " in text:
        args, command = text.split(" /bin/sh -c ", 1)
        text = f"RUN {command}  (build args: {args.split(' ', 1)[1] if ' ' in args else ''})"
    return text if len(text) <= width else text[: width - 1] + "…"
