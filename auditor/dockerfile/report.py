"""The text and JSON output of `audit dockerfile` (their own shapes: docs/dockerfile.md#output); the other
formats render a Dockerfile report as they render an image's (`auditor.formats`). These two stay apart from
`auditor.formats.text` so that the pre-commit hook does not import `rich`."""

from __future__ import annotations

import json
import os

from auditor.model import Report
from auditor.redact import redact


def render_text(reports: list[Report], show_secrets: bool = False, color: bool = False) -> str:
    lines = []
    findings = [f for report in reports for f in report.findings]
    for f in findings:
        related = f" (and line {f.related_line})" if f.related_line else ""
        secret = redact(f.secret, show_secrets)
        lines.append(f"{os.path.relpath(f.file or '')}:{f.line}: {f.severity.value.upper()} {f.rule}{related}")
        lines.append(f"    {f.message}" + (f" ({secret})" if secret else ""))
        lines.append(f"    fix: {' '.join((f.remediation or '').split())}")
    files = sum(len(report.files) for report in reports)
    lines.append(f"{len(findings)} finding(s) in {files} Dockerfile(s)")
    return "\n".join(lines) + "\n"


def render_json(reports: list[Report], show_secrets: bool = False, color: bool = False) -> str:
    return json.dumps({
        "files": [path for report in reports for path in report.files],
        "findings": [
            {"rule": f.rule, "severity": f.severity.value, "file": f.file, "line": f.line,
             "related_line": f.related_line, "path": f.path, "message": f.message,
             "secret": redact(f.secret, show_secrets), "fingerprint": f.fingerprint, "remediation": f.remediation}
            for report in reports for f in report.findings
        ],
    }, indent=2) + "\n"
