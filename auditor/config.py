"""`.layer-auditor.yaml`: extra packs, disabled rules, severity overrides, allowlists and gate defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from re import Pattern
from typing import Any

from auditor import yamlfile
from auditor.errors import RuleError
from auditor.fields import severity
from auditor.fields import str_list as _str_list
from auditor.globs import compile_globs
from auditor.model import Finding, Image, Rule, Severity

CONFIG_NAME = ".layer-auditor.yaml"
BASELINE_NAME = ".layer-auditor-baseline.json"
GATE_STATUSES = ("any", "hidden", "visible")


@dataclass(frozen=True)
class Allow:
    """One allowlist entry: a finding is allowed when every criterion the entry sets matches. `paths` match
    the in-image path (or the config location); `layers` never match a finding without a layer (in the
    config, or in a Dockerfile)."""

    paths: Pattern[str] | None = None
    rules: frozenset[str] = frozenset()
    fingerprints: frozenset[str] = frozenset()
    layers: frozenset[str] = frozenset()
    reason: str = ""

    def allows(self, finding: Finding, image: Image) -> bool:
        if self.rules and finding.rule not in self.rules:
            return False
        if self.fingerprints and finding.fingerprint not in self.fingerprints:
            return False
        if self.paths is not None:
            target = finding.path or finding.location or ""
            if not self.paths.match(target):
                return False
        if self.layers:
            if finding.layer is None:
                return False
            layer = image.layers[finding.layer]
            if layer.digest not in self.layers and (layer.diff_id or "") not in self.layers:
                return False
        return True


@dataclass(frozen=True)
class Config:
    """The user's configuration; every field has a default so no file means defaults."""

    path: str | None = None
    rules: tuple[str, ...] = ()
    disable: frozenset[str] = frozenset()
    severity: dict[str, Severity] = field(default_factory=dict)
    allowlist: tuple[Allow, ...] = ()
    fail_on: Severity | None = None
    fail_on_status: str | None = None
    baseline: str | None = None
    skip_base: str | None = None
    id_lines: dict[str, int] = field(default_factory=dict)  # where each rule id is named, for errors

    def apply(self, rules: list[Rule]) -> list[Rule]:
        """The effective rules: disabled ones dropped, severities overridden. Unknown ids are errors."""
        known = {r.id for r in rules}
        for rule_id in [*self.disable, *self.severity]:
            if rule_id not in known:
                line = self.id_lines.get(rule_id, 0)
                raise RuleError(f"{self.path}:{line}: no rule with id '{rule_id}' (see `audit rules`)")
        return [
            replace(r, severity=self.severity[r.id]) if r.id in self.severity else r
            for r in rules
            if r.id not in self.disable
        ]

    def allowed(self, finding: Finding, image: Image) -> bool:
        return any(entry.allows(finding, image) for entry in self.allowlist)


def find_config(start: str | None = None) -> str | None:
    """`.layer-auditor.yaml` in the current directory, else at the root of the enclosing git repository."""
    return find_upwards(CONFIG_NAME, start)


def find_upwards(name: str, start: str | None = None) -> str | None:
    here = os.path.abspath(start or os.getcwd())
    candidate = os.path.join(here, name)
    if os.path.isfile(candidate):
        return candidate
    current = here
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            candidate = os.path.join(current, name)
            return candidate if os.path.isfile(candidate) else None
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def is_pack(data: Any) -> bool:
    """A rule pack holds rule mappings under `rules`; a config names pack files there."""
    rules = data.get("rules") if isinstance(data, dict) else None
    return isinstance(rules, list) and any(isinstance(r, dict) for r in rules) or (
        isinstance(data, dict) and "pack" in data
    )


FIELDS = {"rules", "disable", "severity", "allowlist", "fail-on", "fail-on-status", "baseline", "skip-base"}
ALLOW_FIELDS = {"paths", "rules", "fingerprints", "layers", "reason"}


def load_config(path: str) -> Config:
    """Parse and validate a config file; errors name the file, line and field."""
    data = yamlfile.load(path)
    if data is None:
        return Config(path=path)
    if not isinstance(data, dict):
        raise RuleError(f"{path}:1: the config file must be a mapping")
    base = os.path.dirname(os.path.abspath(path))

    def at(key: str, node: Any = data) -> str:
        return f"{path}:{yamlfile.line_of(node, key)}: field '{key}'"

    for key in data:
        if key not in FIELDS:
            raise RuleError(f"{at(key)}: unknown field (one of {', '.join(sorted(FIELDS))})")
    packs = tuple(os.path.join(base, p) for p in _str_list(data.get("rules", []), at("rules")))
    disable = frozenset(_str_list(data.get("disable", []), at("disable")))
    overrides_raw = data.get("severity", {}) or {}
    if not isinstance(overrides_raw, dict):
        raise RuleError(f"{at('severity')}: expected a mapping of rule id to severity")
    overrides = {str(k): severity(v, f"{path}:{yamlfile.line_of(overrides_raw, k)}: severity of '{k}'")
                 for k, v in overrides_raw.items()}
    allow_raw = data.get("allowlist", []) or []
    if not isinstance(allow_raw, list):
        raise RuleError(f"{at('allowlist')}: expected a list of entries")
    allowlist = tuple(_allow(entry, path) for entry in allow_raw)
    fail_on = severity(data["fail-on"], at("fail-on")) if "fail-on" in data else None
    gate = data.get("fail-on-status")
    if gate is not None and gate not in GATE_STATUSES:
        raise RuleError(f"{at('fail-on-status')}: expected one of {', '.join(GATE_STATUSES)}")
    baseline = data.get("baseline")
    if baseline is not None and not isinstance(baseline, str):
        raise RuleError(f"{at('baseline')}: expected a file path")
    skip_base = data.get("skip-base")
    if skip_base is not None and not isinstance(skip_base, str):
        raise RuleError(f"{at('skip-base')}: expected an image reference")
    id_lines = {rule_id: yamlfile.line_of(data, "disable") for rule_id in disable}
    id_lines.update({rule_id: yamlfile.line_of(overrides_raw, rule_id) for rule_id in overrides})
    return Config(
        path=path,
        id_lines=id_lines,
        rules=packs,
        disable=disable,
        severity=overrides,
        allowlist=allowlist,
        fail_on=fail_on,
        fail_on_status=gate,
        baseline=os.path.join(base, baseline) if baseline else None,
        skip_base=skip_base,
    )


def _allow(entry: Any, path: str) -> Allow:
    line = yamlfile.line_of(entry)
    if not isinstance(entry, dict):
        raise RuleError(f"{path}:{line}: an allowlist entry must be a mapping")

    def at(key: str) -> str:
        return f"{path}:{yamlfile.line_of(entry, key)}: allowlist field '{key}'"

    for key in entry:
        if key not in ALLOW_FIELDS:
            raise RuleError(f"{at(key)}: unknown field (one of {', '.join(sorted(ALLOW_FIELDS))})")
    if not set(entry) - {"reason"}:
        raise RuleError(f"{path}:{line}: an allowlist entry needs paths, rules, fingerprints or layers")
    paths = _str_list(entry["paths"], at("paths")) if "paths" in entry else ()
    return Allow(
        paths=compile_globs(paths),
        rules=frozenset(_str_list(entry["rules"], at("rules")) if "rules" in entry else ()),
        fingerprints=frozenset(_str_list(entry["fingerprints"], at("fingerprints")) if "fingerprints" in entry else ()),
        layers=frozenset(_str_list(entry["layers"], at("layers")) if "layers" in entry else ()),
        reason=str(entry.get("reason", "")),
    )
