"""A warm `audit dockerfile` (the pre-commit hook, run again): the same report as the first run, without
the Docker SDK, and without detect-secrets unless a text may hold a secret. Each run is a fresh
interpreter, as the hook is."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from auditor.cli import main
from testing.tokens import github_token

RUN = ("import contextlib, io, json, sys\n"
       "from auditor import cli\n"
       "out = io.StringIO()\n"
       "with contextlib.redirect_stdout(out):\n"
       "    code = cli.main(['dockerfile', '--no-config', '--format', 'json', 'Dockerfile'])\n"
       "print(json.dumps([code, out.getvalue(), sorted(sys.modules)]))\n")
HEAVY = ("detect_secrets", "docker", "requests")


def _run(repo, cache):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_")}
    env["XDG_CACHE_HOME"] = str(cache)
    proc = subprocess.run([sys.executable, "-c", RUN], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    code, report, modules = json.loads(proc.stdout.splitlines()[-1])
    return code, report, {m.split(".")[0] for m in modules}


def _repo(path, env_value):
    (path / ".git").mkdir(parents=True)
    (path / "Dockerfile").write_text(f"FROM python:3.12-slim\nCOPY requirements.txt app.py /app/\n"
                                     f"ENV MODE={env_value}\nCMD [\"python\", \"/app/app.py\"]\n")
    (path / ".dockerignore").write_text(".git\n*.pyc\n")
    (path / "requirements.txt").write_text("flask==3.0.0\n")
    (path / "app.py").write_text('print("hello")\n')
    return path


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """A user cache after one (cold) run over a clean repository, and that run's result."""
    base = tmp_path_factory.mktemp("warm")
    cache = base / "cache"
    return cache, _run(_repo(base / "clean", "production"), cache)


def test_a_warm_run_of_a_clean_repository_loads_no_sdk_nor_detect_secrets(warm, tmp_path):
    cache, first = warm
    code, report, modules = _run(_repo(tmp_path / "clean", "production"), cache)
    assert (code, report) == first[:2]
    assert code == 0
    assert modules.isdisjoint(HEAVY)


def test_a_warm_run_still_finds_a_secret_as_a_cold_one_does(warm, tmp_path, monkeypatch, capsys):
    cache, _ = warm
    token = github_token()
    repo = _repo(tmp_path / "leaky", token)
    code, report, modules = _run(repo, cache)
    monkeypatch.chdir(repo)  # the same command in this process, with the test's own empty cache
    cold_code = main(["dockerfile", "--no-config", "--format", "json", "Dockerfile"])
    assert (code, report) == (cold_code, capsys.readouterr().out)
    assert code == 1
    assert "detect_secrets" in modules
    assert "github" in report.lower()
