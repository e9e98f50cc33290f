"""Searching bounded regions around Hyperscan match ends finds what a search of the whole text finds."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from auditor.checks.regex import RegexCheck, entropy, judge_decoded
from auditor.checks.window import AFTER, BEFORE, MAX_REGION, Regions, search
from auditor.rules import default_pack_paths, load_rules

pytest.importorskip("hyperscan")

RULES = [r for r in load_rules(default_pack_paths()) if r.kind == "regex"]
FILLER = st.text(st.sampled_from("ab =&\"'\n_-/:.0"), min_size=0, max_size=40)


@settings(max_examples=200, deadline=None)
@given(ends=st.lists(st.integers(0, 200_000), max_size=300))
def test_every_match_end_lies_in_a_region_that_reaches_back_a_whole_window(ends: list[int]) -> None:
    regions = Regions()
    for end in sorted(ends):
        regions.add(end)
    found = regions.finish()
    for end in ends:
        assert any(start <= max(0, end - BEFORE) and end <= last for start, last in found), end
    assert all(last - start <= MAX_REGION for start, last in found)
    assert found == sorted(found)


def _reference(rule: Any, text: str) -> list[tuple[int, str]]:
    """What RegexCheck reported before regions: finditer over the whole text, every (line, value) once,
    a value failing the rule's checksum kept (it is rejected by name, `checksum-mismatch`)."""
    compiled = RegexCheck([rule])._compiled[0]
    group = rule.params.get("group", 0)
    seen: set[tuple[int, str]] = set()
    out = []
    for match in compiled.pattern.finditer(text):
        assume(len(match.group(0).encode()) < BEFORE - 64)  # longer matches are the documented limit
        secret = match.group(group) if group else match.group(0)
        line = text.count("\n", 0, match.start()) + 1
        if not secret or (line, secret) in seen:
            continue
        if rule.params.get("min_entropy") and entropy(secret) < rule.params["min_entropy"]:
            continue
        if compiled.allow is not None and compiled.allow.search(secret):
            continue
        if rule.params.get("decode") and judge_decoded(secret, compiled.decoded) is None:
            continue
        seen.add((line, secret))
        out.append((line, secret))
    return out


# The 256 rules of rules/providers.yaml made this test over ten times longer (65 s): they run in the whole suite
# (CI), and the fast loop (`-m "not slow"`) keeps the other packs' rules; tests/rules/test_provider_cases.py
# checks every provider rule there.
RULE_PARAMS = [pytest.param(r, id=r.id, marks=pytest.mark.slow if r.source.endswith("providers.yaml") else ())
               for r in RULES]


@pytest.mark.parametrize("rule", RULE_PARAMS)
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_regions_find_the_same_secrets_on_the_same_lines_as_a_whole_text_search(rule: Any, data: st.DataObject) -> None:
    check = RegexCheck([rule])
    compiled = check._compiled[0]
    cores = data.draw(st.lists(st.from_regex(compiled.pattern, fullmatch=True, alphabet=st.characters(codec="ascii")),
                               min_size=1, max_size=4))
    gap = data.draw(st.sampled_from([0, 100, BEFORE, MAX_REGION]))  # to cross region edges
    spacer = data.draw(st.sampled_from(["x", " ", "\n"]))
    pieces = []
    for core in cores:
        pieces += [data.draw(FILLER), core, data.draw(FILLER), spacer * gap, data.draw(FILLER)]
    text = "".join(pieces)
    path = "/root/" + rule.paths[0].replace("**/", "").replace("*", "a") if rule.paths else "/app/a.txt"
    keywords = "\n" + " ".join(rule.params.get("keywords") or ())
    got = [(h.line, h.secret) for h in check.scan_file(path, (text + keywords).encode())]
    assert got == _reference(rule, text + keywords)


@settings(max_examples=100, deadline=None)
@given(before=st.integers(0, 3 * MAX_REGION), word=st.sampled_from(["key=abc123", "key=", "x"]),
       after=st.integers(0, 3 * MAX_REGION))
def test_a_bounded_search_answers_as_search_does(before: int, word: str, after: int) -> None:
    text = "a " * (before // 2) + word + " b" * (after // 2)
    for pattern in (r"key=\w+", r"^a", r"b$", r"(?<= )x(?= |$)", r"\bkey=(?!abc)"):
        compiled = re.compile(pattern)
        assert search(compiled, text) == bool(compiled.search(text)), pattern


def test_a_region_reads_past_its_last_match_end() -> None:
    regions = Regions()
    regions.add(10)
    assert regions.finish() == [(0, 10)] and AFTER > 0
