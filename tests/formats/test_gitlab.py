"""`--format gitlab`: GitLab's secret-detection report, checked against the required fields and types of
GitLab's schema (gitlab-secret-detection-schema.json beside this file, encoded from GitLab's
documentation: no copy of the schema can be had from the package registries here)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from testing import imagekit as kit
from testing import readers
from testing.imagekit import Blob, Dir, File, ImageSpec

HERE = Path(__file__).resolve().parent
EXAMPLE = str(HERE.parents[1] / "examples" / "leaky-app.tar")


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads((HERE / "gitlab-secret-detection-schema.json").read_text())
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def errors(validator: Draft7Validator, doc: object) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def test_an_image_report_validates_and_carries_every_finding(cli, validator):
    result = cli(EXAMPLE, "--no-config", "--format", "gitlab")
    assert result.code == 1, result.err
    doc = result.json()
    assert errors(validator, doc) == []
    assert doc["scan"]["type"] == "secret_detection" and doc["scan"]["status"] == "success"
    expected = readers.from_json(cli(EXAMPLE, "--no-config", "--format", "json").out)
    assert sorted(s.key for s in readers.from_gitlab(result.out)) == sorted(s.key for s in expected)
    ids = [v["id"] for v in doc["vulnerabilities"]]
    assert len(set(ids)) == len(ids) and all(uuid.UUID(i) for i in ids)
    again = cli(EXAMPLE, "--no-config", "--format", "gitlab").json()
    assert [v["id"] for v in again["vulnerabilities"]] == ids, "ids are stable across runs"


def test_secrets_stay_redacted_in_the_gitlab_report(cli):
    shown = cli(EXAMPLE, "--no-config", "--format", "json", "--show-secrets").json()
    values = [f["secret"] for f in shown["findings"] if f.get("secret") and len(f["secret"]) >= 8]
    assert values, "the example has secrets, so redaction means something"
    out = cli(EXAMPLE, "--no-config", "--format", "gitlab").out
    for value in values:
        assert value not in out


def test_the_schema_catches_a_report_missing_what_gitlab_requires(cli, validator):
    doc = cli(EXAMPLE, "--no-config", "--format", "gitlab").json()
    del doc["scan"]["type"]
    doc["vulnerabilities"][0]["severity"] = "critical"  # GitLab's enum is capitalised
    del doc["vulnerabilities"][1]["location"]["commit"]
    found = " ".join(errors(validator, doc))
    assert "'type' is a required property" in found
    assert "'critical' is not one of" in found
    assert "'commit' is a required property" in found


def test_an_unreadable_layer_makes_a_failed_scan_with_a_fatal_message(tmp_path, cli, validator):
    spec = ImageSpec(layers=[[Dir("/app"), File("/app/.env", b"A=1\n")],
                             Blob(b"this is not a tar archive\n" * 40, media_type=kit.LAYER_TYPES["none"])])
    kit.write_docker_archive(tmp_path / "broken.tar", spec)
    result = cli(str(tmp_path / "broken.tar"), "--no-config", "--format", "gitlab")
    assert result.code == 2
    doc = result.json()
    assert errors(validator, doc) == []
    assert doc["scan"]["status"] == "failure"
    assert [m["level"] for m in doc["scan"]["messages"]] == ["fatal"]


def test_a_dockerfile_report_points_at_the_dockerfile_line(tmp_path, cli, validator):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM scratch\nCOPY id_rsa /root/.ssh/id_rsa\n")
    (tmp_path / "id_rsa").write_text("not really a key\n")
    result = cli("dockerfile", str(dockerfile), "--no-config", "--format", "gitlab")
    doc = result.json()
    assert errors(validator, doc) == []
    assert doc["vulnerabilities"], result.err
    for vulnerability in doc["vulnerabilities"]:
        assert vulnerability["location"]["file"].endswith("Dockerfile")
        assert vulnerability["location"]["start_line"] == 2
