"""Plain text: findings grouped by the layer that added them, then metadata, then what was not scanned."""

from __future__ import annotations

from itertools import groupby

from auditor.formats.common import redact, safe_command, status_phrase, summary
from auditor.model import Entry, Finding, Report

WIDTH = 100


def _short(text: str | None, width: int = 80) -> str:
    if not text:
        return "(no history)"
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _finding_lines(f: Finding, show_secrets: bool) -> list[str]:
    where = f.path if f.path else f.location or ""
    if f.line:
        where += f":{f.line}"
    lines = [f"  {f.severity.value.upper():<8} {where}  [{status_phrase(f)}]  {f.rule}"]
    detail = f.message
    secret = redact(f.secret, show_secrets)
    if secret:
        detail += f" ({secret})"
    lines.append(f"           {detail}")
    if f.remediation:
        lines.append(f"           fix: {' '.join(f.remediation.split())}")
    return lines


def render(report: Report, show_secrets: bool = False) -> str:
    image = report.image
    out = [f"Image {image.reference}" + (f" ({image.digest})" if image.digest else "")]
    for warning in image.warnings:
        out.append(f"warning: {warning}")
    layered = [f for f in report.findings if f.layer is not None]
    for index, group in groupby(layered, key=lambda f: f.layer):
        layer = image.layers[index]  # type: ignore[index]
        out.append("")
        out.append(f"Layer {index}  {layer.digest[:19]}  {_short(safe_command(layer.created_by, report, show_secrets))}")
        for f in group:
            out.extend(_finding_lines(f, show_secrets))
    meta = [f for f in report.findings if f.layer is None]
    if meta:
        out.append("")
        out.append("Image config and history")
        for f in meta:
            out.extend(_finding_lines(f, show_secrets))
    if report.not_scanned:
        out.append("")
        out.append("Not scanned")
        for n in report.not_scanned:
            where = f"layer {n.layer}" if n.layer is not None else "image"
            out.append(f"  {where}{' ' + n.path if n.path else ''}: {n.reason}")
    s = summary(report)
    out.append("")
    by_status = ", ".join(f"{v} {k}" for k, v in s["by_status"].items() if v)
    out.append(
        f"{s['findings']} finding(s) in {s['layers']} layer(s), {s['entries']} entries"
        + (f": {by_status}" if by_status else "")
    )
    if s["hidden"]:
        out.append(
            f"{s['hidden']} finding(s) are hidden by a later layer: `docker run` does not show them, but anyone "
            "who pulls the image can extract them (docker save + tar). Squash or use a multi-stage build."
        )
    if report.suppressed:
        out.append(f"{report.suppressed} finding(s) suppressed by the baseline or allowlist.")
    if report.skipped_layers:
        out.append(f"{report.skipped_layers} base layer(s) not reported (--skip-base).")
    if report.not_scanned:
        out.append(f"{len(report.not_scanned)} item(s) could not be scanned; see above.")
    return "\n".join(out) + "\n"


def render_all(reports: list[Report], show_secrets: bool = False) -> str:
    return "\n".join(render(report, show_secrets) for report in reports)


def render_files(entries: list[Entry]) -> str:
    lines = []
    for e in entries:
        status = e.status.value if e.hidden_by is None else f"{e.status.value} by layer {e.hidden_by}"
        link = f" -> {e.link}" if e.link else ""
        lines.append(f"{e.layer:>3}  {e.kind.value:<8} {e.size:>12}  {status:<22} {e.path}{link}")
    return "\n".join(lines) + ("\n" if lines else "")
