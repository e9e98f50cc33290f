"""Shared fixtures: run the CLI in process, and read `audit files` rows back."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from auditor.cli import main


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[..., Result]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """`cli("files", ref, "--format", "json")` runs `audit` and returns its exit code, stdout and stderr.

    It runs in an empty directory outside any git repository with no AUDITOR_* variables, so no
    configuration file or baseline of the checkout changes what the tests see.
    """
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    for name in [n for n in os.environ if n.startswith("AUDITOR_")]:
        monkeypatch.delenv(name)

    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def files(cli: Run) -> Callable[..., list[tuple[Any, ...]]]:
    """The `audit files --format json` inventory as sorted (path, layer, type, size, status, hidden_by)."""

    def rows(ref: str, *extra: str) -> list[tuple[Any, ...]]:
        result = cli("files", ref, "--format", "json", "--quiet", *extra)
        assert result.code == 0, result.err
        return sorted(
            (f["path"], f["layer"], f["type"], f["size"], f["status"], f["hidden_by"])
            for f in result.json()["files"]
        )

    return rows
