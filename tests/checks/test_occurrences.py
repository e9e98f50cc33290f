"""Every occurrence of a secret is reported with its own line, in both content checks, capped per rule and
file; occurrences of one value share a fingerprint, so a baseline covers them all, and every format shows
each occurrence.

Values are assembled from pieces (j()) so no literal here is a credential a scanner would report.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest import mock

import pytest

from auditor.checks.occurrences import MAX_PER_RULE, cap
from auditor.checks.scanner import Scanner
from auditor.cli import main
from auditor.model import Hit, RuleId
from auditor.rules import default_pack_paths, load_rules
from testing import imagekit as kit
from testing.tokens import j

AWS_A = j("AKIA", "QYLPMN5HHHFPZAM2")
AWS_B = j("AKIA", "ZX3KRT9WLPQMN7VD")
DOCKERHUB = j("dc", "kr_pat_", "Qm7Zx2Lp9KvR4tNw8YcH3bJd6Fa")  # a `regex` rule (rules/tokens.yaml)


@pytest.fixture(scope="module")
def scanner() -> Iterator[Scanner]:
    s = Scanner(load_rules(default_pack_paths()))
    with s.session():
        yield s


def lines_of(hits: list[Hit], rule: str) -> list[int | None]:
    return sorted(h.line for h in hits if h.rule == rule)


def test_a_value_repeated_on_several_lines_is_reported_on_each_by_the_detect_secrets_rule(scanner: Scanner) -> None:
    text = f"# deploy\nAWS_KEY={AWS_A}\nOTHER=1\nBACKUP_AWS_KEY={AWS_A}\n\nAGAIN={AWS_A}\n"
    hits = scanner.scan_file("/app/deploy.sh", text.encode())
    assert lines_of(hits, "ds-aws-access-key") == [2, 4, 6]


def test_a_value_repeated_on_several_lines_is_reported_on_each_by_a_regex_rule(scanner: Scanner) -> None:
    text = f"a: {DOCKERHUB}\nb: 1\nc: {DOCKERHUB}\n"
    hits = scanner.scan_file("/app/conf.txt", text.encode())
    assert lines_of(hits, "dockerhub-token") == [1, 3]


def test_two_values_on_one_line_are_two_hits_and_one_value_twice_on_a_line_is_one(scanner: Scanner) -> None:
    hits = scanner.scan_file("/app/keys.sh", f"K={AWS_A} L={AWS_B} M={AWS_A}\n".encode())
    found = sorted((h.line, h.secret) for h in hits if h.rule == "ds-aws-access-key")
    assert found == sorted([(1, AWS_A), (1, AWS_B)])
    hits = scanner.scan_file("/app/hub.txt", f"{DOCKERHUB} {DOCKERHUB}\n".encode())
    assert [(h.line, h.secret) for h in hits if h.rule == "dockerhub-token"] == [(1, DOCKERHUB)]


@pytest.mark.parametrize("rule, value, counted", [
    ("ds-aws-access-key", AWS_A, "up to 37"),  # detect-secrets' plugin stops after the cap: lines left are counted
    ("dockerhub-token", DOCKERHUB, "37"),
])
def test_a_minified_file_is_capped_per_rule_with_the_rest_counted(scanner: Scanner, rule: str, value: str,
                                                                  counted: str) -> None:
    count = MAX_PER_RULE + 37
    hits = [h for h in scanner.scan_file("/app/big.txt", f"k = {value}\n".encode() * count) if h.rule == rule]
    assert len(hits) == MAX_PER_RULE
    assert [h.line for h in hits] == list(range(1, MAX_PER_RULE + 1))
    assert hits[-1].message.endswith(f"(and {counted} more in this file, not listed)")
    assert "more in this file" not in hits[-2].message


def test_a_plugin_stops_after_the_cap_and_counts_the_lines_it_left(scanner: Scanner) -> None:
    """Tens of thousands of md5 sums in an apt index (every line `Key: value`, read by the eager pass) are
    not each given to detect-secrets' filters: the entropy plugin stops once it has more than a file lists."""
    lines = "".join(f"Description-md5: {hashlib.md5(str(i).encode()).hexdigest()}\nPackage: p{i}\n"
                    for i in range(3000))
    hits = [h for h in scanner.every_hit("/var/lib/apt/lists/x_Translation-en", lines.encode())
            if h.rule == "ds-high-entropy-hex"]
    assert len(hits) == MAX_PER_RULE
    assert hits[-1].message.endswith("(and up to 2900 more in this file, not listed)")


def test_cap_keeps_order_counts_per_rule_and_leaves_exactly_the_limit_alone() -> None:
    a, b = RuleId("a"), RuleId("b")
    hits = [Hit(a if i % 2 else b, i, "s", "m") for i in range(1, 10)]  # a: 5 hits (odd lines), b: 4
    capped = cap(hits, limit=4)
    assert [(h.rule, h.line) for h in capped] == [(a, 1), (b, 2), (a, 3), (b, 4), (a, 5), (b, 6), (a, 7), (b, 8)]
    assert [h.message for h in capped if h.rule == b] == ["m"] * 4
    assert capped[-2].message == "m (and 1 more in this file, not listed)"
    assert cap(hits, limit=5) == hits


# --- downstream: fingerprints, baselines and formats -----------------------------------------------------


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("occ") / "image.tar"
    content = f"AWS_KEY={AWS_A}\nX=1\nAWS_KEY_AGAIN={AWS_A}\n".encode()
    spec = kit.ImageSpec(layers=[[kit.Dir("/app"), kit.File("/app/run.sh", content)]])
    kit.write_docker_archive(path, spec)
    return path


def audit(tmp: Path, *argv: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_")}
    env["XDG_CACHE_HOME"] = str(tmp / "cache")
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, env, clear=True), redirect_stdout(out), redirect_stderr(err):
        code = main([*argv, "--no-config"])
    return code, out.getvalue()


def test_occurrences_share_a_fingerprint_and_a_baseline_suppresses_them_all(image: Path, tmp_path: Path) -> None:
    code, out = audit(tmp_path, str(image), "--format", "json")
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "ds-aws-access-key"]
    assert sorted(f["line"] for f in found) == [1, 3] and code == 1
    assert len({f["fingerprint"] for f in found}) == 1
    baseline = tmp_path / "baseline.json"
    audit(tmp_path, str(image), "--write-baseline", str(baseline))
    code, out = audit(tmp_path, str(image), "--format", "json", "--baseline", str(baseline))
    assert [f for f in json.loads(out)["findings"] if f["rule"] == "ds-aws-access-key"] == []


def test_sarif_gives_each_occurrence_its_own_result_and_region_under_one_fingerprint(image: Path,
                                                                                  tmp_path: Path) -> None:
    """Decided: one result per occurrence, each with its line; the shared partialFingerprint makes code
    scanning track them as one alert (one secret to rotate), shown at every location."""
    _, out = audit(tmp_path, str(image), "--format", "sarif")
    results = [r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "ds-aws-access-key"]
    assert sorted(r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results) == [1, 3]
    assert len({json.dumps(r["partialFingerprints"]) for r in results}) == 1


def test_junit_and_github_name_each_occurrence_by_its_line(image: Path, tmp_path: Path) -> None:
    _, out = audit(tmp_path, str(image), "--format", "junit")
    names = [c.get("name") for c in ET.fromstring(out).iter("testcase")
             if (c.get("name") or "").startswith("ds-aws-access-key")]
    assert sorted(names) == ["ds-aws-access-key /app/run.sh:1", "ds-aws-access-key /app/run.sh:3"]
    _, out = audit(tmp_path, str(image), "--format", "github")
    assert AWS_A not in out
    assert len([line for line in out.splitlines() if "ds-aws-access-key" in line]) == 2
