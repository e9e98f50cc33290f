"""Markdown comments fit GitHub's limit: cut at a row, with a count and a pointer to the full report."""

from __future__ import annotations

from auditor.formats import markdown
from auditor.model import Digest, Finding, Image, Layer, NotScanned, Report, RuleId, Severity, Status
from testing import readers


def _report(findings: int, not_scanned: int = 0) -> Report:
    layer = Layer(index=0, digest=Digest("sha256:" + "a" * 64), diff_id=None, media_type=None, size=10,
                  opener=lambda: None, created_by="/bin/sh -c make")  # type: ignore[arg-type, return-value]
    image = Image(reference="shop:1", digest=None, config={}, layers=[layer])
    found = [Finding(rule=RuleId("generic-password"), kind="secret", severity=Severity.HIGH, status=Status.VISIBLE,
                     message="password in file content", fingerprint=f"fp{i}", path=f"/srv/app/module_{i}/settings.py",
                     layer=0, line=i + 1, secret=f"s3cr3t-value-{i:06d}", remediation="Rotate it.")
             for i in range(findings)]
    lost = [NotScanned(reason="text file larger than 1 bytes; content not scanned", layer=0, path=f"/big/{i}")
            for i in range(not_scanned)]
    return Report(image=image, findings=found, not_scanned=lost)


def test_a_small_report_is_whole_and_says_nothing_of_a_limit():
    out = markdown.render(_report(3))
    assert len(readers.markdown_rows(out)) == 3
    assert "not shown" not in out


def test_a_huge_report_stops_at_a_row_under_the_comment_limit_and_counts_the_rest():
    out = markdown.render(_report(5000, not_scanned=400))
    assert len(out) <= markdown.LIMIT
    shown = len(readers.markdown_rows(out))
    assert 0 < shown < 5000
    assert f"{5000 - shown} more finding(s) not shown" in out
    assert "--format json" in out and "How to fix" in out  # the pointer and the fixes survive the cut
    assert "and 350 more (see the JSON report)" in out


def test_several_images_share_one_comments_limit():
    out = markdown.render_all([_report(3000), _report(3000)])
    assert len(out) <= markdown.LIMIT
    assert out.count("more finding(s) not shown") == 2
