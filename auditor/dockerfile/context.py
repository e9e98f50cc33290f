"""The build context as `docker build` sends it: files under a directory minus `.dockerignore`.

`.dockerignore` is evaluated by `auditor.dockerignore` (Docker's rules: `!` exceptions, `**`, parent
directories), not by the Docker SDK, whose import alone took longer than the rest of the hook. Links are
listed, never followed. As in Docker, `.dockerignore` and the Dockerfile leave the context when the
patterns exclude them.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from functools import cached_property

from auditor.dockerignore import Matcher

MAX_ENTRIES = 200_000


@dataclass(frozen=True)
class ContextItem:
    rel: str  # posix path relative to the context root
    is_dir: bool


def read_dockerignore(root: str, dockerfile_name: str = "Dockerfile") -> list[str]:
    """Patterns as `docker build` reads them (moby's `ignorefile.ReadAll`): a leading byte-order mark
    dropped, lines starting with `#` (before any space) are comments, blank lines dropped.
    `NAME.dockerignore` wins."""
    for name in (f"{dockerfile_name}.dockerignore", ".dockerignore"):
        path = os.path.join(root, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines = handle.read().removeprefix("\ufeff").split("\n")
            return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return []


class Context:
    """The files `COPY`/`ADD` can take from a build context directory."""

    def __init__(self, root: str, dockerfile_name: str = "Dockerfile") -> None:
        self.root = root
        self.dockerfile_name = dockerfile_name

    @cached_property
    def items(self) -> list[ContextItem]:
        matcher = Matcher(read_dockerignore(self.root, self.dockerfile_name))
        out = []
        for rel in matcher.walk(self.root):
            full = os.path.join(self.root, rel)
            out.append(ContextItem(rel, os.path.isdir(full) and not os.path.islink(full)))
            if len(out) >= MAX_ENTRIES:
                break
        return out

    def path(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    def expand(self, source: str) -> list[ContextItem]:
        """Included items a COPY source names: a file, a directory's tree, or what a glob matches (and the
        trees of the directories it matches). As in Docker, a wildcard never crosses a `/`."""
        clean = os.path.normpath(source.lstrip("/")).replace(os.sep, "/")
        if clean in (".", ""):
            return list(self.items)
        if not any(c in clean for c in "*?["):
            return [item for item in self.items if item.rel == clean or item.rel.startswith(clean + "/")]
        pattern = clean.split("/")
        out = []
        for item in self.items:
            parts = item.rel.split("/")
            if len(parts) >= len(pattern) and all(fnmatch.fnmatchcase(part, pat)
                                                  for part, pat in zip(parts, pattern, strict=False)):
                out.append(item)
        return out
