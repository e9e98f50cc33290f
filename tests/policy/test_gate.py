"""Baselines, allowlists, the gate (--fail-on, --fail-on-status), --skip-base and waste rules, end to end."""

from __future__ import annotations

import json

from testing import imagekit as kit
from testing.imagekit import Dir, File, ImageSpec, Whiteout

KEY = "AKIAJ7Q3EXAMPLE4XYZQ"
PEM = (b"-----BEGIN OPENSSH PRIVATE KEY-----\n"
       b"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
       b"-----END OPENSSH PRIVATE KEY-----\n")
BASE = [[Dir("/etc"), File("/etc/os-release", b"ID=kit\n")]]
LEAK = [Dir("/root"), Dir("/root/.ssh"), File("/root/.ssh/id_rsa", PEM)]
VISIBLE = [Dir("/app"), File("/app/settings.py", f'AWS_KEY = "{KEY}"\n'.encode())]


def archive(tmp_path, layers, name="image.tar", tags=("kit/app:latest",)):
    path = tmp_path / name
    kit.write_docker_archive(path, ImageSpec(layers=layers, repo_tags=tags))
    return path


def findings(result):
    return {(f["rule"], f["path"], f["status"]) for f in result.json()["findings"]}


def test_a_baseline_silences_what_it_recorded_and_only_new_findings_fail(tmp_path, cli):
    old = archive(tmp_path, [*BASE, LEAK, [Whiteout("/root/.ssh/id_rsa")]])
    baseline = tmp_path / "baseline.json"
    wrote = cli(old, "--write-baseline", baseline, "--format", "json")
    assert wrote.code == 0 and findings(wrote)
    assert KEY not in baseline.read_text() and "PRIVATE KEY" not in baseline.read_text()
    same = cli(old, "--baseline", baseline, "--format", "json")
    assert same.code == 0 and same.json()["findings"] == [] and same.json()["summary"]["suppressed"] > 0
    rebuilt = archive(tmp_path, [*BASE, LEAK, [Whiteout("/root/.ssh/id_rsa")], VISIBLE], name="new.tar")
    new = cli(rebuilt, "--baseline", baseline, "--format", "json")
    assert new.code == 1
    assert {path for _, path, _ in findings(new)} == {"/app/settings.py"}


def test_baseline_beside_the_config_is_used_unless_no_baseline(tmp_path, cli, monkeypatch):
    image = archive(tmp_path, [*BASE, VISIBLE])
    project = tmp_path / "project"
    project.mkdir()
    (project / ".layer-auditor.yaml").write_text("fail-on: low\n")
    monkeypatch.chdir(project)
    assert cli(image, "--write-baseline", ".layer-auditor-baseline.json").code == 0
    assert cli(image).code == 0
    assert cli(image, "--no-baseline").code == 1


def test_fail_on_status_gates_only_hidden_or_only_visible_findings(tmp_path, cli):
    hidden_only = archive(tmp_path, [*BASE, LEAK, [Whiteout("/root/.ssh/id_rsa")]], name="hidden.tar")
    visible_only = archive(tmp_path, [*BASE, VISIBLE], name="visible.tar")
    assert cli(hidden_only, "--fail-on-status", "hidden").code == 1
    assert cli(hidden_only, "--fail-on-status", "visible").code == 0
    assert cli(visible_only, "--fail-on-status", "visible").code == 1
    assert cli(visible_only, "--fail-on-status", "hidden").code == 0


def test_fail_on_sets_the_lowest_failing_severity_and_info_never_fails_by_default(tmp_path, cli):
    image = archive(tmp_path, [*BASE, VISIBLE])
    severities = {f["severity"] for f in cli(image, "--format", "json").json()["findings"]}
    assert "critical" in severities
    assert cli(image, "--fail-on", "critical").code == 1
    sums = File("/srv/sums.txt", b'digest = "3f8a9c2e7b1d4f6a0e5c"\n')
    info_only = archive(tmp_path, [*BASE, [Dir("/srv"), sums]], name="info.tar")
    doc = cli(info_only, "--format", "json").json()
    assert doc["findings"] == [] and doc["summary"]["below_min_severity"] == 1  # counted, not listed
    doc = cli(info_only, "--format", "json", "--show-info").json()
    assert {f["severity"] for f in doc["findings"]} == {"info"}, doc["findings"]
    assert cli(info_only).code == 0
    assert cli(info_only, "--show-info").code == 0
    assert cli(info_only, "--fail-on", "info").code == 1


def test_what_fails_the_gate_is_always_shown(tmp_path, cli):
    sums = File("/srv/sums.txt", b'digest = "3f8a9c2e7b1d4f6a0e5c"\n')
    info_only = archive(tmp_path, [*BASE, [Dir("/srv"), sums]], name="info.tar")
    failing = cli(info_only, "--fail-on", "info", "--min-severity", "high", "--format", "json")
    assert failing.code == 1 and [f["severity"] for f in failing.json()["findings"]] == ["info"]
    assert "1 finding(s) below the shown severity" in cli(info_only).out


def test_allowlist_in_the_config_silences_by_path_and_rule(tmp_path, cli, monkeypatch):
    image = archive(tmp_path, [*BASE, VISIBLE])
    (tmp_path / ".layer-auditor.yaml").write_text(
        "allowlist:\n  - paths: ['/app/settings.py']\n    reason: test fixture\n")
    monkeypatch.chdir(tmp_path)
    result = cli(image, "--format", "json")
    assert result.code == 0 and result.json()["findings"] == []
    assert result.json()["summary"]["suppressed"] > 0


def test_skip_base_leaves_out_the_shared_layers_and_says_how_many(tmp_path, cli):
    base_layers = [*BASE, [Dir("/opt"), File("/opt/vendor.pem", PEM)]]
    base = archive(tmp_path, base_layers, name="base.tar", tags=("kit/base:1",))
    app = archive(tmp_path, [*base_layers, VISIBLE], name="app.tar")
    everything = {path for _, path, _ in findings(cli(app, "--format", "json"))}
    assert {"/opt/vendor.pem", "/app/settings.py"} <= everything
    skipped = cli(app, "--skip-base", base, "--format", "json").json()
    assert {f["path"] for f in skipped["findings"]} == {"/app/settings.py"}
    assert skipped["summary"]["skipped_layers"] == 2


def test_waste_rule_reports_large_files_hidden_by_a_later_layer(tmp_path, cli):
    rules = tmp_path / "waste.yaml"
    rules.write_text(
        "rules:\n  - id: big-hidden\n    kind: waste\n    severity: low\n    min_size: 1000\n"
        "    description: Large hidden file.\n    remediation: Delete it in the RUN that made it.\n")
    image = archive(tmp_path, [*BASE, [Dir("/tmp"), File("/tmp/big.bin", b"\0" * 5000), File("/tmp/small", b"x")],
                               [Whiteout("/tmp")]])
    doc = cli(image, "--rules", rules, "--format", "json").json()
    waste = [f for f in doc["findings"] if f["rule"] == "big-hidden"]
    assert [(f["path"], f["status"], f["hidden_by"]) for f in waste] == [("/tmp/big.bin", "deleted", 2)]
    assert doc["summary"]["hidden_bytes"] == 5001
    assert json.dumps(doc["summary"]["efficiency"])
