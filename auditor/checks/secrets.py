"""detect-secrets rules: the library's own plugins and filters over in-memory files.

Only this module imports detect_secrets. A file is read as `detect-secrets scan` would read it
from disk (UTF-8 text with universal newlines, transformers) under a virtual name that keeps the in-image
path, so extension-based behaviour and filters still apply. Nothing is written to disk.

Two departures from the CLI, both so that no secret is lost to another:
- every occurrence is reported: one hit per (rule, line, value), where detect-secrets keeps only the first
  line of each (type, value) in a file (at most `occurrences.MAX_PER_RULE` per rule and file);
- the eager config-file transformer runs whatever the raw pass found, and its findings are added to the
  raw pass's. detect-secrets runs it only when the raw pass finds nothing, so adding a Stripe key to a
  `.env` made the AWS key on its first line (which only the eager pass reads) vanish. It also parses the
  file as a whole, where a repeated key or a `%` in any value fails the parse for every line, so the
  same transformation is also applied to each line alone (`checks.eager`) and the findings are united.
  Which files the eager pass reads is still decided for the whole file (`_may_transform_eagerly`, as
  detect-secrets does): one line that is no assignment keeps it off, on purpose, so that prose and code
  files (all of "no known type") do not have every `word: value` line read as a quoted setting.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cached_property, lru_cache
from typing import Any, cast, overload

from auditor.lazyimport import deferred

with deferred("requests"):  # imported by detect-secrets for verify(), never called here: `auditor.lazyimport`
    import detect_secrets.filters.common  # noqa: F401 - its settings load it later, and it imports requests
    from detect_secrets.core import scan as ds_scan
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.core.potential_secret import PotentialSecret
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
    from detect_secrets.settings import get_filters, get_plugins, get_settings, transient_settings
    from detect_secrets.transformers import get_transformed_file, get_transformers
    from detect_secrets.util.code_snippet import get_code_snippet
    from detect_secrets.util.filetype import FileType, determine_file_type

    get_mapping_from_secret_type_to_class()  # imports every plugin module (cached), each importing requests

from auditor.checks import hsdb, newlines
from auditor.checks.allowlist import allowlisted
from auditor.checks.checksum import judge
from auditor.checks.eager import EagerLines, whole_file
from auditor.checks.entropy import shannon_entropy
from auditor.checks.interface import ContentCheck, Scoped
from auditor.checks.occurrences import MAX_PER_RULE, cap
from auditor.checks.prefilter import Prefilter, plugin_patterns
from auditor.checks.window import Regions, pieces
from auditor.errors import RuleError
from auditor.model import Hit, Rule, RuleId
from auditor.utf8 import is_utf8

INVALID_FILE_FILTER = "detect_secrets.filters.common.is_invalid_file"
ALLOWLIST_FILTER = "detect_secrets.filters.allowlist.is_line_allowlisted"  # replaced by checks/allowlist.py
MAX_LINE = 16384  # characters: a longer line is given to the plugins as windows around possible matches
WINDOW_BEFORE = 2048  # bytes of such a line before a possible match end: the longest secret found there
WINDOW_MAX = 8192  # bytes in one window at most (the per-secret filters search the whole window per secret)
EAGER_WHOLE_MAX = 65536  # bytes: a larger file's settings are read one line at a time only (`checks.eager`)


@lru_cache(maxsize=1)
def plugin_names() -> frozenset[str]:
    """The class names of every detect-secrets plugin, as rules name them."""
    return frozenset(cls.__name__ for cls in _plugin_classes().values())


def library_version() -> str:
    """detect-secrets' version: what its plugins and filters find depends on it (the layer cache keys it)."""
    from detect_secrets.__version__ import VERSION  # the package itself has no VERSION

    return str(VERSION)


def _plugin_classes() -> dict[str, type[Any]]:
    """Secret type -> plugin class (detect-secrets caches it)."""
    classes: dict[str, type[Any]] = get_mapping_from_secret_type_to_class()
    return classes


class _NamedText(io.StringIO):
    """A file's text as `open(name)` would read it (newlines already translated)."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text)
        self.name = name


# A line neither configparser nor its continuation rules accept: it does not start with whitespace, a
# comment (#, ;) or a section header ([), and holds no `=` or `:`. One such line makes the whole parse
# fail (configparser collects it as an error and raises at the end).
_NOT_INI_LINE = re.compile(rb"^[\x21\x22\x24-\x39\x3c\x3e-\x5a\x5c-\x7e][^=:\n]*$", re.MULTILINE)
# The same for a line between two newlines, for Hyperscan (a line start as `^` is what Hyperscan may miss).
_INNER_NOT_INI_LINE = rb"\n[\x21\x22\x24-\x39\x3c\x3e-\x5a\x5c-\x7e][^=:\n]*\n"
_LINE = re.compile(r"[^\n]*\n|[^\n]+")  # what `readlines` gives for text with only \n newlines
CONTEXT_LINES = 5  # lines either side of a line in detect-secrets' code snippets (get_code_snippet's default)


@lru_cache(maxsize=4)
def _file_type(name: str) -> FileType:
    """detect-secrets' type of a file by its name: asked twice a file (`_may_transform`, then
    `_may_transform_eagerly`), at 10 us a time."""
    return determine_file_type(name)


def _may_transform(name: str, data: bytes) -> bool:
    """Whether a non-eager transformer can return lines: YAML files go to the YAML transformer; for every
    other file the config-file transformer needs a section header before any other setting."""
    if _file_type(name) is FileType.YAML:
        return True
    offset = 0
    while offset < len(data):
        end = data.find(b"\n", offset)
        end = len(data) if end < 0 else end
        value = data[offset:end].decode("utf-8", "replace").strip()  # a replaced character is no space
        if value and not value.startswith(("#", ";")):
            return value.startswith("[")
        offset = end + 1
    return False


def _may_transform_eagerly(name: str, data: bytes) -> bool:
    """Whether the eager config-file transformer (for files of no known type) can return lines: not
    without one `=` or `:` (a setting), nor with a line configparser refuses. In bytes, a multi-byte
    character holds no `=`, `:` or newline, and a carriage return only splits a line further (the first
    part still qualifies)."""
    return (_file_type(name) is FileType.OTHER and (b"=" in data or b":" in data)
            and not _has_non_ini_line(data))


def _has_non_ini_line(data: bytes) -> bool:
    """Whether `data` holds a line `_NOT_INI_LINE` matches: the first and last lines by `re`, the lines
    between two newlines in one Hyperscan pass (Python's `re` tries each offset of a 30 MB file)."""
    first = data.find(b"\n")
    if first < 0:
        return _NOT_INI_LINE.match(data) is not None
    last = data.rfind(b"\n") + 1
    if _NOT_INI_LINE.match(data, 0, first) or _NOT_INI_LINE.match(data, last):
        return True
    database = _inner_not_ini()
    if database is None:
        return _NOT_INI_LINE.search(data, first + 1, last) is not None
    found: list[int] = []
    database.scan(data, match_event_handler=lambda *_: found.append(1))  # one match at most (SINGLEMATCH)
    return bool(found)


@lru_cache(maxsize=1)
def _inner_not_ini() -> Any:
    """The compiled `_INNER_NOT_INI_LINE` (None without Hyperscan)."""
    if hsdb.hyperscan is None:
        return None
    flags = hsdb.hyperscan.HS_FLAG_SINGLEMATCH
    return hsdb.database(("not-ini", _INNER_NOT_INI_LINE, flags), lambda: ([_INNER_NOT_INI_LINE], [flags], [0]))


def _entropy(plugin: Any, data: str) -> float:
    return shannon_entropy(plugin.charset, data)


@contextlib.contextmanager
def counted_once() -> Iterator[None]:
    """The entropy plugins compute their entropy with `checks.entropy` meanwhile: the same float, each
    character counted once instead of the whole string once per charset character (subclasses that
    adjust the base value, as the hex plugin does for digits, still do)."""
    original = HighEntropyStringsPlugin.__dict__["calculate_shannon_entropy"]
    HighEntropyStringsPlugin.calculate_shannon_entropy = _entropy  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        HighEntropyStringsPlugin.calculate_shannon_entropy = original  # type: ignore[method-assign]


def _check_transformers() -> None:
    """The shortcuts above know these transformers and no others (detect-secrets is pinned to 1.5)."""
    transformers: list[Any] = list(get_transformers())
    names = sorted(type(t).__name__ for t in transformers)
    if names != ["ConfigFileTransformer", "EagerConfigFileTransformer", "YAMLTransformer"]:
        raise RuleError(f"unexpected detect-secrets transformers {names}; this layer-auditor needs 1.5")


class SecretsCheck(ContentCheck):
    """Runs the detect-secrets plugins that `secret` rules select, mapping each secret type to its rule.
    A rule's `paths`/`exclude` limit where its plugin's hits in files count."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = list(rules)
        seen: dict[str, Rule] = {}
        for rule in self.rules:
            plugin = str(rule.params["plugin"])
            if plugin in seen:
                raise RuleError(f"{rule.source}: rules {seen[plugin].id} and {rule.id} both select {plugin}")
            seen[plugin] = rule
        by_class = {cls.__name__: secret_type for secret_type, cls in _plugin_classes().items()}
        self._rule_for_type = {by_class[name]: rule for name, rule in seen.items()}
        self._limited = [r for r in self.rules if r.paths or r.exclude]
        self._prefilter: Prefilter | None = None
        self._eager: EagerLines | None = None
        self._active = False
        self._allowlist = True

    @contextlib.contextmanager
    def session(self) -> Iterator[SecretsCheck]:
        """detect-secrets settings are global: set them once for the whole run (nested sessions share it)."""
        if self._active:
            yield self
            return
        plugins = [{"name": r.params["plugin"], **dict(r.params.get("options") or {})} for r in self.rules]
        with transient_settings({"plugins_used": plugins}), counted_once():
            _check_transformers()
            self._allowlist = ALLOWLIST_FILTER in get_settings().filters
            get_settings().disable_filters(INVALID_FILE_FILTER, ALLOWLIST_FILTER)
            get_filters.cache_clear()
            self._prefilter = self._eager = None
            self._active = True
            try:
                yield self
            finally:
                self._prefilter = self._eager = None
                self._active = False

    def warm(self) -> None:
        """Compile the prefilter and the eager pass's (inside a session) and the rules' paths before the
        first file needs them: workers fork after this, and would each compile what it left out."""
        for scope in self._where.values():
            _ = (scope.include, scope.exclude)
        _inner_not_ini()
        if self._active and self._prefilter is None and self.rules:
            self._prefilter = Prefilter(get_plugins(), muted_plugins())
        if self._active and self.rules:
            self._eager_lines()

    def scan_file(self, path: str, data: bytes) -> list[Hit]:
        """Secrets in one file's bytes (UTF-8 text); `path` is its absolute in-image path."""
        hits = self._scan_file(path, data)
        return [hit for hit in hits if self._wanted(hit, path)] if hits and self._limited else hits

    @cached_property
    def _where(self) -> dict[RuleId, Scoped]:
        """Rule id -> the scope of each rule limited to some paths."""
        return {r.id: Scoped(r) for r in self._limited}

    def _wanted(self, hit: Hit, path: str) -> bool:
        scope = self._where.get(hit.rule)
        return scope is None or scope.wants(path)

    def _scan_file(self, path: str, data: bytes) -> list[Hit]:
        """Secrets in one file's bytes, wherever the rules look.

        Most files are scanned as bytes: the prefilter finds the candidate lines and only those (and
        the lines around them that code snippets show) are ever decoded. A file a transformer may parse,
        or with carriage returns (which text mode turns into newlines), is read as detect-secrets reads it.
        """
        if not self.rules:
            return []
        name = path.lstrip("/")
        if ds_scan._is_filtered_out(required_filter_parameters=["filename"], filename=name):
            return []
        if b"\r" in data or _may_transform(name, data):
            hits, unchecked = self._scan_as_text(name, data)
            return cap(hits, unchecked=unchecked)
        candidates = self._candidates(data)
        try:
            hits, unchecked = (self._scan_lines(_SparseLines(data, candidates), name, candidates) if candidates
                               else ([], {}))
        except UnicodeDecodeError:  # not UTF-8 text after all: detect-secrets would not read it
            return []
        if _may_transform_eagerly(name, data) and is_utf8(data):
            eager, more = self._scan_eager(name, data)
            hits, unchecked = _union(hits, eager), _add(unchecked, more)
        return cap(hits, unchecked=unchecked)

    def _scan_as_text(self, name: str, data: bytes) -> tuple[list[Hit], dict[RuleId, int]]:
        try:
            content = data.decode("utf-8")
        except UnicodeDecodeError:
            return [], {}
        content = content.replace("\r\n", "\n").replace("\r", "\n")  # as `open()` reads text
        lines = get_transformed_file(_NamedText(content, name))  # type: ignore[arg-type]
        hits, unchecked = self._scan_list(lines if lines else _LINE.findall(content), name)
        if _may_transform_eagerly(name, data):  # whatever the first pass found: lines stay independent
            eager, more = self._scan_eager(name, content.encode("utf-8"), content)
            hits, unchecked = _union(hits, eager), _add(unchecked, more)
        return hits, unchecked

    def _scan_eager(self, name: str, data: bytes, content: str | None = None,
                    ) -> tuple[list[Hit], dict[RuleId, int]]:
        """What the eager config-file transformer adds: each setting line read alone (`checks.eager`), and
        for a file of at most EAGER_WHOLE_MAX bytes also the transformer's parse of the whole file where
        it differs (a value continued on the next lines)."""
        eager = self._eager_lines()
        found, skipped = eager.lines(data, 2 * MAX_PER_RULE)  # twice: the filters may drop some
        picked = self._narrowed(found)
        if len(data) <= EAGER_WHOLE_MAX:
            text = data.decode("utf-8") if content is None else content
            whole = whole_file(text)
            if whole is None:
                whole = get_transformed_file(_NamedText(text, name), use_eager_transformers=True)  # type: ignore[arg-type]
            alone = {index: line for index, line, _ in found}
            added = {index: line for index, line in enumerate(x.rstrip("\n") for x in whole or [])
                     if line and line != alone.get(index)}
            for index, line_and_plugins in self._worth_scanning(added).items():
                if line_and_plugins is None:  # no plugin can find anything on detect-secrets' own reading
                    picked.pop(index, None)
                else:
                    picked[index] = line_and_plugins
        lines = {index: line for index, (line, _) in picked.items()}
        count = newlines.of(data).total() + 1
        candidates: list[tuple[int, set[int] | None, int]] = [
            (index, possible, 0) for index, (_, possible) in sorted(picked.items())]
        hits, unchecked = self._scan_lines(_Lines(lines, count), name, candidates) if picked else ([], {})
        return hits, _add(unchecked, self._rules_of(skipped))

    def _narrowed(self, found: list[tuple[int, str, set[int]]]) -> dict[int, tuple[str, set[int] | None]]:
        """The eager pass's lines (picked by their key word or alphabet, `checks.eager`), each with only the
        plugins whose own expressions may match it as transformed: a translated description after a key
        that names no password holds the word `passwd` but no `passwd = "..."`."""
        judged = self._worth_scanning({index: line for index, line, _ in found})
        picked: dict[int, tuple[str, set[int] | None]] = {}
        for index, line, possible in found:
            verdict = judged[index]
            plugins = None if verdict is None else possible if verdict[1] is None else possible & verdict[1]
            if plugins:
                picked[index] = (line, plugins)
        return picked

    def _worth_scanning(self, lines: dict[int, str]) -> dict[int, tuple[str, set[int] | None] | None]:
        """For each of `lines` (by index), the line and the plugins whose expressions may match on it (None
        for all: a line holding a newline), or None where none may: the prefilter over the lines at once."""
        order = sorted(lines)
        blob = "\n".join(lines[index].replace("\n", " ") for index in order).encode("utf-8")
        possible = {order[k]: plugins for k, plugins, _ in self._candidates(blob)} if order else {}
        out: dict[int, tuple[str, set[int] | None] | None] = {}
        for index in order:
            line = lines[index]
            if "\n" in line:
                out[index] = (line, None)
            else:
                out[index] = (line, possible[index]) if index in possible else None
        return out

    def _eager_lines(self) -> EagerLines:
        if self._eager is None:  # built once per session, on first need
            self._eager = _eager_for(get_plugins())
        return self._eager


    def scan_text(self, text: str, name: str) -> list[Hit]:
        """Secrets in one line of image metadata (an Env entry, a label, a history command)."""
        if not self.rules:
            return []
        return self._scan_lines([text], name, [(0, None, 0)])[0]  # every plugin: not worth the prefilter

    def _prefilter_for_session(self) -> Prefilter:
        if self._prefilter is None:
            self._prefilter = Prefilter(get_plugins(), muted_plugins())  # compiled once per process, on first need
        return self._prefilter

    def _candidates(self, blob: bytes) -> list[tuple[int, set[int] | None, int]]:
        return self._prefilter_for_session().candidates(blob)

    def _scan_list(self, lines: list[str], name: str) -> tuple[list[Hit], dict[RuleId, int]]:
        """Lines as a transformer or `readlines` gives them (with or without their newlines)."""
        whole = all(line.endswith("\n") for line in lines[:-1]) and all("\n" not in line[:-1] for line in lines)
        blob = "".join(lines) if whole else "\n".join(line.replace("\n", " ") for line in lines)
        candidates = self._candidates(blob.encode("utf-8"))
        broken = [] if whole else [i for i, line in enumerate(lines) if "\n" in line]
        if broken:  # Python may match across a newline inside a line; the scan never does
            by_line = {index: (plugins, offset) for index, plugins, offset in candidates}
            by_line.update((index, (None, 0)) for index in broken)
            candidates = [(index, plugins, offset) for index, (plugins, offset) in sorted(by_line.items())]
        return self._scan_lines(lines, name, candidates)

    def _scan_lines(self, lines: Sequence[str], name: str, candidates: list[tuple[int, set[int] | None, int]],
                    ) -> tuple[list[Hit], dict[RuleId, int]]:
        """The hits on the candidate lines, and for each rule whose plugin was stopped the number of its
        candidate lines left unvisited. A plugin stops once it has more hits than a file lists
        (`occurrences.MAX_PER_RULE`): a generated file can hold tens of thousands of hashes that the
        entropy plugins find (and the value judge rejects), each costing detect-secrets' filters."""
        found: dict[tuple[str, int, str], Hit] = {}  # every occurrence: one hit per (type, line, value)
        per_plugin: Counter[int] = Counter()
        stopped: set[int] = set()
        skipped: Counter[int] = Counter()
        windows = self._prefilter_for_session().windows
        for position, secret, text in _process_lines(lines, name, candidates, windows, self._allowlist,
                                                     stopped, skipped):
            rule = self._rule_for_type.get(secret.type)
            if rule is None:
                continue
            value = _whole_token(secret.type, secret.secret_value or "", text)
            key = (secret.type, secret.line_number, value)
            if key in found:
                continue
            hit = Hit(
                rule=rule.id,
                line=secret.line_number,
                secret=value,
                message=rule.message or f"{secret.type} in file content",
            )
            found[key] = judge(hit, rule.params.get("checksum"))
            per_plugin[position] += 1
            if per_plugin[position] > MAX_PER_RULE:
                stopped.add(position)
        return list(found.values()), self._rules_of(skipped)

    def _rules_of(self, by_plugin: Mapping[int, int]) -> dict[RuleId, int]:
        """Counts by plugin position as counts by the rule each plugin's hits go to."""
        plugins = get_plugins()
        out: dict[RuleId, int] = {}
        for position, count in by_plugin.items():
            rule = self._rule_for_type.get(plugins[position].secret_type)
            if rule is not None:
                out[rule.id] = out.get(rule.id, 0) + count
        return out


# detect-secrets' filter that drops every secret without an ASCII letter: with it, IPPublicDetector (an
# IPv4 address and maybe a port: digits, dots and a colon) never reports, so its lines are no candidates.
# An apt `Packages` index has thousands of versions such as `1.3.6.7` that it would otherwise visit.
LETTERLESS_FILTER = "detect_secrets.filters.heuristic.is_not_alphanumeric_string"
LETTERLESS_PLUGINS = frozenset({"IPPublicDetector"})


def muted_plugins() -> frozenset[str]:
    """The plugins (class names) whose every secret the session's filters drop: their expressions need
    not be looked for."""
    return LETTERLESS_PLUGINS if LETTERLESS_FILTER in get_settings().filters else frozenset()


def _eager_for(plugins: list[Any]) -> EagerLines:
    """The eager pass's view of the session's plugins: the keyword plugin, the entropy plugins and the
    expressions of others that want a quote."""
    keyword = next((i for i, p in enumerate(plugins) if type(p).__name__ == "KeywordDetector"), None)
    words = sys.modules[type(plugins[keyword]).__module__].DENYLIST if keyword is not None else ()
    entropy = [(i, str(p.charset), float(p.entropy_limit)) for i, p in enumerate(plugins)
               if hasattr(p, "charset") and hasattr(p, "entropy_limit")]
    others = {i for i, p in enumerate(plugins) if i != keyword and not hasattr(p, "entropy_limit")}
    quoted = [(i, pattern, flags) for i, pattern, flags in plugin_patterns(plugins, muted_plugins()) if i in others]
    return EagerLines(keyword, words, entropy, quoted)


def _add(first: dict[RuleId, int], second: dict[RuleId, int]) -> dict[RuleId, int]:
    return {rule: first.get(rule, 0) + second.get(rule, 0) for rule in first.keys() | second.keys()}


class _Lines(Sequence[str]):
    """`count` lines of which only some are known; the others are empty (code snippets slice them, but
    only around lines that are known)."""

    def __init__(self, lines: dict[int, str], count: int) -> None:
        self._lines, self._count = lines, count

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._lines.get(i, "") for i in range(*index.indices(self._count))]
        return self._lines.get(index, "")


def _union(first: list[Hit], second: list[Hit]) -> list[Hit]:
    """The hits of two passes over one file, without exact (rule, line, value) duplicates, by line."""
    seen = {(h.rule, h.line, h.secret) for h in first}
    merged = first + [h for h in second if (h.rule, h.line, h.secret) not in seen]
    return sorted(merged, key=lambda h: h.line or 0)


class _SparseLines(_Lines):
    """The lines of UTF-8 bytes that scanning candidates needs: each candidate line and the lines of
    context around it that a code snippet holds; nothing else is decoded."""

    def __init__(self, data: bytes, candidates: list[tuple[int, set[int] | None, int]]) -> None:
        super().__init__({}, newlines.of(data).total() + (not data.endswith(b"\n") if data else 0))
        for index, _, offset in candidates:  # `offset` is a byte of the line (maybe its newline)
            self._take(data, index, data.rfind(b"\n", 0, offset) + 1)

    def _take(self, data: bytes, index: int, start: int) -> None:
        before, position = index, start
        while before > 0 and index - before < CONTEXT_LINES:
            position = data.rfind(b"\n", 0, position - 1) + 1
            before -= 1
        for line in range(before, min(index + CONTEXT_LINES + 1, self._count)):
            end = data.find(b"\n", position)
            end = len(data) if end < 0 else end + 1
            if line not in self._lines:
                self._lines[line] = data[position:end].decode("utf-8")
            position = end


def _process_lines(lines: Sequence[str], filename: str, candidates: list[tuple[int, set[int] | None, int]],
                   windows: Callable[[bytes, Regions], list[tuple[int, int]] | None], allowlist: bool,
                   stopped: set[int] | None = None, skipped: Counter[int] | None = None,
                   ) -> Iterator[tuple[int, PotentialSecret, str]]:
    """detect-secrets' `_process_line_based_plugins`, with the same output, doing less work; each secret
    with the text its plugin read.

    Only the lines the prefilter lets through are visited, with only the plugins whose expressions can
    match there, and a line's own filters (some of them slow regular expressions, such as
    `is_indirect_reference`) run only once a plugin has found something on it: they can only remove
    findings, and plugins do not depend on them. `pragma: allowlist secret` is looked for in linear time
    (`checks.allowlist`), once per line rather than once per secret. Everything else is the library's
    own: the same code snippet (taken from all lines), the same line, secret and context filters, the
    same plugins in the same order.

    A line longer than MAX_LINE characters is read in windows around each place the prefilter finds a
    possible match (`window`), each given to the plugins as the line: their expressions and the per-secret
    filters, which search the line once for every secret, then take time linear in the line. There, a
    secret longer than WINDOW_BEFORE bytes may be missed, and the per-secret filters see only the window.
    """
    plugins = get_plugins()
    stopped = set() if stopped is None else stopped
    for index, possible, _ in candidates:
        if stopped:  # plugins that found enough in this file (the caller adds to `stopped` as it goes)
            wanted = (set(range(len(plugins))) if possible is None else possible) - stopped
            if skipped is not None:
                skipped.update(stopped if possible is None else possible & stopped)
            if not wanted:
                continue
            possible = wanted
        line_number = index + 1
        line = lines[index].rstrip()
        code_snippet = get_code_snippet(lines=cast("list[str]", lines), line_number=line_number)  # it only slices
        texts = _windows(line, windows) if len(line) > MAX_LINE else [line]
        found = [
            (position, plugin, secret, text)
            for text in texts
            for position, plugin in enumerate(plugins)
            if possible is None or position in possible
            for secret in ds_scan._scan_line(plugin=plugin, filename=filename, line=text, line_number=line_number,
                                             context=code_snippet)
        ]
        if not found or (allowlist and allowlisted(filename, line, code_snippet.previous_line)):
            continue
        if ds_scan._is_filtered_out(required_filter_parameters=["line"], filename=filename, line=line,
                                    context=code_snippet):
            continue
        for position, plugin, secret, text in found:
            if not ds_scan._is_filtered_out(required_filter_parameters=["context"], filename=secret.filename,
                                            secret=secret.secret_value, plugin=plugin, line=text,
                                            context=code_snippet):
                yield position, secret, text


def _windows(line: str, windows: Callable[[bytes, Regions], list[tuple[int, int]] | None]) -> list[str]:
    """The windows of an over-long line around its possible matches (everywhere without a prefilter)."""
    data = line.encode("utf-8", "surrogatepass")
    regions = windows(data, Regions(WINDOW_BEFORE, WINDOW_MAX))
    if regions is None:
        regions = Regions(WINDOW_BEFORE, WINDOW_MAX).everywhere(len(data))
    return [piece.text for piece in pieces(data, regions, "surrogatepass")]


def _whole_token(secret_type: str, value: str, line: str) -> str:
    """The whole token where a plugin's pattern captures only its prefix (a JWT without its signature,
    which its checksum, the JWT structure, needs).

    GitHubTokenDetector's pattern is `(ghp|gho|...)_[A-Za-z0-9_]{36}`, so detect-secrets reports "ghp" for
    every token: two tokens in a file collapse into one and every fingerprint is the same. Where the
    captured value is a short prefix of the match, the whole match is the secret.
    """
    if value.startswith("eyJ") and value.endswith("."):  # JwtTokenDetector's lazy tail stops before the signature
        match = re.compile(re.escape(value) + r"[A-Za-z0-9_\-]{1,1024}").search(line)
        return match.group(0) if match else value
    if len(value) >= 8:
        return value
    cls = _plugin_classes().get(secret_type)
    for pattern in getattr(cls, "denylist", ()):
        for match in pattern.finditer(line):
            if match.re.groups and match.group(1) == value and match.start(1) == match.start():
                return str(match.group(0))
    return value
