"""Reports at scale (issue 16 points 7 and 8, issue 15 point 5): every format does work linear in the
number of findings (counted in executed lines, never timed), and the text report's layout: wrapped at a
width without breaking a token, line numbers apart from the message, a rule repeated in one file on one
line, the short list with the user's own files first."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import replace

import pytest

from auditor.formats import FORMATS, common, layout, text
from auditor.model import Severity
from testing.reports import synthetic


def _lines_run(fmt: str, size: int) -> int:
    """How many lines of Python rendering a `size`-finding report in `fmt` executes."""
    report = synthetic(size)
    count = 0

    def tracer(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal count
        count += 1
        return tracer

    sys.settrace(tracer)
    try:
        FORMATS[fmt]([report], False, False)
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_ten_times_the_findings_is_about_ten_times_the_work(fmt):
    small, large = _lines_run(fmt, 150), _lines_run(fmt, 1500)
    assert large / small < 13, (fmt, small, large)  # quadratic work would be about 100


def test_a_large_json_document_parses_the_same_as_an_indented_one():
    doc = {"findings": [{"path": "/a\udcff\u202e", "line": i, "n": None, "x": 1.5} for i in range(3)]}
    assert json.loads(common.dumps(doc, common.INDENTED + 1)) == json.loads(common.dumps(doc, 3)) == doc
    assert common.dumps(doc, 3) == json.dumps(doc, indent=2)


def test_a_paragraph_wraps_at_the_width_and_never_inside_a_token():
    path = "/srv/" + "deep/" * 30 + "settings.py"
    words = ["alpha", "beta", path, "gamma", "sha256:" + "f" * 64, "delta"] * 3
    out = layout.paragraph([("  ", ""), (" ".join(words), "")], 60, hang=6)
    lines = out.splitlines()
    assert [word for line in lines for word in line.split()] == words  # nothing broken, nothing lost
    assert all(len(line) <= 60 for line in lines if len(line.split()) > 1)  # only a lone long token passes
    assert all(line.startswith("      ") for line in lines[1:])


def test_colour_codes_wrap_only_their_run():
    out = layout.paragraph([("HIGH", "bold red"), (" a message", "")], 80, color=True)
    assert out == "\x1b[1;31mHIGH\x1b[0m a message"


def test_the_width_is_columns_else_100_when_not_a_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "132")
    assert layout.width() == 132
    monkeypatch.delenv("COLUMNS")
    assert layout.width() == 100  # pytest's stdout is not a terminal


def _report_lines(report, columns=100):  # type: ignore[no-untyped-def]
    return text.render(report, columns=columns).splitlines()


def test_a_long_line_number_stands_apart_from_the_message():
    report = synthetic(1)
    report.findings[0] = replace(report.findings[0], line=123_456_789)
    line = next(line for line in _report_lines(report, 300) if line.startswith("    ") and "line 12" in line)
    assert re.search(r" in file content \(s3cr\*+\) · line 123456789$", line), line


def test_a_rule_repeated_in_one_file_is_one_line_with_its_count_and_lines():
    report = synthetic(8)  # four findings of a rule in each of two files
    lines = [line for line in _report_lines(report, 300) if line.startswith("    ") and "times" in line]
    assert len(lines) == 2, lines
    assert any(line.endswith("(s3cr********, +3 other value(s)) · 4 times · lines 1, 2, 3, 4") for line in lines)


def test_the_short_list_puts_own_files_first_then_modified_package_files():
    report = synthetic(48)  # ownership by file (8 findings): the user's own, modified, unverified
    report = replace(report, findings=[replace(f, severity=Severity.CRITICAL) if f.ownership else f
                                       for f in report.findings])
    lines = _report_lines(report, 300)
    start = next(i for i, line in enumerate(lines) if line.startswith("Short list"))
    short = lines[start + 1:lines.index("", start)]
    owners = [("modified" if "[package file, modified: app (pip)]" in line else "other" if "[" in line else "own")
              for line in short]
    assert owners == sorted(owners, key=["own", "modified", "other"].index), short
    assert owners[0] == "own" and "modified" in owners
