"""`--format json`: the documented contract (README, "JSON output")."""

from __future__ import annotations

from typing import Any

from auditor.checks.judge import REASONS
from auditor.formats.common import dumps, safe_command, summary
from auditor.model import Entry, Finding, PackageCounts, Report
from auditor.redact import redact


def _place(f: Finding) -> dict[str, Any]:
    return {"rule": f.rule, "status": f.status.value, "path": f.path, "layer": f.layer, "location": f.location,
            "line": f.line}


def rejected(report: Report, show_secrets: bool = False) -> list[dict[str, Any]]:
    """`--explain`: each value the judge rejected, where it is, the rule that proposed it and why."""
    return [{**_place(f), "secret": redact(f.secret, show_secrets), "reason": f.rejected,
             "explanation": REASONS.get(f.rejected or "", ""), "fingerprint": f.fingerprint}
            for f in report.rejected]


def document(report: Report, show_secrets: bool = False, explain: bool = False) -> dict[str, Any]:
    image = report.image
    doc = {
        "image": {
            "reference": image.reference,
            "digest": image.digest,
            "layers": [
                {
                    "index": layer.index,
                    "digest": layer.digest,
                    "diff_id": layer.diff_id,
                    "created_by": safe_command(layer.created_by, report, show_secrets),
                    "size": layer.size,
                }
                for layer in image.layers
            ],
        },
        "findings": [
            {
                "rule": f.rule,
                "kind": f.kind,
                "severity": f.severity.value,
                "status": f.status.value,
                "path": f.path,
                "layer": f.layer,
                "hidden_by": f.hidden_by,
                "location": f.location,
                "line": f.line,
                "secret": redact(f.secret, show_secrets),
                "fingerprint": f.fingerprint,
                "message": f.message,
                "remediation": f.remediation,
                "ownership": f.ownership,
                "package": f.package,
            }
            for f in report.findings
        ],
        "not_scanned": [{"layer": n.layer, "path": n.path, "reason": n.reason, "limit": n.limit}
                        for n in report.not_scanned],
        "warnings": list(image.warnings),
        "summary": {**summary(report), "package_files": package_files(report.package_files),
                    "rejected": len(report.rejected)},
    }
    if explain:
        doc["rejected"] = rejected(report, show_secrets)
    return doc


def package_files(counts: PackageCounts) -> dict[str, Any]:
    """The summary's count of findings in package content, always present (see `auditor.ownership.findings`)."""
    return {
        "shown": counts.shown,
        "hidden_findings": counts.hidden,
        **{kind: {"findings": findings, "files": files} for kind, (findings, files) in
           (("unmodified", counts.unmodified), ("unverified", counts.unverified), ("indexes", counts.indexes))},
    }


def render(report: Report, show_secrets: bool = False, explain: bool = False) -> str:
    return dumps(document(report, show_secrets, explain), len(report.findings)) + "\n"


def render_all(reports: list[Report], show_secrets: bool = False, color: bool = False, explain: bool = False) -> str:
    """One image: the documented object. Several: `{"reports": [object, ...]}`. `explain` adds `rejected`."""
    if len(reports) == 1:
        return render(reports[0], show_secrets, explain)
    return dumps({"reports": [document(r, show_secrets, explain) for r in reports]},
                 sum(len(r.findings) for r in reports)) + "\n"


def render_files(entries: list[Entry]) -> str:
    return dumps(
        {
            "files": [
                {
                    "path": e.path,
                    "layer": e.layer,
                    "type": e.kind.value,
                    "size": e.size,
                    "status": e.status.value,
                    "hidden_by": e.hidden_by,
                    "ownership": e.ownership,
                    "package": e.package,
                }
                for e in entries
            ]
        },
        len(entries),
        indent=1,
    ) + "\n"
