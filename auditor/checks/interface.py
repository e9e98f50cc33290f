"""The three families of checks, one small interface each, and the records they look at.

- `ContentCheck`: rules over a file's bytes, and over one line of image metadata (`secret`, `regex`). Runs
  while a layer is read, in worker processes; what it finds (`Hit`s) is kept in the layer cache.
- `EntryCheck`: rules over a walked `Entry`, a path with its fate in the final filesystem (`path`, `waste`).
- `ItemCheck`: rules over one metadata `Item` of an image config or a Dockerfile (`metadata`).

A check is built from the rules of its own kind only (`auditor.checks.KINDS` hands them over), already
validated; it never looks at another kind's rules.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from re import Pattern
from typing import Any

from auditor.globs import compile_globs
from auditor.model import Entry, Hit, Rule

WHERE = ("env", "labels", "cmd", "entrypoint", "history")  # the places an `Item` comes from


class Scoped:
    """A rule's `paths` and `exclude` globs, compiled on first use, and whether a path is in its scope."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule

    @cached_property
    def include(self) -> Pattern[str] | None:
        return compile_globs(self.rule.paths)

    @cached_property
    def exclude(self) -> Pattern[str] | None:
        return compile_globs(self.rule.exclude)

    def wants(self, path: str) -> bool:
        if self.include is not None and not self.include.match(path):
            return False
        return self.exclude is None or not self.exclude.match(path)


class ContentCheck(ABC):
    """Finds secrets in content."""

    @abstractmethod
    def scan_file(self, path: str, data: bytes) -> list[Hit]:
        """Hits in one file's bytes; `path` is its absolute in-image path (rules may limit where they look)."""

    @abstractmethod
    def scan_text(self, text: str, name: str) -> list[Hit]:
        """Hits in one line of metadata (an Env entry, a label, a history command), whatever the rules' paths."""

    @abstractmethod
    def warm(self) -> None:
        """Compile what scanning needs now rather than on the first file (before worker processes fork)."""

    def session(self) -> contextlib.AbstractContextManager[Any]:
        """Scan only inside this (a library's global settings are set once for the whole run)."""
        return contextlib.nullcontext(self)


class EntryCheck(ABC):
    """Judges an image path by its name, type, size and fate."""

    @abstractmethod
    def match(self, entry: Entry) -> Iterator[Rule]:
        """The rules `entry` breaks."""

    @abstractmethod
    def warm(self) -> None:
        """Compile what matching needs now (on the thread that compiles while layers are read)."""


@dataclass(frozen=True)
class Item:
    """One piece of metadata: where it is, an optional key (env/label/build-arg name) and the value."""

    where: str  # one of WHERE
    location: str  # e.g. "config.Env", "history[4].created_by"
    key: str | None
    value: str

    @property
    def text(self) -> str:
        return f"{self.key}={self.value}" if self.key is not None else self.value


class ItemCheck(ABC):
    """Judges one metadata item by its key and value."""

    @abstractmethod
    def match(self, item: Item) -> Iterator[Rule]:
        """The rules `item` breaks."""
