"""Field checks for the YAML the user writes (rule packs, `.layer-auditor.yaml`).

Each takes `(value, where)`, `where` naming the file, line and field for the error, and returns the value
converted or raises `RuleError`. Shared by the rule loader (`auditor.rules`), the kinds' parameters
(`auditor.checks.params`) and the configuration (`auditor.config`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditor.errors import RuleError
from auditor.model import Severity

Checker = Callable[[Any, str], Any]


def string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleError(f"{where}: expected a non-empty string")
    return value


def str_list(value: Any, where: str) -> tuple[str, ...]:
    """A list of non-empty strings; a single string is a list of one."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RuleError(f"{where}: expected a list of strings")
    return tuple(value)


def whole(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RuleError(f"{where}: expected a whole number ≥ 0")
    return value


def number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise RuleError(f"{where}: expected a number ≥ 0")
    return float(value)


def mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RuleError(f"{where}: expected a mapping")
    return dict(value)


def flag(value: Any, where: str) -> bool:
    """Anything: its truth."""
    return bool(value)


def severity(value: Any, where: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        names = ", ".join(s.value for s in Severity)
        raise RuleError(f"{where}: unknown severity {value!r} (one of {names})") from None
