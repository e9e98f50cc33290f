"""What the subcommands share once arguments are parsed: configuration and rules, source options, output,
progress, and whether an audit was complete enough to pass."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TextIO

from auditor import localfile
from auditor.config import Config, find_config, load_config
from auditor.errors import UsageError
from auditor.formats.common import printable
from auditor.model import Report
from auditor.rules import Rule, default_pack_paths, load_rules

Progress = Callable[[int, int, int], None]


def progress(stream: TextIO, quiet: bool) -> Progress | None:
    if quiet or not stream.isatty():
        return None

    def show(done: int, total: int, nbytes: int) -> None:
        end = "\n" if done == total else ""
        stream.write(f"\rread {done}/{total} layers, {nbytes / 1e6:.1f} MB{end}")
        stream.flush()

    return show


def write(text_out: str, output: str | None) -> None:
    if output:
        localfile.write_text(output, text_out, lambda message: UsageError(f"--output {message}"))
    else:
        sys.stdout.write(text_out)
        sys.stdout.flush()


def config(args: argparse.Namespace) -> Config:
    if args.no_config:
        return Config()
    path = args.config or find_config()
    if args.config and not os.path.isfile(args.config):
        raise UsageError(f"--config {args.config}: no such file")
    return load_config(path) if path else Config()


def effective_rules(args: argparse.Namespace, config: Config, cache: str | None = None) -> list[Rule]:
    return config.apply(load_rules([*default_pack_paths(), *config.rules, *args.rules], cache))


def incomplete(report: Report, strict: bool) -> bool:
    """Whether the audit of `report` must not pass: a layer or an entry an engine would extract unread, or
    (with --strict) anything unscanned."""
    broken = [n for n in report.not_scanned if n.broken]
    if broken:
        layers = sum(1 for n in broken if not n.fatal)
        what = [f"{layers} layer(s) could not be read completely"] if layers else []
        what += [f"{len(broken) - layers} entry name(s) escape the image root"] if len(broken) > layers else []
        print(f"audit: {report.image.reference}: {'; '.join(what)}; the audit is incomplete", file=sys.stderr)
        return True
    if strict and report.not_scanned:
        limits = sorted({f"--{n.limit}" for n in report.not_scanned if n.limit})
        print(f"audit: {report.image.reference}: {len(report.not_scanned)} item(s) not scanned"
              f"{' (limits hit: ' + ', '.join(limits) + ')' if limits else ''}; --strict fails the audit",
              file=sys.stderr)
        return True
    return False


def trusted_cache(directory: str, quiet: bool) -> str | None:
    """`directory` when only the user can write it; else None (the audit runs without a cache) and a
    one-line warning, since entries another user could forge decide what is not read again."""
    from auditor.cache import untrusted  # not at import: `audit dockerfile` never loads the layer machinery

    reason = untrusted(directory)
    if reason is None:
        return directory
    if not quiet:
        print(f"audit: warning: not using the cache {printable(directory)}: {printable(reason)}", file=sys.stderr)
    return None
