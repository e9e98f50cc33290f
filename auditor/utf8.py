"""Whether bytes are UTF-8 text, without decoding them into a string.

Most text in an image is ASCII, which `isascii()` tells at memory speed. Anything else is decoded a piece
at a time and each piece's string dropped: decoding a large file at once would build a string up to four
times its size, only to throw it away.
"""

from __future__ import annotations

import codecs

__all__ = ["PIECE", "is_utf8"]

PIECE = 1 << 20  # bytes decoded at a time


def is_utf8(data: bytes | bytearray, complete: bool = True) -> bool:
    """Whether `data` is UTF-8. With `complete=False` it may end inside a character (a file cut at a
    limit, a head): only what it holds must be valid."""
    if data.isascii():
        return True
    with memoryview(data) as view:
        at = 0
        try:
            while at < len(view):  # a piece may end inside a character: the next one starts at it
                last = at + PIECE >= len(view)
                at += codecs.utf_8_decode(view[at:at + PIECE], "strict", last and complete)[1]
                if last:
                    break
        except UnicodeDecodeError:
            return False
    return True
