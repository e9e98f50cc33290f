"""What a report shows: info runs condensed per file, findings under --min-severity counted, not listed."""

from __future__ import annotations

from auditor.model import Finding, Image, Report, RuleId, Severity, Status
from auditor.policy import condense, threshold


def _finding(rule: str, severity: Severity, line: int, path: str = "/usr/sbin/pam-auth-update",
             secret: str = "8d4f00aa") -> Finding:
    return Finding(rule=RuleId(rule), kind="secret", severity=severity, status=Status.VISIBLE,
                   message="Hex High Entropy String in file content", fingerprint=f"{rule}-{line}", path=path,
                   layer=0, line=line, secret=secret)


def _report(findings: list[Finding]) -> Report:
    return Report(image=Image(reference="x", digest=None, config={}, layers=[]), findings=findings, not_scanned=[])


def test_a_run_of_info_hits_in_one_file_is_one_finding_with_its_count_and_lines():
    run = [_finding("ds-high-entropy-hex", Severity.INFO, line) for line in (47, 48, 50, 51, 52, 53, 56)]
    out = condense(_report(run)).findings
    assert len(out) == 1
    assert out[0].line == 47 and out[0].secret is None
    assert out[0].message.endswith(": 7 in this file (lines 47, 48, 50, 51, 52, …)")


def test_condensing_leaves_other_severities_files_and_rules_apart():
    high = [_finding("aws-key", Severity.HIGH, 3), _finding("aws-key", Severity.HIGH, 9)]
    info = [_finding("ds-high-entropy-hex", Severity.INFO, 1), _finding("ds-high-entropy-hex", Severity.INFO, 2,
                                                                           path="/other")]
    out = condense(_report(high + info)).findings
    assert out == high + info


def test_findings_under_the_minimum_are_counted_not_listed():
    findings = [_finding("aws-key", Severity.HIGH, 3), _finding("ds-high-entropy-hex", Severity.INFO, 4),
                _finding("ds-public-ip", Severity.INFO, 5)]
    shown = threshold(_report(findings), Severity.LOW)
    assert [f.rule for f in shown.findings] == ["aws-key"]
    assert shown.below_severity == 2
    assert threshold(_report(findings), Severity.INFO).findings == findings
