"""`regex` rules: a content pattern, with keywords as a cheap prefilter, entropy and path limits.

All patterns are translated into wider Hyperscan expressions (`hsregex`) and scanned together in one
pass over a text, which reports every offset where a rule's match may end. Python's `re` then runs only
on bounded regions around those offsets (`window`), never over a whole file or line, so a pattern that
backtracks badly costs at most a region's worth of work per region. A match longer than
`window.BEFORE` bytes may be missed or cut short.

A rule with `decode: base64` decodes its secret (at most `DECODE_LIMIT` characters of it, so the cost
per match is bounded) and keeps the match only when `decoded` finds its expression in the result: an
embedded PEM key must decode to a private key, a Basic header to user:password. The decoded text is
never reported; `decoded`'s first group, when it has one, names what was found in the message.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from dataclasses import replace
from functools import cached_property
from re import Pattern

from auditor.checks.checksum import judge
from auditor.checks.gate import Gate
from auditor.checks.interface import ContentCheck, Scoped
from auditor.checks.occurrences import cap
from auditor.checks.window import LineCounter, Regions, pieces
from auditor.model import Hit, Rule


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in Counter(text).values())


FOLD_PIECE = 1 << 20  # bytes of text folded at a time (`_Folded`)
DECODE_LIMIT = 4096  # base64 characters of a secret decoded at most: a PEM header or user:password is early
_URLSAFE = str.maketrans("-_", "+/")


def decode_base64(text: str) -> str | None:
    """The first `DECODE_LIMIT` characters of standard or URL-safe base64 `text`, padding optional,
    decoded as UTF-8 (bytes that are not become U+FFFD); None when `text` is not base64."""
    body = text[:DECODE_LIMIT].rstrip("=").translate(_URLSAFE)
    if len(body) % 4 == 1:  # a lone last character holds no whole byte
        body = body[:-1]
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except binascii.Error:
        return None
    return raw.decode("utf-8", "replace")


def judge_decoded(secret: str, expected: Pattern[str] | None) -> str | None:
    """What a base64 secret decodes to, for the finding's message: `expected`'s first group ('' when it
    has none, or when there is no `expected`); None when the secret does not decode or `expected` is not
    found in what it decodes to."""
    text = decode_base64(secret)
    if text is None:
        return None
    if expected is None:
        return ""
    match = expected.search(text)
    if match is None:
        return None
    return (match.group(1) or "") if expected.groups else ""


class _Compiled(Scoped):
    """One rule's expressions, each compiled on first use, so only those the gate lets through are ever
    compiled: 5 of the default packs' 285 patterns on the bench image (compiling them all took 0.1 s of the
    compile that workers wait for; each worker now compiles the few it needs)."""

    def __init__(self, rule: Rule) -> None:
        super().__init__(rule)
        self.source: str = rule.params["pattern"]
        self.flags = re.MULTILINE | (re.IGNORECASE if rule.params.get("ignore_case") else 0)
        self.keywords = tuple(k.lower().encode() for k in rule.params.get("keywords") or ())
        self.ascii_keywords = all(k.isascii() for k in self.keywords)
        self.checksum: str | None = rule.params.get("checksum")

    @cached_property
    def pattern(self) -> Pattern[str]:
        return re.compile(self.source, self.flags)

    @cached_property
    def allow(self) -> Pattern[str] | None:
        allow = self.rule.params.get("allow") or ()
        return re.compile("|".join(f"(?:{a})" for a in allow)) if allow else None

    @cached_property
    def decoded(self) -> Pattern[str] | None:
        decoded = self.rule.params.get("decoded")
        return re.compile(decoded) if decoded is not None else None


class _Folded:
    """Whether one of some keywords occurs in a text with its ASCII letters folded (`bytes.lower()`, in
    place of the decoded text: 4 bytes a character). A text of up to FOLD_PIECE bytes is folded once; a
    longer one piece by piece, each time it is asked, so that a 30 MB file is never copied whole."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._whole: bytes | None = None

    def holds(self, keywords: tuple[bytes, ...]) -> bool:
        data = self._data
        if len(data) <= FOLD_PIECE:
            if self._whole is None:
                self._whole = data.lower()
            return any(k in self._whole for k in keywords)
        overlap = max(map(len, keywords)) - 1  # a keyword across two pieces is in the second
        for start in range(0, len(data), FOLD_PIECE):
            piece = data[max(0, start - overlap):start + FOLD_PIECE].lower()
            if any(k in piece for k in keywords):
                return True
        return False


class RegexCheck(ContentCheck):
    """Runs every `regex` rule over text; every occurrence is reported: one hit per (rule, line, value),
    at most `occurrences.MAX_PER_RULE` per rule and file."""

    def __init__(self, rules: list[Rule]) -> None:
        self._compiled = [_Compiled(rule) for rule in rules]
        self._gate = Gate([(c.source, c.flags) for c in self._compiled], every=True)

    def scan_file(self, path: str, data: bytes) -> list[Hit]:
        """Hits in a file's bytes (UTF-8 text; only the regions around possible matches are decoded)."""
        return self._scan(data, path, "replace") if self._compiled else []

    def warm(self) -> None:
        self._gate.matches(b"")
        for c in self._compiled:  # the globs before workers fork (cheap: the rules share them)
            _ = (c.include, c.exclude)

    def scan_text(self, text: str, name: str) -> list[Hit]:
        """Hits in a line of metadata (every rule, whatever its paths)."""
        return self._scan(text.encode("utf-8", "surrogatepass"), None, "surrogatepass") if self._compiled else []

    def _scan(self, data: bytes, path: str | None, errors: str) -> list[Hit]:
        regions = self._gate.regions(data)
        folded = _Folded(data)
        ascii_text = data.isascii()
        lines = LineCounter(data)
        hits: list[Hit] = []
        for index in range(len(self._compiled)) if regions is None else regions:  # in rule order
            c = self._compiled[index]
            found = regions[index] if regions is not None else Regions().everywhere(len(data))
            if not found or (path is not None and not c.wants(path)):
                continue
            # bytes.lower() folds ASCII letters only: a rule with another keyword runs on non-ASCII text
            if c.keywords and (c.ascii_keywords or ascii_text) and not folded.holds(c.keywords):
                continue
            hits.extend(cap(self._search(c, data, found, lines, errors)))
        return hits

    def _search(self, c: _Compiled, data: bytes, regions: list[tuple[int, int]], lines: LineCounter,
                errors: str) -> list[Hit]:
        """Matches of one rule, region by region, as `finditer` over the whole text would give those of
        up to `window.BEFORE` bytes; each (line, value) once."""
        group = c.rule.params.get("group", 0)
        hits: list[Hit] = []
        seen: set[tuple[int, str]] = set()
        messages: dict[str, Hit | None] = {}  # value -> its hits (lineless); None: not reported (judged once)
        cursor = 0  # the byte where the last match ended: the next search starts there at the earliest
        for piece in pieces(data, regions, errors):
            start = piece.pos if cursor <= piece.begin else \
                max(piece.pos, piece.chars(data, min(cursor, len(data)), errors))
            line, counted = lines.line_at(piece.begin), 0  # the line at character `counted` of the piece
            for match in c.pattern.finditer(piece.text, start):
                if match.end() > piece.last or (piece.limit is not None and match.start() >= piece.limit):
                    break  # past the last possible end (the region's edge), or the next region's to find
                cursor = piece.byte(match.end())
                secret = match.group(group) if group else match.group(0)
                if not secret:
                    continue
                if secret not in messages:
                    messages[secret] = self._judged(c, secret)
                judged = messages[secret]
                if judged is None:
                    continue
                line += piece.text.count("\n", counted, match.start())
                counted = match.start()
                if (line, secret) not in seen:
                    seen.add((line, secret))
                    hits.append(replace(judged, line=line))
        return hits

    @staticmethod
    def _judged(c: _Compiled, secret: str) -> Hit | None:
        """A rule's hit on `secret` (without its line), or None when the value is not reported (too little
        entropy, allowed, not what `decoded` wants once decoded); a look-alike by its checksum is rejected
        by name."""
        min_entropy = c.rule.params.get("min_entropy", 0.0)
        if min_entropy and entropy(secret) < min_entropy:
            return None
        if c.allow is not None and c.allow.search(secret):
            return None
        judged = judge(Hit(c.rule.id, None, secret, c.rule.headline), c.checksum)
        if not c.rule.params.get("decode"):
            return judged
        note = judge_decoded(secret, c.decoded)  # what it decodes to: bounded, and only once per value
        if note is None:
            return None
        return replace(judged, message=f"{judged.message} ({note})") if note else judged
