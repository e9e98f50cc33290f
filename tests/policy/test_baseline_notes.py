"""What a baseline and an allowlist say about themselves: which file suppressed how many findings, and
which baseline entries no finding has any more (so baselines do not rot)."""

from __future__ import annotations

from auditor import baseline
from auditor.config import Allow, Config
from auditor.model import Finding, Image, Report, Severity, Status
from auditor.policy import suppress
from testing import imagekit as kit
from testing.imagekit import Dir, File, ImageSpec

KEY = "AKIAJ7Q3EXAMPLE4XYZQ"
BASE = [[Dir("/etc"), File("/etc/os-release", b"ID=kit\n")]]
SETTINGS = [Dir("/app"), File("/app/settings.py", f'AWS_KEY = "{KEY}"\n'.encode())]
DOTENV = [Dir("/srv"), File("/srv/.env", b"DB_PASSWORD=Kx9#mQ2vLp7wZr4T\n")]


def archive(tmp_path, layers, name):
    path = tmp_path / name
    kit.write_docker_archive(path, ImageSpec(layers=layers, repo_tags=("kit/app:latest",)))
    return path


def test_the_report_names_the_baseline_and_the_allowlist_that_suppressed(tmp_path, cli, monkeypatch):
    both = archive(tmp_path, [*BASE, SETTINGS, DOTENV], "both.tar")
    only_settings = archive(tmp_path, [*BASE, SETTINGS], "settings.tar")
    (tmp_path / ".layer-auditor.yaml").write_text("allowlist:\n  - paths: ['/srv/.env']\n    reason: fixture\n")
    monkeypatch.chdir(tmp_path)
    assert cli(only_settings, "--write-baseline", "base.json").code == 0
    result = cli(both, "--baseline", "base.json")
    assert result.code == 0, result.out
    summary = " ".join(result.out.split())
    counts = result.out.count  # one line names both files, each with its own count
    assert "finding(s) suppressed: " in summary and counts("by the baseline base.json") == 1
    assert "by the allowlist in .layer-auditor.yaml" in summary
    assert "suppressed by the baseline or allowlist" not in summary
    markdown = cli(both, "--baseline", "base.json", "--format", "markdown").out
    assert "by the baseline base.json" in markdown


def test_suppress_counts_each_finding_once_by_the_file_that_matched_first():
    image = Image(reference="kit/app", digest=None, config={}, layers=[])
    finding = Finding(rule="aws-key", kind="secret", severity=Severity.HIGH, status=Status.VISIBLE, message="m",
                      fingerprint="f" * 64, path="/app/settings.py")
    report = Report(image=image, findings=[finding], not_scanned=[])
    config = Config(path="cfg.yaml", allowlist=(Allow(fingerprints=frozenset({"f" * 64})),))
    recorded = baseline.Baseline("b.json", {"f" * 64: {"fingerprint": "f" * 64}})
    out = suppress(report, config, recorded)
    assert (out.findings, out.suppressed, out.suppressed_by) == ([], 1, {"the baseline b.json": 1})
    out = suppress(report, config, baseline.Baseline())
    assert (out.suppressed, out.suppressed_by) == (1, {"the allowlist in cfg.yaml": 1})
    assert suppress(report, Config(), baseline.Baseline()).suppressed_by == {}


def test_stale_baseline_entries_are_named_with_the_command_that_refreshes(tmp_path, cli):
    old = archive(tmp_path, [*BASE, SETTINGS, DOTENV], "old.tar")
    fixed = archive(tmp_path, [*BASE, SETTINGS], "fixed.tar")
    recorded = tmp_path / "base.json"
    assert cli(old, "--write-baseline", recorded).code == 0
    fresh = cli(old, "--baseline", recorded)
    assert "no longer found" not in fresh.err
    result = cli(fixed, "--baseline", recorded)
    assert result.code == 0
    notes = [line for line in result.err.splitlines() if "no longer found" in line]
    assert len(notes) == 1, result.err
    assert f"of the baseline {recorded} no longer found (" in notes[0] and "/srv/.env" in notes[0]
    assert "/app/settings.py" not in notes[0]
    assert f"`audit {fixed} --write-baseline {recorded}`" in notes[0]
    assert "no longer found" not in cli(fixed, "--baseline", recorded, "--quiet").err


def test_stale_lists_entries_no_finding_has():
    recorded = baseline.Baseline("b.json", {
        "a" * 64: {"fingerprint": "a" * 64, "rule": "aws-key", "path": "/app/settings.py"},
        "b" * 64: {"fingerprint": "b" * 64, "rule": "env-secret", "location": "config Env API_TOKEN"},
        "c" * 64: {"fingerprint": "c" * 64},
    })
    assert recorded.stale(["a" * 64]) == ["env-secret config Env API_TOKEN", "? " + "c" * 12]
    assert recorded.stale(["a" * 64, "b" * 64, "c" * 64]) == []
