"""JUnit XML for CI systems that read test reports: one failed test case per finding."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from auditor.formats.common import redact, status_phrase
from auditor.model import Report


def render_all(reports: list[Report], show_secrets: bool = False, color: bool = False) -> str:
    suites = ET.Element("testsuites", name="layer-auditor")
    total = failures = 0
    for report in reports:
        suite = ET.SubElement(suites, "testsuite", name=f"layer-auditor {report.image.reference}")
        cases = 0
        for f in report.findings:
            where = (f.path or f.location or "") + (f":{f.line}" if f.line else "")
            layer = f"layer {f.layer}" if f.layer is not None else "image config"
            case = ET.SubElement(suite, "testcase", classname=f"{report.image.reference}.{layer}",
                                 name=f"{f.rule} {where}")
            secret = redact(f.secret, show_secrets)
            message = f"{f.severity.value}: {f.message}{f' ({secret})' if secret else ''} [{status_phrase(f)}]"
            failure = ET.SubElement(case, "failure", message=message, type=f.severity.value)
            failure.text = f"{message}\nfingerprint: {f.fingerprint}\nfix: {' '.join((f.remediation or '').split())}"
            cases += 1
        for n in report.not_scanned:
            case = ET.SubElement(suite, "testcase", classname=f"{report.image.reference}.not-scanned",
                                 name=f"layer {n.layer} {n.path or ''}".strip())
            ET.SubElement(case, "error", message=n.reason, type="not_scanned")
        if not report.findings and not report.not_scanned:
            ET.SubElement(suite, "testcase", classname=report.image.reference, name="no findings")
        suite.set("tests", str(max(1, cases + len(report.not_scanned))))
        suite.set("failures", str(cases))
        suite.set("errors", str(len(report.not_scanned)))
        total += max(1, cases + len(report.not_scanned))
        failures += cases
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
