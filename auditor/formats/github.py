"""GitHub Actions workflow commands: one annotation per finding (on the Dockerfile line with --dockerfile,
and a Dockerfile's findings on their own file and line).

GitHub shows at most 10 error, 10 warning and 10 notice annotations per step (and 50 per job) and drops
the rest without a word. So at most `PER_LEVEL` annotations of each level are written: when a level has
more, its first `PER_LEVEL - 1` (the most severe first, in report order) and one more annotation of that
level saying how many are left out and where they are (the SARIF or JSON report)."""

from __future__ import annotations

import os
from collections import Counter

from auditor.formats.common import printable, source_line, status_phrase
from auditor.model import Finding, Report, Severity
from auditor.redact import redact

LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "notice", Severity.INFO: "notice"}
PER_LEVEL = 10  # what GitHub shows of each level in one step
MORE_TITLE = "more findings"


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


def _capped(lines: list[str]) -> list[str]:
    """`lines`, in order, with at most PER_LEVEL annotations of each level: a level that has more keeps
    its first PER_LEVEL - 1, and a last line says how many were left out."""
    levels = [line[2:].split(" ", 1)[0] for line in lines]
    totals = Counter(levels)
    room = {level: PER_LEVEL if total <= PER_LEVEL else PER_LEVEL - 1 for level, total in totals.items()}
    kept = []
    for level, line in zip(levels, lines, strict=True):
        if room[level] > 0:
            kept.append(line)
            room[level] -= 1
    for level, total in totals.items():
        if total > PER_LEVEL:
            kept.append(f"::{level} title={MORE_TITLE}::{total - PER_LEVEL + 1} more {level} annotation(s) not "
                        f"shown (GitHub shows {PER_LEVEL} of each level per step): see the SARIF/JSON report")
    return kept


def render_all(reports: list[Report], show_secrets: bool = False, color: bool = False) -> str:
    lines = []
    for report in reports:
        lines += [_annotation(f, report, show_secrets) for f in report.findings]
        for n in report.not_scanned:
            where = (f"layer {n.layer}" if n.layer is not None else "image") + (f" {n.path}" if n.path else "")
            level = "error" if n.broken else "warning"  # a layer unread or a name refused; else a file or a limit
            lines.append(f"::{level} title=not scanned::{_data(printable(f'{where}: {n.reason}'))}")
    lines = _capped(lines)
    return "\n".join(lines) + ("\n" if lines else "")
