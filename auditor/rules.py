"""Rules: frozen records loaded from YAML rule packs, schema-checked with file, line and field in errors."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from auditor import yamlfile
from auditor.errors import RuleError
from auditor.model import Kind, RuleId, Severity, Status

KINDS = ("secret", "regex", "path", "metadata", "waste", "dockerfile")
WHERE = ("env", "labels", "cmd", "entrypoint", "history")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
STATUS_WORDS = {"visible": (Status.VISIBLE,), "deleted": (Status.DELETED,),
                "overwritten": (Status.OVERWRITTEN,), "hidden": (Status.DELETED, Status.OVERWRITTEN)}


@dataclass(frozen=True)
class Rule:
    """One rule. `params` holds the kind-specific settings, already validated."""

    id: RuleId
    kind: str
    severity: Severity
    description: str
    remediation: str
    message: str = ""
    paths: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    status: tuple[Status, ...] = ()  # empty: any status
    types: tuple[Kind, ...] = (Kind.FILE, Kind.HARDLINK)
    params: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def headline(self) -> str:
        """The rule's message, or the first clause of its description: what a finding says."""
        return self.message or re.split(r":\s|\.\s|\s\(|\.$", self.description.strip(), maxsplit=1)[0]

    def applies_to_status(self, status: Status) -> bool:
        return not self.status or status in self.status


# Field checks: each takes (value, where) and returns the converted value or raises RuleError.
Checker = Callable[[Any, str], Any]


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleError(f"{where}: expected a non-empty string")
    return value


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RuleError(f"{where}: expected a list of strings")
    return tuple(value)


def _regex(value: Any, where: str) -> str:
    """A pattern `re` compiles and cannot backtrack exponentially (`checks.backtrack`): rules run on
    image content an attacker may have written, where `(x+x+)+y` would never finish."""
    from auditor.checks.backtrack import PatternTooComplex, exponential

    _str(value, where)
    try:
        re.compile(value)
    except re.error as exc:
        raise RuleError(f"{where}: bad regular expression ({exc})") from None
    try:
        problem = exponential(value)
    except PatternTooComplex as exc:
        raise RuleError(f"{where}: {exc}") from None
    if problem is not None:
        raise RuleError(f"{where}: catastrophic regular expression: {problem}; write it so that each part of "
                        "a text can be matched in only one way (e.g. x{2,} for (x+x+)+)")
    return str(value)


def _regex_list(value: Any, where: str) -> tuple[str, ...]:
    return tuple(_regex(v, where) for v in _str_list(value, where))


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RuleError(f"{where}: expected a whole number ≥ 0")
    return value


def _float(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise RuleError(f"{where}: expected a number ≥ 0")
    return float(value)


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RuleError(f"{where}: expected a mapping")
    return dict(value)


def _plugin_options(value: Any, where: str) -> dict[str, Any]:
    """A plugin's options; KeywordDetector's `keyword_exclude` is a pattern it runs on every line."""
    options = _mapping(value, where)
    if "keyword_exclude" in options:
        _regex(options["keyword_exclude"], f"{where} keyword_exclude")
    return options


def severity(value: Any, where: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        raise RuleError(f"{where}: unknown severity {value!r} (one of {', '.join(s.value for s in Severity)})") from None


def _status(value: Any, where: str) -> tuple[Status, ...]:
    out: list[Status] = []
    for word in _str_list(value, where):
        if word not in STATUS_WORDS:
            raise RuleError(f"{where}: unknown status {word!r} (one of {', '.join(STATUS_WORDS)})")
        out.extend(STATUS_WORDS[word])
    return tuple(out)


def _types(value: Any, where: str) -> tuple[Kind, ...]:
    try:
        return tuple(Kind(v) for v in _str_list(value, where))
    except ValueError:
        raise RuleError(f"{where}: unknown type (one of {', '.join(k.value for k in Kind)})") from None


def _where(value: Any, where: str) -> tuple[str, ...]:
    items = _str_list(value, where)
    for item in items:
        if item not in WHERE:
            raise RuleError(f"{where}: unknown place {item!r} (one of {', '.join(WHERE)})")
    return items


def _group(value: Any, where: str) -> int | str:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise RuleError(f"{where}: expected a group number or name")
    return value


def _plugin(value: Any, where: str) -> str:
    from auditor.checks.secrets import plugin_names  # detect-secrets stays inside checks/secrets.py

    name = _str(value, where)
    if name not in plugin_names():
        raise RuleError(f"{where}: unknown detect-secrets plugin {name!r}")
    return name


def _group_by(value: Any, where: str) -> str:
    if value != "directory":
        raise RuleError(f"{where}: expected 'directory' (one finding per directory, layer and status)")
    return str(value)


DOCKERFILE_CHECKS = ("hidden-secret", "hidden-file", "download-left", "package-cache", "arg-in-history")


def _dockerfile_check(value: Any, where: str) -> str:
    if value not in DOCKERFILE_CHECKS:
        raise RuleError(f"{where}: unknown Dockerfile check {value!r} (one of {', '.join(DOCKERFILE_CHECKS)})")
    return str(value)


COMMON: dict[str, Checker] = {
    "id": _str, "kind": _str, "severity": severity, "description": _str, "remediation": _str,
    "message": _str, "paths": _str_list, "exclude": _str_list, "status": _status, "types": _types,
}
PARAMS: dict[str, dict[str, Checker]] = {
    "secret": {"plugin": _plugin, "options": _plugin_options},
    "regex": {"pattern": _regex, "group": _group, "keywords": _str_list, "min_entropy": _float,
              "allow": _regex_list, "ignore_case": lambda v, w: bool(v)},
    "path": {"min_size": _int, "group": _group_by},
    "metadata": {"where": _where, "name": _regex, "value": _regex, "allow": _regex_list},
    "waste": {"min_size": _int},
    "dockerfile": {"check": _dockerfile_check},
}
REQUIRED_PARAMS = {"secret": ("plugin",), "regex": ("pattern",), "path": ("paths",), "metadata": ("where",),
                   "dockerfile": ("check",)}



def parse_rule(raw: Any, origin: str) -> Rule:
    """Validate one rule mapping from `origin` (a file name) and build the Rule."""
    line = yamlfile.line_of(raw)
    if not isinstance(raw, dict):
        raise RuleError(f"{origin}:{line}: a rule must be a mapping")

    def at(key: str) -> str:
        return f"{origin}:{yamlfile.line_of(raw, key)}: rule {raw.get('id', '?')!s} field '{key}'"

    for key in ("id", "kind", "severity", "description", "remediation"):
        if key not in raw:
            raise RuleError(f"{origin}:{line}: rule {raw.get('id', '?')!s} is missing field '{key}'")
    kind = raw["kind"]
    if kind not in KINDS:
        raise RuleError(f"{at('kind')}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
    checkers = {**COMMON, **PARAMS[kind]}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in checkers:
            raise RuleError(f"{at(key)}: unknown field for a {kind} rule")
        values[key] = checkers[key](value, at(key))
    if not ID_RE.match(values["id"]):
        raise RuleError(f"{at('id')}: ids are lowercase letters, digits, '.', '_' and '-'")
    for key in REQUIRED_PARAMS.get(kind, ()):
        if key not in values:
            raise RuleError(f"{origin}:{line}: {kind} rule {values['id']} needs field '{key}'")
    common = {k: values.pop(k) for k in list(values) if k in COMMON}
    common["id"] = RuleId(common["id"])
    return Rule(**common, params=values, source=origin)


def load_pack(path: str) -> list[Rule]:
    """Load and validate one rule pack file (`rules: [...]`)."""
    data = yamlfile.load(path)
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RuleError(f"{path}:{yamlfile.line_of(data)}: a rule pack is a mapping with a 'rules' list")
    unknown = set(data) - {"rules", "pack", "description"}
    if unknown:
        key = sorted(unknown)[0]
        raise RuleError(f"{path}:{yamlfile.line_of(data, key)}: unknown top-level field '{key}'")
    return [parse_rule(raw, path) for raw in data["rules"]]


def default_pack_paths() -> list[str]:
    """The shipped packs: `auditor/_rules` in a wheel, or `rules/` beside the package in a checkout."""
    shipped = resources.files("auditor") / "_rules"
    candidates = [Path(str(shipped)), Path(__file__).resolve().parent.parent / "rules"]
    for directory in candidates:
        if directory.is_dir():
            return sorted(str(p) for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
    raise RuleError("the default rule packs are missing from this installation")


def pack_files(path: str) -> list[str]:
    """A pack path names a file or a directory of .yaml files."""
    if os.path.isdir(path):
        return sorted(os.path.join(path, n) for n in os.listdir(path) if n.endswith((".yaml", ".yml")))
    if not os.path.exists(path):
        raise RuleError(f"{path}: no such rule file")
    return [path]


def load_rules(paths: Iterable[str]) -> list[Rule]:
    """Load packs in order; a later rule with an id already seen is an error naming both files."""
    rules: dict[str, Rule] = {}
    for path in paths:
        for file in pack_files(path):
            for rule in load_pack(file):
                if rule.id in rules:
                    raise RuleError(f"{file}: rule id '{rule.id}' is already defined in {rules[rule.id].source}")
                rules[rule.id] = rule
    return list(rules.values())
