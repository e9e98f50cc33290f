"""One scan, every report a CI gate asks for: `--FORMAT-output FILE` beside the main `--format`/`--output`.

Uses the shipped example image (examples/leaky-app.tar): it has findings, so the gate's exit code is 1.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from unittest import mock

from auditor.audit import audit
from auditor.commands.audit import parser
from auditor.formats import FORMATS
from testing import readers

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "leaky-app.tar")


def test_one_scan_writes_every_requested_report_and_keeps_the_gates_exit_code(tmp_path, cli):
    files = {name: tmp_path / f"report.{name}" for name in ("sarif", "json", "junit", "gitlab", "markdown")}
    flags = [arg for name, path in files.items() for arg in (f"--{name}-output", str(path))]
    with mock.patch("auditor.commands.audit.audit", wraps=audit) as scans:
        result = cli(EXAMPLE, "--no-config", "--format", "github", *flags)
    assert scans.call_count == 1, "every report comes from the same scan"
    assert result.code == 1, result.err  # the example has findings: the gate fails as with one report
    expected = readers.from_json(files["json"].read_text())
    assert expected
    for name in ("sarif", "junit", "gitlab", "markdown"):
        seen = readers.READERS[name](files[name].read_text())
        assert sorted(s.key for s in seen) == sorted(s.key for s in expected), name
    assert sorted(s.key for s in readers.from_github(result.out)) == sorted(s.key for s in expected)
    ET.fromstring(files["junit"].read_text())
    assert json.loads(files["sarif"].read_text())["version"] == "2.1.0"


def test_each_extra_report_matches_a_run_of_its_own(tmp_path, cli):
    both = cli(EXAMPLE, "--no-config", "--format", "json", "--sarif-output", str(tmp_path / "r.sarif"))
    alone = cli(EXAMPLE, "--no-config", "--format", "sarif")
    assert both.code == alone.code == 1
    assert (tmp_path / "r.sarif").read_text() == alone.out
    assert json.loads(both.out)["summary"]["findings"] > 0


def test_every_format_has_its_output_flag():
    text = parser().format_help()
    for name in FORMATS:
        assert f"--{name}-output FILE" in text, name


def test_two_reports_to_one_file_is_a_usage_error_before_the_scan(tmp_path, cli):
    target = tmp_path / "report"
    with mock.patch("auditor.commands.audit.audit") as scans:
        result = cli(EXAMPLE, "--no-config", "--output", str(target), "--sarif-output", str(target))
    assert result.code == 2 and scans.call_count == 0
    assert result.err.startswith("audit: error: ") and "same output file" in result.err
    assert not target.exists()


def test_a_report_into_a_missing_directory_is_a_usage_error_before_the_scan(tmp_path, cli):
    with mock.patch("auditor.commands.audit.audit") as scans:
        result = cli(EXAMPLE, "--no-config", "--junit-output", str(tmp_path / "nowhere" / "r.xml"))
    assert result.code == 2 and scans.call_count == 0
    assert result.err.startswith("audit: error: --junit-output ") and "No such file or directory" in result.err
