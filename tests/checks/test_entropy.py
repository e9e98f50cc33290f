"""`checks.entropy` gives the very float detect-secrets' own entropy method gives, for every plugin."""

from __future__ import annotations

import math
import random

import pytest
from detect_secrets.plugins.high_entropy_strings import (
    Base64HighEntropyString,
    HexHighEntropyString,
    HighEntropyStringsPlugin,
)

from auditor.checks.entropy import shannon_entropy
from auditor.checks.secrets import counted_once


@pytest.mark.parametrize("plugin", [Base64HighEntropyString(), HexHighEntropyString()], ids=lambda p: type(p).__name__)
def test_the_entropy_is_detect_secrets_own_to_the_last_bit(plugin: HighEntropyStringsPlugin) -> None:
    rng = random.Random(11)
    alphabet = plugin.charset + "é $\"'"
    samples = ["", "a", "0123456789", "0" * 40, "deadbeef" * 5, "ZXhhbXBsZQ==", "aGVsbG8gd29ybGQ-_/+"]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 80))) for _ in range(3000)]
    own = [plugin.calculate_shannon_entropy(s) for s in samples]
    with counted_once():
        ours = [plugin.calculate_shannon_entropy(s) for s in samples]
    assert ours == own
    assert [plugin.calculate_shannon_entropy(s) for s in samples[:50]] == own[:50]  # restored after


def test_a_charset_listing_a_character_twice_counts_it_twice() -> None:
    a, b = -(2 / 3) * math.log(2 / 3, 2), -(1 / 3) * math.log(1 / 3, 2)
    assert shannon_entropy("aba", "aab") == a + b + a
