"""Markdown for pull-request comments: a summary line, one table per layer (for Dockerfiles, one table),
fixes folded away.

A comment must fit GitHub's limit (65,536 characters): past it the API refuses the whole comment. When the
findings do not fit, the tables stop at a row boundary and a line says how many findings were left out
and where the full report is (JSON or SARIF); the summary line and the fixes are always there.
"""

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
    suppressed_line,
)
from auditor.model import Finding, Report
from auditor.redact import redact

LIMIT = 65_536  # characters in one GitHub comment
NOT_SCANNED_SHOWN = 50  # items listed in the not-scanned note; the rest are counted
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
                f"{' ' + _code(n.path) if n.path else ''}: {_cell(n.reason)}"
                for n in report.not_scanned[:NOT_SCANNED_SHOWN]]
        if len(report.not_scanned) > NOT_SCANNED_SHOWN:
            out.append(f"- and {len(report.not_scanned) - NOT_SCANNED_SHOWN} more (see the JSON report)")
    lines = summary_lines(report.package_files)
    if lines:
        out += ["", " ".join(lines)]
    if report.suppressed:
        out += ["", suppressed_line(report)]
    if report.below_severity:
        out += ["", f"{report.below_severity} finding(s) below the shown severity not listed "
                "(`--show-info` or `--min-severity` lists them)."]
    return out


class _Budget:
    """Lines of a comment, cut at a row boundary once they would pass `limit` characters."""

    def __init__(self, limit: int) -> None:
        self.lines: list[str] = []
        self.left = limit
        self.dropped = 0  # findings whose rows did not fit

    def add(self, lines: list[str], findings: int = 0) -> bool:
        """Add `lines` (the block of `findings` findings, or a heading) if they fit whole."""
        size = sum(len(line) + 1 for line in lines)
        if self.dropped or size > self.left:
            self.dropped += findings
            return False
        self.lines += lines
        self.left -= size
        return True

    def table(self, head: list[str], rows: list[str]) -> None:
        """A table whose rows are added one by one while they fit (the header only with a first row)."""
        if not rows:
            return
        if not self.add(head + rows[:1], 1):
            self.dropped += len(rows) - 1
            return
        for row in rows[1:]:
            self.add([row], 1)

    def note(self) -> list[str]:
        if not self.dropped:
            return []
        return ["", f"✂️ {self.dropped} more finding(s) not shown: a comment holds at most {LIMIT:,} characters. "
                "The full report is in the JSON or SARIF output (`--format json` / `--format sarif`)."]


def _fit(head: list[str], tables: list[tuple[list[str], list[str]]], ending: list[str], limit: int) -> str:
    """`head`, then as many table rows as fit in `limit` with `ending` and the truncation note, then `ending`."""
    reserve = sum(len(line) + 1 for line in ending) + 400  # the note, and a margin
    budget = _Budget(max(limit - reserve, 0))
    budget.add(head)
    for heading, rows in tables:
        header, body = rows[:2], rows[2:]
        if budget.add(heading):
            budget.table(header, body)
        else:
            budget.dropped += len(body)
    return "\n".join(budget.lines + budget.note() + ending) + "\n"


def _render_dockerfiles(report: Report, show_secrets: bool, limit: int) -> str:
    files = ", ".join(_code(os.path.relpath(path)) for path in report.files)
    head = [f"### layer-auditor: {files}", "", f"**{len(report.findings)} finding(s)** in {len(report.files)} "
            "Dockerfile(s)."]
    tables = [([""], _source_rows(report.findings, show_secrets))] if report.findings else []
    return _fit(head, tables, _ending(report), limit)


def render(report: Report, show_secrets: bool = False, limit: int = LIMIT) -> str:
    """The comment for one report, at most `limit` characters (as long as its summary and fixes fit)."""
    if report.files:
        return _render_dockerfiles(report, show_secrets, limit)
    s = summary(report)
    out = [f"### layer-auditor: {_code(report.image.reference)}", ""]
    statuses = ", ".join(f"{n} {k}" for k, n in s["by_status"].items() if n) or "none"
    out.append(f"**{s['findings']} finding(s)** ({statuses}) in {s['layers']} layers. "
               f"Hidden by a later layer: **{s['hidden']}** finding(s) and {human_bytes(report.hidden_bytes)} of files "
               "that `docker run` does not show but `docker save` recovers.")
    tables: list[tuple[list[str], list[str]]] = []
    layered = [f for f in report.findings if f.layer is not None]
    for index, group in groupby(layered, key=lambda f: f.layer):
        layer = report.image.layers[index]
        made_by = instruction(safe_command(layer.created_by, report, show_secrets), 160)
        size = report.layer_bytes.get(index, layer.size)
        head = f"**Layer {index}** · `{layer.digest[:19]}`" + (f" · {human_bytes(size)}" if size is not None else "")
        tables.append((["", f"{head} — {_code(made_by)}", ""], _rows(list(group), show_secrets)))
    meta = [f for f in report.findings if f.layer is None]
    if meta:
        tables.append((["", "**Image config and history**", ""], _rows(meta, show_secrets)))
    return _fit(out, tables, _ending(report), limit)


def render_all(reports: list[Report], show_secrets: bool = False, color: bool = False) -> str:
    """One comment for every report: together at most `LIMIT` characters, shared equally."""
    share = LIMIT // max(len(reports), 1) - 1
    return "\n".join(render(r, show_secrets, share) for r in reports)
