"""Read `audit files` rows back (the in-process `cli` runner is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def files(cli: Callable[..., Any]) -> Callable[..., list[tuple[Any, ...]]]:
    """The `audit files --format json` inventory as sorted (path, layer, type, size, status, hidden_by)."""

    def rows(ref: str, *extra: str) -> list[tuple[Any, ...]]:
        result = cli("files", ref, "--format", "json", "--quiet", *extra)
        assert result.code == 0, result.err
        return sorted(
            (f["path"], f["layer"], f["type"], f["size"], f["status"], f["hidden_by"])
            for f in result.json()["files"]
        )

    return rows
