"""Find regular expressions on which Python's backtracking `re` can take exponential time.

A backtracking matcher is exponential on some input when a repetition can match the same text in more
than one way, and so in 2**k ways over k repetitions: `(a+)+`, `(a*)*`, `(a|a)*`, `(x+x+)+y`. The check
is the classic one on the pattern's automaton (Glushkov's: one state per character atom, an edge for
each way one atom can follow another, counted with multiplicity, so `(a+)+` has two a→a edges): the
pattern is exponentially ambiguous when, in the product of the automaton with itself, one strongly
connected component holds a pair of equal states (q, q) and either a pair of different states or a step
along two different edges. Such a component reads some word w from q back to q in two different ways,
so w repeated k times has 2**k ways, each of which a failing match tries.

The check is conservative: look-arounds, anchors and word boundaries are ignored (their bodies are
checked as patterns of their own), a back-reference is taken as any text, case is ignored, every
non-ASCII character is taken to be the same one, and a counted repetition over `REPEAT_CAP` times is
taken as unbounded. Polynomial backtracking (`\\s*\\s*x`, or the quadratic cost of trying every start)
is not rejected here; the checks bound it by running patterns only on windows of the text (`window`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from auditor.checks.hsregex import _ATOM_FLAGS, _ATOMS, _REPEATS, _accepts, _freeze, sre, sre_parse

REPEAT_CAP = 16  # `x{m,n}` with a bound above this is analysed as `x{m',}`: a longer loop, never fewer ways
PRODUCT_BUDGET = 400_000  # product edges examined at most; a pattern needing more is refused as too complex


class PatternTooComplex(ValueError):
    """The pattern's automaton is too large to check."""


@dataclass
class _Automaton:
    chars: list[tuple[frozenset[int], bool]] = field(default_factory=list)  # per state: ASCII codes, non-ASCII
    edges: list[tuple[int, int]] = field(default_factory=list)  # (from, to), with multiplicity
    lookarounds: list[Any] = field(default_factory=list)  # bodies to check on their own


_Part = tuple[list[int], list[int], int]  # (first states, last states, ways to match empty text)
_EMPTY: _Part = ([], [], 1)


def exponential(pattern: str, flags: int = 0) -> str | None:
    """None when `pattern` cannot backtrack exponentially; otherwise a short description of the part
    that can (a character it can read in exponentially many ways). Raises PatternTooComplex."""
    tree = sre_parse.parse(pattern, flags | re.IGNORECASE)
    return _check(tree, tree.state.flags | re.IGNORECASE)


def _check(tree: Any, flags: int) -> str | None:
    auto = _Automaton()
    _build(auto, tree, flags)
    found = _ambiguous(auto)
    if found is not None:
        return found
    for body, body_flags in auto.lookarounds:
        found = _check(body, body_flags)
        if found is not None:
            return found
    return None


def _build(auto: _Automaton, items: Any, flags: int) -> _Part:
    """Add the states and edges of a sequence of items; return its first and last states."""
    return _sequence(auto, [_build_one(auto, op, av, flags) for op, av in items])


def _sequence(auto: _Automaton, parts: list[_Part]) -> _Part:
    """Concatenate parts: an edge from each last state to each first state of what follows, once for
    each way of matching the empty parts between them (`a(?:|)` reaches what follows in two ways)."""
    first: list[int] = []
    last: list[int] = []
    ways = 1
    for part_first, part_last, part_ways in parts:
        for x in last:
            auto.edges.extend((x, y) for y in part_first)
        first = first + part_first * ways
        last = part_last + last * part_ways
        ways *= part_ways
    return first, last, ways


def _branch(parts: list[_Part]) -> _Part:
    return [s for p in parts for s in p[0]], [s for p in parts for s in p[1]], sum(p[2] for p in parts)


def _state(auto: _Automaton, chars: tuple[frozenset[int], bool]) -> _Part:
    auto.chars.append(chars)
    index = len(auto.chars) - 1
    return [index], [index], 0


def _build_one(auto: _Automaton, op: Any, av: Any, flags: int) -> _Part:
    if op in _ATOMS:
        codes, non_ascii = _accepts(op, _freeze(av), flags & _ATOM_FLAGS)
        return _state(auto, (codes, bool(non_ascii)))  # which non-ASCII ones: not needed here
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, inner = av
        return _build(auto, inner, (flags | add_flags) & ~del_flags)
    if op is getattr(sre, "ATOMIC_GROUP", None):
        return _build(auto, av, flags)
    if op is sre.BRANCH:
        return _branch([_build(auto, branch, flags) for branch in av[1]])
    if op in _REPEATS:
        return _repeat(auto, av, flags)
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        auto.lookarounds.append((av[1], flags))
        return _EMPTY
    if op is sre.GROUPREF or op is getattr(sre, "GROUPREF_IGNORE", None):
        any_text = _state(auto, (frozenset(range(0x80)), True))
        auto.edges.append((any_text[0][0], any_text[0][0]))
        return any_text[0], any_text[1], 1
    if op is sre.GROUPREF_EXISTS:
        _group, yes, no = av
        return _branch([_build(auto, yes, flags), _build(auto, no, flags) if no else _EMPTY])
    return _EMPTY  # anchors, word boundaries and other zero-width items


def _repeat(auto: _Automaton, av: Any, flags: int) -> _Part:
    """`body{low,high}` as `low` copies, then a loop (unbounded, or above the cap) or a chain of optional
    copies, each reachable only from the one before (as a counter is: `x{0,2}` is not `x?x?`). An
    iteration that matches empty text ends a loop in `re`, so a loop matches empty text in one way."""
    low, high, body = av
    parts: list[_Part] = [_build(auto, body, flags) for _ in range(min(low, REPEAT_CAP))]
    if high == sre.MAXREPEAT or high > REPEAT_CAP:
        loop = _build(auto, body, flags)
        for x in loop[1]:
            auto.edges.extend((x, y) for y in loop[0])
        parts.append((loop[0], loop[1], 1))
    elif high > low:  # (B(B(B)?)?)?: the n-th optional copy only after the one before
        nested = _EMPTY
        for _ in range(high - low):
            nested = _branch([_sequence(auto, [_build(auto, body, flags), nested]), _EMPTY])
        parts.append(nested)
    return _sequence(auto, parts)


def _ambiguous(auto: _Automaton) -> str | None:
    """A word readable in two ways around a loop, as a description; None if there is none."""
    out: dict[int, list[tuple[int, int]]] = {}
    for number, (x, y) in enumerate(auto.edges):
        out.setdefault(x, []).append((number, y))
    members: dict[int, list[int]] = {}
    for state, component in enumerate(_components(len(auto.chars), lambda v: [y for _, y in out.get(v, ())])):
        members.setdefault(component, []).append(state)
    budget = [PRODUCT_BUDGET]
    for states in members.values():
        if len(states) > 1 or any(y == states[0] for _, y in out.get(states[0], ())):  # on a loop
            found = _loop_ambiguity(auto, states, out, budget)
            if found is not None:
                return found
    return None


def _loop_ambiguity(auto: _Automaton, states: list[int], out: dict[int, list[tuple[int, int]]],
                    budget: list[int]) -> str | None:
    """Within one strongly connected set of states: a component of the product holding (q, q) and a
    pair of different states or a step along two different edges."""
    inside = set(states)
    local = {v: [(n, y) for n, y in out.get(v, ()) if y in inside] for v in states}
    product: dict[tuple[int, int], list[tuple[tuple[int, int], bool]]] = {}
    for u in states:
        for v in states:
            steps = [((u2, v2), i != j) for i, u2 in local[u] for j, v2 in local[v]
                     if _overlap(auto.chars[u2], auto.chars[v2])]
            budget[0] -= len(steps)
            if budget[0] < 0:
                raise PatternTooComplex("the pattern is too complex to check for exponential backtracking")
            product[(u, v)] = steps
    nodes = list(product)
    index = {node: n for n, node in enumerate(nodes)}
    component = _components(len(nodes), lambda n: [index[t] for t, _ in product[nodes[n]]])
    diagonal = {component[index[(v, v)]] for v in states}
    for n, (u, v) in enumerate(nodes):
        if component[n] not in diagonal:
            continue
        if u != v or any(divergent and component[index[t]] == component[n] for t, divergent in product[(u, v)]):
            return _witness(auto.chars[u], auto.chars[v])
    return None


def _overlap(a: tuple[frozenset[int], bool], b: tuple[frozenset[int], bool]) -> bool:
    return bool(a[0] & b[0]) or (a[1] and b[1])


def _witness(a: tuple[frozenset[int], bool], b: tuple[frozenset[int], bool]) -> str:
    common = sorted(a[0] & b[0]) or sorted(a[0] | b[0])
    char = repr(chr(common[-1])) if common else "a non-ASCII character"
    return f"a repetition can match the same run of {char} in exponentially many ways (as in (a+)+, (a|a)* or (x+x+)+y)"


def _components(count: int, successors: Any) -> list[int]:
    """Strongly connected components (iterative Tarjan): the component number of each node."""
    index = [-1] * count
    low = [0] * count
    on_stack = [False] * count
    comp = [-1] * count
    stack: list[int] = []
    counter = 0
    components = 0
    for root in range(count):
        if index[root] != -1:
            continue
        work = [(root, iter(successors(root)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if index[child] == -1:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack[child] = True
                    work.append((child, iter(successors(child))))
                    advanced = True
                    break
                if on_stack[child]:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    comp[member] = components
                    if member == node:
                        break
                components += 1
    return comp
