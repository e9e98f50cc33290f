"""A hostile checkout or CI runner: planted symlinks, alias bombs, devices as rule packs, a Dockerfile that
links to a credentials file, SIGTERM mid-audit. Each case once let the attacker write, hang, leak or litter."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from testing import imagekit as kit
from testing.hostile import SECRET_FILE
from testing.imagekit import File

TOKEN = "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"  # a GitHub-shaped token: never printed in clear

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip([None, *"abcdefgh"], "abcdefghi", strict=False)
) + "rules: *i\n"  # nine levels of nine: 9**9 (387 million) strings from a few hundred bytes


@pytest.fixture
def leaky(archive):
    return archive([[File("/app/.env", data=SECRET_FILE)]])


# --- case 11: report files are never written through a planted symlink ----------------------------

@pytest.mark.parametrize("flag", ["--output", "--write-baseline"])
def test_a_report_file_that_is_a_symlink_is_refused_and_its_target_untouched(tmp_path, leaky, cli, flag):
    target = tmp_path / "victim"
    target.write_text("precious\n")
    planted = tmp_path / "report.json"
    planted.symlink_to(target)

    result = cli(leaky, "--quiet", "--no-cache", flag, str(planted))

    assert result.code == 2, result
    assert "symbolic link" in result.err and "Traceback" not in result.err
    assert target.read_text() == "precious\n"


def test_a_report_to_dev_stdout_is_still_written(tmp_path, leaky):
    out = subprocess.run([sys.executable, "-m", "auditor", leaky, "--quiet", "--no-cache", "--format", "json",
                          "--output", "/dev/stdout"], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert out.returncode == 1, out.stderr
    assert json.loads(out.stdout)["findings"]


# --- case 12: YAML alias bombs and unbounded files --------------------------------------------------

def test_a_yaml_alias_bomb_in_a_rule_pack_is_refused_by_rules_check(tmp_path, cli):
    pack = tmp_path / "bomb.yaml"
    pack.write_text(BOMB)
    assert len(BOMB) < 700

    result = cli("rules", "--check", str(pack))

    assert result.code == 2, result
    assert "aliases are expanded" in result.err


def test_a_yaml_alias_bomb_in_the_config_is_refused_before_the_audit(tmp_path, leaky, cli):
    config = tmp_path / ".layer-auditor.yaml"
    config.write_text(BOMB.replace("rules: *i", "allow: *i"))

    result = cli(leaky, "--config", str(config), "--quiet", "--no-cache")

    assert result.code == 2, result
    assert "aliases are expanded" in result.err


def test_a_self_referencing_yaml_alias_is_refused(tmp_path, cli):
    pack = tmp_path / "loop.yaml"
    pack.write_text("rules: &a [*a]\n")
    result = cli("rules", "--check", str(pack))
    assert result.code == 2 and "contains it" in result.err, result


def test_the_default_packs_anchors_and_aliases_still_load(cli):
    assert cli("rules").code == 0


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_a_device_or_fifo_named_as_a_rule_pack_is_refused_without_reading(tmp_path, leaky, cli, special):
    if special == "fifo":
        special = str(tmp_path / "pack.yaml")
        os.mkfifo(special)  # opening it for reading would wait for a writer forever
    config = tmp_path / ".layer-auditor.yaml"
    config.write_text(f"rules: [{special}]\n")

    result = cli(leaky, "--config", str(config), "--quiet", "--no-cache")

    assert result.code == 2, result
    assert "not a regular file" in result.err


def test_an_oversized_baseline_is_refused(tmp_path, leaky, cli, monkeypatch):
    from auditor import localfile

    monkeypatch.setattr(localfile, "MAX_BASELINE_BYTES", 1024)
    baseline = tmp_path / "base.json"
    baseline.write_text(json.dumps({"findings": [{"fingerprint": "x" * 64}] * 100}))

    result = cli(leaky, "--baseline", str(baseline), "--quiet", "--no-cache")

    assert result.code == 2 and "larger than 1024 bytes" in result.err, result


# --- case 13: a Dockerfile never echoes what may be a secret, nor follows a link out of the repo ----

def _repo(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    return repo


def test_a_dockerfile_symlink_out_of_the_repository_is_not_followed(tmp_path, cli):
    credentials = tmp_path / "home" / ".git-credentials"
    credentials.parent.mkdir()
    credentials.write_text(f"https://ci:{TOKEN}@github.com\n")
    repo = _repo(tmp_path)
    (repo / "Dockerfile").symlink_to(credentials)

    result = cli("dockerfile", str(repo / "Dockerfile"))

    assert result.code == 2, result
    assert "outside the repository" in result.err
    assert TOKEN not in result.err + result.out and TOKEN[:8] not in result.err + result.out


def test_a_dockerfile_symlink_inside_the_repository_is_followed(tmp_path, cli):
    repo = _repo(tmp_path)
    (repo / "docker").mkdir()
    (repo / "docker" / "app.Dockerfile").write_text("FROM scratch\nCOPY app.py /app/\n")
    (repo / "Dockerfile").symlink_to("docker/app.Dockerfile")

    assert cli("dockerfile", str(repo / "Dockerfile")).code == 0


@pytest.mark.parametrize("line", [
    f"https://ci:{TOKEN}@github.com",
    f"{TOKEN}",
    f"password={TOKEN}",
])
def test_an_unknown_instruction_is_named_without_echoing_a_secret(tmp_path, cli, line):
    repo = _repo(tmp_path)
    (repo / "Dockerfile").write_text(f"FROM scratch\n{line}\n")

    result = cli("dockerfile", str(repo / "Dockerfile"))

    assert result.code == 2, result
    assert "unknown instruction" in result.err and ":2:" in result.err
    assert TOKEN[4:] not in result.err and TOKEN[6:14] not in result.err


def test_a_mistyped_instruction_is_still_shown(tmp_path, cli):
    repo = _repo(tmp_path)
    (repo / "Dockerfile").write_text("FROM scratch\nRUNN echo hi\n")
    result = cli("dockerfile", str(repo / "Dockerfile"))
    assert result.code == 2 and "unknown instruction: RUNN" in result.err, result


# --- case 10: SIGTERM and SIGHUP clean up like Ctrl-C ----------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_terminated_audit_leaves_no_spooled_archive_behind(tmp_path, archive, signum):
    plain = archive([[File("/app/.env", data=SECRET_FILE)]])
    gzipped = tmp_path / "image.tar.gz"
    gzipped.write_bytes(kit.compress(open(plain, "rb").read(), "gzip"))  # spooled, decompressed, to a temp dir
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    script = textwrap.dedent("""
        import sys, time
        from auditor import cli
        from auditor.commands import audit as command
        def stalled(*args, **kwargs):  # the archive is spooled by now; the audit is under way
            print("ready", flush=True)
            time.sleep(120)
        command.audit = stalled
        raise SystemExit(cli.main(sys.argv[1:]))
    """)
    process = subprocess.Popen([sys.executable, "-c", script, str(gzipped), "--no-cache", "--quiet"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(tmp_path / "c")})
    try:
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
        spooled = [name for name in os.listdir(tmp) if name.startswith("layer-auditor-")]
        assert spooled and os.listdir(tmp / spooled[0]) == ["archive.tar"]
        process.send_signal(signum)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()

    assert process.returncode == 128 + signum, err
    assert "terminated" in err and "Traceback" not in err
    assert os.listdir(tmp) == []


def test_signal_handlers_are_restored_after_main(cli):
    before = signal.getsignal(signal.SIGTERM)
    cli("rules")
    assert signal.getsignal(signal.SIGTERM) is before
