"""Checks: the interfaces of their three families (`interface`) and the one registry of rule kinds.

`KINDS` maps each `kind:` a rule may have to what the rest of the tool needs to know about it: the
fields of its own it takes and which of them it needs (the rule loader, `auditor.rules`, checks them),
its family, how to build its check from the rules of that kind, and whether its rules decide what a
layer's cached scan holds (`auditor.cache.rules_key`). A new content kind is one entry here and one
module (`Scanner` runs every content kind); an entry or metadata kind is also called by the audit.

Factories import their module when called: importing this registry (every command does, to load rules)
costs no detect-secrets, Hyperscan or compiled pattern.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from auditor.checks import params
from auditor.checks.interface import ContentCheck, EntryCheck, Item, ItemCheck
from auditor.fields import Checker, flag, number, str_list, whole
from auditor.model import Rule

__all__ = ["KINDS", "ContentCheck", "EntryCheck", "Item", "ItemCheck", "RuleKind", "content_checks",
           "entry_check", "item_check", "of_kind"]

Family = Literal["content", "entry", "metadata", "dockerfile"]


@dataclass(frozen=True)
class RuleKind:
    """One kind of rule."""

    family: Family
    params: Mapping[str, Checker]  # the kind's own fields, besides those every rule has
    required: tuple[str, ...] = ()  # fields a rule of this kind must set
    factory: Callable[[list[Rule]], object] | None = None  # the check, from this kind's rules (None: built elsewhere)
    cached: bool = False  # its hits are kept in the layer cache: its rules are part of the cache key
    version: Callable[[], str] | None = None  # a library that decides its hits: in the key too


def _judge_level(value: object, where: str) -> str:
    """A content rule's `judge:` field (`auditor.checks.judge`, imported only when a rule sets one)."""
    from auditor.checks.judge import level

    return level(value, where)


def _secret(rules: list[Rule]) -> ContentCheck:
    from auditor.checks.secrets import SecretsCheck

    return SecretsCheck(rules)


def _secrets_version() -> str:
    from auditor.checks.secrets import library_version

    return library_version()


def _regex(rules: list[Rule]) -> ContentCheck:
    from auditor.checks.regex import RegexCheck

    return RegexCheck(rules)


def _assignment(rules: list[Rule]) -> ContentCheck:
    from auditor.checks.assign import AssignmentCheck

    return AssignmentCheck(rules)


def _path(rules: list[Rule]) -> EntryCheck:
    from auditor.checks.path import PathCheck

    return PathCheck(rules)


def _waste(rules: list[Rule]) -> EntryCheck:
    from auditor.checks.waste import WasteCheck

    return WasteCheck(rules)


def _metadata(rules: list[Rule]) -> ItemCheck:
    from auditor.checks.metadata import MetadataCheck

    return MetadataCheck(rules)


KINDS: dict[str, RuleKind] = {
    "secret": RuleKind(
        "content", {"plugin": params.plugin, "options": params.plugin_options, "checksum": params.checksum,
                    "judge": _judge_level},
        required=("plugin",),
        factory=_secret, cached=True, version=_secrets_version,
    ),
    "regex": RuleKind(
        "content",
        {"pattern": params.regex, "group": params.group, "keywords": str_list, "min_entropy": number,
         "allow": params.regex_list, "ignore_case": flag, "checksum": params.checksum, "judge": _judge_level,
         "decode": params.decoding, "decoded": params.regex},
        required=("pattern",), factory=_regex, cached=True,
    ),
    "assignment": RuleKind(
        "content",
        {"keys": params.key_pattern, "keywords": params.keywords, "exclude_keys": params.regex_list,
         "min_length": whole, "shape": params.value_shape},
        required=("keys", "keywords"), factory=_assignment, cached=True,
    ),
    "path": RuleKind("entry", {"min_size": whole, "group": params.group_by}, required=("paths",), factory=_path),
    "metadata": RuleKind(
        "metadata",
        {"where": params.places, "name": params.regex, "value": params.regex, "allow": params.regex_list,
         "judge": _judge_level},
        required=("where",), factory=_metadata,
    ),
    "waste": RuleKind("entry", {"min_size": whole}, factory=_waste),
    # checked by auditor.dockerfile.checks, which reads these rules itself
    "dockerfile": RuleKind("dockerfile", {"check": params.dockerfile_check}, required=("check",)),
}


def of_kind(rules: Iterable[Rule], kind: str) -> list[Rule]:
    """The rules of one kind, in order."""
    return [rule for rule in rules if rule.kind == kind]


def _build(rules: Iterable[Rule], kind: str, family: Family) -> object:
    spec = KINDS[kind]
    if spec.family != family or spec.factory is None:
        raise ValueError(f"{kind} rules have no {family} check")
    return spec.factory(of_kind(rules, kind))


def content_checks(rules: Iterable[Rule]) -> dict[str, ContentCheck]:
    """Every content kind's check, in registry order, each given the rules of its kind among `rules`."""
    rules = list(rules)
    checks = {}
    for kind, spec in KINDS.items():
        if spec.family == "content":
            check = _build(rules, kind, "content")
            assert isinstance(check, ContentCheck)
            checks[kind] = check
    return checks


def entry_check(rules: Iterable[Rule], kind: str) -> EntryCheck:
    """The check of entry kind `kind` (`path`, `waste`), given the rules of that kind among `rules`."""
    check = _build(rules, kind, "entry")
    assert isinstance(check, EntryCheck)
    return check


def item_check(rules: Iterable[Rule], kind: str = "metadata") -> ItemCheck:
    """The check of metadata kind `kind`, given the rules of that kind among `rules`."""
    check = _build(rules, kind, "metadata")
    assert isinstance(check, ItemCheck)
    return check
