"""The audit: read every layer, walk the fates, run the rules, and produce a Report."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from auditor.cache import LayerCache, ReportMemo, memo_key, rules_key
from auditor.checks import entry_check, hsdb, item_check
from auditor.checks.metadata import items
from auditor.checks.scanner import Scanner
from auditor.deadline import NO_DEADLINE, Deadline
from auditor.fingerprint import fingerprint
from auditor.identity import claimed
from auditor.layers import LayerScan, read_layer
from auditor.limits import DEFAULT_MAX_ENTRIES, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_LAYER_BYTES
from auditor.model import Entry, Finding, Hit, Image, Kind, Marker, Report, Rule, RuleId, Status
from auditor.parallel import ScanPool, default_jobs
from auditor.walk import resolve

Progress = Callable[[int, int, int], None]  # (layers done, layer count, bytes read)


@dataclass(frozen=True)
class Settings:
    """Knobs of one audit run. The first `skip_layers` layers (shared with `base_config`'s image) are
    walked for fates but neither scanned nor reported."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_layer_bytes: int = DEFAULT_MAX_LAYER_BYTES  # uncompressed bytes read per layer
    max_entries: int = DEFAULT_MAX_ENTRIES  # tar entries read per layer
    skip_layers: int = 0
    base_config: dict[str, Any] | None = None
    cache_dir: str | None = None  # the layer cache; None: no cache
    cache_read: bool = True  # False: rescan (for --show-secrets, which needs the values) but still store
    jobs: int = field(default_factory=default_jobs)  # processes scanning file contents
    inventory: bool = True  # the caller wants every entry back; False lets a whole audit come from the cache
    deadline: Deadline = NO_DEADLINE  # --deadline: reading layers past it raises DeadlineExceeded


def _no_scan(path: str, data: bytes) -> list[Hit]:
    return []


def audit(
    image: Image,
    rules: list[Rule],
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> tuple[Report, list[Entry]]:
    """Audit `image` against `rules`; returns the report and the full entry inventory."""
    settings = settings or Settings()
    hsdb.use_cache(settings.cache_dir)
    by_id = {rule.id: rule for rule in rules}
    scanner = Scanner(rules)
    memo = _memo(image, rules, settings)
    remembered = memo.get(image.layers) if memo is not None and settings.cache_read and not settings.inventory else None
    if remembered is not None:
        with scanner.secrets.session():
            metadata = list(_metadata_findings(image, rules, scanner, by_id, settings.base_config))
        counters = {k: v for k, v in remembered.items() if k not in ("findings", "not_scanned")}
        return Report(image=image, findings=sorted(remembered["findings"] + metadata, key=_order),
                      not_scanned=remembered["not_scanned"],
                      skipped_layers=settings.skip_layers, cached_layers=len(image.layers), rules=dict(by_id),
                      **counters), []
    scans: list[LayerScan] = []
    fresh: list[LayerScan] = []  # read now (not from the cache), to store once their hits are in
    with scanner.secrets.session():
        total = 0
        cache = LayerCache(settings.cache_dir, rules_key(rules, settings.max_file_bytes)) if settings.cache_dir else None
        with ScanPool(scanner.scan_file, settings.jobs, prepare=scanner.warm) as pool:
            for layer in image.layers:
                settings.deadline.check()
                scanned = layer.index >= settings.skip_layers
                scan = cache.get(layer) if cache is not None and scanned and settings.cache_read else None
                if scan is None:
                    scan = read_layer(layer, pool.submit if scanned else _no_scan, settings.max_file_bytes,
                                      settings.max_layer_bytes, settings.max_entries, settings.deadline)
                    if scanned:
                        fresh.append(scan)
                total += scan.bytes_read
                scans.append(scan)
                if progress:
                    progress(len(scans), len(image.layers), total)
            pool.flush()
            for scan in scans:
                scan.resolve()
        if cache is not None:
            for scan in fresh:
                cache.put(scan)
        metadata_findings = list(_metadata_findings(image, rules, scanner, by_id, settings.base_config))

    entries: list[Entry] = []
    findings: list[Finding] = []
    for entry, hits in walk_entries(scans):
        entries.append(entry)
        findings.extend(_content_findings(entry, hits, by_id))
    path_check = entry_check(rules, "path")
    waste_check = entry_check(rules, "waste")
    hidden_bytes = total_bytes = 0
    hidden_by_layer: dict[int, int] = {}
    grouped: dict[tuple[str, int, str, Status, int | None], tuple[int, int, Entry]] = {}
    for entry in entries:
        if entry.kind is Kind.FILE:
            total_bytes += entry.size
            if entry.status.hidden:
                hidden_bytes += entry.size
                hidden_by_layer[entry.layer] = hidden_by_layer.get(entry.layer, 0) + entry.size
        if entry.layer < settings.skip_layers:
            continue
        for rule in path_check.match(entry):
            if rule.params.get("group") == "directory":
                key = (rule.id, entry.layer, posixpath.dirname(entry.path), entry.status, entry.hidden_by)
                count, size, _ = grouped.get(key, (0, 0, entry))
                grouped[key] = (count + 1, size + entry.size, entry)
            else:
                findings.append(_file_finding(rule, entry))
        for rule in waste_check.match(entry):
            findings.append(_file_finding(rule, entry, f"{rule.headline} ({entry.size} bytes)"))
    for (rule_id, _layer, directory, _status, _hidden), (count, size, sample) in grouped.items():
        rule = by_id[RuleId(rule_id)]
        folder = replace(sample, path=directory, size=size)
        findings.append(_file_finding(rule, folder, f"{rule.headline}: {count} file(s), {size} bytes"))
    findings = [f for f in findings if f.layer is None or f.layer >= settings.skip_layers]
    not_scanned = [item for scan in scans for item in scan.not_scanned]
    counters = {"entries": len(entries), "hidden_bytes": hidden_bytes, "total_bytes": total_bytes,
                "layer_bytes": {scan.index: scan.bytes_read for scan in scans},
                "hidden_bytes_by_layer": hidden_by_layer}
    if memo is not None and _verified(image, scans) and not any(item.broken for item in not_scanned):
        memo.put(findings, not_scanned, counters)
    findings.extend(metadata_findings)
    findings.sort(key=_order)
    report = Report(
        image=image,
        findings=findings,
        not_scanned=not_scanned,
        skipped_layers=settings.skip_layers,
        cached_layers=cache.hits if cache is not None else 0,
        rules=dict(by_id),
        **counters,
    )
    return report, entries


def _memo(image: Image, rules: list[Rule], settings: Settings) -> ReportMemo | None:
    """Where this exact audit's file findings are remembered (with the layer cache on)."""
    if settings.cache_dir is None:
        return None
    knobs = (settings.max_file_bytes, settings.max_layer_bytes, settings.max_entries, settings.skip_layers,
             settings.base_config)
    key = memo_key(image, rules, knobs)
    return ReportMemo(settings.cache_dir, key) if key else None


def _verified(image: Image, scans: list[LayerScan]) -> bool:
    """Whether every layer was checked to be what the image pins (read whole against both digests, or
    confirmed at a cache lookup): only then may the audit be remembered under those digests."""
    return all(scan.identity is not None and scan.identity == claimed(layer)
               for layer, scan in zip(image.layers, scans, strict=True))


def walk_entries(scans: list[LayerScan]) -> Iterator[tuple[Entry, list[Hit]]]:
    """Apply the walk to every layer's records: each added path as an Entry with its fate, and the
    content hits of that very tar entry (a hard link carries its target's)."""
    fates = resolve([[(r.path, r.kind) for r in scan.records] for scan in scans])
    for scan, layer_fates in zip(scans, fates):
        for position, (record, fate) in enumerate(zip(scan.records, layer_fates)):
            if fate is None or isinstance(record.kind, Marker) or record.path == "/":
                continue
            entry = Entry(
                path=record.path,
                layer=scan.index,
                kind=record.kind,
                size=record.size,
                mode=record.mode,
                link=record.link,
                status=fate.status,
                hidden_by=fate.hidden_by,
            )
            source = record.target if record.kind is Kind.HARDLINK else position
            yield entry, (scan.hits.get(source, []) if source is not None else [])


def build_entries(scans: list[LayerScan]) -> list[Entry]:
    """The inventory: every added path with its fate."""
    return [entry for entry, _ in walk_entries(scans)]


def _content_findings(entry: Entry, hits: list[Hit], rules: dict[RuleId, Rule]) -> Iterator[Finding]:
    for hit in hits:
        rule = rules[hit.rule]
        if rule.applies_to_status(entry.status):
            yield _entry_finding(rule, entry, "secret", hit.message, hit.secret, hit.line, hit.secret_hash)


def _file_finding(rule: Rule, entry: Entry, message: str | None = None) -> Finding:
    return _entry_finding(rule, entry, "file", message or rule.headline)


def _entry_finding(rule: Rule, entry: Entry, kind: str, message: str, secret: str | None = None,
                   line: int | None = None, secret_hash: str | None = None) -> Finding:
    return Finding(
        rule=rule.id,
        kind=kind,
        severity=rule.severity,
        status=entry.status,
        message=message,
        fingerprint=fingerprint(rule.id, entry.path, secret, secret_hash),
        path=entry.path,
        layer=entry.layer,
        hidden_by=entry.hidden_by,
        line=line,
        secret=secret,
        remediation=rule.remediation,
    )


def _metadata_findings(
    image: Image,
    rules: list[Rule],
    scanner: Scanner,
    by_id: dict[RuleId, Rule],
    base_config: dict[str, Any] | None,
) -> Iterator[Finding]:
    check = item_check(rules)
    seen: set[tuple[str, str, str | None]] = set()
    inherited = set(items(base_config)) if base_config else set()
    for item in items(image.config):
        if item in inherited:
            continue
        found: list[tuple[Rule, str | None, str]] = [(rule, item.value, rule.headline)
                                                      for rule in check.match(item)]
        found += [(by_id[h.rule], h.secret, h.message) for h in scanner.scan_text(item.text, "image-config")]
        for rule, secret, message in found:
            key = (rule.id, item.location, secret)
            if key in seen:
                continue
            seen.add(key)
            label = f"{item.key}: " if item.key else ""
            yield Finding(
                rule=rule.id,
                kind="secret",
                severity=rule.severity,
                status=Status.METADATA,
                message=f"{label}{message}",
                fingerprint=fingerprint(rule.id, f"{item.location}:{item.key or ''}", secret),
                location=item.location,
                secret=secret,
                remediation=rule.remediation,
            )


def _order(finding: Finding) -> tuple[int, str, int, int, str]:
    """By layer, then path (or metadata location), so a report can group them; most severe first."""
    layer = finding.layer if finding.layer is not None else 1 << 30
    return (layer, finding.path or finding.location or "", -finding.severity.rank, finding.line or 0, finding.rule)
