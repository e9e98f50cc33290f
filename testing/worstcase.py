"""Inputs on which a backtracking regular expression does the most work: built from the pattern itself.

A search backtracks when a long stretch of text gets far into the pattern and then fails: a prefix the
pattern accepts, repeated (`sv=2020-01-01&sv=2020-01-01&...`), or followed by a long run of characters
a repetition accepts, without what would end the match. `attack` builds such a line from a pattern's
parse tree (one accepted character per atom, one branch per alternation, a cut where the match stops
short), and can put a whole match (`witness`) after it or between its pieces, so that a prefilter lets
the line through to Python's `re`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from auditor.checks.hsregex import _ATOM_FLAGS, _ATOMS, _REPEATS, _accepts, _freeze, sre, sre_parse

Draw = Callable[[Any], Any]  # hypothesis' data.draw
_RUNS = 64  # a repetition's body is repeated at most this many times in a witness


def _atoms(items: Any, flags: int, choose: Callable[[int], int], pumped: bool) -> list[tuple[list[str], bool]]:
    """(the ASCII characters one atom accepts, whether it lies in an unbounded repetition), in order."""
    out: list[tuple[list[str], bool]] = []
    for op, av in items:
        if op in _ATOMS:
            codes, _ = _accepts(op, _freeze(av), flags & _ATOM_FLAGS)
            chars = [chr(c) for c in sorted(codes) if c not in (0x0A, 0x0D)]
            out.append((chars or ["\u00e9"], pumped))
        elif op is sre.SUBPATTERN:
            _group, add_flags, del_flags, inner = av
            out.extend(_atoms(inner, (flags | add_flags) & ~del_flags, choose, pumped))
        elif op is getattr(sre, "ATOMIC_GROUP", None):
            out.extend(_atoms(av, flags, choose, pumped))
        elif op is sre.BRANCH:
            branches = av[1]
            out.extend(_atoms(branches[choose(len(branches))], flags, choose, pumped))
        elif op in _REPEATS:
            low, high, body = av
            unbounded = high == sre.MAXREPEAT or high > 16
            for _ in range(min(max(low, 1 if high else 0), _RUNS)):
                out.extend(_atoms(body, flags, choose, pumped or unbounded))
        elif op is sre.GROUPREF_EXISTS:
            out.extend(_atoms(av[1], flags, choose, pumped))
        # anchors, word boundaries, look-arounds and back-references add no character
    return out


def attack(pattern: str, flags: int, draw: Draw, size: int) -> str:
    """One hostile line of about `size` characters (no newline) for `pattern`, chosen by `draw`."""
    from hypothesis import strategies as st

    tree = sre_parse.parse(pattern, flags)
    atoms = _atoms(tree, tree.state.flags, lambda n: draw(st.integers(0, n - 1)), False)
    chars = [draw(st.sampled_from(accepted)) for accepted, _ in atoms]
    whole = "".join(chars)
    cut = draw(st.integers(0, len(chars)))
    prefix = "".join(chars[:cut])
    pumpable = [i for i, (_, pumped) in enumerate(atoms) if pumped and i <= cut] or [min(cut, len(atoms) - 1)]
    at = draw(st.sampled_from(pumpable)) if atoms else 0
    pump = draw(st.sampled_from(atoms[at][0])) if atoms else "a"
    run = draw(st.sampled_from([1, 16, 256, 4096]))
    form = draw(st.sampled_from(["repeat-prefix", "prefix-then-run", "repeat-prefix-and-run"]))
    if form == "repeat-prefix":
        unit = prefix or pump
    elif form == "prefix-then-run":
        unit = pump
        prefix_once = "".join(chars[:at])
    else:
        unit = "".join(chars[:at]) + pump * run
    witness_every = draw(st.sampled_from([0, 4096, 65536]))  # a whole match every so many characters
    joint = draw(st.sampled_from(["", " ", '"', "&"]))
    pieces: list[str] = []
    length = 0
    since = 0
    if form == "prefix-then-run":
        pieces.append(prefix_once)
        length += len(prefix_once)
    while length < size:
        pieces.append(unit)
        length += len(unit)
        since += len(unit)
        if witness_every and since >= witness_every:
            pieces.append(joint + whole + joint)
            length += len(whole) + 2 * len(joint)
            since = 0
    if draw(st.booleans()):
        pieces.append(joint + whole)
    return "".join(pieces)


def witness(pattern: str, flags: int = 0) -> str:
    """A text of the shape the pattern describes (first branches, first accepted characters); not
    always a match (look-arounds and back-references are not honoured)."""
    tree = sre_parse.parse(pattern, flags)
    return "".join(accepted[0] for accepted, _ in _atoms(tree, tree.state.flags, lambda n: 0, False))


def rule_flags(rule: Any) -> int:
    """The flags RegexCheck compiles a rule's pattern with."""
    return re.MULTILINE | (re.IGNORECASE if rule.params.get("ignore_case") else 0)


def growth(run: Callable[[int], object], small: int = 100_000, factor: int = 10, tries: int = 3) -> float:
    """How much longer `run(n)` takes for `factor` times the input: about `factor` when the work is
    linear, `factor**2` when it is quadratic. Each size is timed `tries` times (fastest kept) after a
    warm-up, in the same process, so that the ratio holds on a loaded machine where absolute times do not."""
    import time

    run(small)  # compile and cache what the first call builds

    def fastest(n: int) -> float:
        best = float("inf")
        for _ in range(tries):
            started = time.perf_counter()
            run(n)
            best = min(best, time.perf_counter() - started)
        return max(best, 1e-4)

    return fastest(small * factor) / fastest(small)
