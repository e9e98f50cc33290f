"""Compile Hyperscan databases once: in this process, and across runs in the user's cache.

Compiling the detect-secrets prefilter and the rule gates takes about a second, more than scanning a
small image. A compiled database is kept in memory by its expressions and flags and, when a cache
directory is set (the layer cache's, unless `--no-cache`), serialised to `hs/<key>.db` there. Keys hash
the expressions, flags, the Hyperscan version and this machine's CPU, since a serialised database is only
valid on the platform it was built for; each file carries the sha256 of its payload, and an unreadable,
corrupt or foreign one is simply compiled again, as is one another user owns or could have written
(a forged database could match nothing, `auditor.private`).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from auditor import private

try:
    import hyperscan
except ImportError:  # pragma: no cover - a declared dependency
    hyperscan = None  # type: ignore[assignment]

__all__ = ["CompileError", "database", "hyperscan", "use_cache"]

_MEMORY: dict[str, Any] = {}
_BUILDING: dict[str, threading.Event] = {}  # databases a thread is building: another waits for it
_LOCK = threading.Lock()
_root: str | None = None  # the cache directory; databases live in its hs/


class CompileError(ValueError):
    """Hyperscan cannot compile one of the expressions."""


def use_cache(directory: str | None) -> None:
    """Keep compiled databases under `directory` (None: in memory only)."""
    global _root
    _root = directory


@lru_cache(maxsize=1)
def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            flags = next((line for line in handle if line.startswith("flags")), "")
    except OSError:
        flags = ""
    if hasattr(os, "uname"):
        return os.uname().machine + flags  # what platform.machine() answers, without importing it (3 ms)
    import platform

    return platform.machine() + flags


Build = Callable[[], tuple[list[bytes], list[int], list[int]]]  # expressions, their flags and their ids


def database(sources: object, build: Build) -> Any:
    """A block-mode database of the expressions, flags and ids `build` returns (a match reports its
    expression's id; several expressions may share one), known by `sources`: everything they are made
    from (the patterns, the flags, and the version of the code that translates them); None without
    Hyperscan."""
    if hyperscan is None:
        return None
    key = hashlib.sha256(repr((getattr(hyperscan, "__version__", "?"), _cpu(), sources)).encode()).hexdigest()
    while True:  # one build per key: a thread asking for a database another is building waits for it
        with _LOCK:
            if key in _MEMORY:
                return _MEMORY[key]
            building = _BUILDING.get(key)
            if building is None:
                _BUILDING[key] = threading.Event()
                break
        building.wait()  # then it is in memory, or that build failed and this one tries
    try:
        compiled = _load(key)
        if compiled is None:
            expressions, flags, ids = build()
            compiled = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            try:
                compiled.compile(expressions=expressions, ids=ids, flags=flags)
            except hyperscan.error as exc:
                raise CompileError(str(exc)) from None
            _store(key, compiled)
        _MEMORY[key] = compiled
    finally:
        with _LOCK:
            _BUILDING.pop(key).set()
    return compiled


def _load(key: str) -> Any:
    if _root is None:
        return None
    try:
        blob = private.read_file(_root, os.path.join(_root, "hs", f"{key}.db"))  # only the user's own file
        digest, payload = blob[:32], blob[32:]
        if hashlib.sha256(payload).digest() != digest:
            return None
        loaded = hyperscan.loadb(payload, hyperscan.HS_MODE_BLOCK)
        loaded.scratch = hyperscan.Scratch(loaded)
        return loaded
    except (OSError, hyperscan.error):
        return None


def _store(key: str, compiled: Any) -> None:
    if _root is None:
        return
    try:
        payload = hyperscan.dumpb(compiled)
        private.write_file(_root, os.path.join(_root, "hs", f"{key}.db"), hashlib.sha256(payload).digest() + payload)
    except (OSError, hyperscan.error):
        pass  # a database that cannot be kept only costs time
