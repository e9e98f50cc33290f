"""What counts: allowlists and baselines suppress findings; the gate decides the exit code. The same for an
image's report and a Dockerfile's (an allowlist entry's `layers` never match a Dockerfile finding)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from auditor.baseline import Baseline
from auditor.config import Config
from auditor.localfile import shown
from auditor.model import Finding, Report, Severity, Status

SHOWN_LINES = 5  # line numbers a condensed finding lists before "…"


@dataclass(frozen=True)
class Gate:
    """Findings at or above `fail_on` whose status `status` selects fail the run."""

    fail_on: Severity = Severity.LOW
    status: str = "any"  # any, hidden (deleted/overwritten), visible (visible and metadata)

    def fails(self, finding: Finding) -> bool:
        if finding.severity.rank < self.fail_on.rank:
            return False
        if self.status == "hidden":
            return finding.status.hidden
        if self.status == "visible":
            return finding.status in (Status.VISIBLE, Status.METADATA)
        return True


def suppress(report: Report, config: Config, baseline: Baseline) -> Report:
    """`report` without its baselined and allowlisted findings, counting them in `suppressed` and, by the
    file that suppressed them (the baseline first), in `suppressed_by`."""
    by = Counter[str]()
    kept = []
    for f in report.findings:
        if f.fingerprint in baseline.entries:
            by[f"the baseline {shown(str(baseline.path))}"] += 1
        elif config.allowed(f, report.image):
            by[f"the allowlist in {shown(config.path)}" if config.path else "the allowlist"] += 1
        else:
            kept.append(f)
    merged = Counter(report.suppressed_by) + by
    return replace(report, findings=kept, suppressed=report.suppressed + by.total(), suppressed_by=dict(merged))


def condense(report: Report) -> Report:
    """Each file's info-level content findings of one rule as one finding with a count: entropy hits come
    in runs (a table of hashes, an alphabet), and a run says one thing. The first occurrence stands for
    the run (its line, fingerprint and status); the message counts them and names their lines."""
    runs: dict[tuple[str, str | None, int | None, str, Status], list[Finding]] = {}
    order: list[Finding | tuple[str, str | None, int | None, str, Status]] = []
    for f in report.findings:
        if f.severity is not Severity.INFO or f.kind != "secret" or f.path is None:
            order.append(f)
            continue
        key = (f.rule, f.path, f.layer, f.message, f.status)
        if key not in runs:
            runs[key] = []
            order.append(key)
        runs[key].append(f)
    if len(order) == len(report.findings):
        return report
    findings = []
    for item in order:
        if isinstance(item, Finding):
            findings.append(item)
            continue
        run = runs[item]
        if len(run) == 1:
            findings.append(run[0])
            continue
        lines = sorted({f.line for f in run if f.line is not None})
        shown = ", ".join(map(str, lines[:SHOWN_LINES])) + (", …" if len(lines) > SHOWN_LINES else "")
        where = f" (lines {shown})" if lines else ""
        findings.append(replace(run[0], message=f"{run[0].message}: {len(run)} in this file{where}", secret=None))
    return replace(report, findings=findings)


def threshold(report: Report, min_severity: Severity) -> Report:
    """`report` without the findings under `min_severity`, counting them in `below_severity`."""
    kept = [f for f in report.findings if f.severity.rank >= min_severity.rank]
    return replace(report, findings=kept, below_severity=report.below_severity + len(report.findings) - len(kept))
