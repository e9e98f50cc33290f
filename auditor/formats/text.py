"""The terminal report: findings grouped by the layer that added them, then the image config, then a
summary of what squashing or a multi-stage build would hide. Colour only when asked (a terminal without
NO_COLOR); otherwise plain, stable text.
"""

from __future__ import annotations

import io
from itertools import groupby

from rich.console import Console
from rich.text import Text

from auditor.formats.common import human_bytes, instruction, redact, safe_command, status_phrase, summary
from auditor.model import Entry, Finding, Report, Status

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
STATUS_STYLE = {Status.VISIBLE: "bold", Status.DELETED: "magenta", Status.OVERWRITTEN: "magenta",
                Status.METADATA: "blue"}
WHY_HIDDEN = (
    "Hidden findings are not in the final filesystem, so `docker run` does not show them, but the layer "
    "that added them still ships with the image: `docker save` and `tar` recover them."
)
FIX_BY_STATUS = {
    Status.DELETED: "deleted in a later layer: create, use and remove it in one RUN, pass secrets with "
                    "`RUN --mount=type=secret`, or build in a stage the final image only copies results from",
    Status.OVERWRITTEN: "overwritten in a later layer: the first version still ships; never add it (use "
                        ".dockerignore or a build secret) or produce it in a builder stage",
    Status.VISIBLE: "visible in the final image: remove it from the build context (.dockerignore) or the "
                    "instruction that adds it, and inject secrets at run time",
    Status.METADATA: "in the image config or history: do not pass secrets with ENV, LABEL or ARG; use "
                     "`RUN --mount=type=secret` and run-time configuration",
}


def _finding(out: Console, f: Finding, show_secrets: bool) -> None:
    line = Text("    ")
    line.append(f"{f.severity.value.upper():<8}", style=SEVERITY_STYLE[f.severity.value])
    line.append(f" {f.rule:<26}")
    line.append(f" line {f.line:<5}" if f.line else " " * 11)
    line.append(f.message)
    secret = redact(f.secret, show_secrets)
    if secret:
        line.append(f" ({secret})", style="bold")
    out.print(line)


def _fixes(out: Console, findings: list[Finding]) -> None:
    by_fix: dict[str, list[str]] = {}
    for f in findings:
        if f.remediation:
            rules = by_fix.setdefault(" ".join(f.remediation.split()), [])
            if f.rule not in rules:
                rules.append(f.rule)
    for fix, rules in by_fix.items():
        out.print(Text(f"    fix ({', '.join(rules)}): ", style="green").append(fix, style=""))


def render(report: Report, show_secrets: bool = False, color: bool = False) -> str:
    buffer = io.StringIO()
    out = Console(file=buffer, force_terminal=color, no_color=not color, color_system="standard" if color else None,
                  soft_wrap=True, highlight=False, emoji=False, markup=False, width=200)
    image = report.image
    s = summary(report)
    head = Text("Image ", style="bold").append(image.reference, style="bold")
    if image.digest:
        head.append(f"  {image.digest[:19]}")
    head.append(f"  {len(image.layers)} layers, {s['entries']} entries, {human_bytes(s['total_bytes'])} of files")
    out.print(head)
    for warning in image.warnings:
        out.print(Text(f"warning: {warning}", style="yellow"))

    layered = [f for f in report.findings if f.layer is not None]
    for index, group in groupby(layered, key=lambda f: f.layer):
        layer = image.layers[index]  # type: ignore[index]
        findings = list(group)
        out.print()
        title = Text(f"Layer {index}", style="bold")
        size = report.layer_bytes.get(index, layer.size)
        title.append(f"  {layer.digest[:19]}" + (f"  {human_bytes(size)}" if size is not None else ""))
        out.print(title)
        out.print(Text(f"  made by: {instruction(safe_command(layer.created_by, report, show_secrets))}", style="dim"))
        for (path, _status), by_path in groupby(findings, key=lambda f: (f.path, f.status)):
            items = list(by_path)
            where = Text(f"  {path}  ")
            where.append(status_phrase(items[0]), style=STATUS_STYLE[items[0].status])
            out.print(where)
            for f in items:
                _finding(out, f, show_secrets)
        _fixes(out, findings)

    meta = [f for f in report.findings if f.layer is None]
    if meta:
        out.print()
        out.print(Text("Image config and history", style="bold"))
        for location, by_location in groupby(meta, key=lambda f: f.location):
            out.print(Text(f"  {location}  ").append("metadata", style=STATUS_STYLE[Status.METADATA]))
            for f in by_location:
                _finding(out, f, show_secrets)
        _fixes(out, meta)

    if report.not_scanned:
        out.print()
        out.print(Text("Not scanned", style="bold yellow"))
        for n in report.not_scanned:
            where = f"layer {n.layer}" if n.layer is not None else "image"
            out.print(f"  {where}{' ' + n.path if n.path else ''}: {n.reason}")

    _summary(out, report, s)
    return buffer.getvalue()


def _summary(out: Console, report: Report, s: dict) -> None:  # type: ignore[type-arg]
    out.print()
    out.print(Text("Summary", style="bold"))
    statuses = ", ".join(f"{n} {k}" for k, n in s["by_status"].items() if n)
    severities = ", ".join(f"{n} {k}" for k, n in reversed(list(s["by_severity"].items())) if n)
    out.print(f"  {s['findings']} finding(s)" + (f": {statuses} ({severities})" if s["findings"] else ""))
    hidden_layers = sorted({f.layer for f in report.findings if f.status.hidden and f.layer is not None})
    if s["hidden"] or report.hidden_bytes:
        byte_layers = ", ".join(f"{i}: {human_bytes(n)}" for i, n in sorted(report.hidden_bytes_by_layer.items()))
        out.print(f"  Squashing or a multi-stage build would hide {s['hidden']} finding(s)"
                  + (f" in layer(s) {', '.join(map(str, hidden_layers))}" if hidden_layers else "")
                  + f", and {human_bytes(report.hidden_bytes)} of files that ship but are not in the final "
                    f"filesystem" + (f" (by layer: {byte_layers})" if byte_layers else "")
                  + f"; efficiency {s['efficiency']:.1%}.")
        if s["hidden"]:
            out.print(f"  {WHY_HIDDEN}")
    causes = [status for status in FIX_BY_STATUS if s["by_status"].get(status.value)]
    for status in causes:
        out.print(Text(f"  fix · {FIX_BY_STATUS[status]}", style="green"))
    if report.suppressed:
        out.print(f"  {report.suppressed} finding(s) suppressed by the baseline or allowlist.")
    if report.skipped_layers:
        out.print(f"  {report.skipped_layers} base layer(s) not reported (--skip-base).")
    if report.not_scanned:
        out.print(Text(f"  {len(report.not_scanned)} item(s) could not be scanned; see above.", style="yellow"))


def render_all(reports: list[Report], show_secrets: bool = False, color: bool = False) -> str:
    return "\n".join(render(report, show_secrets, color) for report in reports)


def render_files(entries: list[Entry]) -> str:
    lines = []
    for e in entries:
        status = e.status.value if e.hidden_by is None else f"{e.status.value} by layer {e.hidden_by}"
        link = f" -> {e.link}" if e.link else ""
        lines.append(f"{e.layer:>3}  {e.kind.value:<8} {e.size:>12}  {status:<22} {e.path}{link}")
    return "\n".join(lines) + ("\n" if lines else "")
