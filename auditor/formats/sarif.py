"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

Each result carries `partialFingerprints` (the finding's fingerprint) so code scanning tracks it across
runs. With `--dockerfile`, results point at the Dockerfile line of the instruction that made the layer
(or, for image metadata, the instruction whose history entry holds it); otherwise at the in-image path.
A Dockerfile's findings (`audit dockerfile`) point at their own file and line.
"""

from __future__ import annotations

import functools
import os
from typing import Any
from urllib.parse import quote

from auditor import __version__
from auditor.formats.common import dumps, instruction, printable, safe_command, status_phrase
from auditor.model import Finding, Report, Severity
from auditor.redact import redact

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


@functools.lru_cache(maxsize=16384)  # a path with many findings is quoted once
def uri(path: str) -> str:
    """A relative URI reference for a path: percent-encoded (spaces, `%`, `[`, a byte that is not UTF-8),
    and `:` too, so that a first segment never reads as a scheme."""
    return quote(path.encode("utf-8", "surrogateescape"), safe="/-._~!$&'()*+,;=@")


def _location(f: Finding, report: Report) -> dict[str, Any]:
    line = report.provenance.of(f).line
    dockerfile = report.provenance.dockerfile
    if f.file is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": uri(os.path.relpath(f.file))},
                                    "region": {"startLine": f.line}}
    elif dockerfile and line is not None:
        physical = {"artifactLocation": {"uri": uri(dockerfile)}, "region": {"startLine": line}}
    else:
        physical = {"artifactLocation": {"uri": uri((f.path or f.location or "image").lstrip("/")),
                                         "uriBaseId": "IMAGEROOT"}}
        if f.line:
            physical["region"] = {"startLine": f.line}
    location: dict[str, Any] = {"physicalLocation": physical}
    name = f.path or f.location
    if name:
        location["logicalLocations"] = [{"fullyQualifiedName": printable(name), "kind": "resource"}]
    return location


def _message(f: Finding, report: Report, show_secrets: bool) -> str:
    secret = redact(f.secret, show_secrets)
    detail = printable(f"{f.message}{f' ({secret})' if secret else ''}")
    if f.file is not None:
        return f"{detail}."
    where = printable(f.path or f.location or "")
    layer = f" in layer {f.layer}" if f.layer is not None else ""
    text = f"{detail}: {where}{layer}, {status_phrase(f)}."
    if f.layer is not None:
        made_by = safe_command(report.provenance.of(f).instruction, report, show_secrets)
        text += f" Layer made by: {instruction(made_by, 300)}"
    return text


def _properties(f: Finding, report: Report) -> dict[str, Any]:
    path = printable(f.path) if f.path is not None else None
    if f.file is not None:
        return {"severity": f.severity.value, "status": f.status.value, "path": path,
                "file": printable(os.path.relpath(f.file)), "line": f.line, "related_line": f.related_line}
    return {"severity": f.severity.value, "status": f.status.value, "path": path, "layer": f.layer,
            "hidden_by": f.hidden_by, "location": f.location, "line": f.line, "image": report.image.reference}


def _result(f: Finding, report: Report, rule_index: int, show_secrets: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVEL[f.severity],
        "message": {"text": _message(f, report, show_secrets)},
        "locations": [_location(f, report)],
    }
    if f.file is not None and f.related_line is not None:  # the other instruction involved
        result["relatedLocations"] = [{
            "id": 1, "message": {"text": f"the related instruction, line {f.related_line}"},
            "physicalLocation": {"artifactLocation": {"uri": uri(os.path.relpath(f.file))},
                                 "region": {"startLine": f.related_line}},
        }]
    result["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
    result["properties"] = _properties(f, report)
    return result


def _run(report: Report, show_secrets: bool) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    index: dict[str, int] = {}  # rule -> its position in `rules`
    results = []
    for f in report.findings:
        if f.rule not in rules:
            index[f.rule] = len(rules)
            rules[f.rule] = _rule(f, report)
        results.append(_result(f, report, index[f.rule], show_secrets))
    driver = {"name": "layer-auditor", "version": __version__,
              "informationUri": "https://pypi.org/project/layer-auditor/", "rules": list(rules.values())}
    if report.files:  # a Dockerfile report: results point at the Dockerfiles
        return {
            "tool": {"driver": driver},
            "automationDetails": {"id": "layer-auditor/dockerfile/"},
            "invocations": [_invocation(report)],
            "results": results,
            "properties": {"dockerfiles": [printable(os.path.relpath(path)) for path in report.files]},
        }
    return {
        "tool": {"driver": driver},
        "originalUriBaseIds": {"IMAGEROOT": {"uri": "file:///"}},
        "automationDetails": {"id": f"layer-auditor/{report.image.reference}/"},
        "invocations": [_invocation(report)],
        "results": results,
        "properties": {"image": report.image.reference, "digest": report.image.digest,
                       "not_scanned": [{"layer": n.layer, "path": printable(n.path) if n.path else n.path,
                                        "reason": printable(n.reason), "limit": n.limit}
                                       for n in report.not_scanned]},
    }


def document(reports: list[Report], show_secrets: bool = False) -> dict[str, Any]:
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [_run(report, show_secrets) for report in reports]}


def _invocation(report: Report) -> dict[str, Any]:
    """The run's invocation: successful unless a layer could not be read; each item not scanned is a
    notification (an error for an unreadable layer or a refused name, a warning for a file or a limit hit)."""
    notifications = []
    for n in report.not_scanned:
        where = f"layer {n.layer}" if n.layer is not None else "image"
        text = printable(f"{where}{' ' + n.path if n.path else ''}: {n.reason}")
        notifications.append({"level": "error" if n.broken else "warning", "message": {"text": f"not scanned: {text}"},
                              "descriptor": {"id": "not-scanned"}})
    return {"executionSuccessful": not any(n.broken for n in report.not_scanned),
            "toolExecutionNotifications": notifications}


def render_all(reports: list[Report], show_secrets: bool = False, color: bool = False) -> str:
    return dumps(document(reports, show_secrets), sum(len(r.findings) for r in reports)) + "\n"
