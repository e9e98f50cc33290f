"""What counts: allowlists and baselines suppress findings; the gate decides the exit code."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.config import Config
from auditor.model import Finding, Report, Severity, Status


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


def suppress(report: Report, config: Config, baseline: frozenset[str]) -> None:
    """Drop allowlisted and baselined findings from the report, counting them."""
    kept = []
    for finding in report.findings:
        if finding.fingerprint in baseline or config.allowed(finding, report.image):
            report.suppressed += 1
        else:
            kept.append(finding)
    report.findings = kept
