"""GitLab secret-detection report (`artifacts:reports:secret_detection`): the findings of every audited
image in one report, for GitLab's security widgets and vulnerability report.

It follows GitLab's secret-detection report schema, version `SCHEMA_VERSION`. No copy of that schema can
be had from the package registries this project uses, so tests/formats/gitlab_schema.py encodes its
required fields and types from GitLab's documentation and checks every report against them.

A finding's `location.file` is where the secret is: the in-image path (or the config location, such as
`config.Env`) of an image finding, and the Dockerfile of an `audit dockerfile` finding, with its line.
An image's findings keep the in-image path even with `--dockerfile`, since GitLab tells vulnerabilities
apart by file and line and one instruction's layer can hold several; the Dockerfile line is in the
description. The commit is `0000000`, as GitLab's own analyzer writes for files not read from git
history. Secrets are redacted as in every format; the id is a UUID made from the image, layer and
fingerprint, so it is the same in every run.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timezone
from typing import Any

from auditor import __version__
from auditor.formats.common import instruction, printable, safe_command, status_phrase
from auditor.model import Finding, Report, Severity
from auditor.redact import redact

SCHEMA_VERSION = "15.0.7"
SEVERITY = {Severity.CRITICAL: "Critical", Severity.HIGH: "High", Severity.MEDIUM: "Medium",
            Severity.LOW: "Low", Severity.INFO: "Info"}
NO_COMMIT = "0000000"
IDS = uuid.UUID("7d1b3c52-1f0e-4d3a-9a57-6c1a0f0b9e21")  # namespace of the vulnerability ids
TOOL = {"id": "layer-auditor", "name": "layer-auditor", "version": __version__,
        "vendor": {"name": "layer-auditor"}}


def _location(f: Finding) -> dict[str, Any]:
    if f.file is not None:
        return {"file": printable(os.path.relpath(f.file)), "start_line": f.line, "commit": {"sha": NO_COMMIT}}
    location: dict[str, Any] = {"file": printable(f.path or f.location or "image"), "commit": {"sha": NO_COMMIT}}
    if f.line:
        location["start_line"] = f.line
    return location


def _description(f: Finding, report: Report, show_secrets: bool) -> str:
    secret = redact(f.secret, show_secrets)
    text = printable(f"{f.message}{f' ({secret})' if secret else ''}.")
    if f.file is None:
        layer = f"layer {f.layer}" if f.layer is not None else "the image config"
        text += f" In {printable(report.image.reference)}, {layer}: {status_phrase(f)}."
        origin = report.provenance.of(f)
        if report.provenance.dockerfile and origin.line is not None:
            text += f" Dockerfile line: {printable(report.provenance.dockerfile)}:{origin.line}."
        if f.layer is not None:
            text += f" Layer made by: {instruction(safe_command(origin.instruction, report, show_secrets), 300)}"
    return text


def _vulnerability(f: Finding, report: Report, show_secrets: bool) -> dict[str, Any]:
    seed = f"{report.image.reference}\0{f.layer}\0{f.location}\0{f.file}\0{f.line}\0{f.fingerprint}"
    rule = report.rules.get(f.rule)
    name = (rule.description if rule else f.message).split(". ")[0].rstrip(".")
    vulnerability = {
        "id": str(uuid.uuid5(IDS, seed)),
        "name": printable(name)[:255],
        "description": _description(f, report, show_secrets),
        "severity": SEVERITY[f.severity],
        "identifiers": [{"type": "layer_auditor_rule_id", "name": f"layer-auditor {f.rule}", "value": f.rule}],
        "location": _location(f),
    }
    solution = " ".join((f.remediation or "").split())
    return {**vulnerability, "solution": solution} if solution else vulnerability


def document(reports: list[Report], show_secrets: bool = False, now: datetime | None = None) -> dict[str, Any]:
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%S")
    vulnerabilities = [_vulnerability(f, report, show_secrets) for report in reports for f in report.findings]
    messages = [{"level": "fatal" if n.broken else "warn",
                 "value": printable(f"{report.image.reference}: "
                                    f"{f'layer {n.layer}' if n.layer is not None else 'image'}"
                                    f"{' ' + n.path if n.path else ''}: not scanned: {n.reason}")}
                for report in reports for n in report.not_scanned]
    broken = any(n.broken for report in reports for n in report.not_scanned)
    return {
        "version": SCHEMA_VERSION,
        "scan": {"analyzer": TOOL, "scanner": TOOL, "type": "secret_detection", "start_time": stamp,
                 "end_time": stamp, "status": "failure" if broken else "success", "messages": messages},
        "vulnerabilities": vulnerabilities,
    }


def render_all(reports: list[Report], show_secrets: bool = False, color: bool = False) -> str:
    return json.dumps(document(reports, show_secrets), indent=2) + "\n"
