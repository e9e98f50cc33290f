"""Translate a Python regular expression into a Hyperscan prefilter expression for one-line texts.

The prefilter must never miss a line on which Python's `re` (Unicode mode, as detect-secrets runs its
plugins on one right-stripped line) could match. Hyperscan runs in byte mode over the UTF-8 bytes of
the text (valid UTF-8: the only text scanned), lines separated by `\\n`. The expression is rebuilt from
Python's own parse tree so that it is *wider*, never narrower:

- every single-character atom (literal, class, `.`) becomes an explicit byte class holding exactly the
  ASCII characters Python accepts there (asked of Python itself, so `\\s` keeps `\\x1c`-`\\x1f` and case
  folding is Python's), or any one multi-byte UTF-8 character when the atom can accept a non-ASCII
  character (negated classes, `.`, `\\w`/`\\d`/`\\s`); under IGNORECASE the letters i, k and s also
  take the exact UTF-8 bytes of the non-ASCII letters they fold to (İ, ı, K and ſ), no other;
- for one-line patterns, `\\n` is never accepted: a plugin's line holds none, and the joined text uses
  it only between lines;
- zero-width assertions that depend on neighbours (`\\b`, `\\B`, look-arounds) are dropped, and
  `\\Z` becomes a line anchor; a back-reference becomes its group's own expression;
- line and string starts (`^`, `\\A`) are dropped too. Hyperscan 5.4.12 (bundled with hyperscan 0.9.1)
  loses matches of some `^`-anchored expressions under HS_FLAG_MULTILINE past a text's first bytes, with or
  without HS_FLAG_PREFILTER: rules/tokens.yaml's npmrc-auth, `^[ \\t]*(?:...)?(?:_authToken|...)`, missed
  `_authToken` indented by exactly one space or tab after 23 or more bytes. Without the anchor the
  expression only matches in more places, and Python's `re` decides on the regions around them
  (tests/rules/test_gate_offsets.py pushes every rule's example across such offsets).

Dropping a condition or accepting more characters can only widen the expression, so a Python match on a
line implies a Hyperscan match on the encoded line.
"""

from __future__ import annotations

import hashlib
import re
import sys
from functools import cache, lru_cache
from typing import Any

if sys.version_info >= (3, 11):
    from re import _compiler as sre_compile
    from re import _constants as sre
    from re import _parser as sre_parse
else:  # pragma: no cover - Python 3.10
    import sre_compile
    import sre_constants as sre
    import sre_parse

__all__ = ["MULTIBYTE", "NEVER", "FOLDS_OUT_OF_ASCII", "Untranslatable", "code_digest", "translate", "translate_apart",
           "sre", "sre_compile", "sre_parse"]  # the last three: Python's own parser, for `backtrack`

MULTIBYTE = "[\\xc2-\\xf4][\\x80-\\xbf]{1,3}"  # one non-ASCII character in UTF-8 (a little wider)
NEVER = "\\xff"  # a byte valid UTF-8 never holds: an atom that accepts nothing becomes this
FOLDS_OUT_OF_ASCII = frozenset("IiKkSs")  # ASCII letters Python's IGNORECASE matches with non-ASCII ones
FOLDED = (0x130, 0x131, 0x17F, 0x212A)  # the non-ASCII characters they fold to, and the only ones folding to ASCII
_ATOM_FLAGS = int(re.IGNORECASE | re.DOTALL | re.ASCII | re.UNICODE)  # the flags that decide what one atom takes

# A repetition bounded above REPEAT_CAP becomes "at least min(low, REPEAT_CAP)", unbounded: wider (every end
# of a match of the original is an end of a match of this), and Hyperscan compiles large counted repeats
# slowly (the regex gate of the default packs, 300 token rules with `[A-Za-z0-9]{36,255}`-style bodies, took
# 4.7 s to compile, 1.6 s with this). Line prefilters (`lines`: detect-secrets' plugins, whose classes take
# any non-ASCII character for `\d` or `\w`) cap lower: a long run of such a class is slow to scan for
# (DiscordBotTokenDetector's expression alone: 0.21 s over the bench image's 87 MB of text capped at 16,
# 0.05 s at 4), and a wider prefilter only gives the plugins a few more lines to look at.
REPEAT_CAP = 16
LINES_REPEAT_CAP = 8
_ATOMS = (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN)
_LINE_START = (sre.AT_BEGINNING, sre.AT_BEGINNING_LINE, sre.AT_BEGINNING_STRING)
_LINE_END = (sre.AT_END, sre.AT_END_LINE, sre.AT_END_STRING)
_REPEATS = tuple(getattr(sre, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") if hasattr(sre, name))


@lru_cache(maxsize=1)
def code_digest() -> str:
    """This module's code: a change to it changes what patterns translate to, so every compiled
    database is known by it too (part of `hsdb.database`'s `sources`)."""
    with open(__file__, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


class Untranslatable(ValueError):
    """The expression uses a construct this translator does not know."""


def translate(pattern: str, flags: int = 0, lines: bool = True) -> str:
    """A Hyperscan expression (byte mode, with HS_FLAG_MULTILINE) that matches wherever `pattern` can.

    `lines`: the pattern runs on one right-stripped line at a time, and the scanned text holds many,
    joined by newlines; otherwise it runs over the whole text, as the scanned text is.
    """
    tree = sre_parse.parse(pattern, flags)
    return _Emitter(lines).emit(tree, int(tree.state.flags))  # an int: RegexFlag's operators are slow


APART_MAX = 16  # branches at most given apart: each expression repeats the rest of the pattern


def translate_apart(pattern: str, flags: int = 0, lines: bool = True) -> list[str]:
    """`translate(pattern)`, or, when the pattern's first top-level alternation has two or more branches
    that repeat something (`--password[ \\t]{1,8}...|htpasswd[ \\t]{1,8}...`, each followed by the
    same value), one expression per branch with the rest of the pattern around it: a text matches one of
    them exactly where it matches the whole. Hyperscan compiles such branches apart far faster than their
    union (the default packs' command-line password rule: 0.27 s as one expression, 0.05 s as six); a
    plain list of words (`(?i:key|token|secret)`) is left whole, which it compiles faster. So is an
    alternation of more than APART_MAX branches: a rule pack's pattern of thousands of them would
    otherwise give thousands of copies of the rest of it (its size squared) to compile."""
    tree = sre_parse.parse(pattern, flags)
    items: list[Any] = tree.data  # the parsed items
    top = int(tree.state.flags)
    for at, (op, av) in enumerate(items):
        if op is sre.BRANCH:
            wrap, branches = (None, 0, 0), av[1]
        elif op is sre.SUBPATTERN and len(av[3]) == 1 and av[3][0][0] is sre.BRANCH:
            wrap, branches = av[:3], av[3][0][1][1]
        else:
            continue
        if len(branches) > APART_MAX or sum(_repeats(branch) for branch in branches) < 2:
            break
        return [_Emitter(lines).emit([*items[:at], (sre.SUBPATTERN, (*wrap, branch)), *items[at + 1:]], top)
                for branch in branches]
    return [_Emitter(lines).emit(tree, top)]


def _repeats(items: Any) -> bool:
    """Whether a parsed pattern repeats something more than once (`x{2,}`, `x+`; not `x?`)."""
    for op, av in items:
        if op in _REPEATS and av[1] > 1:
            return True
        if op is sre.SUBPATTERN and _repeats(av[3]):
            return True
        if op is sre.BRANCH and any(_repeats(branch) for branch in av[1]):
            return True
    return False


class _Emitter:
    def __init__(self, lines: bool) -> None:
        self.lines = lines
        self.cap = LINES_REPEAT_CAP if lines else REPEAT_CAP
        self.groups: dict[int, str] = {}

    def emit(self, items: Any, flags: int) -> str:
        return "".join(self.emit_one(op, av, flags) for op, av in items)

    def emit_one(self, op: Any, av: Any, flags: int) -> str:
        if op in _ATOMS:  # a class's items are (op, int | (int, int) | category): hashable once a tuple
            return _atom(op, tuple(av) if op is sre.IN else av, flags & _ATOM_FLAGS, self.lines)
        if op is sre.SUBPATTERN:
            group, add_flags, del_flags, inner = av
            body = self.emit(inner, (flags | add_flags) & ~del_flags)
            if group is not None:
                self.groups[group] = body
            return f"(?:{body})"
        if op is sre.BRANCH:
            return "(?:" + "|".join(self.emit(branch, flags) for branch in av[1]) + ")"
        if op in _REPEATS:
            low, high, inner = av
            if low > self.cap or (high != sre.MAXREPEAT and high > self.cap):
                return f"(?:{self.emit(inner, flags)}){{{min(low, self.cap)},}}"  # wider: cheaper to compile
            bound = f"{{{low},}}" if high == sre.MAXREPEAT else f"{{{low},{high}}}"
            return f"(?:{self.emit(inner, flags)}){bound}"
        if op is getattr(sre, "ATOMIC_GROUP", None):
            return f"(?:{self.emit(av, flags)})"
        if op is sre.AT:
            return self.anchor(av, flags)
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            return ""  # look-arounds: widened away
        if op is sre.GROUPREF:
            if av not in self.groups:
                raise Untranslatable(f"back-reference to group {av} before it closes")
            return f"(?:{self.groups[av]})"
        if op is sre.GROUPREF_EXISTS:
            _group, yes, no = av
            return "(?:" + self.emit(yes, flags) + "|" + (self.emit(no, flags) if no else "") + ")"
        raise Untranslatable(f"unsupported regular expression construct {op}")

    def anchor(self, at: Any, flags: int) -> str:
        """Line ends as they are; line starts widened away (Hyperscan's bug, above); string ends and word
        boundaries widened away (over a whole text) or to line ends (one line each)."""
        if at in _LINE_START or at is sre.AT_BEGINNING:
            return ""  # see the module docstring: Hyperscan 5.4.12 loses some `^`-anchored matches
        if self.lines:
            if at in _LINE_END:  # the scanned line keeps the trailing whitespace the plugin's line loses
                spaces, _ = _accepts(sre.IN, ((sre.CATEGORY, sre.CATEGORY_SPACE),), re.UNICODE)
                return _byte_class(spaces - {0x0A}, True) + "*$"
            return ""
        multiline = bool(flags & re.MULTILINE)
        if at is sre.AT_END_LINE or (at is sre.AT_END and multiline):
            return "$"
        return ""


@cache
def _atom(op: Any, av: Any, flags: int, lines: bool) -> str:
    """One single-character atom's byte class (the default packs repeat the same few hundred atoms in
    tens of thousands of places)."""
    codes, non_ascii = _accepts(op, _freeze(av), flags)
    return _byte_class(codes - {0x0A} if lines else codes, non_ascii)


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, tuple):
        return tuple(_freeze(v) for v in value)
    return value


@cache
def _accepts(op: Any, av: Any, flags: int) -> tuple[frozenset[int], bool | frozenset[int]]:
    """(the ASCII codes Python accepts at this atom, whether it can accept a non-ASCII character: any
    (True), none (False), or only some of the letters ASCII ones fold to (`FOLDED`): those, never none)."""
    if op is sre.LITERAL and not flags & re.IGNORECASE:
        return (frozenset([av]), False) if av < 0x80 else (frozenset(), True)
    state = sre_parse.State()
    state.flags = flags
    atom = sre_parse.SubPattern(state, [(op, _thaw(av))])
    compiled = sre_compile.compile(atom, flags)
    ascii_codes = frozenset(c for c in range(0x80) if compiled.fullmatch(chr(c)))
    if _may_take_non_ascii(op, av):
        return ascii_codes, True
    folded = frozenset(c for c in FOLDED if compiled.fullmatch(chr(c))) if _folds(op, av, flags) else frozenset()
    return ascii_codes, folded or False


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return [_thaw(v) for v in value]
    return value


def _may_take_non_ascii(op: Any, av: Any) -> bool:
    """Whether the atom can accept a non-ASCII character other than by case folding."""
    if op in (sre.NOT_LITERAL, sre.ANY):
        return True
    if op is sre.LITERAL:
        return bool(av >= 0x80)
    for item_op, item_av in av:  # IN
        if item_op in (sre.NEGATE, sre.CATEGORY):
            return True
        if item_op is sre.LITERAL and item_av >= 0x80:
            return True
        if item_op is sre.RANGE and item_av[1] >= 0x80:
            return True
    return False


def _folds(op: Any, av: Any, flags: int) -> bool:
    """Under IGNORECASE (Unicode mode), whether one of the atom's letters folds to a non-ASCII one."""
    if not flags & re.IGNORECASE or flags & re.ASCII:
        return False
    codes = frozenset([av]) if op is sre.LITERAL else _accepts(op, av, flags & ~re.IGNORECASE)[0]
    return any(chr(c) in FOLDS_OUT_OF_ASCII for c in codes)


def _byte_class(codes: frozenset[int], non_ascii: bool | frozenset[int]) -> str:
    """One character: any of the ASCII `codes`, or (`non_ascii`) any multi-byte one, or one of those."""
    if isinstance(non_ascii, frozenset):  # never empty (`_accepts`)
        extra = "|".join("".join(f"\\x{b:02x}" for b in chr(c).encode("utf-8")) for c in sorted(non_ascii))
        return f"(?:{_byte_class(codes, False)}|{extra})" if codes else f"(?:{extra})"
    accepted = sorted(codes)
    if not accepted:
        return f"(?:{MULTIBYTE})" if non_ascii else NEVER
    if len(accepted) == 1:
        ascii_part = f"\\x{accepted[0]:02x}"
    else:
        parts, start = [], accepted[0]
        for previous, current in zip(accepted, accepted[1:] + [None], strict=True):
            if current is not None and current == previous + 1:
                continue
            parts.append(f"\\x{start:02x}" if start == previous else f"\\x{start:02x}-\\x{previous:02x}")
            if current is not None:
                start = current
        ascii_part = "[" + "".join(parts) + "]"
    return f"(?:{ascii_part}|{MULTIBYTE})" if non_ascii else ascii_part
