"""Markdown for pull-request comments: a summary line, one table per layer (for Dockerfiles, one table),
fixes folded away."""

from __future__ import annotations

import html
import os
import re
from itertools import groupby

from auditor.formats.common import (
    human_bytes,
    instruction,
    printable,
    safe_command,
    source_line,
    status_phrase,
    summary,
    summary_lines,
)
from auditor.model import Finding, Report
from auditor.redact import redact

ICON = {"critical": "🔴", "high": "🟠", "medium": "🟡", "low": "🔵", "info": "⚪"}


def _cell(text: str) -> str:
    """Plain text for a table cell: one line, no HTML, no column break."""
    return html.escape(" ".join(printable(text).split()), quote=False).replace("|", "\\|")


def _code(text: str) -> str:
    """A code span holding `text` exactly (backticks included), safe in a table cell."""
    text = printable(text).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _rows(findings: list[Finding], show: bool) -> list[str]:
    rows = ["| Severity | Where | Status | Rule | Finding |", "|---|---|---|---|---|"]
    for f in findings:
        where = (f.path or f.location or "") + (f":{f.line}" if f.line else "")
        secret = redact(f.secret, show)
        detail = _cell(f.message) + (f" ({_code(secret)})" if secret else "")
        rows.append(f"| {ICON[f.severity.value]} {f.severity.value} | {_code(where)} | {status_phrase(f)} | "
                    f"`{f.rule}` | {detail} |")
    return rows


def _source_rows(findings: list[Finding], show: bool) -> list[str]:
    """A Dockerfile's findings, by file and line."""
    rows = ["| Severity | Where | Rule | Finding |", "|---|---|---|---|"]
    for f in findings:
        secret = redact(f.secret, show)
        detail = _cell(f.message) + (f" ({_code(secret)})" if secret else "")
        related = f" (and line {f.related_line})" if f.related_line else ""
        rows.append(f"| {ICON[f.severity.value]} {f.severity.value} | {_code(source_line(f))}{related} | `{f.rule}` | "
                    f"{detail} |")
    return rows


def _ending(report: Report) -> list[str]:
    """Each rule's fix (folded away), and how many findings the baseline or allowlist suppressed."""
    out = []
    fixes: dict[str, str] = {}
    for f in report.findings:
        if f.remediation and f.rule not in fixes:
            fixes[f.rule] = " ".join(f.remediation.split())
    if fixes:
        out += ["", "<details><summary>How to fix</summary>", ""]
        out += [f"- `{rule}`: {fix}" for rule, fix in fixes.items()]
        out += ["", "</details>"]
    if report.not_scanned:
        out += ["", f"⚠️ {len(report.not_scanned)} item(s) not scanned:"]
        out += [f"- {'layer ' + str(n.layer) if n.layer is not None else 'image'}"
                f"{' ' + _code(n.path) if n.path else ''}: {_cell(n.reason)}" for n in report.not_scanned]
    lines = summary_lines(report.package_files)
    if lines:
        out += ["", " ".join(lines)]
    if report.suppressed:
        out += ["", f"{report.suppressed} finding(s) suppressed by the baseline or allowlist."]
    return out


def _render_dockerfiles(report: Report, show_secrets: bool) -> str:
    files = ", ".join(_code(os.path.relpath(path)) for path in report.files)
    out = [f"### layer-auditor: {files}", "", f"**{len(report.findings)} finding(s)** in {len(report.files)} "
           "Dockerfile(s)."]
    if report.findings:
        out += [""] + _source_rows(report.findings, show_secrets)
    return "\n".join(out + _ending(report)) + "\n"


def render(report: Report, show_secrets: bool = False) -> str:
    if report.files:
        return _render_dockerfiles(report, show_secrets)
    s = summary(report)
    out = [f"### layer-auditor: {_code(report.image.reference)}", ""]
    statuses = ", ".join(f"{n} {k}" for k, n in s["by_status"].items() if n) or "none"
    out.append(f"**{s['findings']} finding(s)** ({statuses}) in {s['layers']} layers. "
               f"Hidden by a later layer: **{s['hidden']}** finding(s) and {human_bytes(report.hidden_bytes)} of files "
               "that `docker run` does not show but `docker save` recovers.")
    layered = [f for f in report.findings if f.layer is not None]
    for index, group in groupby(layered, key=lambda f: f.layer):
        layer = report.image.layers[index]
        made_by = instruction(safe_command(layer.created_by, report, show_secrets), 160)
        size = report.layer_bytes.get(index, layer.size)
        head = f"**Layer {index}** · `{layer.digest[:19]}`" + (f" · {human_bytes(size)}" if size is not None else "")
        out += ["", f"{head} — {_code(made_by)}", ""] + _rows(list(group), show_secrets)
    meta = [f for f in report.findings if f.layer is None]
    if meta:
        out += ["", "**Image config and history**", ""] + _rows(meta, show_secrets)
    return "\n".join(out + _ending(report)) + "\n"


def render_all(reports: list[Report], show_secrets: bool = False, color: bool = False) -> str:
    return "\n".join(render(r, show_secrets) for r in reports)
