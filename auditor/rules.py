"""Rules: load YAML rule packs into `Rule` records, schema-checked with file, line and field in errors.

The fields every rule has are checked here; each kind's own fields by its entry in `auditor.checks.KINDS`.
`Rule` itself lives in `auditor.model` (re-exported here).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

from auditor import localfile, yamlfile
from auditor.checks import KINDS
from auditor.checks.params import SHIPPED
from auditor.errors import RuleError
from auditor.fields import Checker, severity, str_list, string
from auditor.model import Kind, Rule, RuleId, Status

__all__ = ["Rule", "default_pack_paths", "load_pack", "load_rules", "pack_files", "parse_rule"]

ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
STATUS_WORDS = {"visible": (Status.VISIBLE,), "deleted": (Status.DELETED,),
                "overwritten": (Status.OVERWRITTEN,), "hidden": (Status.DELETED, Status.OVERWRITTEN)}


def _status(value: Any, where: str) -> tuple[Status, ...]:
    out: list[Status] = []
    for word in str_list(value, where):
        if word not in STATUS_WORDS:
            raise RuleError(f"{where}: unknown status {word!r} (one of {', '.join(STATUS_WORDS)})")
        out.extend(STATUS_WORDS[word])
    return tuple(out)


def _types(value: Any, where: str) -> tuple[Kind, ...]:
    try:
        return tuple(Kind(v) for v in str_list(value, where))
    except ValueError:
        raise RuleError(f"{where}: unknown type (one of {', '.join(k.value for k in Kind)})") from None


COMMON: dict[str, Checker] = {  # the fields every rule has; each kind adds its own (`KINDS[kind].params`)
    "id": string, "kind": string, "severity": severity, "description": string, "remediation": string,
    "message": string, "paths": str_list, "exclude": str_list, "status": _status, "types": _types,
}


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
    if not isinstance(kind, str) or kind not in KINDS:
        raise RuleError(f"{at('kind')}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
    checkers = {**COMMON, **KINDS[kind].params}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in checkers:
            raise RuleError(f"{at(key)}: unknown field for a {kind} rule")
        values[key] = checkers[key](value, at(key))
    if not ID_RE.match(values["id"]):
        raise RuleError(f"{at('id')}: ids are lowercase letters, digits, '.', '_' and '-'")
    for key in KINDS[kind].required:
        if key not in values:
            raise RuleError(f"{origin}:{line}: {kind} rule {values['id']} needs field '{key}'")
    common = {k: values.pop(k) for k in list(values) if k in COMMON}
    common["id"] = RuleId(common["id"])
    return Rule(**common, params=values, source=origin)


def load_pack(path: str, raw: bytes | None = None) -> list[Rule]:
    """Load and validate one rule pack file (`rules: [...]`); `raw`: its bytes, already read."""
    data = yamlfile.load(path, raw)
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RuleError(f"{path}:{yamlfile.line_of(data)}: a rule pack is a mapping with a 'rules' list")
    unknown = set(data) - {"rules", "pack", "description"}
    if unknown:
        key = sorted(unknown)[0]
        raise RuleError(f"{path}:{yamlfile.line_of(data, key)}: unknown top-level field '{key}'")
    return [parse_rule(raw, path) for raw in data["rules"]]


def default_pack_paths() -> list[str]:
    """The shipped packs: `auditor/_rules` in a wheel, or `rules/` beside the package in a checkout.
    (Plain paths, not `importlib.resources`, whose import costs the pre-commit hook more than this.)"""
    shipped = os.path.join(os.path.dirname(__file__), "_rules")
    checkout = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "rules")
    for directory in (shipped, checkout):
        if os.path.isdir(directory):
            return sorted(os.path.join(directory, name) for name in os.listdir(directory)
                          if os.path.splitext(name)[1] in (".yaml", ".yml"))
    raise RuleError("the default rule packs are missing from this installation")


def pack_files(path: str) -> list[str]:
    """A pack path names a file or a directory of .yaml files."""
    if os.path.isdir(path):
        return sorted(os.path.join(path, n) for n in os.listdir(path) if n.endswith((".yaml", ".yml")))
    if not os.path.exists(path):
        raise RuleError(f"{path}: no such rule file")
    return [path]


def load_rules(paths: Iterable[str], cache: str | None = None) -> list[Rule]:
    """Load packs in order; a later rule with an id already seen is an error naming both files.

    `cache`: a private cache root (`auditor.private`) where the validated rules are kept, known by the
    packs' bytes (`auditor.rulecache`): a run with the same packs loads them without validating again."""
    files = [file for path in paths for file in pack_files(path)]
    if cache is None:
        return _validated([(file, None) for file in files])
    from auditor import rulecache

    packs = [(file, localfile.read_bytes(file, localfile.MAX_TEXT_BYTES, RuleError)) for file in files]
    return rulecache.load(cache, packs, lambda: _validated(packs))


def _validated(packs: Sequence[tuple[str, bytes | None]]) -> list[Rule]:
    rules: dict[str, Rule] = {}
    shipped = {os.path.realpath(path) for path in default_pack_paths()}
    for file, raw in packs:
        token = SHIPPED.set(os.path.realpath(file) in shipped)
        try:
            loaded = load_pack(file, raw)
        finally:
            SHIPPED.reset(token)
        for rule in loaded:
            if rule.id in rules:
                raise RuleError(f"{file}: rule id '{rule.id}' is already defined in {rules[rule.id].source}")
            rules[rule.id] = rule
    return list(rules.values())
