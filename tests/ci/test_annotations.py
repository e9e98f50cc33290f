"""`--format github` keeps to what GitHub shows: at most 10 annotations of each level per step, the last
of a level with more saying how many were left out and where to find them."""

from __future__ import annotations

from pathlib import Path

from testing import imagekit as kit
from testing import readers
from testing.imagekit import Dir, File, ImageSpec

COUNTS = {"high": 23, "medium": 12, "low": 3}  # -> error, warning, notice
RULES = "rules:\n" + "".join(
    f"  - id: kit-{sev}\n    kind: path\n    severity: {sev}\n    description: A {sev} file.\n"
    f"    paths: [\"/srv/{sev}/*\"]\n    remediation: Remove it.\n" for sev in COUNTS)


def image(tmp_path: Path) -> str:
    files = [File(f"/srv/{sev}/{i:02d}.txt", b"x\n") for sev, count in COUNTS.items() for i in range(count)]
    kit.write_docker_archive(tmp_path / "many.tar",
                             ImageSpec(layers=[[Dir("/srv"), *(Dir(f"/srv/{s}") for s in COUNTS), *files]]))
    (tmp_path / "rules.yaml").write_text(RULES)
    return str(tmp_path / "many.tar")


def test_each_level_is_capped_at_ten_with_a_line_counting_the_rest(tmp_path, cli):
    ref = image(tmp_path)
    result = cli(ref, "--no-config", "--rules", str(tmp_path / "rules.yaml"),
                 "--format", "github", "--json-output", str(tmp_path / "all.json"))
    assert result.code == 1, result.err
    commands = readers.github_commands(result.out)
    by_level: dict[str, list[tuple[dict[str, str], str]]] = {}
    for level, props, message in commands:
        by_level.setdefault(level, []).append((props, message))
    assert {level: len(group) for level, group in by_level.items()} == {"error": 10, "warning": 10, "notice": 3}
    for level, total in (("error", 23), ("warning", 12)):
        props, message = by_level[level][-1]
        assert props["title"] == "more findings"
        assert message.startswith(f"{total - 9} more {level} annotation(s) not shown") and "SARIF/JSON" in message
    assert all(props["title"] != "more findings" for props, _ in by_level["notice"])
    shown = readers.from_github(result.out)
    assert len(shown) == 9 + 9 + 3
    everything = readers.from_json((tmp_path / "all.json").read_text())
    assert len(everything) == sum(COUNTS.values())  # nothing is lost: the JSON report has them all
    assert {s.key for s in shown} <= {s.key for s in everything}
