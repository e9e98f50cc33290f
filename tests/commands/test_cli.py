"""The `audit` command in process: exit codes, the JSON contract, redaction, one-line errors."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from testing import imagekit as kit
from testing.imagekit import Dir, File, ImageSpec, Whiteout

AWS_KEY_ID = "AKIAJ7Q3EXAMPLE4XYZQ"
DB_PASSWORD = "s3cr3t-Pa55w0rd!"
ENV_TOKEN = "tok_8f3a9c2e7b1d4f6a9e0b"
NPM_TOKEN = "npm_Xy7kP2mQ9rT4vW8zB3nC6dF1gH5jK0aLsE2u"
SECRETS = (AWS_KEY_ID, DB_PASSWORD, ENV_TOKEN, NPM_TOKEN)

BASE = [Dir("/etc"), File("/etc/os-release", b'NAME="Kit Linux"\nID=kit\n')]
DOTENV = f"AWS_ACCESS_KEY_ID={AWS_KEY_ID}\nDATABASE_PASSWORD=\"{DB_PASSWORD}\"\n".encode()


def leaky() -> ImageSpec:
    return ImageSpec(
        layers=[BASE, [Dir("/app"), File("/app/.env", DOTENV)],
                [Dir("/app"), Whiteout("/app/.env"), File("/app/.env.production", b"DEBUG=0\n")]],
        history=["ADD rootfs.tar /", "COPY .env /app/", f"|1 NPM_TOKEN={NPM_TOKEN} /bin/sh -c npm ci"],
        env=["PATH=/usr/bin:/bin", f"API_TOKEN={ENV_TOKEN}"],
    )


def clean() -> ImageSpec:
    return ImageSpec(layers=[BASE, [Dir("/app"), File("/app/main.py", b"print('hello')\n")]])


def archive(tmp_path: Path, spec: ImageSpec, name: str = "image.tar") -> str:
    path = tmp_path / name
    kit.write_docker_archive(path, spec)
    return str(path)


def one_error_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.code == 2, (result.out, result.err)
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("audit: error: ")
    return lines[0]


# --- exit codes ----------------------------------------------------------------------------------------


def test_clean_image_exits_0(tmp_path, cli):
    result = cli(archive(tmp_path, clean()))
    assert result.code == 0, result.out
    assert "0 finding(s)" in result.out


def test_findings_exit_1_and_exit_zero_makes_it_0(tmp_path, cli):
    ref = archive(tmp_path, leaky())
    assert cli(ref).code == 1
    assert cli(ref, "--exit-zero").code == 0


def test_incomplete_audit_exits_2_even_with_exit_zero(tmp_path, cli):
    written = kit.write_oci_layout(tmp_path / "layout", leaky())
    (tmp_path / "layout" / written[0].layer_names[1]).unlink()
    for extra in ([], ["--exit-zero"]):
        result = cli(tmp_path / "layout", *extra)
        assert result.code == 2
        assert "could not be read" in result.err


def test_fail_on_sets_the_lowest_failing_severity(tmp_path, cli):
    spec = ImageSpec(layers=[BASE, [Dir("/app"), File("/app/.env", b"DEBUG=1\n")]])
    ref = archive(tmp_path, spec)
    severities = {f["severity"] for f in cli(ref, "--format", "json").json()["findings"]}
    assert severities and "critical" not in severities
    assert cli(ref).code == 1
    assert cli(ref, "--fail-on", "critical").code == 0


@pytest.mark.parametrize(("status", "code"), [("hidden", 1), ("visible", 0), ("any", 1)])
def test_fail_on_status_gates_on_hidden_or_visible_findings(tmp_path, cli, status, code):
    spec = ImageSpec(layers=[BASE, [Dir("/app"), File("/app/.env", DOTENV)], [Dir("/app"), Whiteout("/app/.env")]])
    ref = archive(tmp_path, spec)
    statuses = {f["status"] for f in cli(ref, "--format", "json").json()["findings"]}
    assert statuses == {"deleted"}
    assert cli(ref, "--fail-on-status", status).code == code


# --- JSON contract -------------------------------------------------------------------------------------

IMAGE_KEYS = {"reference", "digest", "layers"}
LAYER_KEYS = {"index", "digest", "diff_id", "created_by", "size"}
FINDING_KEYS = {"rule", "kind", "severity", "status", "path", "layer", "hidden_by", "location", "line", "secret",
                "fingerprint", "message", "remediation"}
NOT_SCANNED_KEYS = {"layer", "path", "reason"}
SUMMARY_KEYS = {"findings", "by_status", "by_severity", "hidden", "layers", "entries", "hidden_bytes",
                "not_scanned", "suppressed", "skipped_layers"}
SEVERITIES = {"info", "low", "medium", "high", "critical"}
STATUSES = {"visible", "deleted", "overwritten", "metadata"}


def test_json_report_keeps_the_documented_contract(tmp_path, cli):
    written = kit.write_oci_layout(tmp_path / "layout", leaky())
    (tmp_path / "layout" / written[0].layer_names[0]).unlink()  # so not_scanned has an item too
    result = cli(tmp_path / "layout", "--format", "json")
    doc = result.json()

    assert {"image", "findings", "not_scanned", "warnings", "summary"} <= set(doc)
    assert IMAGE_KEYS <= set(doc["image"])
    assert doc["image"]["digest"] == written[0].manifest
    for index, layer in enumerate(doc["image"]["layers"]):
        assert LAYER_KEYS <= set(layer)
        assert layer["index"] == index and layer["digest"].startswith("sha256:")
    assert doc["findings"]
    for f in doc["findings"]:
        assert FINDING_KEYS <= set(f)
        assert f["kind"] in {"secret", "file"} and f["severity"] in SEVERITIES and f["status"] in STATUSES
        assert isinstance(f["fingerprint"], str) and f["fingerprint"] and isinstance(f["message"], str)
        if f["status"] == "metadata":
            assert f["path"] is None and f["layer"] is None and isinstance(f["location"], str)
        else:
            assert f["path"].startswith("/") and isinstance(f["layer"], int)
            assert (f["hidden_by"] is None) == (f["status"] == "visible")
    assert [set(n) >= NOT_SCANNED_KEYS for n in doc["not_scanned"]] == [True]
    assert all(isinstance(w, str) for w in doc["warnings"])
    summary = doc["summary"]
    assert SUMMARY_KEYS <= set(summary)
    assert summary["findings"] == len(doc["findings"]) and summary["layers"] == 3
    assert summary["not_scanned"] == 1
    assert {k: v for k, v in summary["by_status"].items() if v} == _count(doc["findings"], "status")
    assert {k: v for k, v in summary["by_severity"].items() if v} == _count(doc["findings"], "severity")


def _count(findings: list[dict], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in findings:
        out[f[key]] = out.get(f[key], 0) + 1
    return out


def test_fingerprints_survive_a_rebuild_on_another_base(tmp_path, cli):
    app = [Dir("/app"), File("/app/.env", DOTENV)]
    first = archive(tmp_path, ImageSpec(layers=[BASE, app]), "first.tar")
    second = archive(tmp_path, ImageSpec(layers=[[File("/etc/debian_version", b"12.5\n")], [Dir("/srv")], app]),
                     "second.tar")

    def prints(ref: str) -> set[tuple[str, str, str]]:
        doc = cli(ref, "--format", "json").json()
        return {(f["rule"], f["path"], f["fingerprint"]) for f in doc["findings"] if f["path"] == "/app/.env"}

    assert prints(first) and prints(first) == prints(second)


def test_files_json_keeps_the_documented_contract(tmp_path, cli):
    result = cli("files", archive(tmp_path, leaky()), "--format", "json")
    assert result.code == 0
    doc = result.json()
    assert set(doc) == {"files"}
    rows = doc["files"]
    assert rows
    for row in rows:
        assert {"path", "layer", "type", "size", "status", "hidden_by"} <= set(row)
        assert row["type"] in {"file", "hardlink", "symlink", "dir", "other"}
        assert row["status"] in {"visible", "deleted", "overwritten"}
    assert {"path": "/app/.env", "layer": 1, "type": "file", "size": len(DOTENV), "status": "deleted",
            "hidden_by": 2}.items() <= next(r for r in rows if r["path"] == "/app/.env").items()


def test_files_text_names_the_hiding_layer(tmp_path, cli):
    out = cli("files", archive(tmp_path, leaky())).out
    [line] = [line for line in out.splitlines() if line.endswith("/app/.env")]
    assert "deleted by layer 2" in line


def test_output_file_takes_the_report_and_stdout_stays_empty(tmp_path, cli):
    target = tmp_path / "report.json"
    result = cli(archive(tmp_path, leaky()), "--format", "json", "--output", target)
    assert result.code == 1 and result.out == ""
    assert json.loads(target.read_text())["summary"]["findings"] > 0


# --- secrets -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secrets_are_redacted_unless_show_secrets(tmp_path, cli, fmt):
    ref = archive(tmp_path, leaky())
    shown = cli(ref, "--format", fmt, "--show-secrets")
    for secret in SECRETS:
        assert secret in shown.out, f"{secret} is never found, so its redaction proves nothing"
    hidden = cli(ref, "--format", fmt)
    for secret in SECRETS:
        assert secret not in hidden.out and secret not in hidden.err
    assert hidden.code == shown.code == 1


def test_redaction_keeps_at_most_four_characters(tmp_path, cli):
    doc = cli(archive(tmp_path, leaky()), "--format", "json").json()
    kept = [f["secret"].rstrip("*") for f in doc["findings"] if f["secret"]]
    assert kept and all(len(k) <= 4 for k in kept)


# --- errors --------------------------------------------------------------------------------------------


def test_missing_paths_are_one_line_errors(tmp_path, cli):
    for ref in (f"docker-archive:{tmp_path}/missing.tar", f"oci:{tmp_path}/missing", f"oci-archive:{tmp_path}/x.tar",
                f"{tmp_path}/missing.tar", "./missing.tar"):
        assert "no such file" in one_error_line(cli(ref))


def test_unreachable_engine_is_a_one_line_error(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    assert "Docker engine" in one_error_line(cli("kit/no-such-image:1"))


@pytest.mark.parametrize("damage", ["junk", "truncated", "neither", "bad manifest", "bad platform", "no config"])
def test_corrupt_inputs_are_one_line_errors(tmp_path, cli, damage):
    path = tmp_path / "image.tar"
    extra: list[str] = []
    if damage == "junk":
        path.write_bytes(bytes(range(256)) * 40)
    elif damage == "truncated":
        kit.write_docker_archive(path, leaky())
        path.write_bytes(path.read_bytes()[:1500])
    elif damage == "neither":
        path.write_bytes(kit.layer_tar([File("/README", b"hello\n")]))
    elif damage == "bad manifest":
        path.write_bytes(kit.layer_tar([File("/manifest.json", b"[{not json")]))
    elif damage == "bad platform":
        kit.write_oci_layout(tmp_path / "layout", leaky(), index="multiarch")
        path, extra = tmp_path / "layout", ["--platform", "linux"]
    else:
        extra = ["--config", str(tmp_path / "missing.yaml")]
        kit.write_docker_archive(path, clean())
    one_error_line(cli(path, *extra))


RULE_FILES = {
    "invalid yaml": "rules:\n  - id: x\n    kind: path\n   bad",
    "unknown field": "rules:\n  - id: my-rule\n    kind: path\n    severity: high\n    description: d\n"
                     "    remediation: r\n    paths: [x]\n    colour: red\n",
    "unknown severity": "rules:\n  - id: my-rule\n    kind: path\n    severity: dire\n    description: d\n"
                        "    remediation: r\n    paths: [x]\n",
    "bad regex": "rules:\n  - id: my-rule\n    kind: regex\n    severity: high\n    description: d\n"
                 "    remediation: r\n    pattern: '(['\n",
}


@pytest.mark.parametrize("text", list(RULE_FILES.values()), ids=list(RULE_FILES))
def test_malformed_rule_file_is_a_one_line_error_naming_the_file(tmp_path, cli, text):
    rules = tmp_path / "my-rules.yaml"
    rules.write_text(text)
    ref = archive(tmp_path, clean())
    assert "my-rules.yaml" in one_error_line(cli(ref, "--rules", rules))
    assert "my-rules.yaml" in one_error_line(cli("rules", "--check", rules))


def test_warnings_go_to_stderr_unless_quiet(tmp_path, cli):
    path = tmp_path / "images.tar"
    kit.write_docker_archive(path, [clean(), ImageSpec(layers=[BASE], repo_tags=["kit/other:1"])])
    loud = cli(path)
    assert loud.code == 0
    assert [line for line in loud.err.splitlines() if line.startswith("audit: warning:")]
    assert "audit: warning:" not in loud.out
    assert cli(path, "--quiet").err == ""


# --- the shipped example -------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "leaky-app.tar"


def test_shipped_example_is_what_the_script_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_example", ROOT / "scripts" / "make_example.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main([str(tmp_path / "leaky-app.tar")]) == 0
    assert (tmp_path / "leaky-app.tar").read_bytes() == EXAMPLE.read_bytes()


def test_shipped_example_shows_visible_deleted_overwritten_and_metadata_findings(cli):
    result = cli(EXAMPLE, "--format", "json")
    assert result.code == 1
    found = {(f["status"], f["path"] or f["location"]) for f in result.json()["findings"]}
    assert {("deleted", "/root/.ssh/id_rsa"), ("overwritten", "/app/.env"), ("visible", "/app/config.yaml"),
            ("metadata", "config.Env"), ("metadata", "history[7].created_by")} <= found
