"""What the subcommands share once arguments are parsed: configuration and rules, source options, output,
and whether an audit was complete enough to pass."""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys

from auditor import localfile
from auditor.config import Config, find_config, load_config
from auditor.errors import UsageError
from auditor.formats.common import printable
from auditor.model import Image, Report
from auditor.rules import Rule, default_pack_paths, load_rules

# An image config's `created` (RFC 3339, nanoseconds from Go): the second, and the zone; the fraction is
# dropped, since Python 3.10's fromisoformat takes only 3 or 6 digits of it.
CREATED = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)?", re.ASCII)


def check_output(output: str | None, flag: str = "--output") -> None:
    """Fail before any work when the report could not be written (a missing directory, no permission)."""
    if output:
        localfile.check_writable(output, lambda message: UsageError(f"{flag} {message}"))


def image_line(image: Image, now: datetime.datetime | None = None) -> str:
    """The image as a stderr line names it, with its id and creation time, so that an audit of a stale tag
    (a pre-push hook auditing yesterday's build) is noticed: `kit/app:1: image sha256:edd683b95f52,
    created 2026-12-01 10:00 UTC (2 days ago)`."""
    line = f"{printable(image.reference)}: image {(image.digest or 'without a digest')[:19]}"
    match = CREATED.fullmatch(str(image.config.get("created")))
    try:
        when = datetime.datetime.fromisoformat(match[1] + (match[2] or "").replace("Z", "+00:00")) if match else None
    except ValueError:
        when = None
    if when is None:
        return line
    when = (when if when.tzinfo else when.replace(tzinfo=datetime.timezone.utc)).astimezone(datetime.timezone.utc)
    seconds = ((now or datetime.datetime.now(datetime.timezone.utc)) - when).total_seconds()
    return f"{line}, created {when:%Y-%m-%d %H:%M} UTC ({_ago(seconds)})"


def _ago(seconds: float) -> str:
    if seconds < 0:
        return "in the future: check the clocks"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def write(text_out: str, output: str | None, flag: str = "--output") -> None:
    """`text_out` to the file `output` (an error names it and `flag`), or to stdout."""
    if output:
        localfile.write_text(output, text_out, lambda message: UsageError(f"{flag} {message}"))
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
