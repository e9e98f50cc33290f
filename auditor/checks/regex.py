"""`regex` rules: a content pattern, with keywords as a cheap prefilter, entropy and path limits.

All patterns are translated into wider Hyperscan expressions (`hsregex`) and scanned together in one
pass over a text; Python's `re` then runs only the rules whose expression matched somewhere.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Pattern

from auditor.checks.hsregex import Gate
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
        self._gate = Gate([(c.pattern.pattern, c.pattern.flags) for c in self._compiled])

    def scan_file(self, path: str, data: bytes) -> list[Hit]:
        """Hits in a file's bytes (UTF-8 text, decoded only when a rule's gate expression matched)."""
        wanted = [c for c in self._gated(data) if c.wants(path)]
        return self._scan(data.decode("utf-8", "replace"), wanted) if wanted else []

    def warm(self) -> None:
        self._gate.matches(b"")

    def scan_text(self, text: str, name: str) -> list[Hit]:
        return self._scan(text, self._compiled)  # a line of metadata: not worth a gate

    def _gated(self, data: bytes) -> list[_Compiled]:
        """The rules whose Hyperscan translation matches somewhere in `data` (all without a gate)."""
        matched = self._gate.matches(data) if self._compiled else None
        if matched is None:
            return self._compiled
        return [c for i, c in enumerate(self._compiled) if i in matched]

    def _scan(self, text: str, wanted: list[_Compiled]) -> list[Hit]:
        hits: list[Hit] = []
        lowered: str | None = None
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

