"""What counts: allowlists and baselines suppress findings; the gate decides the exit code. The same for an
image's report and a Dockerfile's (an allowlist entry's `layers` never match a Dockerfile finding)."""

from __future__ import annotations

from dataclasses import dataclass, replace

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


def suppress(report: Report, config: Config, baseline: frozenset[str]) -> Report:
    """`report` without its allowlisted and baselined findings, counting them in `suppressed`."""
    kept = [f for f in report.findings if not (f.fingerprint in baseline or config.allowed(f, report.image))]
    return replace(report, findings=kept, suppressed=report.suppressed + len(report.findings) - len(kept))
