"""The audit, as named stages: read the layers (through the layer cache), walk their fates, turn hits and
paths into findings, add the config's findings, and build the Report (the one builder both a fresh audit and
one the report memo remembers go through)."""

from __future__ import annotations

import contextlib
import functools
import posixpath
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from auditor import gcpause, provenance
from auditor.cache import CachedReader, LayerCache, ReadLayer, ReportMemo, memo_key, rules_key
from auditor.checks import KINDS, ContentCheck, entry_check, hsdb, item_check, of_kind
from auditor.checks import judge as value_judge
from auditor.checks.interface import EntryCheck
from auditor.checks.metadata import items
from auditor.checks.scanner import Scanner
from auditor.deadline import NO_DEADLINE, Deadline
from auditor.fingerprint import fingerprint
from auditor.identity import claimed
from auditor.layers import (
    ArchiveMember,
    LayerScan,
    ScanArchive,
    ScanFile,
    Split,
    read_layer,
    scan_archive,
    with_digests,
)
from auditor.limits import Limits
from auditor.model import (
    Entry,
    Fate,
    Finding,
    Hit,
    Image,
    Kind,
    LayerAudit,
    Marker,
    NotScanned,
    Report,
    Rule,
    RuleId,
    Status,
)
from auditor.nested import NestedLimits
from auditor.ownership import findings as owned
from auditor.ownership.ledger import Ledger
from auditor.parallel import ScanPool, default_jobs, side_by_side
from auditor.progress import SILENT, Progress, metered
from auditor.walk import resolve

# An entry with its fate, the content hits of its tar entry, and (an archive file) its text members
Walked = tuple[Entry, list[Hit], list[ArchiveMember]]
READY_POLL = 0.01  # seconds between looks for a layer whose hits are all in, while none is
Grouped = dict[tuple[str, int, str, Status, int | None], tuple[int, int, Entry]]  # directory-grouped path rules


@dataclass(frozen=True)
class Settings:
    """Knobs of one audit run. The first `skip_layers` layers (shared with `base_config`'s image) are
    walked for fates but neither scanned nor reported."""

    limits: Limits = field(default_factory=Limits)  # reading applies max_file_bytes, max_layer_bytes, max_entries
    skip_layers: int = 0
    base_config: dict[str, Any] | None = None
    cache_dir: str | None = None  # the layer cache; None: no cache
    cache_read: bool = True  # False: rescan (for --show-secrets, which needs the values) but still store
    jobs: int = field(default_factory=default_jobs)  # processes scanning file contents
    inventory: bool = True  # the caller wants every entry back; False lets a whole audit come from the cache
    deadline: Deadline = NO_DEADLINE  # --deadline: reading layers past it raises DeadlineExceeded
    include_package_files: bool = False  # --include-package-files: show findings in package content too
    hash_files: bool = False  # `audit files`: hash every file and give each entry its package ownership


def _no_scan(path: str, data: bytes) -> list[Hit]:
    return []


def audit(
    image: Image,
    rules: list[Rule],
    settings: Settings | None = None,
    progress: Progress = SILENT,
) -> tuple[Report, list[Entry]]:
    """Audit `image` against `rules`, telling `progress` what it reads; returns the report and the full
    entry inventory (empty when the report memo answered: `settings.inventory` False)."""
    settings = settings or Settings()
    hsdb.use_cache(settings.cache_dir)
    gate = _compile_early(rules)
    scanner = Scanner(rules)
    memo = _memo(image, rules, settings)
    if memo is not None and settings.cache_read and not settings.inventory:
        remembered = memo.get(image.layers)
        if remembered is not None:
            with scanner.secrets.session():
                metadata = _metadata_findings(image, rules, scanner, settings.base_config)
            return build_report(image, rules, settings, remembered, metadata, cached_layers=len(image.layers)), []
    with scanner.secrets.session():
        scans, cached, foresight = _read_layers(image, scanner, rules, settings, progress, gate)
        metadata = _metadata_findings(image, rules, scanner, settings.base_config)
    progress.step("building the report")
    layers, walked, ledger = assess(scans, rules, settings, foresight)
    if memo is not None and _verified(image, scans) and not any(item.broken for item in layers.not_scanned):
        memo.put(layers)
    entries = [entry for entry, *_ in walked]
    if settings.hash_files and ledger is not None:
        entries = [_owned_entry(ledger, entry) for entry in entries]
    return build_report(image, rules, settings, layers, metadata, cached), entries


@dataclass(frozen=True)
class Foresight:
    """What the report needs from the layers' records alone: worked out while the workers finish the scan."""

    ledger: Ledger
    entries: list[list[Placed]]
    path_findings: list[Finding]  # `_path_part` of the walk


def _foresee(scans: list[LayerScan], rules: list[Rule], skip_layers: int) -> Foresight:
    entries = _entries(scans, _fates(scans))
    walked: list[Walked] = [(entry, [], scan.members.get(source, []) if source is not None else [])
              for scan, placed in zip(scans, entries, strict=True) for entry, source in placed]
    return Foresight(_ledger(scans), entries, _path_part(walked, rules, skip_layers))


def assess(scans: list[LayerScan], rules: list[Rule], settings: Settings,
           foresight: Foresight | None = None) -> tuple[LayerAudit, list[Walked], Ledger | None]:
    """The layers' part of a report from every layer's scan, base first (read now, from the layer cache,
    or from a sweep's store): the walk, then the file findings. Also the walked entries and the package
    ledger, for `audit files`. `foresight`: the fates and ledger of these very scans, if known already."""
    walked = list(_walk(scans, foresight.entries if foresight else None))
    wanted = settings.hash_files or any(hits for _, hits, _ in walked)
    ledger = (foresight.ledger if foresight else _ledger(scans)) if wanted else None
    findings = _file_findings(walked, rules, settings.skip_layers, ledger,
                              foresight.path_findings if foresight else None)
    return _layer_audit(scans, walked, findings), walked, ledger


def report_of(image: Image, rules: list[Rule], settings: Settings, scanner: Scanner, scans: list[LayerScan],
              cached_layers: int) -> Report:
    """The report of `image` from its layers' scans, the same walk and rules as `audit` (`audit sweep`
    assembles each image of a registry this way from the scans of its distinct layers)."""
    with scanner.secrets.session():
        metadata = _metadata_findings(image, rules, scanner, settings.base_config)
    return build_report(image, rules, settings, assess(scans, rules, settings)[0], metadata, cached_layers)


def build_report(image: Image, rules: list[Rule], settings: Settings, layers: LayerAudit, metadata: list[Finding],
                 cached_layers: int) -> Report:
    """The report of an audit: what the layers gave (read now or remembered) and the config's findings, in
    report order, with where each came from (`auditor.provenance`). Values the judge rejected go to
    `rejected`, apart from the findings: they never fail the gate; of the rest, package ownership keeps
    unmodified package content out (`auditor.ownership.findings`)."""
    everything = sorted(layers.findings + metadata, key=_order)
    findings, package_files = owned.partition([f for f in everything if f.rejected is None],
                                              settings.include_package_files)
    return Report(
        image=image,
        findings=findings,
        rejected=[f for f in everything if f.rejected is not None],
        not_scanned=layers.not_scanned,
        entries=layers.entries,
        hidden_bytes=layers.hidden_bytes,
        total_bytes=layers.total_bytes,
        skipped_layers=settings.skip_layers,
        cached_layers=cached_layers,
        layer_bytes=layers.layer_bytes,
        hidden_bytes_by_layer=layers.hidden_bytes_by_layer,
        provenance=provenance.trace(image, findings),
        rules={rule.id: rule for rule in rules},
        package_files=package_files,
    )


def _compile_early(rules: list[Rule]) -> threading.Thread:
    """Start compiling the `regex` rules' gate, the longest compile (about 1 s for the default packs), on a
    thread of its own at once: Hyperscan frees the GIL, so it runs while this thread imports detect-secrets
    (0.3 s with `requests`) and builds the checks. The same compile in the pool's `prepare` waits for this
    one and takes its database (`hsdb.database` builds each database once)."""
    factory = KINDS["regex"].factory
    assert factory is not None
    check = factory(of_kind(rules, "regex"))
    assert isinstance(check, ContentCheck)

    def warm() -> None:
        with contextlib.suppress(Exception):  # the pool's compile tries again, and raises where it is caught
            check.warm()

    thread = threading.Thread(target=warm, name="gate", daemon=True)
    thread.start()
    return thread


def _read_layers(image: Image, scanner: Scanner, rules: list[Rule], settings: Settings,
                 progress: Progress, gate: threading.Thread | None = None,
                 ) -> tuple[list[LayerScan], int, Foresight | None]:
    """Read every layer, base first, scanning file contents on `settings.jobs` processes; a layer the
    cache holds is not read. Returns the scans (every hit resolved), how many came from the cache, and
    the walk's foresight when workers were still scanning once every layer was read (it was worked out
    meanwhile). Layers below `settings.skip_layers` are read for their entries only, never scanned or
    cached."""
    limits = settings.limits

    def reader(scan_file: ScanFile, archives: bool = True, between: Callable[[], object] | None = None,
               scan_archive: ScanArchive | None = None) -> ReadLayer:
        return functools.partial(read_layer, scan_file=scan_file, max_file_bytes=limits.max_file_bytes,
                                 max_layer_bytes=limits.max_layer_bytes, max_entries=limits.max_entries,
                                 deadline=settings.deadline, hash_files=settings.hash_files, archives=archives,
                                 between=between, scan_archive=scan_archive)

    unscanned = reader(_no_scan, archives=False)
    scans: list[LayerScan] = []

    def prepare() -> None:  # on the pool's thread, while the first layers are read: two compiles at a time
        side_by_side([*scanner.warmers(), entry_check(rules, "path").warm], threads=min(settings.jobs, 2))
        if gate is not None:
            gate.join()  # done (its database is the regex check's): gone before the workers fork

    parts, merge = scanner.shares()
    scan_text = with_digests(scanner.scan_file)
    archive = functools.partial(scan_archive, scan_file=scan_text, limits=NestedLimits.scaled(limits.max_file_bytes))
    with gcpause.quiet(), ScanPool(scan_text, settings.jobs, prepare=prepare, split=Split(parts, merge),
                                   scan_archive=archive) as pool:
        scanned: ReadLayer | CachedReader = reader(pool.submit, between=pool.poll, scan_archive=pool.submit_archive)
        cached = None
        if settings.cache_dir:
            store = LayerCache(settings.cache_dir, rules_key(rules, limits.max_file_bytes))
            scanned = cached = CachedReader(scanned, store, lookup=settings.cache_read)
        for layer in image.layers:
            settings.deadline.check()
            read = scanned if layer.index >= settings.skip_layers else unscanned
            scans.append(read(metered(layer, len(image.layers), progress)))
        progress.step("scanning file contents")
        pool.flush()
        for layer_scan in scans:  # what the walk needs of the archives the workers read: members, skips
            layer_scan.file_archives()
        foresight = _foresee(scans, rules, settings.skip_layers) if any(scan.deferred for scan in scans) else None
        waiting = list(scans)
        while waiting:  # each layer as soon as its hits are all in: its cache entry is written meanwhile
            scan = next((scan for scan in waiting if scan.ready()), None)
            if scan is None:
                time.sleep(READY_POLL)
                continue
            scan.resolve()
            waiting.remove(scan)
            if cached is not None:
                cached.store(scan)
    return scans, (0 if cached is None else cached.cache.hits), foresight


def _fates(scans: list[LayerScan]) -> list[list[Fate | None]]:
    return resolve([[(r.path, r.kind) for r in scan.records] for scan in scans])


Placed = tuple[Entry, "int | None"]  # an entry the walk keeps, and the position of the record its content is


def _entries(scans: list[LayerScan], fates: list[list[Fate | None]]) -> list[list[Placed]]:
    """Every layer's added paths as Entries with their fates (`fates`), from the records alone: what the
    walk keeps, each with the position of the record holding its content (a hard link: its target's)."""
    out: list[list[Placed]] = []
    for scan, layer_fates in zip(scans, fates, strict=True):
        placed: list[Placed] = []
        for position, (record, fate) in enumerate(zip(scan.records, layer_fates, strict=True)):
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
            if scan.digests and source is not None and source in scan.digests:
                entry = replace(entry, digests=scan.digests[source])
            placed.append((entry, source))
        out.append(placed)
    return out


def _walk(scans: list[LayerScan], entries: list[list[Placed]] | None = None) -> Iterator[Walked]:
    """Apply the walk to every layer's records (`_entries`, when known already): each added path as an
    Entry with its fate, and the content hits and archive members of that very tar entry."""
    entries = _entries(scans, _fates(scans)) if entries is None else entries
    for scan, placed in zip(scans, entries, strict=True):
        for entry, source in placed:
            if source is None:
                yield entry, [], []
            else:
                yield entry, scan.hits.get(source, []), scan.members.get(source, [])


def _ledger(scans: list[LayerScan]) -> Ledger:
    """The package ledger of the layers read: each layer's databases and removals, base layer first."""
    return owned.ledger_of((scan.index, record.path, scan.databases.get(position))
                           for scan in scans for position, record in enumerate(scan.records)
                           if position in scan.databases or isinstance(record.kind, Marker))


def _owned_entry(ledger: Ledger, entry: Entry) -> Entry:
    """`entry` (hashed: `audit files`) with its package ownership."""
    if entry.kind not in (Kind.FILE, Kind.HARDLINK):
        return entry
    ownership, package = owned.judge(ledger, entry.path, entry.layer, entry.digests, entry.status is Status.VISIBLE)
    return replace(entry, ownership=ownership, package=package)


def _file_findings(walked: list[Walked], rules: list[Rule], skip_layers: int,
                   ledger: Ledger | None = None, path_findings: list[Finding] | None = None) -> list[Finding]:
    """The findings of the walked entries, outside the skipped layers: content hits (each marked with its
    file's package ownership, judged by `ledger`), then `_path_part` (`path_findings`, when worked out
    already from these very entries)."""
    by_id = {rule.id: rule for rule in rules}
    findings: list[Finding] = []
    for entry, hits, _ in walked:
        found = list(_content_findings(entry, hits, by_id))
        if found and ledger is not None:
            digests = next((hit.digests for hit in hits if hit.digests), entry.digests)
            ownership, package = owned.judge(ledger, entry.path, entry.layer, digests,
                                             entry.status is Status.VISIBLE)
            found = [owned.mark(finding, ownership, package) for finding in found]
        findings.extend(found)
    findings = [f for f in findings if f.layer is None or f.layer >= skip_layers]
    return findings + (_path_part(walked, rules, skip_layers) if path_findings is None else path_findings)


def _path_part(walked: list[Walked], rules: list[Rule], skip_layers: int) -> list[Finding]:
    """The path and waste rules' findings of the walked entries outside the skipped layers (path rules also
    on an archive's members, as entries at `outer!/member` with the outer file's fate), then those of the
    path rules that group a directory's files into one finding per layer: from the entries alone, so
    worked out while the workers finish the content scan (`Foresight`)."""
    by_id = {rule.id: rule for rule in rules}
    findings: list[Finding] = []
    path_check = entry_check(rules, "path")
    waste_check = entry_check(rules, "waste")
    grouped: Grouped = {}
    for outer, _, members in walked:
        if outer.layer < skip_layers:
            continue
        for entry in (outer, *(replace(outer, path=f"{outer.path}!{m.path}", size=m.size) for m in members)):
            _path_findings(path_check, entry, findings, grouped)
        for rule in waste_check.match(outer):
            findings.append(_file_finding(rule, outer, f"{rule.headline} ({outer.size} bytes)"))
    for (rule_id, _layer, directory, _status, _hidden), (count, size, sample) in grouped.items():
        rule = by_id[RuleId(rule_id)]
        folder = replace(sample, path=directory, size=size)
        findings.append(_file_finding(rule, folder, f"{rule.headline}: {count} file(s), {size} bytes"))
    return [f for f in findings if f.layer is None or f.layer >= skip_layers]


def _path_findings(path_check: EntryCheck, entry: Entry, findings: list[Finding], grouped: Grouped) -> None:
    """The path rules matching `entry`: a finding each, or a count in `grouped` for a rule that groups a
    directory's files."""
    for rule in path_check.match(entry):
        if rule.params.get("group") == "directory":
            key = (rule.id, entry.layer, posixpath.dirname(entry.path), entry.status, entry.hidden_by)
            count, size, _ = grouped.get(key, (0, 0, entry))
            grouped[key] = (count + 1, size + entry.size, entry)
        else:
            findings.append(_file_finding(rule, entry))


def _layer_audit(scans: list[LayerScan], walked: list[Walked], findings: list[Finding]) -> LayerAudit:
    """The layers' part of the report: their findings, what was not scanned, and the byte counts."""
    hidden_bytes = total_bytes = 0
    hidden_by_layer: dict[int, int] = {}
    for entry, *_ in walked:
        if entry.kind is Kind.FILE:
            total_bytes += entry.size
            if entry.status.hidden:
                hidden_bytes += entry.size
                hidden_by_layer[entry.layer] = hidden_by_layer.get(entry.layer, 0) + entry.size
    not_scanned: list[NotScanned] = [item for scan in scans for item in scan.not_scanned]
    return LayerAudit(findings=findings, not_scanned=not_scanned, entries=len(walked), hidden_bytes=hidden_bytes,
                      total_bytes=total_bytes, layer_bytes={scan.index: scan.bytes_read for scan in scans},
                      hidden_bytes_by_layer=hidden_by_layer)


def _memo(image: Image, rules: list[Rule], settings: Settings) -> ReportMemo | None:
    """Where this exact audit's file findings are remembered (with the layer cache on)."""
    if settings.cache_dir is None:
        return None
    limits = settings.limits
    knobs = (limits.max_file_bytes, limits.max_layer_bytes, limits.max_entries, settings.skip_layers,
             settings.base_config, value_judge.VERSION)
    key = memo_key(image, rules, knobs)
    return ReportMemo(settings.cache_dir, key) if key else None


def _verified(image: Image, scans: list[LayerScan]) -> bool:
    """Whether every layer was checked to be what the image pins (read whole against both digests, or
    confirmed at a cache lookup): only then may the audit be remembered under those digests."""
    return all(scan.identity is not None and scan.identity == claimed(layer)
               for layer, scan in zip(image.layers, scans, strict=True))


def _content_findings(entry: Entry, hits: list[Hit], rules: dict[RuleId, Rule]) -> Iterator[Finding]:
    for hit in hits:
        rule = rules[hit.rule]
        if rule.applies_to_status(entry.status):
            where = replace(entry, path=f"{entry.path}!{hit.member}") if hit.member else entry  # in an archive
            yield _entry_finding(rule, where, "secret", hit.message, hit.secret, hit.line, hit.secret_hash,
                                 hit.rejected)


def _file_finding(rule: Rule, entry: Entry, message: str | None = None) -> Finding:
    return _entry_finding(rule, entry, "file", message or rule.headline)


def _entry_finding(rule: Rule, entry: Entry, kind: str, message: str, secret: str | None = None,
                   line: int | None = None, secret_hash: str | None = None, rejected: str | None = None) -> Finding:
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
        rejected=rejected,
    )


def _metadata_findings(image: Image, rules: list[Rule], scanner: Scanner,
                       base_config: dict[str, Any] | None) -> list[Finding]:
    """The findings of the image config and history, leaving out what `base_config` (--skip-base) holds too;
    recomputed on every run, also when the report memo answers (their raw values redact history lines).
    Each message says where the value is (`_place`); an ENV value that both config.Env and its history
    line show is one finding (`_one_per_env_value`)."""
    by_id = {rule.id: rule for rule in rules}
    check = item_check(rules)
    findings: list[Finding] = []
    seen: set[tuple[str, str, str | None]] = set()
    inherited = set(items(base_config)) if base_config else set()
    for item in items(image.config):
        if item in inherited:
            continue
        found: list[tuple[Rule, str | None, str, str | None]] = [
            (rule, item.value, f"{rule.headline} (in {_place(item.location, image)})",
             _judged(rule, item.value, item.key, item.text))
            for rule in check.match(item)]
        found += [(by_id[h.rule], h.secret, _located(h.message, item.location, image), h.rejected)
                  for h in scanner.scan_text(item.text, "image-config")]
        for rule, secret, message, rejected in found:
            key = (rule.id, item.location, secret)
            if key in seen:
                continue
            seen.add(key)
            label = f"{item.key}: " if item.key else ""
            findings.append(Finding(
                rule=rule.id,
                kind="secret",
                severity=rule.severity,
                status=Status.METADATA,
                message=f"{label}{message}",
                fingerprint=fingerprint(rule.id, f"{item.location}:{item.key or ''}", secret),
                location=item.location,
                secret=secret,
                remediation=rule.remediation,
                rejected=rejected,
            ))
    return _one_per_env_value(findings, image)


IN_FILE_CONTENT = " in file content"  # what a detect-secrets hit's message says (`checks.secrets`)


def _located(message: str, location: str, image: Image) -> str:
    """A content check's message about a metadata item, saying where the item is instead of "file"."""
    if IN_FILE_CONTENT in message:
        return message.replace(IN_FILE_CONTENT, f" in {_place(location, image)}", 1)
    return f"{message} (in {_place(location, image)})"


def _place(location: str, image: Image) -> str:
    """Where a metadata item is, for a person: "image config: Env", "history: layer 3's RUN" (or, for an
    entry that made no layer, "history: entry 1's ENV")."""
    if location.startswith("config."):
        return f"image config: {location[len('config.'):]}"
    index = _history_index(location)
    word = _keyword(image, index)
    if index is None or word is None:
        return location
    layer = next((layer.index for layer in image.layers if layer.history_index == index), None)
    return f"history: layer {layer}'s {word}" if layer is not None else f"history: entry {index}'s {word}"


def _keyword(image: Image, index: int | None) -> str | None:
    """The instruction keyword of history entry `index` ("RUN", "ENV", ...), None if there is none."""
    history = image.config.get("history")
    if index is None or not isinstance(history, list) or not 0 <= index < len(history):
        return None
    entry = history[index]
    command = entry.get("created_by") if isinstance(entry, dict) else None
    return provenance.keyword(command) if isinstance(command, str) else None


def _history_index(location: str) -> int | None:
    """N of "history[N].created_by"."""
    if not location.startswith("history["):
        return None
    number = location[len("history["):].split("]", 1)[0]
    return int(number) if number.isdigit() else None


def _one_per_env_value(findings: list[Finding], image: Image) -> list[Finding]:
    """An ENV value found by a rule both in config.Env and on the ENV instruction's history line is one
    finding: the history line's, which names the instruction (and its layer), saying it is also in
    config.Env. Only the same rule and the same value (its fingerprint's hash) merge."""
    def env_line(f: Finding) -> bool:
        return _keyword(image, _history_index(f.location or "")) == "ENV"

    in_history = {(f.rule, f.secret) for f in findings if f.secret and env_line(f)}
    in_config = {(f.rule, f.secret) for f in findings if f.location == "config.Env" and f.secret}
    both = in_history & in_config
    if not both:
        return findings
    return [replace(f, message=f"{f.message}; also in config.Env") if env_line(f) and (f.rule, f.secret) in both
            else f for f in findings if not (f.location == "config.Env" and (f.rule, f.secret) in both)]


def _judged(rule: Rule, value: str, key: str | None, text: str) -> str | None:
    """The value judge's reason for a metadata rule's value (content hits are judged by the Scanner)."""
    return value_judge.judge(value, value_judge.Context(line=text, key=key), value_judge.level_of(rule))


def _order(finding: Finding) -> tuple[int, str, int, int, str]:
    """By layer, then path (or metadata location), so a report can group them; most severe first."""
    layer = finding.layer if finding.layer is not None else 1 << 30
    return (layer, finding.path or finding.location or "", -finding.severity.rank, finding.line or 0, finding.rule)
