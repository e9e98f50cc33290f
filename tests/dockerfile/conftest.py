"""Fixtures for `audit dockerfile`: a project directory (Dockerfile plus build context) and the CLI run in it.

Secret-shaped values are generated per run, so no credential-shaped literal lives in this repository.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import string
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from testing.tokens import github_token

Key = tuple[str, int, "int | None", "str | None"]  # (rule, line, related_line, path)


def _pick(alphabet: str, count: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(count))


def pem() -> str:
    """A PEM private key block (random body), assembled so this file holds no key header."""
    body = "\n".join(textwrap.wrap(base64.b64encode(secrets.token_bytes(300)).decode(), 64))
    return f"-----{'BEGIN'} RSA PRIVATE KEY-----\n{body}\n-----{'END'} RSA PRIVATE KEY-----\n"


@dataclass(frozen=True)
class Fake:
    """Secret-shaped values for one test run."""

    github_token: str = field(default_factory=github_token)
    aws_key_id: str = field(default_factory=lambda: "AKIA" + _pick(string.ascii_uppercase + string.digits, 16))
    password: str = field(default_factory=lambda: _pick(string.ascii_letters + string.digits, 20))
    key: str = field(default_factory=pem)


@pytest.fixture(scope="session")
def fake() -> Fake:
    return Fake()


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def doc(self) -> dict[str, Any]:
        return json.loads(self.out)

    @property
    def findings(self) -> list[dict[str, Any]]:
        return self.doc["findings"]

    def keys(self, prefix: str = "df-") -> set[Key]:
        """(rule, line, related_line, path) of every finding whose rule starts with `prefix`."""
        return {(f["rule"], f["line"], f["related_line"], f["path"]) for f in self.findings
                if f["rule"].startswith(prefix)}

    def rules(self) -> set[str]:
        return {f["rule"] for f in self.findings}


class Project:
    """A directory holding a Dockerfile and its build context; `audit()` runs `audit dockerfile` on it."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root = root
        self.capsys = capsys

    def write(self, dockerfile: str | None = None, files: dict[str, str] | None = None,
              name: str = "Dockerfile") -> Project:
        if dockerfile is not None:
            (self.root / name).write_text(dockerfile)
        for rel, text in (files or {}).items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return self

    def run(self, *argv: str) -> Result:
        """`audit ARGV...` in the project directory (no configuration file unless given)."""
        self.capsys.readouterr()
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        return Result(code, out, err)

    def audit(self, *args: str, fmt: str = "json", paths: tuple[str, ...] = ("Dockerfile",)) -> Result:
        config = [] if any(a.startswith("--config") for a in args) else ["--no-config"]
        return self.run("dockerfile", *paths, "--format", fmt, *config, *args)


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Project:
    """An empty project directory (outside any git repository), made the current directory, with no
    AUDITOR_* variables set."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    for name in [n for n in os.environ if n.startswith("AUDITOR_")]:
        monkeypatch.delenv(name)
    return Project(root, capsys)
