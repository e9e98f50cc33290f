"""Every report format carries the same findings for images the real engine built, and SARIF (and the
GitHub annotations) point each finding at the Dockerfile line of the instruction behind it.

The images are the scenarios of conftest.py, built with the classic builder and audited from the engine
(`docker-daemon:`) by the CLI in a subprocess. Each format is read back (testing/readers.py) into
(rule, path or metadata location, line), plus the fingerprint where the format carries one.

The expected Dockerfile lines come from the image itself, not from the auditor's mapping: with the classic
builder a `FROM scratch` stage records one history entry per instruction after FROM, in order (checked),
so history entry k is the k-th instruction, a layer is the history entry it was made by once `empty_layer`
entries are skipped, and an ENV value in the config comes from the ENV instruction that set it.
"""

from __future__ import annotations

import json
import tarfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from testing import readers

pytestmark = pytest.mark.docker

SCENARIOS = ("deleted", "overwritten", "metadata")  # between them: visible, deleted, overwritten, metadata
FORMATS = ("text", "json", "sarif", "markdown", "junit", "github")


@pytest.fixture(scope="module")
def rendered(images: Any, audit_cli: Any) -> Any:
    """`rendered(scenario, format, *extra)`: stdout of one CLI run on the engine's image (run once)."""
    cache: dict[tuple[str, ...], str] = {}

    def get(name: str, fmt: str, *extra: str) -> str:
        key = (name, fmt, *extra)
        if key not in cache:
            args = [f"docker-daemon:{images[name].tag}", "--format", fmt, *extra]
            proc = audit_cli(*args)
            assert proc.returncode == 1, f"audit {' '.join(args)} exited {proc.returncode}\n{proc.stderr}"
            cache[key] = proc.stdout
        return cache[key]

    return get


def dockerfile_of(images: Any, name: str) -> Path:
    images[name]  # build it (and write its context) first
    path = images.workdir / name / "Dockerfile"
    assert path.is_file()
    return path


def history_of(routes: Any, name: str) -> list[dict[str, Any]]:
    """The image config's history, read from the `docker save` archive."""
    with tarfile.open(routes.archive(name)) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        config = json.load(tar.extractfile(manifest[0]["Config"]))  # type: ignore[arg-type]
    return config["history"]


def instruction_lines(dockerfile: Path) -> list[tuple[str, int]]:
    """(keyword, line) of each instruction after FROM; these scenarios have no continuation lines."""
    out = []
    for number, line in enumerate(dockerfile.read_text().splitlines(), start=1):
        word = line.split(" ", 1)[0]
        if word.isupper() and word != "FROM":
            out.append((word, number))
    return out


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_format_carries_the_same_findings(rendered, name):
    expected = readers.from_json(rendered(name, "json"))
    assert expected, f"{name}: no findings"
    for fmt in FORMATS:
        seen = readers.READERS[fmt](rendered(name, fmt))
        assert Counter(s.key for s in seen) == Counter(s.key for s in expected), fmt
        if fmt in readers.WITH_FINGERPRINTS:
            assert Counter(s.fingerprint for s in seen) == Counter(s.fingerprint for s in expected), fmt


def test_the_scenarios_cover_every_status(rendered):
    statuses = {f["status"] for name in SCENARIOS for f in json.loads(rendered(name, "json"))["findings"]}
    assert statuses == {"visible", "deleted", "overwritten", "metadata"}


@pytest.mark.parametrize("name", SCENARIOS)
def test_sarif_maps_findings_to_the_dockerfile_lines_that_made_them(images, routes, rendered, name):
    dockerfile = dockerfile_of(images, name)
    history = history_of(routes, name)
    instructions = instruction_lines(dockerfile)
    assert [h["created_by"].split("#(nop)")[-1].split()[0] if "#(nop)" in h["created_by"] else "RUN"
            for h in history] == [word for word, _ in instructions], "one history entry per instruction"
    made_layers = [k for k, h in enumerate(history) if not h.get("empty_layer")]
    env_lines = [line for word, line in instructions if word == "ENV"]

    def expected_line(finding: dict[str, Any]) -> int:
        if finding["layer"] is not None:
            return instructions[made_layers[finding["layer"]]][1]
        location = finding["location"]
        if location.startswith("history["):
            return instructions[int(location[len("history["):].split("]")[0])][1]
        assert location == "config.Env" and len(env_lines) == 1, finding
        return env_lines[0]

    findings = json.loads(rendered(name, "json"))["findings"]
    results = json.loads(rendered(name, "sarif", "--dockerfile", str(dockerfile)))["runs"][0]["results"]
    assert len(results) == len(findings)
    for finding, result in zip(findings, results, strict=False):
        assert result["partialFingerprints"]["layerAuditorFingerprint/v1"] == finding["fingerprint"]
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"].endswith(f"{name}/Dockerfile"), physical
        assert physical["region"]["startLine"] == expected_line(finding), (finding, dockerfile.read_text())

    lines = dockerfile.read_text().splitlines()
    for finding, result in zip(findings, results, strict=False):
        text = lines[result["locations"][0]["physicalLocation"]["region"]["startLine"] - 1]
        if finding["status"] in ("deleted", "overwritten", "visible"):
            assert text.startswith(("COPY ", "RUN ", "ADD ")), (finding, text)
        elif finding["location"] == "config.Env":
            assert text.startswith("ENV API_TOKEN="), (finding, text)
        else:  # a build argument recorded in a RUN's history entry
            assert text.startswith("RUN "), (finding, text)

    annotations = readers.github_commands(rendered(name, "github", "--dockerfile", str(dockerfile)))
    assert [(props["file"].endswith(f"{name}/Dockerfile"), int(props["line"])) for _, props, _ in annotations] == \
        [(True, expected_line(f)) for f in findings]


def test_metadata_scenario_maps_the_build_arg_and_env_findings(images, rendered):
    dockerfile = dockerfile_of(images, "metadata")
    lines = dockerfile.read_text().splitlines()
    findings = json.loads(rendered("metadata", "json"))["findings"]
    results = json.loads(rendered("metadata", "sarif", "--dockerfile", str(dockerfile)))["runs"][0]["results"]
    by_rule = {f["rule"]: r["locations"][0]["physicalLocation"]["region"]["startLine"]
               for f, r in zip(findings, results, strict=False) if f["status"] == "metadata"}
    assert lines[by_rule["secret-in-env"] - 1].startswith("ENV API_TOKEN=")
    assert lines[by_rule["secret-in-build-arg"] - 1].startswith('RUN test -n "$NPM_TOKEN"')
