"""How many occurrences of a rule's matches one file reports.

Every occurrence is its own hit (one per rule, line and value), so a secret repeated on ten lines is ten
findings, each with its line; they share one fingerprint (rule, path, value: `auditor.fingerprint`), so a
baseline or suppression of the secret covers them all. A minified bundle or a generated fixture can hold
thousands of matches of one rule, which would drown a report: past `MAX_PER_RULE` hits of one rule in one
file the rest are counted, not listed, and the count is said in the last listed hit's message. A check
may also stop looking for a rule that has already found more than that (`unchecked`: the places it left
unvisited, each of which may or may not hold one); the message then says "up to".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace

from auditor.model import Hit, RuleId

MAX_PER_RULE = 100  # hits of one rule in one file; the rest are counted in the last one's message


def cap(hits: list[Hit], limit: int = MAX_PER_RULE, unchecked: Mapping[RuleId, int] | None = None) -> list[Hit]:
    """`hits` (of one file, in order) with at most `limit` per rule; the last kept hit of a rule that had
    more says how many more there were ("up to" that many, for a rule with `unchecked` places)."""
    unchecked = unchecked or {}
    counts = Counter(h.rule for h in hits)
    if all(n <= limit for n in counts.values()):
        return hits
    kept: list[Hit] = []
    taken: Counter[RuleId] = Counter()
    for hit in hits:
        taken[hit.rule] += 1
        if taken[hit.rule] < limit or (taken[hit.rule] == limit and counts[hit.rule] == limit):
            kept.append(hit)
        elif taken[hit.rule] == limit:
            more = counts[hit.rule] - limit
            rest = unchecked.get(hit.rule, 0)
            how = f"up to {more + rest}" if rest else str(more)
            kept.append(replace(hit, message=f"{hit.message} (and {how} more in this file, not listed)"))
    return kept
