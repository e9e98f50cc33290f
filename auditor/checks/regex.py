"""`regex` rules: a content pattern, with keywords as a cheap prefilter, entropy and path limits.

All patterns are translated into wider Hyperscan expressions (`hsregex`) and scanned together in one
pass over a text; Python's `re` then runs only the rules whose expression matched somewhere.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Pattern

from auditor.checks.hsregex import Untranslatable, encode_line, translate
from auditor.globs import compile_globs
from auditor.model import Hit
from auditor.rules import Rule


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in Counter(text).values())


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    pattern: Pattern[str]
    keywords: tuple[str, ...]
    include: Pattern[str] | None
    exclude: Pattern[str] | None
    allow: Pattern[str] | None

    def wants(self, path: str) -> bool:
        if self.include is not None and not self.include.match(path):
            return False
        return self.exclude is None or not self.exclude.match(path)


class RegexCheck:
    """Runs every `regex` rule over text; each distinct secret is reported once per file and rule."""

    def __init__(self, rules: list[Rule]) -> None:
        self._compiled = []
        for rule in rules:
            if rule.kind != "regex":
                continue
            flags = re.MULTILINE | (re.IGNORECASE if rule.params.get("ignore_case") else 0)
            allow = rule.params.get("allow") or ()
            self._compiled.append(
                _Compiled(
                    rule=rule,
                    pattern=re.compile(rule.params["pattern"], flags),
                    keywords=tuple(k.lower() for k in rule.params.get("keywords") or ()),
                    include=compile_globs(rule.paths),
                    exclude=compile_globs(rule.exclude),
                    allow=re.compile("|".join(f"(?:{a})" for a in allow)) if allow else None,
                )
            )
        self._gate = _gate([(c.pattern.pattern, c.pattern.flags) for c in self._compiled])

    def scan_file(self, path: str, data: bytes) -> list[Hit]:
        if not self._compiled:
            return []
        text = data.decode("utf-8", "replace")
        return self._scan(text, path)

    def scan_text(self, text: str, name: str) -> list[Hit]:
        return self._scan(text, None)

    def _scan(self, text: str, path: str | None) -> list[Hit]:
        hits: list[Hit] = []
        lowered: str | None = None
        wanted = [c for c in self._compiled if path is None or c.wants(path)]
        if not wanted:
            return hits
        if self._gate is not None:
            matched: set[int] = set()
            self._gate.scan(encode_line(text), match_event_handler=lambda i, *_: matched.add(i) or None)
            wanted = [c for i, c in enumerate(self._compiled) if i in matched and c in wanted]
        for c in wanted:
            if c.keywords:
                lowered = lowered if lowered is not None else text.lower()
                if not any(k in lowered for k in c.keywords):
                    continue
            seen: set[str] = set()
            group = c.rule.params.get("group", 0)
            min_entropy = c.rule.params.get("min_entropy", 0.0)
            for match in c.pattern.finditer(text):
                secret = match.group(group) if group else match.group(0)
                if not secret or secret in seen:
                    continue
                if min_entropy and entropy(secret) < min_entropy:
                    continue
                if c.allow is not None and c.allow.search(secret):
                    continue
                seen.add(secret)
                line = text.count("\n", 0, match.start()) + 1
                hits.append(Hit(c.rule.id, line, secret, c.rule.headline))
        return hits


def _gate(patterns: list[tuple[str, int]]) -> Any:
    """One Hyperscan database of every pattern (id = position), or None to run them all."""
    try:
        import hyperscan
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    if not patterns:
        return None
    try:
        expressions = [translate(pattern, flags, lines=False).encode("ascii") for pattern, flags in patterns]
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        flags = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_ALLOWEMPTY \
            | hyperscan.HS_FLAG_SINGLEMATCH
        database.compile(expressions=expressions, ids=list(range(len(expressions))), flags=[flags] * len(expressions))
    except (Untranslatable, hyperscan.error):
        return None
    return database
