"""`checks.newlines`: the line counts the checks of one file share are the counts of the bytes asked about,
whatever the order of the questions, and are shared only for the file being scanned."""

from __future__ import annotations

import random

import pytest

from auditor.checks import newlines


@pytest.mark.parametrize("seed", range(20))
def test_every_answer_is_the_count_before_that_offset_in_any_order_of_questions(seed: int,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(newlines, "STEP", 7)  # many marks, in steps that cut lines anywhere
    monkeypatch.setattr(newlines, "MAX_MARKS", 40 if seed % 2 else 1 << 16)  # also once the marks run out
    rng = random.Random(seed)
    data = bytes(rng.choice(b"ab\n") for _ in range(rng.randrange(0, 600)))
    counts = newlines.Newlines(data)
    for _ in range(300):
        offset = rng.randrange(-3, len(data) + 4)
        assert counts.before(offset) == data.count(b"\n", 0, max(offset, 0)), offset
    assert counts.total() == data.count(b"\n")


def test_the_file_being_scanned_shares_its_counts_and_other_bytes_do_not() -> None:
    data = b"a\nb\n" * 10
    other = bytes(bytearray(data))
    with newlines.shared(data) as counts:
        assert newlines.of(data) is counts
        assert newlines.of(other) is not counts  # equal bytes, another object: not the file
        with newlines.shared(other) as inner:
            assert newlines.of(other) is inner
        assert newlines.of(data) is counts
    assert newlines.of(data) is not counts
