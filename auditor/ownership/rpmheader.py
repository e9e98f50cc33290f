"""Read a few tags out of an rpm header blob as the rpmdb stores it, trusting none of its numbers.

The format (rpm's docs/manual/format_header.md; an rpmdb row holds a header without the 8-byte magic):

    uint32 il, dl                          index entries, data bytes (big-endian, like everything)
    il x {int32 tag, uint32 type, int32 offset, uint32 count}
    dl bytes of data; an entry's value starts at `offset` into them

Types: 4 INT32 (count values), 6 STRING (count 1), 8 STRING_ARRAY and 9 I18NSTRING (count
NUL-terminated strings one after another). A tag may appear twice (a "dribble" added at install time
after the immutable region); the later entry wins, as rpm's own import keeps the last.

Every offset and count is checked against the blob before anything is read or allocated: a value must
fit inside the data, `count` INT32s need 4*count bytes, and `count` strings need at least `count` bytes,
so a header claiming a billion strings is refused before a loop or a list of that size exists.
"""

from __future__ import annotations

import struct

INT32, STRING, STRING_ARRAY, I18NSTRING = 4, 6, 8, 9
_INTRO = struct.Struct(">II")
_ENTRY = struct.Struct(">iIiI")

Value = str | list[str] | tuple[int, ...]


def read_tags(blob: bytes, wanted: frozenset[int]) -> dict[int, Value]:
    """The values of the `wanted` tags found in `blob` (str, list[str] or tuple of ints by type).

    Tags with an unsupported type or an out-of-bounds value are left out; a blob whose intro does not
    fit its length gives {}.
    """
    if len(blob) < _INTRO.size:
        return {}
    il, dl = _INTRO.unpack_from(blob, 0)
    start = _INTRO.size + il * _ENTRY.size
    if start + dl > len(blob):
        return {}
    end = start + dl
    found: dict[int, Value] = {}
    for index in range(il):
        tag, kind, offset, count = _ENTRY.unpack_from(blob, _INTRO.size + index * _ENTRY.size)
        if tag not in wanted:
            continue
        value = _value(blob, kind, start + offset, count, end) if 0 <= offset < dl else None
        if value is not None:
            found[tag] = value
        else:
            found.pop(tag, None)
    return found


def _value(blob: bytes, kind: int, pos: int, count: int, end: int) -> Value | None:
    """One entry's value read from `blob[pos:end]`, None when it does not fit."""
    if kind == INT32:
        if pos % 4 or pos + 4 * count > end:  # data is aligned relative to the data start, itself 8 + 16*il
            return None
        return struct.unpack_from(f">{count}I", blob, pos)
    if kind == STRING:
        if count != 1:
            return None
        strings = _strings(blob, pos, 1, end)
        return strings[0] if strings else None
    if kind in (STRING_ARRAY, I18NSTRING):
        return _strings(blob, pos, count, end)
    return None


def _strings(blob: bytes, pos: int, count: int, end: int) -> list[str] | None:
    """`count` NUL-terminated strings from `pos`, all before `end`; None if they do not fit."""
    if count > end - pos:  # each string takes at least its NUL byte
        return None
    out: list[str] = []
    for _ in range(count):
        stop = blob.find(b"\0", pos, end)
        if stop < 0:
            return None
        out.append(blob[pos:stop].decode("utf-8", "surrogateescape"))
        pos = stop + 1
    return out
