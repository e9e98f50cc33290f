"""One image's report from its layers' results in the store, through the same walk, rules and report
builder as `audit` (`audit.report_of`), and the rows the store keeps of it."""

from __future__ import annotations

from typing import Any

from auditor.audit import Settings, report_of
from auditor.baseline import Baseline
from auditor.cache import from_doc
from auditor.checks.scanner import Scanner
from auditor.config import Config
from auditor.formats.common import safe_command
from auditor.model import Finding, Image, Report, Rule
from auditor.policy import suppress
from auditor.redact import redact


def image_report(image: Image, docs: list[dict[str, Any]], rules: list[Rule], settings: Settings,
                 scanner: Scanner, config: Config) -> Report:
    """The report `audit` would give for `image` from these scans of its layers (base first), after the
    configuration's allowlist."""
    scans = [from_doc(doc, index) for index, doc in enumerate(docs)]
    return suppress(report_of(image, rules, settings, scanner, scans, cached_layers=len(scans)), config, Baseline())


def rows(report: Report) -> list[dict[str, Any]]:
    """The store's rows of a report's findings: no secret value, the instruction redacted as formats do."""
    layers = report.image.layers
    return [_row(f, report, layers[f.layer].digest if f.layer is not None and f.layer < len(layers) else None)
            for f in report.findings]


def _row(f: Finding, report: Report, layer_digest: str | None) -> dict[str, Any]:
    return {"fingerprint": f.fingerprint, "rule": f.rule, "severity": f.severity.value, "kind": f.kind,
            "status": f.status.value, "message": f.message, "path": f.path, "location": f.location,
            "line": f.line, "layer": f.layer, "layer_digest": layer_digest,
            "instruction": safe_command(report.provenance.of(f).instruction, report, False),
            "preview": redact(f.secret, False), "remediation": f.remediation}
