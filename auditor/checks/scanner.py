"""The content checks of every content kind, behind the one `ContentCheck` a layer reader calls; every hit
they make passes the value judge (`auditor.checks.judge`) here, once, whatever kind made it."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace

from auditor.checks import KINDS, content_checks, newlines
from auditor.checks.interface import ContentCheck
from auditor.checks.judge import Context, FileText, Level, judge, level_of
from auditor.model import Hit, Rule, RuleId, Severity


class Scanner(ContentCheck):
    """Each content kind's check (`KINDS`, family "content"), built from the rules of its kind among
    `rules`; hits come in registry order (detect-secrets plugins first, then `regex` rules). A hit the
    judge rejects is kept with its reason in `Hit.rejected`, never dropped: the audit reports it apart."""

    def __init__(self, rules: list[Rule], checks: dict[str, ContentCheck] | None = None) -> None:
        self.checks = content_checks(rules) if checks is None else checks  # `checks`: built by the caller
        self.levels: dict[RuleId, Level] = {rule.id: level_of(rule) for rule in rules
                                            if rule.kind in KINDS and KINDS[rule.kind].family == "content"}
        self.severities: dict[RuleId, Severity] = {rule.id: rule.severity for rule in rules}
        self._sizes = Counter(rule.kind for rule in rules)

    @property
    def secrets(self) -> ContentCheck:
        """The `secret` kind's check, whose `session()` holds detect-secrets' global settings for a run."""
        return self.checks["secret"]

    def scan_file(self, path: str, data: bytes) -> list[Hit]:
        return self._once(self.every_hit(path, data))

    def shares(self) -> tuple[tuple[Callable[[str, bytes], list[Hit]], ...], Callable[[list[Hit]], list[Hit]]]:
        """`scan_file` in two parts that may run at once (`layers.Split`): detect-secrets' check, the
        costliest on a big text (its raw and eager passes), and every other check; and what makes their
        hits, joined in that order, `scan_file`'s (each hit is judged alone, so only `_once` waits)."""
        names = list(self.checks)
        first, rest = names[:1], names[1:]
        return ((lambda path, data: self.every_hit(path, data, first),
                 lambda path, data: self.every_hit(path, data, rest)), self._once)

    def every_hit(self, path: str, data: bytes, only: list[str] | None = None) -> list[Hit]:
        """Each rule's hits in a file, judged, before one value and line is given to one rule (what each
        rule finds on its own: the rule tests check it); `only`: the hits of these checks alone."""
        checks = self.checks.values() if only is None else [self.checks[name] for name in only]
        with newlines.shared(data):  # the checks and the judge count the file's lines once
            hits = [hit for check in checks for hit in check.scan_file(path, data)]
            if not hits:
                return hits
            text = FileText(path, data)
            return [self._judged(hit, lambda hit: text.context(hit.line)) for hit in hits]

    def scan_text(self, text: str, name: str) -> list[Hit]:
        hits = [hit for check in self.checks.values() for hit in check.scan_text(text, name)]
        return self._once([self._judged(hit, lambda _: Context(line=text)) for hit in hits])

    def _once(self, hits: list[Hit]) -> list[Hit]:
        """One hit per value and line: a value that a rule naming its format (a `token`-level rule: a
        provider's prefix, a key block) finds is not reported again by a keyword, assignment or entropy
        rule (`generic`), and of several generic rules the most severe speaks. Rules capture a value
        differently (a plugin takes a token's first 24 characters, an assignment the whole quoted value),
        so a value holding another found on the same line is the same value. Which rules found it is not
        lost: the report names the one that knows most about it."""
        if len(hits) < 2:
            return hits
        by_line: dict[int | None, list[Hit]] = {}
        for hit in hits:
            if hit.secret is not None:
                by_line.setdefault(hit.line, []).append(hit)
        dropped: set[int] = set()
        for found in by_line.values():
            kept: list[str] = []
            for hit in sorted(found, key=self._rank, reverse=True):  # stable: the first of equals speaks
                value = hit.secret or ""
                if any(value in other or other in value for other in kept):
                    dropped.add(id(hit))
                else:
                    kept.append(value)
        return [hit for hit in hits if id(hit) not in dropped]

    def _rank(self, hit: Hit) -> tuple[bool, bool, int]:
        """Reported before rejected; a rule naming the format before a generic one; then severity."""
        return (hit.rejected is None, self.levels.get(hit.rule, "token") != "generic",
                self.severities.get(hit.rule, Severity.INFO).rank)

    def _judged(self, hit: Hit, context: Callable[[Hit], Context]) -> Hit:
        level = self.levels.get(hit.rule, "token")
        if hit.secret is None or hit.rejected is not None or level == "off":
            return hit
        reason = judge(hit.secret, context(hit), level)
        return replace(hit, rejected=reason) if reason else hit

    def warm(self) -> None:
        for warm in self.warmers():
            warm()

    def warmers(self) -> list[Callable[[], None]]:
        """Each check's `warm`, the check with the most rules (the longest to compile) first: they may
        run side by side (`parallel.side_by_side`)."""
        return [check.warm for _, check in sorted(self.checks.items(), key=lambda kv: -self._sizes[kv[0]])]

    @contextlib.contextmanager
    def session(self) -> Iterator[Scanner]:
        with contextlib.ExitStack() as stack:
            for check in self.checks.values():
                stack.enter_context(check.session())
            yield self
