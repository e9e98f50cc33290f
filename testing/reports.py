"""Synthetic Reports of any size, for the formats' scale tests and `bench/render.py`: no image is read.

`synthetic(n)` spreads `n` findings the way a large real report does: a few layers, a file holding the
same rule on several lines, files deleted or overwritten by a later layer, every secret also in a
history command (so redaction has work to do), packages' own files among them, and some findings in the
image config and history.
"""

from __future__ import annotations

from auditor.model import (
    Digest,
    Finding,
    Image,
    Layer,
    Origin,
    Provenance,
    Report,
    RuleId,
    Severity,
    Status,
)

LAYERS = 6
PER_FILE = 4  # findings of one rule in one file, on different lines
OWNERSHIP = (None, "package file, modified", "packaged (unverified)")  # the user's own, then `Standing`s
RULES = ("generic-password", "token-assignment", "ds-private-key", "aws-access-key-id")


def _layer(index: int) -> Layer:
    return Layer(index=index, digest=Digest(f"sha256:{index:064x}"), diff_id=None, media_type=None, size=1000,
                 opener=lambda: None,  # type: ignore[arg-type, return-value]
                 created_by=f"/bin/sh -c make step-{index} && rm -rf /tmp/s3cr3t-value-{index:06d}",
                 history_index=index)


def _finding(i: int, n: int) -> Finding:
    """The `i`th finding: in a layer's file, or (one in 50) in the image config or history."""
    rule = RuleId(RULES[(i // PER_FILE) % len(RULES)])
    severity = list(Severity)[(i // PER_FILE) % len(Severity)]
    secret = f"s3cr3t-value-{i:06d}"
    if i % 50 == 49:
        location = "config.Env" if i % 100 == 49 else f"history[{i % LAYERS}].created_by"
        return Finding(rule=rule, kind="secret", severity=severity, status=Status.METADATA,
                       message=f"KEY_{i}: {rule} in image config", fingerprint=f"fp{i:08d}", location=location,
                       secret=secret, remediation=f"Rotate it ({rule}).")
    first = i - i % (PER_FILE * 2)  # the file's first finding: a file is in one layer
    layer = min(first * LAYERS // n, LAYERS - 1)
    status = (Status.DELETED, Status.VISIBLE, Status.OVERWRITTEN, Status.VISIBLE)[(i // (PER_FILE * 8)) % 4]
    status = status if layer < LAYERS - 1 else Status.VISIBLE  # the top layer hides nothing of its own
    hidden_by = LAYERS - 1 if status.hidden else None
    ownership = OWNERSHIP[(i // (PER_FILE * 2)) % len(OWNERSHIP)]  # by file
    return Finding(rule=rule, kind="secret", severity=severity, status=status,
                   message=f"{rule} in file content", fingerprint=f"fp{i:08d}",
                   path=f"/srv/app/module_{i // (PER_FILE * 2)}/settings.py", layer=layer, hidden_by=hidden_by,
                   line=i % 100_000 + 1, secret=secret, remediation=f"Rotate it ({rule}).",
                   ownership=ownership, package="app (pip)" if ownership else None)


def synthetic(n: int) -> Report:
    """A report of `n` findings over `LAYERS` layers, sorted as `audit.build_report` sorts them."""
    layers = [_layer(index) for index in range(LAYERS)]
    history = [{"created_by": layer.created_by} for layer in layers]
    image = Image(reference="shop:1", digest=Digest("sha256:" + "b" * 64), config={"history": history},
                  layers=layers)
    findings = sorted((_finding(i, n) for i in range(n)),
                      key=lambda f: (f.layer if f.layer is not None else 1 << 30, f.path or f.location or "",
                                     -f.severity.rank, f.line or 0, f.rule))
    origins = {f: Origin(history=f.layer, instruction=layers[f.layer].created_by, layer=f.layer)
               for f in findings if f.layer is not None}
    return Report(image=image, findings=findings, not_scanned=[], entries=n, total_bytes=n * 100,
                  provenance=Provenance(origins))
