"""`audit sweep report`: the store's findings by root cause, worst first, as text, JSON, SARIF or Markdown.

A root cause is one finding (its fingerprint: rule, path or config location, secret hash) in one layer
(its blob digest), or in the config: a secret in a base layer that 300 images share is one root cause
that lists those 300 images, not 300 findings. Worst first: severity, then how many images ship it.
Everything here comes from the store, which holds redacted previews only; image text is escaped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from auditor import __version__
from auditor.formats import sarif
from auditor.formats.common import instruction, printable
from auditor.model import Severity
from auditor.sweep.store import ImageRow, Store

SHOWN_IMAGES = 10  # text and markdown list this many images of a root cause, then count the rest


@dataclass(frozen=True)
class RootCause:
    fingerprint: str
    rule: str
    severity: Severity
    kind: str
    message: str
    where: str  # the path in the image, or the config location
    layer_digest: str | None  # None: in the image config
    instruction: str | None  # redacted
    preview: str | None
    remediation: str | None
    images: tuple[tuple[str, str], ...]  # (reference, status there), sorted

    def document(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "rule": self.rule, "severity": self.severity.value,
                "kind": self.kind, "message": self.message, "where": self.where, "layer": self.layer_digest,
                "instruction": self.instruction, "preview": self.preview, "remediation": self.remediation,
                "image_count": len(self.images),
                "images": [{"reference": ref, "status": status} for ref, status in self.images]}


def root_causes(findings: Iterable[dict[str, Any]]) -> list[RootCause]:
    """The findings grouped by (fingerprint, layer digest), worst first."""
    groups: dict[tuple[str, str], tuple[dict[str, Any], dict[str, str]]] = {}
    for row in findings:
        first, images = groups.setdefault((row["fingerprint"], row["layer_digest"] or ""), (row, {}))
        images.setdefault(row["reference"], row["status"])
    causes = [RootCause(row["fingerprint"], row["rule"], Severity(row["severity"]), row["kind"], row["message"],
                        row["path"] or row["location"] or "", row["layer_digest"], row["instruction"], row["preview"],
                        row["remediation"], tuple(sorted(images.items())))
              for row, images in groups.values()]
    return sorted(causes, key=lambda c: (-c.severity.rank, -len(c.images), c.rule, c.where, c.fingerprint))


def _text(causes: list[RootCause], images: list[ImageRow]) -> str:
    lines = [_headline(causes, images), ""]
    for number, cause in enumerate(causes, 1):
        where = f"layer {cause.layer_digest}" if cause.layer_digest else "image config"
        preview = f" ({printable(cause.preview)})" if cause.preview else ""
        lines.append(f"{number}. [{cause.severity.value.upper()}] {cause.rule}: {printable(cause.message)}{preview}")
        lines.append(f"   {printable(cause.where)} in {where}")
        if cause.instruction:
            lines.append(f"   made by: {printable(instruction(cause.instruction, 200))}")
        shown = [f"{printable(ref)} ({status})" for ref, status in cause.images[:SHOWN_IMAGES]]
        more = len(cause.images) - len(shown)
        lines.append(f"   shipped by {len(cause.images)} image(s): {', '.join(shown)}"
                     + (f" and {more} more" if more else ""))
    failed = [row for row in images if row.error]
    lines += ["", *(f"not resolved: {printable(row.reference)}: {printable(row.error or '')}" for row in failed)]
    return "\n".join(lines).rstrip() + "\n"


def _headline(causes: list[RootCause], images: list[ImageRow]) -> str:
    shipped = sum(len(c.images) for c in causes)
    incomplete = sum(1 for row in images if not row.complete and not row.error)
    return (f"{len(causes)} root cause(s) in {len(images)} image(s) ({shipped} finding(s) across images); "
            f"{incomplete} image(s) incomplete, {sum(1 for row in images if row.error)} not resolved")


def _json(causes: list[RootCause], images: list[ImageRow]) -> str:
    doc = {"tool": {"name": "layer-auditor", "version": __version__}, "summary": _headline(causes, images),
           "root_causes": [cause.document() for cause in causes],
           "images": [{"reference": row.reference, "digest": row.digest, "complete": row.complete,
                       "error": row.error} for row in images]}
    return json.dumps(doc, indent=2) + "\n"


def _markdown(causes: list[RootCause], images: list[ImageRow]) -> str:
    def cell(text: str) -> str:
        return printable(text).replace("|", "\\|").replace("\n", " ")

    lines = ["# layer-auditor sweep", "", _headline(causes, images), "",
             "| severity | rule | where | layer | made by | images |", "|---|---|---|---|---|---|"]
    for cause in causes:
        refs = ", ".join(ref for ref, _ in cause.images[:SHOWN_IMAGES])
        more = len(cause.images) - min(len(cause.images), SHOWN_IMAGES)
        lines.append(f"| {cause.severity.value} | {cell(cause.rule)} | `{cell(cause.where)}` | "
                     f"{cell((cause.layer_digest or 'config')[:19])} | {cell(instruction(cause.instruction, 80))} | "
                     f"{len(cause.images)}: {cell(refs)}{f' and {more} more' if more else ''} |")
    return "\n".join(lines) + "\n"


def _sarif(causes: list[RootCause], images: list[ImageRow]) -> str:
    rules: dict[str, int] = {}
    descriptors: list[dict[str, Any]] = []
    results = []
    for cause in causes:
        if cause.rule not in rules:
            rules[cause.rule] = len(descriptors)
            descriptors.append({"id": cause.rule, "shortDescription": {"text": printable(cause.message)[:200]},
                                "help": {"text": cause.remediation or ""},
                                "defaultConfiguration": {"level": sarif.LEVEL[cause.severity]},
                                "properties": {"tags": ["security", cause.kind],
                                               "security-severity": sarif.SECURITY_SEVERITY[cause.severity]}})
        where = f"layer {cause.layer_digest}" if cause.layer_digest else "the image config"
        results.append({
            "ruleId": cause.rule, "ruleIndex": rules[cause.rule], "level": sarif.LEVEL[cause.severity],
            "message": {"text": f"{printable(cause.message)}: {printable(cause.where)} in {where}, shipped by "
                                f"{len(cause.images)} image(s)."},
            "partialFingerprints": {sarif.FINGERPRINT_KEY: cause.fingerprint},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": sarif.uri(cause.where.lstrip("/")
                                                                                      or "image"),
                                                                     "uriBaseId": "IMAGEROOT"}},
                           "logicalLocations": [{"fullyQualifiedName": cause.layer_digest or "config",
                                                 "kind": "resource"}]}],
            "properties": {"images": [ref for ref, _ in cause.images], "layer": cause.layer_digest,
                           "instruction": cause.instruction}})
    doc = {"$schema": sarif.SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "layer-auditor", "version": __version__, "rules": descriptors,
                            "informationUri": "https://pypi.org/project/layer-auditor/"}},
        "results": results}]}
    return json.dumps(doc, indent=2) + "\n"


RENDERERS: dict[str, Callable[[list[RootCause], list[ImageRow]], str]] = {
    "text": _text, "json": _json, "sarif": _sarif, "markdown": _markdown}


def render(store: Store, fmt: str) -> str:
    return RENDERERS[fmt](root_causes(store.findings()), store.images())
