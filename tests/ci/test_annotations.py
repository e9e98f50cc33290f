"""`--format github` keeps to what GitHub shows: at most 10 annotations of each level per step, the last
of a level with more saying how many were left out and where to find them. Rendered from a Report built
in memory (no scan), so it takes milliseconds."""

from __future__ import annotations

from auditor.formats.github import render_all
from auditor.model import Finding, Image, NotScanned, Report, Severity, Status
from testing import readers

COUNTS = {Severity.HIGH: 23, Severity.MEDIUM: 12, Severity.LOW: 3}  # -> error, warning, notice


def report(counts: dict[Severity, int], not_scanned: int = 0) -> Report:
    findings = [Finding(rule=f"kit-{sev.value}", kind="file", severity=sev, status=Status.VISIBLE, message="A file",
                        fingerprint=f"{sev.value}-{i}", path=f"/srv/{sev.value}/{i:02d}.txt", layer=0)
                for sev, count in counts.items() for i in range(count)]
    missed = [NotScanned(reason="unreadable", layer=i) for i in range(not_scanned)]
    return Report(image=Image(reference="many:1", digest=None, config={}, layers=[]), findings=findings,
                  not_scanned=missed)


def by_level(out: str) -> dict[str, list[tuple[dict[str, str], str]]]:
    levels: dict[str, list[tuple[dict[str, str], str]]] = {}
    for level, props, message in readers.github_commands(out):
        levels.setdefault(level, []).append((props, message))
    return levels


def test_each_level_is_capped_at_ten_with_a_line_counting_the_rest():
    out = render_all([report(COUNTS)])
    levels = by_level(out)
    assert {level: len(group) for level, group in levels.items()} == {"error": 10, "warning": 10, "notice": 3}
    for level, total in (("error", 23), ("warning", 12)):
        props, message = levels[level][-1]
        assert props["title"] == "more findings"
        assert message.startswith(f"{total - 9} more {level} annotation(s) not shown") and "SARIF/JSON" in message
    assert all(props["title"] != "more findings" for props, _ in levels["notice"])
    shown = readers.from_github(out)
    assert [s.where for s in shown] == [f"/srv/{sev.value}/{i:02d}.txt" for sev, count in COUNTS.items()
                                        for i in range(min(count, 9 if count > 10 else count))]


def test_ten_of_a_level_are_all_shown_without_a_count_line():
    levels = by_level(render_all([report({Severity.CRITICAL: 10})]))
    assert len(levels["error"]) == 10
    assert all(props["title"] != "more findings" for props, _ in levels["error"])


def test_items_not_scanned_count_towards_the_error_cap_across_images():
    out = render_all([report({Severity.HIGH: 6}, not_scanned=2), report({Severity.HIGH: 6})])
    errors = by_level(out)["error"]
    assert len(errors) == 10 and errors[-1][1].startswith("5 more error annotation(s)")
