"""Read every report format back into the findings it carries, so tests can compare formats.

Each reader returns a list of `Seen(rule, where, line, fingerprint)`: `where` is the in-image path or the
metadata location as the format prints it, `line` the line in the file (None when the format has none),
and `fingerprint` when the format carries one. Shared by the format tests and the integration
tests.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import NamedTuple


class Seen(NamedTuple):
    rule: str
    where: str
    line: int | None
    fingerprint: str | None = None

    @property
    def key(self) -> tuple[str, str, int | None]:
        return (self.rule, self.where, self.line)


def _split_line(where: str) -> tuple[str, int | None]:
    """`/app/.env:4` -> ("/app/.env", 4); formats print a content finding's line after a colon."""
    match = re.fullmatch(r"(.*):(\d+)", where)
    return (match.group(1), int(match.group(2))) if match else (where, None)


def from_json(out: str) -> list[Seen]:
    return [Seen(f["rule"], f["path"] or f["location"], f["line"], f["fingerprint"])
            for f in json.loads(out)["findings"]]


def from_sarif(out: str) -> list[Seen]:
    """Path or location from the logical location; the line from the region (without --dockerfile)."""
    seen = []
    for run in json.loads(out)["runs"]:
        for result in run["results"]:
            location = result["locations"][0]
            name = location["logicalLocations"][0]["fullyQualifiedName"]
            physical = location["physicalLocation"]
            in_image = physical["artifactLocation"].get("uriBaseId") == "IMAGEROOT"
            # In the image, the region is the line in the file; on a Dockerfile, the instruction's line.
            line = physical.get("region", {}).get("startLine") if in_image else result["properties"]["line"]
            seen.append(Seen(result["ruleId"], name, line, result["partialFingerprints"]["layerAuditorFingerprint/v1"]))
    return seen


def _uncode(cell: str) -> str:
    """The text of a Markdown code span in a table cell."""
    cell = cell.strip()
    fence = re.match(r"`+", cell)
    assert fence, cell
    inner = cell[len(fence.group(0)):-len(fence.group(0))]
    if inner.startswith(" ") and inner.endswith(" ") and inner.strip(" "):
        inner = inner[1:-1]
    return inner.replace("\\|", "|")


def markdown_rows(out: str) -> list[list[str]]:
    """The finding rows of every table (header and delimiter rows left out), split into cells."""
    rows = []
    for line in out.splitlines():
        if not line.startswith("| ") or line.startswith(("| Severity |", "|---")):
            continue
        cells = re.split(r"(?<!\\)\|", line)[1:-1]
        assert len(cells) == 5, line
        rows.append(cells)
    return rows


def from_markdown(out: str) -> list[Seen]:
    seen = []
    for cells in markdown_rows(out):
        where, line = _split_line(_uncode(cells[1]))
        seen.append(Seen(_uncode(cells[3]), where, line))
    return seen


def from_junit(out: str) -> list[Seen]:
    seen = []
    for case in ET.fromstring(out).iter("testcase"):
        failure = case.find("failure")
        if failure is None:
            continue
        rule, _, where = case.get("name", "").partition(" ")
        where, line = _split_line(where)
        match = re.search(r"^fingerprint: (\S+)$", failure.text or "", re.MULTILINE)
        seen.append(Seen(rule, where, line, match.group(1) if match else None))
    return seen


GITHUB_LINE = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")


def unescape_property(value: str) -> str:
    for escaped, char in (("%2C", ","), ("%3A", ":"), ("%0A", "\n"), ("%0D", "\r"), ("%25", "%")):
        value = value.replace(escaped, char)
    return value


def unescape_data(value: str) -> str:
    for escaped, char in (("%0A", "\n"), ("%0D", "\r"), ("%25", "%")):
        value = value.replace(escaped, char)
    return value


def github_commands(out: str) -> list[tuple[str, dict[str, str], str]]:
    """(level, properties, message) per line; every line must be a workflow command."""
    commands = []
    for line in out.splitlines():
        match = GITHUB_LINE.match(line)
        assert match, f"not a workflow command: {line!r}"
        props = dict(prop.split("=", 1) for prop in match.group(2).split(","))
        commands.append((match.group(1), {k: unescape_property(v) for k, v in props.items()},
                         unescape_data(match.group(3))))
    return commands


def from_github(out: str) -> list[Seen]:
    seen = []
    for _, props, _ in github_commands(out):
        if props.get("title") in ("not scanned", "more findings"):
            continue
        _severity, rule_where = props["title"].split(" ", 1)
        rule, where = rule_where.split(": ", 1)
        where, line = _split_line(where)
        seen.append(Seen(rule, where, line))
    return seen


TEXT_PLACE = re.compile(r"^  (\S.*?)  (visible|deleted in layer \d+|overwritten in layer \d+|metadata)$")
TEXT_FINDING = re.compile(r"^    (CRITICAL|HIGH|MEDIUM|LOW|INFO)\s+(\S+)\s")
TEXT_TIMES = re.compile(r" · (\d+) times(?: · |$)")
TEXT_LINES = re.compile(r" · lines? ([\d, ]+)$")


def _text_paragraphs(out: str) -> list[str]:
    """The text report's lines with each wrapped finding line joined back (its continuation lines are
    indented by 8 or more)."""
    lines: list[str] = []
    for line in out.splitlines():
        if lines and TEXT_FINDING.match(lines[-1]) and line.startswith(" " * 8):
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    return lines


def from_text(out: str) -> list[Seen]:
    """Each finding under the path (or metadata location) line above it: a line per rule in a place,
    which says how many times it matched there and on which lines."""
    seen = []
    where = None
    for line in _text_paragraphs(out):
        place = TEXT_PLACE.match(line)
        if place:
            where = place.group(1)
            continue
        finding = TEXT_FINDING.match(line)
        if finding:
            assert where is not None, line
            times = TEXT_TIMES.search(line)
            numbers = TEXT_LINES.search(line)
            found: list[int | None] = [int(n) for n in numbers.group(1).split(", ")] if numbers else []
            count = int(times.group(1)) if times else 1
            found += [None] * (count - len(found))
            seen += [Seen(finding.group(2), where, n) for n in found]
    return seen


def from_gitlab(out: str) -> list[Seen]:
    """GitLab's secret-detection report: the rule from the identifier, the in-image path from the location."""
    return [Seen(v["identifiers"][0]["value"], v["location"]["file"], v["location"].get("start_line"))
            for v in json.loads(out)["vulnerabilities"]]


READERS = {"text": from_text, "json": from_json, "sarif": from_sarif, "markdown": from_markdown,
           "junit": from_junit, "github": from_github, "gitlab": from_gitlab}
WITH_FINGERPRINTS = ("json", "sarif", "junit")
