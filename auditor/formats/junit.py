"""JUnit XML for CI systems that read test reports: one failed test case per finding, one test case in
error per item that could not be scanned, and one passing test case for an image (or Dockerfiles) with
neither."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

from auditor.formats.common import printable, source_line, status_phrase
from auditor.model import Finding, Report
from auditor.redact import redact


def _case(f: Finding, reference: str, show_secrets: bool) -> tuple[str, str, str]:
    """A finding's test case: class name, name and failure message."""
    secret = redact(f.secret, show_secrets)
    detail = printable(f"{f.message}{f' ({secret})' if secret else ''}")
    if f.file is not None:
        return printable(os.path.relpath(f.file)), f"{f.rule} {source_line(f)}", f"{f.severity.value}: {detail}"
    where = printable(f.path or f.location or "") + (f":{f.line}" if f.line else "")
    layer = f"layer {f.layer}" if f.layer is not None else "image config"
    return f"{reference}.{layer}", f"{f.rule} {where}", f"{f.severity.value}: {detail} [{status_phrase(f)}]"


def render_all(reports: list[Report], show_secrets: bool = False, color: bool = False) -> str:
    suites = ET.Element("testsuites", name="layer-auditor")
    total = failures = errors = 0
    for report in reports:
        if report.files:
            reference = ", ".join(printable(os.path.relpath(path)) for path in report.files)
        else:
            reference = printable(report.image.reference)
        suite = ET.SubElement(suites, "testsuite", name=f"layer-auditor {reference}")
        cases = 0
        for f in report.findings:
            classname, name, message = _case(f, reference, show_secrets)
            case = ET.SubElement(suite, "testcase", classname=classname, name=name)
            failure = ET.SubElement(case, "failure", message=message, type=f.severity.value)
            failure.text = f"{message}\nfingerprint: {f.fingerprint}\nfix: {' '.join((f.remediation or '').split())}"
            cases += 1
        for n in report.not_scanned:
            where = f"layer {n.layer}" if n.layer is not None else "image"
            case = ET.SubElement(suite, "testcase", classname=f"{reference}.not-scanned",
                                 name=f"{where} {printable(n.path or '')}".strip())
            ET.SubElement(case, "error", message=printable(n.reason), type="not_scanned")
        if not report.findings and not report.not_scanned:
            ET.SubElement(suite, "testcase", classname=reference, name="no findings")
        tests = max(1, cases + len(report.not_scanned))
        suite.set("tests", str(tests))
        suite.set("failures", str(cases))
        suite.set("errors", str(len(report.not_scanned)))
        total += tests
        failures += cases
        errors += len(report.not_scanned)
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("errors", str(errors))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
