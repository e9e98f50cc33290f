"""`audit dockerfile` without a PATH (the pre-commit hook): every Dockerfile of the repository, as git lists
them, or under the current directory outside git."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from auditor.dockerfile.find import dockerfiles, is_dockerfile

DOCKERFILE = "FROM alpine:3.19\nCOPY . /app\n"


def _write(root: Path, names: list[str]) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(DOCKERFILE)


@pytest.mark.parametrize(("path", "taken"), [
    ("Dockerfile", True), ("Containerfile", True), ("docker/api.Dockerfile", True), ("Dockerfile.prod", True),
    ("sub/dockerfile", True), ("Dockerfile.dockerignore", False), ("README.md", False), ("Dockerfiles/x", False),
])
def test_which_names_are_dockerfiles(path, taken):
    assert is_dockerfile(path) is taken


def test_outside_git_every_dockerfile_under_the_directory_but_hidden_and_vendored(tmp_path, monkeypatch):
    _write(tmp_path, ["Dockerfile", "svc/api.Dockerfile", ".cache/Dockerfile", "node_modules/x/Dockerfile",
                      "Dockerfile.dockerignore"])
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))  # never the enclosing checkout
    monkeypatch.chdir(tmp_path)
    assert dockerfiles() == ["Dockerfile", os.path.join("svc", "api.Dockerfile")]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_in_git_tracked_and_unignored_dockerfiles_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    subprocess.run(["git", "init", "-q"], check=True)
    _write(tmp_path, ["Dockerfile", "build/Dockerfile", "new/Containerfile", "gone/Dockerfile"])
    (tmp_path / ".gitignore").write_text("build/\n")
    subprocess.run(["git", "add", "Dockerfile", "gone/Dockerfile"], check=True)
    (tmp_path / "gone" / "Dockerfile").unlink()  # tracked, deleted in the work tree
    assert dockerfiles() == ["Dockerfile", os.path.join("new", "Containerfile")]


def test_the_command_without_a_path_checks_what_it_finds(tmp_path, monkeypatch, cli):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path)
    empty = cli("dockerfile")
    assert empty.code == 0 and "no Dockerfile or Containerfile here" in empty.err
    _write(tmp_path, ["svc/Dockerfile"])
    (tmp_path / "svc" / ".env").write_text("DEBUG=0\n")
    found = cli("dockerfile")
    assert found.code == 1 and "svc/Dockerfile:2: HIGH dotenv-file" in found.out, found.out
