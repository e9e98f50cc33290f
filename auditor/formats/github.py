"""GitHub Actions workflow commands: one annotation per finding (on the Dockerfile line with --dockerfile)."""

from __future__ import annotations

from auditor.formats.common import printable, redact, status_phrase
from auditor.formats.sarif import dockerfile_line
from auditor.model import Report, Severity

LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "notice", Severity.INFO: "notice"}


def _data(text: str) -> str:
    """A workflow command's message, escaped as @actions/core does (`%`, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    """A workflow command's property value: also `:` and `,`."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_all(reports: list[Report], show_secrets: bool = False, color: bool = False) -> str:
    lines = []
    for report in reports:
        for f in report.findings:
            where = printable(f.path or f.location or "") + (f":{f.line}" if f.line else "")
            props = [f"title={_prop(f'{f.severity.value.upper()} {f.rule}: {where}')}"]
            line = dockerfile_line(f, report) if report.dockerfile else None
            if report.dockerfile and line is not None:
                props = [f"file={_prop(report.dockerfile)}", f"line={line}"] + props
            secret = redact(f.secret, show_secrets)
            layer = f" in layer {f.layer}" if f.layer is not None else ""
            detail = printable(f"{f.message}{f' ({secret})' if secret else ''}")
            message = (f"{detail}: {where}{layer}, {status_phrase(f)}. "
                       f"Fix: {' '.join((f.remediation or '').split())}")
            lines.append(f"::{LEVEL[f.severity]} {','.join(props)}::{_data(message)}")
        for n in report.not_scanned:
            where = (f"layer {n.layer}" if n.layer is not None else "image") + (f" {n.path}" if n.path else "")
            level = "error" if n.broken else "warning"  # a layer unread or a name refused; else a file or a limit
            lines.append(f"::{level} title=not scanned::{_data(printable(f'{where}: {n.reason}'))}")
    return "\n".join(lines) + ("\n" if lines else "")
