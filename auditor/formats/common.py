"""Helpers every format shares: redaction, status phrases, summary counts, escaping."""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from collections import Counter
from typing import Any

from auditor.model import Finding, PackageCounts, Report, Severity, Status
from auditor.redact import redact

_BIDI = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A)) | {0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF}


def _escape(char: str) -> str:
    code = ord(char)
    if char in "\n\r\t":
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char]
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, kept by tarfile's surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff" + "".join(chr(code) for code in sorted(_BIDI)) + "]")


def printable(text: str) -> str:
    """`text` (a path, a history command, a label key: anything an image controls) safe to print, to
    write as UTF-8 and to put in XML: control characters (a newline, a terminal escape), bytes that are
    not UTF-8, and bidirectional overrides become escapes such as `\\n`, `\\x1b`, `\\xff`, `\\u202e`."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(lambda match: _escape(match.group()), text)


BUILD_ARGS = re.compile(r"^(?:RUN )?\|(\d+) ")  # classic builder, and BuildKit's `RUN |N ... # buildkit`
SOURCE_DIGEST = re.compile(r"\b((?:file|dir|multi):[0-9a-f]{12})[0-9a-f]{52}\b")  # COPY/ADD sources, classic builder


def safe_command(text: str | None, report: Report, show: bool) -> str | None:
    """A history `created_by` with build-argument values and every found secret redacted."""
    if text is None or show:
        return text
    secrets, done = _known(report)
    if text not in done:
        done[text] = _redact_command(text, secrets)
    return done[text]


def _redact_command(text: str, secrets: list[str]) -> str:
    match = BUILD_ARGS.match(text)
    if match:
        words = text[match.end():].split(" ")
        count = int(match.group(1))
        for i, word in enumerate(words[:count]):
            key, sep, value = word.partition("=")
            if sep and value:
                words[i] = f"{key}={redact(value, False)}"
        text = text[: match.end()] + " ".join(words)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, redact(secret, False) or "")
    return text


# The last report `safe_command` was asked about: the distinct secrets of its findings (longest first) and
# the commands already redacted. A format asks about the same few history commands once per finding, and
# searching every secret each time made rendering quadratic (issue 16). Keyed by identity: a report is
# not changed once built (`policy` and `provenance` make new ones).
_memo: tuple[Report, list[str], dict[str, str]] | None = None


def _known(report: Report) -> tuple[list[str], dict[str, str]]:
    global _memo
    if _memo is None or _memo[0] is not report:
        found = {f.secret for f in [*report.findings, *report.rejected] if f.secret and len(f.secret) >= 4}
        _memo = (report, sorted(found, key=lambda s: (-len(s), s)), {})
    return _memo[1], _memo[2]


def source_line(finding: Finding) -> str:
    """A Dockerfile finding's `file:line` (relative to the current directory), safe to print."""
    return f"{printable(os.path.relpath(finding.file or ''))}:{finding.line}"


def status_phrase(finding: Finding) -> str:
    if finding.status is Status.DELETED:
        return f"deleted in layer {finding.hidden_by}"
    if finding.status is Status.OVERWRITTEN:
        return f"overwritten in layer {finding.hidden_by}"
    return str(finding.status.value)


def summary(report: Report) -> dict[str, Any]:
    by_status = Counter(f.status.value for f in report.findings)
    by_severity = Counter(f.severity.value for f in report.findings)
    return {
        "findings": len(report.findings),
        "by_status": {s.value: by_status.get(s.value, 0) for s in Status},
        "by_severity": {s.value: by_severity.get(s.value, 0) for s in Severity},
        "hidden": by_status.get("deleted", 0) + by_status.get("overwritten", 0),
        "layers": len(report.image.layers),
        "entries": report.entries,
        "hidden_bytes": report.hidden_bytes,
        "total_bytes": report.total_bytes,
        "efficiency": round(1 - report.hidden_bytes / report.total_bytes, 4) if report.total_bytes else 1.0,
        "not_scanned": len(report.not_scanned),
        "suppressed": report.suppressed,
        "below_min_severity": report.below_severity,
        "skipped_layers": report.skipped_layers,
        "cached_layers": report.cached_layers,
    }


def suppressed_line(report: Report) -> str:
    """How many findings the baseline and the allowlist suppressed, naming each file that did."""
    by = ", ".join(f"{count} by {printable(what)}" for what, count in report.suppressed_by.items())
    return f"{report.suppressed} finding(s) suppressed" + (f": {by}." if by else " by the baseline or allowlist.")


def human_bytes(count: int | None) -> str:
    if count is None:
        return "?"
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{count} B"


@functools.lru_cache(maxsize=1024)
def instruction(created_by: str | None, width: int = 100, build_args: bool = True) -> str:
    """A history `created_by` as the Dockerfile instruction it was, on one line, safe to print (with the
    build arguments the classic builder records, unless `build_args` is false). Remembered: a format asks
    about the same few commands once per finding."""
    if not created_by:
        return "(no history for this layer)"
    text = SOURCE_DIGEST.sub(r"\1…", printable(" ".join(created_by.split())))
    if "#(nop) " in text:
        text = text.split("#(nop) ", 1)[1].strip()
    elif text.startswith("/bin/sh -c "):
        text = "RUN " + text[len("/bin/sh -c "):]
    elif text.startswith("|") and " /bin/sh -c " in text:
        args, command = text.split(" /bin/sh -c ", 1)
        names = args.split(" ", 1)[1] if " " in args else ""
        text = f"RUN {command}" + (f"  (build args: {names})" if build_args else "")
    return text if len(text) <= width else text[: width - 1] + "…"


def summary_lines(counts: PackageCounts) -> list[str]:
    """What a report's summary says about findings in package content, one sentence per kind (none
    when there are none), for the text and Markdown formats
    (`auditor.ownership.findings` decides what is counted)."""
    verb = "shown, each marked with its ownership (--include-package-files)" if counts.shown else \
        "not shown; `--include-package-files` to list them"
    kinds = (("unmodified package file(s)", counts.unmodified),
             ("file(s) of package directories without digests (node_modules, Go module cache)", counts.unverified),
             ("package manager index and cache file(s)", counts.indexes))
    return [f"{findings} finding(s) in {files} {what} {verb}." for what, (findings, files) in kinds if findings]


INDENTED = 10_000  # findings up to which JSON and SARIF are indented on every Python


def dumps(value: Any, findings: int, indent: int = 2) -> str:
    """`value` as JSON (ASCII), indented, except a document of more than `INDENTED` findings before Python
    3.13: there the standard library indents in pure Python, six to eight times slower than its compact
    C encoder, and 100,000 SARIF results took half a minute to write (issue 16). Parsers see no
    difference."""
    if findings > INDENTED and sys.version_info < (3, 13):
        return json.dumps(value, separators=(",", ":"))
    return json.dumps(value, indent=indent)
