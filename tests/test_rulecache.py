"""Validated rules kept by their packs' bytes: a warm load validates nothing, and no changed pack, foreign
or damaged entry is ever used."""

from __future__ import annotations

import hashlib
import os
import pickle

import pytest

from auditor import rulecache, rules
from auditor.errors import RuleError

PACK = """\
rules:
  - id: demo-token
    kind: regex
    severity: high
    description: A demo token.
    remediation: Rotate it.
    pattern: 'demo_[a-z0-9]{8}'
    allow: ['demo_00000000']
"""


@pytest.fixture
def pack(tmp_path):
    path = tmp_path / "pack.yaml"
    path.write_text(PACK)
    return path


@pytest.fixture
def cache(tmp_path):
    return str(tmp_path / "cache")


@pytest.fixture
def validations(monkeypatch):
    """How many packs were validated (parsed and checked) rather than taken from the cache."""
    count = [0]
    real = rules.load_pack

    def counting(path, raw=None):
        count[0] += 1
        return real(path, raw)

    monkeypatch.setattr(rules, "load_pack", counting)
    return count


def _entries(cache):
    directory = os.path.join(cache, "rules")
    return [os.path.join(directory, name) for name in os.listdir(directory)]


def test_a_warm_load_returns_the_same_rules_without_validating(pack, cache, validations):
    first = rules.load_rules([str(pack)], cache)
    assert validations[0] == 1
    second = rules.load_rules([str(pack)], cache)
    assert validations[0] == 1
    assert second == first == rules.load_rules([str(pack)])


def test_the_default_packs_load_the_same_from_the_cache(cache):
    fresh = rules.load_rules(rules.default_pack_paths())
    rules.load_rules(rules.default_pack_paths(), cache)
    assert rules.load_rules(rules.default_pack_paths(), cache) == fresh


def test_a_changed_pack_is_validated_again_and_never_served_stale(pack, cache, validations):
    rules.load_rules([str(pack)], cache)
    pack.write_text(PACK.replace("severity: high", "severity: low"))
    changed = rules.load_rules([str(pack)], cache)
    assert validations[0] == 2
    assert changed[0].severity.value == "low"


def test_an_added_pack_is_another_entry(pack, cache, tmp_path, validations):
    rules.load_rules([str(pack)], cache)
    other = tmp_path / "other.yaml"
    other.write_text(PACK.replace("demo-token", "other-token"))
    loaded = rules.load_rules([str(pack), str(other)], cache)
    assert [r.id for r in loaded] == ["demo-token", "other-token"]
    assert validations[0] == 3


def test_an_invalid_pack_raises_every_time_and_stores_nothing(pack, cache):
    pack.write_text(PACK.replace("'demo_[a-z0-9]{8}'", "'(a+a+)+b'"))
    for _ in range(2):
        with pytest.raises(RuleError, match="catastrophic"):
            rules.load_rules([str(pack)], cache)
    assert not os.path.exists(os.path.join(cache, "rules"))


def test_an_entry_others_can_write_is_not_used(pack, cache, validations):
    rules.load_rules([str(pack)], cache)
    (entry,) = _entries(cache)
    os.chmod(entry, 0o666)
    rules.load_rules([str(pack)], cache)
    assert validations[0] == 2


def _forge(entry, payload):
    with open(entry, "wb") as handle:
        handle.write(hashlib.sha256(payload).digest() + payload)


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo forged > /dev/null",))


def test_a_forged_entry_naming_any_callable_is_refused_not_run(pack, cache, validations, monkeypatch):
    rules.load_rules([str(pack)], cache)
    (entry,) = _entries(cache)
    _forge(entry, pickle.dumps([_Boom()]))
    ran = []
    monkeypatch.setattr(os, "system", lambda command: ran.append(command))
    loaded = rules.load_rules([str(pack)], cache)
    assert ran == []
    assert validations[0] == 2
    assert loaded[0].id == "demo-token"


@pytest.mark.parametrize("damage", [b"", b"x" * 40, None], ids=["empty", "wrong-digest", "not-rules"])
def test_a_damaged_entry_is_a_miss(pack, cache, validations, damage):
    rules.load_rules([str(pack)], cache)
    (entry,) = _entries(cache)
    if damage is None:
        _forge(entry, pickle.dumps(["not a rule"]))
    else:
        with open(entry, "wb") as handle:
            handle.write(damage)
    assert rules.load_rules([str(pack)], cache)[0].id == "demo-token"
    assert validations[0] == 2


def test_the_key_covers_names_bytes_and_order():
    a, b = ("a.yaml", b"rules: []"), ("b.yaml", b"rules: []")
    keys = {rulecache.key([a, b]), rulecache.key([b, a]), rulecache.key([a]),
            rulecache.key([("a.yaml", b"rules: [] ")]), rulecache.key([("c.yaml", b"rules: []")])}
    assert len(keys) == 5
