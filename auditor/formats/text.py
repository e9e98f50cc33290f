"""The terminal report: findings grouped by the layer that added them, then the image config, then a
summary of what squashing or a multi-stage build would hide. Colour only when asked (a terminal without
NO_COLOR); otherwise plain, stable text. Everything an image controls (paths, history commands, config
keys) goes through `printable`, so a file name cannot move the cursor or break a line.
"""

from __future__ import annotations

import io
from itertools import groupby

from rich.console import Console
from rich.text import Text

from auditor.checks.judge import REASONS
from auditor.formats.common import (
    human_bytes,
    instruction,
    printable,
    safe_command,
    status_phrase,
    summary,
    summary_lines,
    suppressed_line,
)
from auditor.model import Entry, Finding, Report, Status
from auditor.redact import redact

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
STATUS_STYLE = {Status.VISIBLE: "bold", Status.DELETED: "magenta", Status.OVERWRITTEN: "magenta",
                Status.METADATA: "blue"}
WHY_HIDDEN = (
    "They are not in the final filesystem, so `docker run` does not show them, but every layer ships with "
    "the image: `docker pull`, `docker save` and `tar` recover them."
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
SHOWN_BY = {"config.Env": "`docker inspect`", "config.Labels": "`docker inspect`", "config.Cmd": "`docker inspect`",
            "config.Entrypoint": "`docker inspect`"}


def _finding(out: Console, f: Finding, show_secrets: bool) -> None:
    line = Text("    ")
    line.append(f"{f.severity.value.upper():<8}", style=SEVERITY_STYLE[f.severity.value])
    line.append(f" {f.rule:<26}")
    line.append(f" line {f.line:<5}" if f.line else " " * 11)
    line.append(printable(f.message))
    secret = redact(f.secret, show_secrets)
    if secret:
        line.append(f" ({printable(secret)})", style="bold")
    out.print(line)


def _fixes(out: Console, findings: list[Finding], shown: dict[str, str], here: str) -> None:
    """Each rule's fix, the first time the report meets the rule; later, a pointer back to it."""
    by_fix: dict[str, list[str]] = {}
    earlier: dict[str, list[str]] = {}
    for f in findings:
        if not f.remediation:
            continue
        if f.rule in shown and shown[f.rule] != here:
            rules = earlier.setdefault(shown[f.rule], [])
        else:
            rules = by_fix.setdefault(" ".join(f.remediation.split()), [])
        if f.rule not in rules:
            rules.append(f.rule)
    for fix, rules in by_fix.items():
        out.print(Text("    ").append(f"fix ({', '.join(rules)}):", style="green").append(f" {fix}"))
        shown.update((rule, here) for rule in rules)
    for where, rules in earlier.items():
        out.print(Text("    ").append(f"fix ({', '.join(rules)}):", style="green").append(f" see {where} above"))


def _hidden_note(report: Report, f: Finding, show_secrets: bool) -> Text:
    """Why `docker run` does not show a hidden file, and which instruction hid it."""
    layers = report.image.layers
    by = layers[f.hidden_by] if f.hidden_by is not None and f.hidden_by < len(layers) else None
    made = f" ({instruction(safe_command(by.created_by, report, show_secrets), 70, build_args=False)})" if by else ""
    if f.status is Status.DELETED:
        why = (f"layer {f.hidden_by} deletes it{made}, so `docker run` does not show it, but layer {f.layer} "
               "still ships it")
    else:
        why = (f"layer {f.hidden_by} writes over it{made}, so `docker run` shows the new version, but layer {f.layer} "
               "still ships this one")
    return Text(f"      {why}", style="dim")


def _metadata_note(report: Report, f: Finding, show_secrets: bool) -> Text | None:
    """The instruction that put a metadata finding in the image, and where anyone can read it."""
    origin = report.provenance.of(f)
    location = f.location or ""
    shown = SHOWN_BY.get(location, "`docker history --no-trunc`" if location.startswith("history[") else None)
    parts = []
    if origin.instruction:
        parts.append(f"made by: {instruction(safe_command(origin.instruction, report, show_secrets), 150)}"
                     + (f" (layer {origin.layer})" if origin.layer is not None else ""))
    if shown:
        parts.append(f"{shown} shows it to anyone who pulls the image")
    return Text(f"      {'; '.join(parts)}", style="dim") if parts else None


def _explain(out: Console, report: Report, show_secrets: bool) -> None:
    """`--explain`: every value the judge rejected, where it is, which rule proposed it, and why not."""
    out.print()
    out.print(Text("Rejected by the value judge", style="bold"))
    for f in report.rejected:
        where = (f"layer {f.layer} {printable(f.path or '')}" if f.layer is not None
                 else printable(f.location or "image config"))
        line = Text(f"  {where}" + (f" line {f.line}" if f.line else "") + f"  {f.rule}")
        secret = redact(f.secret, show_secrets)
        if secret:
            line.append(f" ({printable(secret)})", style="bold")
        out.print(line)
        reason = f.rejected or ""
        out.print(Text("    ").append(reason, style="green").append(f": {REASONS.get(reason, '')}", style="dim"))


def render(report: Report, show_secrets: bool = False, color: bool = False, explain: bool = False) -> str:
    buffer = io.StringIO()
    out = Console(file=buffer, force_terminal=color, no_color=not color, color_system="standard" if color else None,
                  soft_wrap=True, highlight=False, emoji=False, markup=False, width=200)
    image = report.image
    s = summary(report)
    head = Text("Image ", style="bold").append(printable(image.reference), style="bold")
    if image.digest:
        head.append(f"  {image.digest[:19]}")
    head.append(f"  {len(image.layers)} layers, {s['entries']} entries, {human_bytes(s['total_bytes'])} of files")
    out.print(head)
    for warning in image.warnings:
        out.print(Text(f"warning: {printable(warning)}", style="yellow"))

    shown: dict[str, str] = {}  # rule -> where its fix was printed
    layered = [f for f in report.findings if f.layer is not None]
    for index, group in groupby(layered, key=lambda f: f.layer):
        layer = image.layers[index]
        findings = list(group)
        out.print()
        title = Text(f"Layer {index}", style="bold")
        size = report.layer_bytes.get(index, layer.size)
        title.append(f"  {layer.digest[:19]}" + (f"  {human_bytes(size)}" if size is not None else ""))
        out.print(title)
        made_by = instruction(safe_command(layer.created_by, report, show_secrets), 150)
        out.print(Text(f"  made by: {made_by}", style="dim"))
        for (path, _status), by_path in groupby(findings, key=lambda f: (f.path, f.status)):
            items = list(by_path)
            where = Text(f"  {printable(path or '')}  ")
            where.append(status_phrase(items[0]), style=STATUS_STYLE[items[0].status])
            out.print(where)
            if items[0].status.hidden:
                out.print(_hidden_note(report, items[0], show_secrets))
            for f in items:
                _finding(out, f, show_secrets)
        _fixes(out, findings, shown, f"layer {index}")

    meta = [f for f in report.findings if f.layer is None]
    if meta:
        out.print()
        out.print(Text("Image config and history", style="bold"))
        for location, by_location in groupby(meta, key=lambda f: f.location):
            items = list(by_location)
            out.print(Text(f"  {printable(location or '')}  ").append("metadata", style=STATUS_STYLE[Status.METADATA]))
            note = _metadata_note(report, items[0], show_secrets)
            if note:
                out.print(note)
            for f in items:
                _finding(out, f, show_secrets)
        _fixes(out, meta, shown, "the image config")

    if report.not_scanned:
        out.print()
        out.print(Text("Not scanned", style="bold yellow"))
        for n in report.not_scanned:
            which = f"layer {n.layer}" if n.layer is not None else "image"
            out.print(Text(f"  {which}{' ' + printable(n.path) if n.path else ''}: {printable(n.reason)}"))

    if explain and report.rejected:
        _explain(out, report, show_secrets)
    _summary(out, report, s)
    return buffer.getvalue()


def _summary(out: Console, report: Report, s: dict) -> None:  # type: ignore[type-arg]
    out.print()
    out.print(Text("Summary", style="bold"))
    statuses = ", ".join(f"{n} {k}" for k, n in s["by_status"].items() if n)
    severities = ", ".join(f"{n} {k}" for k, n in reversed(list(s["by_severity"].items())) if n)
    out.print(f"  {s['findings']} finding(s)" + (f": {statuses} ({severities})" if s["findings"] else ""))
    hidden_findings = {f.layer for f in report.findings if f.status.hidden and f.layer is not None}
    holding = sorted(hidden_findings | set(report.hidden_bytes_by_layer))
    if holding:
        layers = ", ".join(f"{i} ({human_bytes(report.hidden_bytes_by_layer.get(i, 0))})" for i in holding)
        out.print(f"  Hidden but shipped: {s['hidden']} finding(s) and {human_bytes(report.hidden_bytes)} of files "
                  f"({_share(report.hidden_bytes, report.total_bytes)} of all file bytes), in layer(s) {layers}.")
        out.print(f"    {WHY_HIDDEN}")
        out.print("    Squashing or a multi-stage build would leave them out of the image"
                  + ("; rotate any secret among them that was ever pushed." if s["hidden"] else "."))
    kept = [f"{s['by_status'][k]} {label}" for k, label in (("visible", "in the final filesystem"),
                                                            ("metadata", "in the image config and history"))
            if s["by_status"][k]]
    if kept and holding:
        out.print(f"  Not hidden, so squashing would not remove them: {' and '.join(kept)}.")
    causes = [status for status in FIX_BY_STATUS if s["by_status"].get(status.value)]
    for status in causes:
        out.print(Text("  ").append("fix ·", style="green").append(f" {FIX_BY_STATUS[status]}"))
    for line in summary_lines(report.package_files):
        out.print(f"  {line}")
    if report.suppressed:
        out.print(f"  {suppressed_line(report)}")
    if report.below_severity:
        out.print(f"  {report.below_severity} finding(s) below the shown severity not listed "
                  "(`--show-info` or `--min-severity` lists them).")
    if report.rejected:
        out.print(f"  {len(report.rejected)} value(s) rejected by the value judge (`--explain` lists them).")
    if report.skipped_layers:
        out.print(f"  {report.skipped_layers} base layer(s) not reported (--skip-base).")
    if report.not_scanned:
        out.print(Text(f"  {len(report.not_scanned)} item(s) could not be scanned; see above.", style="yellow"))


def _share(part: int, whole: int) -> str:
    if not whole or not part:
        return "0%"
    share = part / whole
    return "<0.1%" if share < 0.001 else f"{share:.1%}"


def render_all(reports: list[Report], show_secrets: bool = False, color: bool = False, explain: bool = False) -> str:
    return "\n".join(render(report, show_secrets, color, explain) for report in reports)


def render_files(entries: list[Entry]) -> str:
    lines = []
    for e in entries:
        status = e.status.value if e.hidden_by is None else f"{e.status.value} by layer {e.hidden_by}"
        link = f" -> {printable(e.link)}" if e.link else ""
        owner = f"{e.ownership}: {e.package}" if e.package else (e.ownership or "-")
        lines.append(f"{e.layer:>3}  {e.kind.value:<8} {e.size:>12}  {status:<22} {printable(owner):<40} "
                     f"{printable(e.path)}{link}")
    return "\n".join(lines) + ("\n" if lines else "")
