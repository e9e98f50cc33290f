"""Validated rules, kept in the user's private cache and known by the exact bytes of their packs.

Validating the rule packs (parsing their YAML, compiling every pattern, the backtracking check, asking
detect-secrets for its plugin names) costs more than checking a Dockerfile, and its result depends only
on what goes into the key: the packs' names and bytes in load order, this tool's version and the code
that validates, Python's version (its `re` decides which patterns compile) and detect-secrets' plugins.
A changed pack, a `--rules` file or a `.layer-auditor.yaml` pack is simply another key, so no stale entry
can ever be used; an invalid set of packs raises before anything is stored.

Entries live in `rules/<key>.pickle` under the cache root, read only through `auditor.private` (owned by
the user, writable by no one else), carry the sha256 of their payload, and are unpickled by a loader
that builds nothing but the rule types, so even a forged entry could not run code. Anything wrong with
an entry (missing, untrusted, corrupt, from another layout) is a miss: the packs are validated again.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import sys
from collections.abc import Callable, Sequence
from importlib import util as import_util
from typing import Any

from auditor import __version__, private
from auditor.model import Rule

__all__ = ["FORMAT", "detect_secrets_fingerprint", "key", "load"]

FORMAT = 1  # the layout of an entry; a change makes every old entry a miss
_PACKAGE = os.path.dirname(os.path.abspath(__file__))
# The code whose behaviour decides which rules load and what they hold.
_VALIDATING = ("rules.py", "fields.py", "model.py", "yamlfile.py", "localfile.py", "checks/__init__.py",
               "checks/params.py", "checks/backtrack.py", "checks/interface.py", "rulecache.py")
_ALLOWED = {("auditor.model", "Rule"), ("auditor.model", "Severity"), ("auditor.model", "Status"),
            ("auditor.model", "Kind"), ("auditor.yamlfile", "Node")}


def _code_digest() -> bytes:
    digest = hashlib.sha256()
    for name in _VALIDATING:
        with open(os.path.join(_PACKAGE, name), "rb") as handle:
            digest.update(name.encode() + b"\0" + handle.read())
    return digest.digest()


def detect_secrets_fingerprint() -> str:
    """Which detect-secrets is installed, without importing it (that costs ~100 ms): its version file
    and the names of its plugin modules (rules name plugins; params.plugin checks them)."""
    spec = import_util.find_spec("detect_secrets")
    if spec is None or not spec.submodule_search_locations:
        return "none"
    base = list(spec.submodule_search_locations)[0]
    try:
        with open(os.path.join(base, "__version__.py"), "rb") as handle:
            version = handle.read().decode("utf-8", "replace")
        plugins = sorted(os.listdir(os.path.join(base, "plugins")))
    except OSError as exc:
        return f"unreadable: {exc}"
    return repr((base, version, plugins))


def key(packs: Sequence[tuple[str, bytes]]) -> str:
    """The entry name for loading `packs` ((name as given, bytes), in load order)."""
    digest = hashlib.sha256()
    digest.update(repr((FORMAT, __version__, sys.version, detect_secrets_fingerprint())).encode())
    digest.update(_code_digest())
    for name, data in packs:
        digest.update(hashlib.sha256(name.encode("utf-8", "surrogateescape")).digest())
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


class _RuleUnpickler(pickle.Unpickler):
    """Builds only plain data and the rule types: an entry cannot name any other callable."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not a rule type")
        return super().find_class(module, name)


def _read(root: str, path: str) -> list[Rule] | None:
    try:
        blob = private.read_file(root, path)
    except OSError:
        return None
    digest, payload = blob[:32], blob[32:]
    if hashlib.sha256(payload).digest() != digest:
        return None
    try:
        rules = _RuleUnpickler(io.BytesIO(payload)).load()
    except Exception:  # any damage to an entry is a miss
        return None
    if not isinstance(rules, list) or not all(isinstance(rule, Rule) for rule in rules):
        return None
    return rules


def load(root: str, packs: Sequence[tuple[str, bytes]], validate: Callable[[], list[Rule]]) -> list[Rule]:
    """The rules `validate()` returns for `packs`, from the cache under `root` when an entry for exactly
    these packs is there and trusted; otherwise validated now and stored (a failure to store only costs
    time). Errors from `validate` propagate and store nothing."""
    path = os.path.join(root, "rules", f"{key(packs)}.pickle")
    rules = _read(root, path)
    if rules is not None:
        return rules
    rules = validate()
    try:
        payload = pickle.dumps(rules, protocol=pickle.HIGHEST_PROTOCOL)
        private.write_file(root, path, hashlib.sha256(payload).digest() + payload)
    except (OSError, pickle.PicklingError):
        pass
    return rules
