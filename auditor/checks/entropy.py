"""Shannon entropy exactly as detect-secrets' entropy plugins compute it, for a fraction of the cost.

`HighEntropyStringsPlugin.calculate_shannon_entropy` counts every character of the plugin's charset in
the string (68 `str.count` calls for base64, whatever the string holds) and was the largest single cost
of scanning an image. This counts the string's characters once and sums the same terms, over the same
characters, in the same order, so the result is the same float, bit for bit
(`tests/checks/test_entropy.py`). `auditor.checks.secrets` puts it in the plugins' place for the length of
a session.
"""

from __future__ import annotations

import math
from collections import Counter

_RANKS: dict[str, dict[str, int]] = {}  # charset -> each character's position in it


def shannon_entropy(charset: str, data: str) -> float:
    """detect-secrets' entropy of `data` over `charset`: the sum, in charset order, of -p log2 p for each
    charset character that `data` holds (a character listed twice counts twice, as there)."""
    if not data:
        return 0
    rank = _RANKS.get(charset)
    if rank is None:
        rank = _RANKS[charset] = {c: i for i, c in enumerate(charset)}
    if len(rank) != len(charset):  # a character listed twice: the plain loop is the reference
        return _plain(charset, data)
    counts = Counter(data)
    size = len(data)
    entropy = 0.0
    for char in sorted((c for c in counts if c in rank), key=rank.__getitem__):
        p_x = float(counts[char]) / size
        entropy += - p_x * math.log(p_x, 2)
    return entropy


def _plain(charset: str, data: str) -> float:
    entropy = 0.0
    for x in charset:
        p_x = float(data.count(x)) / len(data)
        if p_x > 0:
            entropy += - p_x * math.log(p_x, 2)
    return entropy
