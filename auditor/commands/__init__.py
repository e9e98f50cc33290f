"""The subcommands, one module each; every module has `parser()` and `run(args) -> int`.

`audit REF ...` (the `audit` module) is the default; the others are named by the first argument. Each
module is imported only when its command runs, so `audit dockerfile` (a pre-commit hook) never loads the
layer reader, the cache or the worker pool.
"""

from __future__ import annotations

# name -> (module under auditor.commands, one line for `audit --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "files": ("files", "list every entry each layer adds, with its fate (deleted, overwritten, visible)"),
    "dockerfile": ("dockerfile", "check Dockerfiles before the build: no engine, no image needed"),
    "sweep": ("sweep", "audit every image of a registry, each distinct layer once, into a store; `sweep report`"),
    "rules": ("rules", "list the effective rules, or check a rule pack or configuration file"),
}
DEFAULT = "audit"
