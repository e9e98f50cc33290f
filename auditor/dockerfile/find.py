"""The Dockerfiles of a repository, for `audit dockerfile` without a PATH (the pre-commit hook).

A Dockerfile's findings depend on its build context as much as on its own lines (a `.env` that
`.dockerignore` lets through, a key a COPY takes), and those files change, or are not even tracked, while
the Dockerfile stays as it is. So the hook does not wait for pre-commit to pass a changed Dockerfile: it
checks every Dockerfile of the repository on every commit, as git lists them (tracked, or untracked and
not ignored), or every one under the current directory outside a git work tree.
"""

from __future__ import annotations

import os
import re
import subprocess

# Dockerfile, Containerfile, Dockerfile.prod, api.Dockerfile, docker/dockerfile (the hook's old `files:`),
# but not a Dockerfile-specific ignore file (Dockerfile.dockerignore).
NAME = re.compile(r"(^|/)([^/]*\.)?(Dockerfile|Containerfile|dockerfile|containerfile)(\.[^/]*)?$")
SKIPPED_DIRS = frozenset({"node_modules", "vendor"})  # outside git: never a project's own Dockerfiles


def is_dockerfile(path: str) -> bool:
    return bool(NAME.search(path)) and not path.endswith(".dockerignore")


def dockerfiles(root: str = ".") -> list[str]:
    """Every Dockerfile under `root`, sorted, as paths relative to it (joined to it unless it is ".")."""
    listed = _git_files(root)
    if listed is None:
        listed = _walk(root)
    found = sorted(p for p in listed if is_dockerfile(p))
    paths = [p if root == "." else os.path.join(root, p) for p in found]
    return [p for p in paths if os.path.isfile(p)]  # a tracked file deleted in the work tree is not there


def _git_files(root: str) -> list[str] | None:
    """`git ls-files` of the work tree at `root` (tracked, and untracked but not ignored), or None when
    `root` is not in a git work tree or git is missing."""
    try:
        proc = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                              stdin=subprocess.DEVNULL, capture_output=True, check=False, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return sorted({p for p in os.fsdecode(proc.stdout).split("\0") if p})


def _walk(root: str) -> list[str]:
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS]
        rel = os.path.relpath(folder, root)
        out += [f if rel == "." else os.path.join(rel, f) for f in files]
    return out
