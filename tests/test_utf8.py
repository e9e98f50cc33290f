import pytest

from auditor.utf8 import PIECE, is_utf8

E_ACUTE = "\u00e9".encode()  # two bytes


@pytest.mark.parametrize("data, expected", [
    (b"", True),
    (b"plain ascii\n" * 1000, True),
    (b"a" * (PIECE - 1) + E_ACUTE + b"b", True),  # a character across two pieces
    (E_ACUTE * PIECE, True),  # two pieces of non-ASCII text
    (b"a" * (PIECE + 10) + b"\xff", False),  # not UTF-8 only in the second piece
    (E_ACUTE * 10 + b"\xc3", False),  # a character cut at the end of a complete text
    (b"\xed\xa0\x80", False),  # a surrogate: not UTF-8
])
def test_utf8_is_checked_over_every_piece(data, expected):
    assert is_utf8(data) is expected
    assert is_utf8(bytearray(data)) is expected


@pytest.mark.parametrize("tail", [b"\xc3", b"\xe2\x82"])
def test_a_text_cut_at_a_limit_may_end_inside_a_character(tail):
    data = b"a" * PIECE + E_ACUTE + tail
    assert is_utf8(data, complete=False)
    assert not is_utf8(data)


def test_a_cut_text_is_still_checked_before_its_last_character():
    assert not is_utf8(b"\xff" + b"a" * PIECE + b"\xc3", complete=False)
