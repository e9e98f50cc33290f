"""detect-secrets rules: the library's own plugins and filters over in-memory files.

Only this module imports detect_secrets. A file is fed exactly as `detect-secrets scan` would read it
from disk (UTF-8 text with universal newlines, transformers, eager transformers when nothing was found)
under a virtual name that keeps the in-image path, so extension-based behaviour and filters still apply.
Nothing is written to disk.
"""

from __future__ import annotations

import contextlib
import io
import re
from functools import lru_cache
from typing import Iterator

from detect_secrets.core import scan as ds_scan
from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.settings import get_filters, get_plugins, get_settings, transient_settings
from detect_secrets.util.code_snippet import get_code_snippet
from detect_secrets.transformers import get_transformed_file, get_transformers
from detect_secrets.util.filetype import FileType, determine_file_type

from auditor.checks.prefilter import Prefilter
from auditor.errors import RuleError
from auditor.model import Hit
from auditor.rules import Rule

INVALID_FILE_FILTER = "detect_secrets.filters.common.is_invalid_file"


@lru_cache(maxsize=1)
def plugin_names() -> frozenset[str]:
    """The class names of every detect-secrets plugin, as rules name them."""
    return frozenset(cls.__name__ for cls in get_mapping_from_secret_type_to_class().values())


class _NamedText(io.StringIO):
    """A file's text as `open(name)` would read it (newlines already translated)."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text)
        self.name = name


# A line neither configparser nor its continuation rules accept: it does not start with whitespace, a
# comment (#, ;) or a section header ([), and holds no `=` or `:`. One such line makes the whole parse
# fail (configparser collects it as an error and raises at the end).
_NOT_INI_LINE = re.compile(r"^[\x21\x22\x24-\x39\x3c\x3e-\x5a\x5c-\x7e][^=:\n]*$", re.MULTILINE)


def _may_transform(name: str, content: str) -> bool:
    """Whether a non-eager transformer can return lines: YAML files go to the YAML transformer; for every
    other file the config-file transformer needs a section header before any other setting."""
    if determine_file_type(name) is FileType.YAML:
        return True
    for line in io.StringIO(content):
        value = line.strip()
        if value and not value.startswith(("#", ";")):
            return value.startswith("[")
    return False


def _may_transform_eagerly(name: str, content: str) -> bool:
    """Whether the eager config-file transformer (for files of no known type) can return lines."""
    return determine_file_type(name) is FileType.OTHER and not _NOT_INI_LINE.search(content)


def _check_transformers() -> None:
    """The shortcuts above know these transformers and no others (detect-secrets is pinned to 1.5)."""
    names = sorted(type(t).__name__ for t in get_transformers())
    if names != ["ConfigFileTransformer", "EagerConfigFileTransformer", "YAMLTransformer"]:
        raise RuleError(f"unexpected detect-secrets transformers {names}; this layer-auditor needs 1.5")


class SecretsCheck:
    """Runs the detect-secrets plugins that `secret` rules select, mapping each secret type to its rule."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = [r for r in rules if r.kind == "secret"]
        seen: dict[str, Rule] = {}
        for rule in self.rules:
            plugin = str(rule.params["plugin"])
            if plugin in seen:
                raise RuleError(f"{rule.source}: rules {seen[plugin].id} and {rule.id} both select {plugin}")
            seen[plugin] = rule
        by_class = {cls.__name__: secret_type for secret_type, cls in get_mapping_from_secret_type_to_class().items()}
        self._rule_for_type = {by_class[name]: rule for name, rule in seen.items()}
        self._prefilter: Prefilter | None = None
        self._active = False

    @contextlib.contextmanager
    def session(self) -> Iterator[SecretsCheck]:
        """detect-secrets settings are global: set them once for the whole run (nested sessions share it)."""
        if self._active:
            yield self
            return
        plugins = [{"name": r.params["plugin"], **dict(r.params.get("options") or {})} for r in self.rules]
        with transient_settings({"plugins_used": plugins}):
            _check_transformers()
            get_settings().disable_filters(INVALID_FILE_FILTER)
            get_filters.cache_clear()
            self._prefilter = None
            self._active = True
            try:
                yield self
            finally:
                self._prefilter = None
                self._active = False

    def scan_file(self, path: str, data: bytes) -> list[Hit]:
        """Secrets in one file's bytes; `path` is its absolute in-image path."""
        if not self.rules:
            return []
        name = path.lstrip("/")
        if ds_scan._is_filtered_out(required_filter_parameters=["filename"], filename=name):
            return []
        try:
            content = data.decode("utf-8")
        except UnicodeDecodeError:
            return []
        content = content.replace("\r\n", "\n").replace("\r", "\n")  # as `open()` reads text
        text = _NamedText(content, name)
        lines = get_transformed_file(text) if _may_transform(name, content) else None  # type: ignore[arg-type]
        if not lines:
            lines = text.readlines()
        hits = self._scan_lines(lines, name)
        if not hits and _may_transform_eagerly(name, content):
            text.seek(0)
            eager = get_transformed_file(text, use_eager_transformers=True)  # type: ignore[arg-type]
            if eager:
                hits = self._scan_lines(eager, name)
        return hits

    def scan_text(self, text: str, name: str) -> list[Hit]:
        """Secrets in one line of image metadata (an Env entry, a label, a history command)."""
        if not self.rules:
            return []
        return self._scan_lines([text], name)

    def _scan_lines(self, lines: list[str], name: str) -> list[Hit]:
        found: dict[tuple[str, str], Hit] = {}
        if self._prefilter is None:
            self._prefilter = Prefilter(get_plugins())  # compiled once per process, on first need
        for secret in _process_lines(lines, name, self._prefilter):
            rule = self._rule_for_type.get(secret.type)
            if rule is None:
                continue
            value = _whole_token(secret.type, secret.secret_value or "", lines[secret.line_number - 1])
            key = (secret.type, value)
            if key in found:
                continue
            found[key] = Hit(
                rule=rule.id,
                line=secret.line_number,
                secret=value,
                message=rule.message or f"{secret.type} in file content",
            )
        return list(found.values())


def _process_lines(lines: list[str], filename: str, prefilter: Prefilter | None) -> Iterator[PotentialSecret]:
    """detect-secrets' `_process_line_based_plugins`, with the same output, doing less work.

    Only the lines the prefilter lets through are visited, with only the plugins whose expressions can
    match there, and a line's own filters (some of them slow
    regular expressions, such as `is_indirect_reference`) run only once a plugin has found something on
    it: they can only remove findings, and plugins do not depend on them. Everything else is the
    library's own: the same code snippet (taken from all lines), the same line, secret and context
    filters, the same plugins in the same order.
    """
    plugins = get_plugins()
    candidates = prefilter.candidates(lines) if prefilter is not None else [(i, None) for i in range(len(lines))]
    for index, possible in candidates:
        line_number = index + 1
        line = lines[index].rstrip()
        code_snippet = get_code_snippet(lines=lines, line_number=line_number)
        found = [
            (plugin, secret)
            for position, plugin in enumerate(plugins)
            if possible is None or position in possible
            for secret in ds_scan._scan_line(plugin=plugin, filename=filename, line=line, line_number=line_number,
                                             context=code_snippet)
        ]
        if not found or ds_scan._is_filtered_out(required_filter_parameters=["line"], filename=filename, line=line,
                                                 context=code_snippet):
            continue
        for plugin, secret in found:
            if not ds_scan._is_filtered_out(required_filter_parameters=["context"], filename=secret.filename,
                                            secret=secret.secret_value, plugin=plugin, line=line,
                                            context=code_snippet):
                yield secret


def _whole_token(secret_type: str, value: str, line: str) -> str:
    """The whole token where a plugin's pattern captures only its prefix.

    GitHubTokenDetector's pattern is `(ghp|gho|...)_[A-Za-z0-9_]{36}`, so detect-secrets reports "ghp" for
    every token: two tokens in a file collapse into one and every fingerprint is the same. Where the
    captured value is a short prefix of the match, the whole match is the secret.
    """
    if len(value) >= 8:
        return value
    cls = get_mapping_from_secret_type_to_class().get(secret_type)
    for pattern in getattr(cls, "denylist", ()):
        for match in pattern.finditer(line):
            if match.re.groups and match.group(1) == value and match.start(1) == match.start():
                return match.group(0)
    return value
