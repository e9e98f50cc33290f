"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

Each result carries `partialFingerprints` (the finding's fingerprint) so code scanning tracks it across
runs. With `--dockerfile`, results point at the Dockerfile line of the instruction that made the layer
(or, for image metadata, the instruction whose history entry holds it); otherwise at the in-image path.
"""

from __future__ import annotations

import json
from typing import Any

from auditor import __version__
from auditor.formats.common import instruction, redact, safe_command, status_phrase
from auditor.model import Finding, Report, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "note", Severity.INFO: "note"}
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0", Severity.INFO: "1.0"}
FINGERPRINT_KEY = "layerAuditorFingerprint/v1"


def _rule(f: Finding, report: Report) -> dict[str, Any]:
    rule = report.rules.get(f.rule)
    description = rule.description if rule else f.message
    remediation = (rule.remediation if rule else f.remediation) or ""
    return {
        "id": f.rule,
        "name": "".join(part.capitalize() for part in f.rule.replace(".", "-").split("-")),
        "shortDescription": {"text": description.split(". ")[0][:200]},
        "fullDescription": {"text": description},
        "help": {"text": remediation, "markdown": remediation},
        "defaultConfiguration": {"level": LEVEL[f.severity]},
        "properties": {"tags": ["security", f.kind], "security-severity": SECURITY_SEVERITY[f.severity]},
    }


def dockerfile_line(f: Finding, report: Report) -> int | None:
    """The Dockerfile line behind a finding: its layer's instruction, or the instruction whose history
    entry holds the metadata (a build arg's RUN, an ENV or LABEL holding the secret)."""
    if f.layer is not None:
        index = report.image.layers[f.layer].history_index
        return report.history_lines.get(index) if index is not None else None
    if f.location and f.location.startswith("history["):
        try:
            return report.history_lines.get(int(f.location[len("history["):].split("]")[0]))
        except ValueError:
            return None
    history = report.image.config.get("history")
    if f.secret and isinstance(history, list):
        for index, entry in enumerate(history):
            created_by = entry.get("created_by") if isinstance(entry, dict) else None
            if isinstance(created_by, str) and f.secret in created_by and index in report.history_lines:
                return report.history_lines[index]
    return None


def _location(f: Finding, report: Report) -> dict[str, Any]:
    line = dockerfile_line(f, report) if report.dockerfile else None
    if report.dockerfile and line is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": report.dockerfile}, "region": {"startLine": line}}
    else:
        uri = (f.path or f.location or "image").lstrip("/")
        physical = {"artifactLocation": {"uri": uri, "uriBaseId": "IMAGEROOT"}}
        if f.line:
            physical["region"] = {"startLine": f.line}
    location: dict[str, Any] = {"physicalLocation": physical}
    name = f.path or f.location
    if name:
        location["logicalLocations"] = [{"fullyQualifiedName": name, "kind": "resource"}]
    return location


def document(reports: list[Report], show_secrets: bool = False) -> dict[str, Any]:
    runs = []
    for report in reports:
        rules: dict[str, dict[str, Any]] = {}
        results = []
        for f in report.findings:
            if f.rule not in rules:
                rules[f.rule] = _rule(f, report)
            where = f.path or f.location or ""
            layer = f" in layer {f.layer}" if f.layer is not None else ""
            secret = redact(f.secret, show_secrets)
            text = f"{f.message}{f' ({secret})' if secret else ''}: {where}{layer}, {status_phrase(f)}."
            if f.layer is not None:
                made_by = safe_command(report.image.layers[f.layer].created_by, report, show_secrets)
                text += f" Layer made by: {instruction(made_by, 300)}"
            results.append({
                "ruleId": f.rule,
                "ruleIndex": list(rules).index(f.rule),
                "level": LEVEL[f.severity],
                "message": {"text": text},
                "locations": [_location(f, report)],
                "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
                "properties": {
                    "severity": f.severity.value, "status": f.status.value, "path": f.path, "layer": f.layer,
                    "hidden_by": f.hidden_by, "location": f.location, "line": f.line, "image": report.image.reference,
                },
            })
        runs.append({
            "tool": {"driver": {
                "name": "layer-auditor",
                "version": __version__,
                "informationUri": "https://pypi.org/project/layer-auditor/",
                "rules": list(rules.values()),
            }},
            "originalUriBaseIds": {"IMAGEROOT": {"uri": "file:///"}},
            "automationDetails": {"id": f"layer-auditor/{report.image.reference}/"},
            "results": results,
            "properties": {"image": report.image.reference, "digest": report.image.digest,
                           "not_scanned": [{"layer": n.layer, "path": n.path, "reason": n.reason}
                                           for n in report.not_scanned]},
        })
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": runs}


def render_all(reports: list[Report], show_secrets: bool = False, color: bool = False) -> str:
    return json.dumps(document(reports, show_secrets), indent=2) + "\n"
