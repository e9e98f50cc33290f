"""GitHub Actions workflow commands: one annotation per finding (on the Dockerfile line with --dockerfile,
and a Dockerfile's findings on their own file and line)."""

from __future__ import annotations

import os

from auditor.formats.common import printable, source_line, status_phrase
from auditor.model import Finding, Report, Severity
from auditor.redact import redact

LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "notice", Severity.INFO: "notice"}


def _data(text: str) -> str:
    """A workflow command's message, escaped as @actions/core does (`%`, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    """A workflow command's property value: also `:` and `,`."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(f: Finding, report: Report, show_secrets: bool) -> str:
    secret = redact(f.secret, show_secrets)
    detail = printable(f"{f.message}{f' ({secret})' if secret else ''}")
    fix = " ".join((f.remediation or "").split())
    if f.file is not None:
        props = [f"file={_prop(os.path.relpath(f.file))}", f"line={f.line}",
                 f"title={_prop(f'{f.severity.value.upper()} {f.rule}: {source_line(f)}')}"]
        return f"::{LEVEL[f.severity]} {','.join(props)}::{_data(f'{detail}. Fix: {fix}')}"
    where = printable(f.path or f.location or "") + (f":{f.line}" if f.line else "")
    props = [f"title={_prop(f'{f.severity.value.upper()} {f.rule}: {where}')}"]
    line = report.provenance.of(f).line
    dockerfile = report.provenance.dockerfile
    if dockerfile and line is not None:
        props = [f"file={_prop(dockerfile)}", f"line={line}"] + props
    layer = f" in layer {f.layer}" if f.layer is not None else ""
    message = f"{detail}: {where}{layer}, {status_phrase(f)}. Fix: {fix}"
    return f"::{LEVEL[f.severity]} {','.join(props)}::{_data(message)}"


def render_all(reports: list[Report], show_secrets: bool = False, color: bool = False) -> str:
    lines = []
    for report in reports:
        lines += [_annotation(f, report, show_secrets) for f in report.findings]
        for n in report.not_scanned:
            where = (f"layer {n.layer}" if n.layer is not None else "image") + (f" {n.path}" if n.path else "")
            level = "error" if n.broken else "warning"  # a layer unread or a name refused; else a file or a limit
            lines.append(f"::{level} title=not scanned::{_data(printable(f'{where}: {n.reason}'))}")
    return "\n".join(lines) + ("\n" if lines else "")
