"""The `secret` kind's check, loading detect-secrets only when a text could hold something for it.

Importing detect-secrets (and the `requests` it imports) costs more than checking a small repository's
Dockerfile, and most texts the pre-commit hook sees hold no line any plugin could match. The plugins'
expressions (`prefilter.plugin_patterns`) depend only on which plugins the rules select, their options
and the detect-secrets installed, so they are kept in the user's private cache (`secrets/<key>.json`,
read through `auditor.private`; JSON, so an entry is data, never code). With them, the Hyperscan
prefilter (its database cached by `hsdb`) tells whether a text has a candidate line. Only then is the
real `SecretsCheck` built and asked; its answer is the answer. A text is passed straight to it whenever
the shortcut could be wrong: it has carriage returns or newlines inside one metadata value, or one of
detect-secrets' transformers could turn it into other lines (YAML files, a `[section]`, a file that could
be `key = value` lines throughout), or there is no database.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from auditor import private
from auditor.checks import KINDS, of_kind
from auditor.checks.interface import ContentCheck
from auditor.checks.prefilter import Patterns, Prefilter
from auditor.checks.scanner import Scanner
from auditor.model import Hit, Rule

__all__ = ["LazySecretsCheck", "hook_scanner"]

# A line neither configparser nor its continuation rules accept: `auditor.checks.secrets._NOT_INI_LINE`
# (the tests hold the two equal). A text without one may be read by the eager config-file transformer.
_SETTING = re.compile(r"([^=:]*)[=:](.*)")
_NOT_INI_LINE = re.compile(rb"^[\x21\x22\x24-\x39\x3c\x3e-\x5a\x5c-\x7e][^=:\n]*$", re.MULTILINE)
# A line that may be a `[section]` header once stripped (Python's strip also takes non-ASCII spaces).
_SECTION = re.compile(rb"^[\x09-\x0d\x1c-\x20\x80-\xff]*\[", re.MULTILINE)
_YAML = (".yaml", ".yml", ".eyaml")  # detect-secrets' FileType.YAML extensions: the YAML transformer reads them
_CODE = ("lazysecrets.py", "prefilter.py")  # the code that derives the kept patterns


class LazySecretsCheck(ContentCheck):
    """`SecretsCheck(rules)` as seen from outside, built only for a text that may hold a secret."""

    def __init__(self, rules: list[Rule], cache: str) -> None:
        self.rules = list(rules)
        self._cache = cache
        self._real: ContentCheck | None = None
        self._sessions: contextlib.ExitStack | None = None
        self._prefilter: Prefilter | None = None
        self._patterns: Patterns = []
        plugins = [str(rule.params["plugin"]) for rule in self.rules]
        if len(set(plugins)) != len(plugins):
            self._check()  # raises the check's own error naming both rules
        if self.rules:
            self._patterns = _read(cache, self._key) or self._patterns_now()

    @cached_property
    def _key(self) -> str:
        from auditor.rulecache import detect_secrets_fingerprint

        digest = hashlib.sha256(detect_secrets_fingerprint().encode())
        here = os.path.dirname(os.path.abspath(__file__))
        for name in _CODE:
            with open(os.path.join(here, name), "rb") as handle:
                digest.update(handle.read())
        digest.update(repr([(r.params["plugin"], sorted((r.params.get("options") or {}).items()))
                            for r in self.rules]).encode())
        return digest.hexdigest()

    def _patterns_now(self) -> Patterns:
        """The plugins' expressions, from detect-secrets itself; kept for the next run."""
        check = self._check()
        with check.session():
            check.warm()
            prefilter = getattr(check, "_prefilter", None)
            patterns = prefilter.patterns if isinstance(prefilter, Prefilter) else None
        if patterns is None:
            raise _NoPatterns
        _write(self._cache, self._key, patterns)
        return patterns

    def _check(self) -> ContentCheck:
        """The real check, in the current session if there is one."""
        if self._real is None:
            from auditor.checks.secrets import SecretsCheck

            self._real = SecretsCheck(self.rules)
            if self._sessions is not None:
                self._sessions.enter_context(self._real.session())
        return self._real

    @contextlib.contextmanager
    def session(self) -> Iterator[LazySecretsCheck]:
        """The real check's session, entered if and when the real check is built (nested: shared)."""
        if self._sessions is not None:
            yield self
            return
        with contextlib.ExitStack() as stack:
            self._sessions = stack
            if self._real is not None:
                stack.enter_context(self._real.session())
            try:
                yield self
            finally:
                self._sessions = None

    def warm(self) -> None:
        self._check().warm()

    def _quiet(self, blob: bytes) -> bool:
        """Whether no plugin expression can match on any line of `blob` (`\\n`-separated lines)."""
        if self._prefilter is None:
            self._prefilter = Prefilter.from_patterns(self._patterns)  # its database: one load, on first need
        prefilter = self._prefilter
        return prefilter.database is not None and not prefilter.candidates(blob)

    def scan_text(self, text: str, name: str) -> list[Hit]:
        if not self.rules:
            return []
        if "\n" not in text and "\r" not in text and self._quiet(text.encode("utf-8", "surrogatepass")):
            return []
        return self._check().scan_text(text, name)

    def scan_file(self, path: str, data: bytes) -> list[Hit]:
        if not self.rules or not data:  # no line, nothing for any plugin or transformer
            return []
        if b"\r" in data or path.endswith(_YAML) or _SECTION.search(data) or not self._quiet(data):
            return self._check().scan_file(path, data)
        if _NOT_INI_LINE.search(data):  # configparser fails on that line: no eager transformer either
            return []
        eager = _eager_lines(data)
        if not eager or self._quiet("\n".join(eager).encode("utf-8")):
            return []
        return self._check().scan_file(path, data)


def _eager_lines(data: bytes) -> list[str]:
    """Every line detect-secrets' eager config-file transformer can give for `data` (it runs on a file
    of no known type where nothing else was found), and more: `key = "value"` for each value
    configparser reads once `[global]` is put in front, and each stripped line (it passes comment lines
    through); and, as `auditor.checks.secrets` also runs the transformer on each line alone (so that one
    line never depends on the others), `key = "value"` for every line holding `=` or `:`, wider than what
    it gives: the check only needs to know when the real one could find something."""
    import configparser

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return []  # detect-secrets does not read it as text
    parser = configparser.ConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    out = [line.strip() for line in text.split("\n")]
    for line in list(out):
        setting = _SETTING.match(line)  # key, then the first `=` or `:`, then the value
        if setting is None:
            continue
        key, value = setting.group(1), setting.group(2).strip()
        if key.strip() and value:
            if value[0] in ("'", '"') and value[-1] == value[0] and len(value) > 1:
                value = value[1:-1]
            out.append(f'{key.strip()} = "{value}"')
    try:
        parser.read_string("[global]\n" + text)
        for section in parser:
            for key, values in parser.items(section):
                lines = values.splitlines()
                for value in [line for line in lines if line]:  # the transformer skips empty values
                    if value[0] in ("'", '"') and value[-1] == value[0]:
                        value = value[1:-1]
                    escaped = value.replace('"', '\\"')
                    out.append(f'{key} = "{escaped}"')
    except configparser.Error:
        pass  # the whole-file pass gives nothing; the lines alone still may
    return out


class _NoPatterns(Exception):
    """detect-secrets gave no expressions to keep (a plugin the prefilter does not know)."""


def _path(cache: str, key: str) -> str:
    return os.path.join(cache, "secrets", f"{key}.json")


def _read(cache: str, key: str) -> Patterns | None:
    try:
        loaded: Any = json.loads(private.read_file(cache, _path(cache, key)))
    except (OSError, ValueError):
        return None
    if not isinstance(loaded, list) or not all(
            isinstance(item, list) and len(item) == 3 and isinstance(item[0], int) and isinstance(item[1], str)
            and isinstance(item[2], int) for item in loaded):
        return None
    return [(item[0], item[1], item[2]) for item in loaded]


def _write(cache: str, key: str, patterns: Patterns) -> None:
    try:
        private.write_file(cache, _path(cache, key), json.dumps(patterns).encode())
    except OSError:
        pass  # only costs time


def hook_scanner(rules: list[Rule], cache: str | None) -> Scanner:
    """A `Scanner` of `rules` whose `secret` check is a `LazySecretsCheck` keeping its expressions under
    `cache` (without a cache, the plain `Scanner`)."""
    if cache is None:
        return Scanner(rules)
    checks: dict[str, ContentCheck] = {}
    for kind, spec in KINDS.items():
        if spec.family != "content":
            continue
        if kind == "secret":
            try:
                checks[kind] = LazySecretsCheck(of_kind(rules, kind), cache)
                continue
            except _NoPatterns:
                pass
        assert spec.factory is not None
        check = spec.factory(of_kind(rules, kind))
        assert isinstance(check, ContentCheck)
        checks[kind] = check
    return Scanner(rules, checks)
