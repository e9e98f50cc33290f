"""The terminal report: a short list of the places with findings (the user's own files first), then the
findings grouped by the layer that added them and by file (a rule repeated in a file is one line with its
count and line numbers), then the image config, then a summary of what squashing or a multi-stage build
would hide. Paragraphs wrap at the terminal width (`layout`). Colour only when asked (a terminal without
NO_COLOR); otherwise plain, stable text. Everything an image controls (paths, history commands, config
keys) goes through `printable`, so a file name cannot move the cursor or break a line.
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby

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
from auditor.formats.layout import Run, paragraph, width
from auditor.model import Entry, Finding, Report, Status
from auditor.ownership.ledger import Standing
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
SHORT_LIST = 20  # places in the short list at the top; the rest are counted
LINES_SHOWN = 10  # line numbers listed for a rule repeated in one file; the rest are counted
SHOWN_BY = {"config.Env": "`docker inspect`", "config.Labels": "`docker inspect`", "config.Cmd": "`docker inspect`",
            "config.Entrypoint": "`docker inspect`"}


class _Out:
    """The report's lines: each paragraph wrapped at `columns` (`layout.paragraph`), coloured if asked."""

    def __init__(self, columns: int, color: bool) -> None:
        self.lines: list[str] = []
        self.columns = columns
        self.color = color

    def __call__(self, *runs: Run, hang: int = 4, keep: int = 0) -> None:
        self.lines.append(paragraph(list(runs), self.columns, hang, keep, self.color))

    def blank(self) -> None:
        self.lines.append("")


def _findings(out: _Out, findings: list[Finding], show_secrets: bool) -> None:
    """One line per rule and message in a file (or a config item): the first value, how many times the
    rule matched there and on which lines, so that a rule repeated in one file is not N blocks."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.rule, f.message), []).append(f)
    for group in groups.values():
        f = group[0]
        lead: list[Run] = [("    ", ""), (f"{f.severity.value.upper():<8}", SEVERITY_STYLE[f.severity.value]),
                           (f" {f.rule:<26} ", "")]
        keep = sum(len(text) for text, _ in lead)
        runs = [*lead, (printable(f.message), "")]
        secret = redact(f.secret, show_secrets)
        if secret:
            others = len({g.secret for g in group}) - 1
            runs += [(" (", ""), (printable(secret), "bold"), (f", +{others} other value(s)" if others else "", ""),
                     (")", "")]
        runs.append((_where(group), ""))
        out(*runs, hang=keep if keep <= out.columns // 2 else 8, keep=keep)


def _where(group: list[Finding]) -> str:
    """How many times a rule matched in one place, and the lines (the first `LINES_SHOWN`)."""
    lines = sorted({f.line for f in group if f.line})
    times = f" · {len(group)} times" if len(group) > 1 else ""
    if not lines:
        return times
    shown = ", ".join(str(line) for line in lines[:LINES_SHOWN])
    more = f" and {len(lines) - LINES_SHOWN} more" if len(lines) > LINES_SHOWN else ""
    return f"{times} · line{'s' if len(lines) > 1 else ''} {shown}{more}"


def _fixes(out: _Out, findings: list[Finding], shown: dict[str, str], here: str) -> None:
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
        out(("    ", ""), (f"fix ({', '.join(rules)}):", "green"), (f" {fix}", ""), hang=6)
        shown.update((rule, here) for rule in rules)
    for where, rules in earlier.items():
        out(("    ", ""), (f"fix ({', '.join(rules)}):", "green"), (f" see {where} above", ""), hang=6)


def _hidden_note(report: Report, f: Finding, show_secrets: bool) -> str:
    """Why `docker run` does not show a hidden file, and which instruction hid it."""
    layers = report.image.layers
    by = layers[f.hidden_by] if f.hidden_by is not None and f.hidden_by < len(layers) else None
    made = f" ({instruction(safe_command(by.created_by, report, show_secrets), 70, build_args=False)})" if by else ""
    if f.status is Status.DELETED:
        return (f"      layer {f.hidden_by} deletes it{made}, so `docker run` does not show it, but layer {f.layer} "
                "still ships it")
    return (f"      layer {f.hidden_by} writes over it{made}, so `docker run` shows the new version, but layer "
            f"{f.layer} still ships this one")


def _metadata_note(report: Report, f: Finding, show_secrets: bool) -> str | None:
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
    return f"      {'; '.join(parts)}" if parts else None


def _place(f: Finding) -> tuple[int | None, str, Status]:
    """What the report groups by: a file in a layer (with its status), or a metadata location."""
    return f.layer, f.path or f.location or "", f.status


def _short_list(out: _Out, report: Report) -> None:
    """The places with findings, the user's own files (and the image metadata) first, then package files
    that were modified, then the rest; most severe first within each; at most `SHORT_LIST` lines."""
    places: dict[tuple[int | None, str, Status], list[Finding]] = {}
    for f in report.findings:
        places.setdefault(_place(f), []).append(f)
    owner = {None: 0, Standing.MODIFIED.value: 1}
    ranked = sorted(places.values(), key=lambda fs: (owner.get(fs[0].ownership, 2),
                                                     -max(f.severity.rank for f in fs)))
    out.blank()
    out(("Short list", "bold"), (f": {len(places)} place(s); your own files first, then modified package files, "
                                 "then the rest", ""))
    for found in ranked[:SHORT_LIST]:
        f = max(found, key=lambda f: f.severity.rank)
        where = (f"{printable(f.path or '')}  (layer {f.layer}, {status_phrase(f)})" if f.layer is not None
                 else printable(f.location or ""))
        rules = Counter(g.rule for g in found)
        said = ", ".join(rule + (f" ×{count}" if count > 1 else "") for rule, count in rules.items())
        standing, package = found[0].ownership, found[0].package
        owned = f"  [{standing}{': ' + package if package else ''}]" if standing else ""
        out(("  ", ""), (f"{f.severity.value.upper():<8}", SEVERITY_STYLE[f.severity.value]),
            (f" {where}: {said}{owned}", ""), hang=11, keep=11)
    if len(ranked) > SHORT_LIST:
        out((f"  … and {len(ranked) - SHORT_LIST} more place(s), listed below by layer", ""))


def _explain(out: _Out, report: Report, show_secrets: bool) -> None:
    """`--explain`: every value the judge rejected, where it is, which rule proposed it, and why not."""
    out.blank()
    out(("Rejected by the value judge", "bold"))
    for f in report.rejected:
        where = (f"layer {f.layer} {printable(f.path or '')}" if f.layer is not None
                 else printable(f.location or "image config"))
        secret = redact(f.secret, show_secrets)
        out((f"  {where}" + (f" line {f.line}" if f.line else "") + f"  {f.rule}", ""),
            *([(" (", ""), (printable(secret), "bold"), (")", "")] if secret else []))
        reason = f.rejected or ""
        out(("    ", ""), (reason, "green"), (f": {REASONS.get(reason, '')}", "dim"), hang=6)


def render(report: Report, show_secrets: bool = False, color: bool = False, explain: bool = False,
           columns: int | None = None) -> str:
    """The report for a terminal or a log, wrapped at `columns` (by default `layout.width()`)."""
    out = _Out(columns or width(), color)
    image = report.image
    s = summary(report)
    out((f"Image {printable(image.reference)}", "bold"), (f"  {image.digest[:19]}" if image.digest else "", ""),
        (f"  {len(image.layers)} layers, {s['entries']} entries, {human_bytes(s['total_bytes'])} of files", ""))
    for warning in image.warnings:
        out((f"warning: {printable(warning)}", "yellow"))
    if report.findings:
        _short_list(out, report)

    shown: dict[str, str] = {}  # rule -> where its fix was printed
    layered = [f for f in report.findings if f.layer is not None]
    for index, group in groupby(layered, key=lambda f: f.layer):
        layer = image.layers[index]
        findings = list(group)
        out.blank()
        size = report.layer_bytes.get(index, layer.size)
        out((f"Layer {index}", "bold"),
            (f"  {layer.digest[:19]}" + (f"  {human_bytes(size)}" if size is not None else ""), ""))
        out((f"  made by: {instruction(safe_command(layer.created_by, report, show_secrets), 150)}", "dim"), hang=11)
        for _, by_path in groupby(findings, key=_place):
            items = list(by_path)
            out((f"  {printable(items[0].path or '')}  ", ""), (status_phrase(items[0]), STATUS_STYLE[items[0].status]))
            if items[0].status.hidden:
                out((_hidden_note(report, items[0], show_secrets), "dim"), hang=6)
            _findings(out, items, show_secrets)
        _fixes(out, findings, shown, f"layer {index}")

    meta = [f for f in report.findings if f.layer is None]
    if meta:
        out.blank()
        out(("Image config and history", "bold"))
        for location, by_location in groupby(meta, key=lambda f: f.location):
            items = list(by_location)
            out((f"  {printable(location or '')}  ", ""), ("metadata", STATUS_STYLE[Status.METADATA]))
            note = _metadata_note(report, items[0], show_secrets)
            if note:
                out((note, "dim"), hang=6)
            _findings(out, items, show_secrets)
        _fixes(out, meta, shown, "the image config")

    if report.not_scanned:
        out.blank()
        out(("Not scanned", "bold yellow"))
        for n in report.not_scanned:
            which = f"layer {n.layer}" if n.layer is not None else "image"
            out((f"  {which}{' ' + printable(n.path) if n.path else ''}: {printable(n.reason)}", ""))

    if explain and report.rejected:
        _explain(out, report, show_secrets)
    _summary(out, report, s)
    return "\n".join(out.lines) + "\n"


def _summary(out: _Out, report: Report, s: dict) -> None:  # type: ignore[type-arg]
    out.blank()
    out(("Summary", "bold"))
    statuses = ", ".join(f"{n} {k}" for k, n in s["by_status"].items() if n)
    severities = ", ".join(f"{n} {k}" for k, n in reversed(list(s["by_severity"].items())) if n)
    out((f"  {s['findings']} finding(s)" + (f": {statuses} ({severities})" if s["findings"] else ""), ""))
    hidden_findings = {f.layer for f in report.findings if f.status.hidden and f.layer is not None}
    holding = sorted(hidden_findings | set(report.hidden_bytes_by_layer))
    if holding:
        layers = ", ".join(f"{i} ({human_bytes(report.hidden_bytes_by_layer.get(i, 0))})" for i in holding)
        out((f"  Hidden but shipped: {s['hidden']} finding(s) and {human_bytes(report.hidden_bytes)} of files "
             f"({_share(report.hidden_bytes, report.total_bytes)} of all file bytes), in layer(s) {layers}.", ""))
        out((f"    {WHY_HIDDEN}", ""), hang=4)
        out(("    Squashing or a multi-stage build would leave them out of the image"
             + ("; rotate any secret among them that was ever pushed." if s["hidden"] else "."), ""))
    kept = [f"{s['by_status'][k]} {label}" for k, label in (("visible", "in the final filesystem"),
                                                            ("metadata", "in the image config and history"))
            if s["by_status"][k]]
    if kept and holding:
        out((f"  Not hidden, so squashing would not remove them: {' and '.join(kept)}.", ""))
    for status in FIX_BY_STATUS:
        if s["by_status"].get(status.value):
            out(("  ", ""), ("fix ·", "green"), (f" {FIX_BY_STATUS[status]}", ""), hang=8)
    notes = [*summary_lines(report.package_files)]
    if report.suppressed:
        notes.append(suppressed_line(report))
    if report.below_severity:
        notes.append(f"{report.below_severity} finding(s) below the shown severity not listed "
                     "(`--show-info` or `--min-severity` lists them).")
    if report.rejected:
        notes.append(f"{len(report.rejected)} value(s) rejected by the value judge (`--explain` lists them).")
    if report.skipped_layers:
        notes.append(f"{report.skipped_layers} base layer(s) not reported (--skip-base).")
    for note in notes:
        out((f"  {note}", ""))
    if report.not_scanned:
        out((f"  {len(report.not_scanned)} item(s) could not be scanned; see above.", "yellow"))


def _share(part: int, whole: int) -> str:
    if not whole or not part:
        return "0%"
    share = part / whole
    return "<0.1%" if share < 0.001 else f"{share:.1%}"


def render_all(reports: list[Report], show_secrets: bool = False, color: bool = False, explain: bool = False) -> str:
    columns = width()
    return "\n".join(render(report, show_secrets, color, explain, columns) for report in reports)


def render_files(entries: list[Entry]) -> str:
    lines = []
    for e in entries:
        status = e.status.value if e.hidden_by is None else f"{e.status.value} by layer {e.hidden_by}"
        link = f" -> {printable(e.link)}" if e.link else ""
        owner = f"{e.ownership}: {e.package}" if e.package else (e.ownership or "-")
        lines.append(f"{e.layer:>3}  {e.kind.value:<8} {e.size:>12}  {status:<22} {printable(owner):<40} "
                     f"{printable(e.path)}{link}")
    return "\n".join(lines) + ("\n" if lines else "")
