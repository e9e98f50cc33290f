"""`audit sweep` against a real `docker-registry` of 22 images sharing base layers (conftest.py): what it
finds, how often it reads each layer, and what a second, interrupted or narrowed run does."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from auditor.sweep import catalog, executor
from testing import imagekit as kit
from testing.sweepkit import push
from tests.formats import test_formats
from tests.sweep.conftest import IMAGES, LONER, REPOSITORIES, Fleet, store_text

pytestmark = pytest.mark.slow
sarif_schema = test_formats.sarif_validator  # the official SARIF 2.1.0 schema fixture, as a validator


def counting(counted: Counter[str]):
    """`executor.scan_layer` counting each layer it reads (one local job: layers are read in this process)."""
    real = executor.scan_layer

    def scan(task: executor.LayerTask, rules: object) -> executor.LayerResult:
        counted[task.digest] += 1
        return real(task, rules)  # type: ignore[arg-type]

    return scan


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every layer this test's sweeps read, counted."""
    counted: Counter[str] = Counter()
    monkeypatch.setattr(executor, "scan_layer", counting(counted))
    return counted


def sweep(cli, fleet: Fleet, db: Path, *extra: str):
    return cli("sweep", fleet.address, "--tags", "all", "--db", db, "--jobs", "1", *extra)


def report(cli, db: Path) -> dict:
    result = cli("sweep", "report", "--db", db, "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)


@pytest.fixture(scope="module")
def swept(fleet, tmp_path_factory) -> tuple[Path, Counter[str], Path]:
    """One sweep of the whole fleet, its catalog and tag lists read in pages of 3: the store, the layers
    it read, and the cache it filled."""
    from auditor.cli import main

    db = tmp_path_factory.mktemp("swept") / "sweep.db"
    cache = tmp_path_factory.mktemp("swept-cache")
    counted: Counter[str] = Counter()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(catalog, "PAGE", 3)
        patch.setattr(executor, "scan_layer", counting(counted))
        patch.setenv("XDG_CACHE_HOME", str(cache))
        assert main(["sweep", fleet.address, "--tags", "all", "--db", str(db), "--jobs", "1", "-q"]) == 0
    return db, counted, cache


def test_finds_the_shared_secret_once_with_every_image_and_reads_each_layer_once(cli, fleet, swept):
    db, scanned, _ = swept
    assert set(scanned) == fleet.distinct_layers and len(scanned) == 25
    assert set(scanned.values()) == {1}, "a layer shared by several images was read more than once"
    doc = report(cli, db)
    assert len(doc["images"]) == IMAGES and all(image["complete"] for image in doc["images"])
    by_rule = {cause["rule"]: cause for cause in doc["root_causes"]}
    shared, single = by_rule["ds-github-token"], by_rule["ds-aws-access-key"]
    assert shared["image_count"] == IMAGES and shared["where"] == "/etc/app/settings.conf"
    assert shared["layer"] == fleet.pushed[0].layers[0] and shared["instruction"] == "ADD base.tar /"
    assert {i["reference"] for i in shared["images"]} == {p.reference for p in fleet.pushed}
    assert [i["reference"] for i in single["images"]] == [fleet.pushed[LONER].reference]
    assert single["layer"] == fleet.pushed[LONER].layers[2] and single["where"] == "/app/.env"
    assert doc["root_causes"][0]["rule"] == "ds-github-token", "worst first: critical, then most images"


def test_neither_the_store_nor_a_report_holds_a_secret_value(cli, fleet, swept):
    db, _, _ = swept
    outputs = [cli("sweep", "report", "--db", db, "--format", fmt).out for fmt in ("text", "json", "sarif", "markdown")]
    for text in [store_text(db), *outputs]:
        assert fleet.shared_secret not in text and fleet.single_secret not in text
    assert "ghp_" in outputs[0], "the redacted preview is shown"
    assert json.loads(outputs[2])["runs"][0]["results"][0]["properties"]["images"]


def test_a_second_sweep_reads_only_new_layers(cli, fleet, swept, scans, tmp_path):
    db = tmp_path / "sweep.db"
    shutil.copy(swept[0], db)
    first = report(cli, db)
    extra = kit.ImageSpec(layers=[[kit.File("/new.txt", b"new\n")]], history=["COPY new.txt /"])
    added = push(fleet.address, "team/api", "extra", extra)

    again = sweep(cli, fleet, db)
    assert again.code == 0, again.err
    assert dict(scans) == {added.layers[0]: 1}
    assert "0 from the layer cache; 1 image(s) assessed, 22 unchanged" in again.err
    second = report(cli, db)
    assert second["root_causes"] == first["root_causes"]


def test_layers_in_the_layer_cache_are_not_downloaded(cli, fleet, swept, scans, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(swept[2]))  # the cache the first sweep filled
    db = tmp_path / "fresh.db"
    result = sweep(cli, fleet, db, "--repo", "other/*")  # other/db: not grown by another test, and has both secrets
    assert result.code == 0, result.err
    assert not scans and "0 scanned, 0 from the store, " in result.err
    everything = report(cli, swept[0])["root_causes"]
    from_cache = report(cli, db)["root_causes"]
    assert [c["fingerprint"] for c in from_cache] == [c["fingerprint"] for c in everything]


def test_a_new_rule_reassesses_the_images_without_reading_a_layer(cli, fleet, swept, scans, tmp_path):
    db = tmp_path / "sweep.db"
    shutil.copy(swept[0], db)
    pack = tmp_path / "extra.yaml"
    pack.write_text("pack: extra\nrules:\n  - id: build-notes\n    kind: path\n    severity: low\n"
                    "    description: A build note file.\n    remediation: Leave it out.\n    paths: [build.txt]\n")
    result = sweep(cli, fleet, db, "--rules", pack, "--repo", "other/*")
    assert result.code == 0, result.err
    assert not scans, "a path rule decides nothing a layer scan keeps: no layer is read again"
    others = [p.reference for p in fleet.pushed if "/other/" in p.reference]
    assert f"{len(others)} image(s) assessed, 0 unchanged" in result.err
    notes = [c for c in report(cli, db)["root_causes"] if c["rule"] == "build-notes"]
    assert sorted(c["images"][0]["reference"] for c in notes) == sorted(others)


def test_an_interrupted_sweep_resumes_with_the_layers_it_had_not_read(cli, fleet, scans, tmp_path, monkeypatch):
    db = tmp_path / "sweep.db"
    counting = executor.scan_layer

    def interrupted(task, rules):
        if sum(scans.values()) == 10:
            raise KeyboardInterrupt
        return counting(task, rules)

    monkeypatch.setattr(executor, "scan_layer", interrupted)
    assert sweep(cli, fleet, db).code == 130
    read_first = set(scans)
    assert len(read_first) == 10
    monkeypatch.setattr(executor, "scan_layer", counting)
    scans.clear()

    resumed = sweep(cli, fleet, db)
    assert resumed.code == 0, resumed.err
    assert set(scans) == fleet.distinct_layers - read_first and set(scans.values()) == {1}
    images = report(cli, db)["images"]
    assert {p.reference for p in fleet.pushed} <= {i["reference"] for i in images}
    assert all(i["complete"] for i in images)


def test_from_file_sweeps_the_listed_references_only(cli, fleet, scans, tmp_path):
    listed = [fleet.pushed[0].reference, f"docker://{fleet.pushed[1].reference}", fleet.pushed[0].reference]
    refs = tmp_path / "refs.txt"
    refs.write_text("# from kubectl\n" + "\n".join(listed) + "\n\n")
    db = tmp_path / "sweep.db"
    result = cli("sweep", "--from-file", refs, "--db", db, "--jobs", "1")
    assert result.code == 0, result.err
    assert [i["reference"] for i in report(cli, db)["images"]] == sorted(p.reference for p in fleet.pushed[:2])
    assert len(scans) == 5  # the base layer, libs (image 0), other (image 1), and each one's own layer


def test_repo_glob_and_newest_tags_narrow_the_catalog(cli, fleet, tmp_path):
    db = tmp_path / "sweep.db"
    result = cli("sweep", fleet.address, "--repo", "team/*", "--tags", "newest:1", "--db", db, "--jobs", "1")
    assert result.code == 0, result.err
    repos = {i["reference"].split("/", 1)[1].rsplit(":", 1)[0] for i in report(cli, db)["images"]}
    assert repos == {r for r in REPOSITORIES if r.startswith("team/")}


def test_the_sarif_report_validates_against_the_official_schema(cli, swept, sarif_schema):
    doc = json.loads(cli("sweep", "report", "--db", swept[0], "--format", "sarif").out)
    errors = sorted(sarif_schema.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert len(doc["runs"][0]["results"]) == len(report(cli, swept[0])["root_causes"])
