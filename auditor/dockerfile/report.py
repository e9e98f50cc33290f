"""Text and JSON output of `audit dockerfile`."""

from __future__ import annotations

import json
import os

from auditor.dockerfile.checks import DockerfileFinding
from auditor.formats.common import redact


def render_text(findings: list[DockerfileFinding], files: list[str], show_secrets: bool = False) -> str:
    lines = []
    for f in findings:
        related = f" (and line {f.related_line})" if f.related_line else ""
        secret = redact(f.secret, show_secrets)
        lines.append(f"{os.path.relpath(f.file)}:{f.line}: {f.severity.value.upper()} {f.rule}{related}")
        lines.append(f"    {f.message}" + (f" ({secret})" if secret else ""))
        lines.append(f"    fix: {' '.join(f.remediation.split())}")
    count = len(findings)
    lines.append(f"{count} finding(s) in {len(files)} Dockerfile(s)")
    return "\n".join(lines) + "\n"


def render_json(findings: list[DockerfileFinding], files: list[str], show_secrets: bool = False) -> str:
    return json.dumps({
        "files": files,
        "findings": [
            {"rule": f.rule, "severity": f.severity.value, "file": f.file, "line": f.line,
             "related_line": f.related_line, "path": f.path, "message": f.message,
             "secret": redact(f.secret, show_secrets), "fingerprint": f.fingerprint, "remediation": f.remediation}
            for f in findings
        ],
    }, indent=2) + "\n"
