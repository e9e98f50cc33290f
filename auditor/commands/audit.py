"""`audit REF...` (the default command): audit images and gate on what is found."""

from __future__ import annotations

import argparse
import functools
import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from auditor import __version__, baseline, localfile, progress, provenance
from auditor.audit import Settings, audit
from auditor.cache import default_dir as cache_dir
from auditor.commands import COMMANDS, common, image_options
from auditor.commands import args as common_args
from auditor.config import BASELINE_NAME, GATE_STATUSES, Config
from auditor.errors import UsageError
from auditor.formats import FORMATS
from auditor.formats.common import printable
from auditor.limits import Limits
from auditor.model import Image, Report, Severity
from auditor.parallel import default_jobs
from auditor.policy import Gate, condense, suppress, threshold
from auditor.sources import Options, open_image

STALE_SHOWN = 3  # stale baseline entries the note names before "…"
EXPLAINED = ("text", "json")  # the formats whose render_all takes `explain` (--explain)


def parser() -> argparse.ArgumentParser:
    commands = "\n".join(f"  audit {name:<12} {summary}" for name, (_, summary) in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="audit",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Audit a Docker/OCI image layer by layer, including files that later layers delete or "
        "overwrite.",
        epilog=f"subcommands (`audit NAME --help` for each):\n{commands}\n\n"
        "exit codes: 0 nothing to report, 1 findings at or above --fail-on, 2 error or incomplete audit",
    )
    common_args.add_image_args(parser, many=True)
    parser.add_argument("--format", "-f", choices=sorted(FORMATS), default=common_args.env("FORMAT", "text"),
                        help="report format (default: %(default)s)")
    reports = parser.add_argument_group(
        "more reports from the same scan", "each also writes the report in its format to FILE (repeat for "
        "several formats); --format and --output still choose the main report, and the exit code is the same")
    for name in sorted(FORMATS):
        reports.add_argument(f"--{name}-output", metavar="FILE", help=f"also write the {name} report to FILE")
    common_args.add_gate_args(parser)
    parser.add_argument("--min-severity", choices=[s.value for s in Severity],
                        default=os.environ.get("AUDITOR_MIN_SEVERITY"),
                        help="show findings at or above this severity; the rest are counted in the summary "
                        "(default: low, or --fail-on when lower)")
    parser.add_argument("--show-info", action="store_true",
                        help="show info findings too (entropy-only strings, public addresses): --min-severity info")
    parser.add_argument("--explain", action="store_true",
                        help="list the values the value judge rejected (placeholders, examples, ...), where they "
                        "are and why (text and json formats)")
    parser.add_argument("--fail-on-status", choices=GATE_STATUSES, default=os.environ.get("AUDITOR_FAIL_ON_STATUS"),
                        help="gate only on findings hidden by a later layer (what squashing would remove), "
                        "only on visible ones (files in the final filesystem and metadata), or on any (default)")
    parser.add_argument("--baseline", metavar="FILE", help=f"only findings not in this baseline count "
                        f"(default: {BASELINE_NAME} beside the config, when present)")
    parser.add_argument("--no-baseline", action="store_true", help="ignore any baseline file")
    parser.add_argument("--include-package-files", action="store_true",
                        default=common_args.env("INCLUDE_PACKAGE_FILES", "") not in ("", "0", "false"),
                        help="also list content findings in package files whose bytes match what the package "
                        "manager recorded, in package directories without digests (node_modules), and in package "
                        "managers' indexes and caches (default: counted in the summary only)")
    parser.add_argument("--write-baseline", metavar="FILE", help="record the current findings as the baseline")
    parser.add_argument("--dockerfile", metavar="PATH",
                        help="the Dockerfile that built the image: SARIF results point at its instructions' lines")
    parser.add_argument("--skip-base", metavar="IMAGE",
                        help="do not report layers shared with this base image (any REF form)")
    common_args.add_rule_args(parser)
    parser.add_argument("--no-cache", action="store_true",
                        help="do not use the layer cache ($XDG_CACHE_HOME/layer-auditor)")
    max_file = common_args.env_size("MAX_FILE_SIZE", Limits().max_file_bytes)
    parser.add_argument("--max-file-size", type=common_args.size, metavar="BYTES", default=max_file,
                        help=f"largest text file whose content is scanned (default: {common_args.human(max_file)})")
    parser.add_argument("--jobs", "-j", type=common_args.positive, default=os.environ.get("AUDITOR_JOBS"),
                        metavar="N", help="processes scanning file contents (default: every core this process may use)")
    parser.add_argument("--version", action="version", version=f"layer-auditor {__version__}")
    return parser


def run(args: argparse.Namespace) -> int:
    outputs = _outputs(args)
    config = common.config(args)
    rules = common.effective_rules(args, config)
    baseline_file = _baseline(args, config)
    options = image_options.options(args)
    skip_base = args.skip_base or config.skip_base
    cache = None if args.no_cache else common.trusted_cache(cache_dir(), args.quiet)
    reports = []
    with progress.for_stream(sys.stderr, args.quiet) as meter:  # taken down before the report is written
        options = replace(options, progress=meter, cache_dir=cache)
        for ref in args.ref:
            with open_image(ref, options) as image:
                skip, base_config = _shared_layers(skip_base, image, options) if skip_base else (0, None)
                settings = Settings(limits=options.limits, skip_layers=skip, base_config=base_config,
                                    cache_dir=cache, cache_read=not args.show_secrets,
                                    jobs=int(args.jobs or default_jobs()), inventory=False, deadline=options.deadline,
                                    include_package_files=args.include_package_files)
                report, _ = audit(image, rules, settings, progress=meter)
            reports.append(provenance.map_dockerfile(report, args.dockerfile) if args.dockerfile else report)
    if args.write_baseline:
        count = baseline.write(args.write_baseline, [f for r in reports for f in r.findings])
        print(f"audit: wrote {count} finding(s) to {args.write_baseline}", file=sys.stderr)
    fail_on = Severity(args.fail_on or (config.fail_on.value if config.fail_on else "low"))
    shown = _min_severity(args, fail_on)
    if not args.write_baseline:
        _stale_baseline(baseline_file, reports, args)
    reports = [threshold(condense(suppress(report, config, baseline_file)), shown) for report in reports]
    for fmt, path, flag in outputs:
        color = path is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        render: Callable[..., str] = FORMATS[fmt]
        if args.explain and fmt in EXPLAINED:
            render = functools.partial(render, explain=True)
        common.write(render(reports, args.show_secrets, color), path, flag)
    if not args.quiet:
        for report in reports:  # after the report, so that an error during the audit stays one line
            print(f"audit: {common.image_line(report.image)}", file=sys.stderr)
            for warning in report.image.warnings:
                print(f"audit: warning: {warning}", file=sys.stderr)
    gate = Gate(fail_on=fail_on, status=args.fail_on_status or config.fail_on_status or "any")
    return max(_exit_code(report, gate, args.exit_zero or bool(args.write_baseline), args.strict) for report in reports)


def _outputs(args: argparse.Namespace) -> list[tuple[str, str | None, str]]:
    """Every report to write, (format, file or None for stdout, the flag that named it): the main one, then
    each --FORMAT-output. One scan renders them all, so a CI gate gets SARIF, JUnit and annotations
    without auditing twice. Checked before the scan: a missing directory or one file named twice."""
    outputs: list[tuple[str, str | None, str]] = [(args.format, args.output, "--output")]
    outputs += [(name, path, f"--{name}-output") for name in sorted(FORMATS)
                if (path := getattr(args, f"{name}_output")) is not None]
    paths = [os.path.realpath(path) for _, path, _ in outputs if path is not None]
    if len(set(paths)) < len(paths):
        raise UsageError("two reports name the same output file; give each --*-output its own")
    for _, path, flag in outputs:
        common.check_output(path, flag)
    return outputs


def _min_severity(args: argparse.Namespace, fail_on: Severity) -> Severity:
    """What the report shows: --show-info or --min-severity, else low; never above what fails the run (a
    finding that fails the gate is always shown)."""
    if args.show_info:
        return Severity.INFO
    chosen = Severity(args.min_severity) if args.min_severity else Severity.LOW
    return chosen if chosen.rank <= fail_on.rank else fail_on


def _baseline(args: argparse.Namespace, config: Config) -> baseline.Baseline:
    if args.no_baseline:
        return baseline.Baseline()
    path = args.baseline or config.baseline
    if path is None:
        beside = os.path.dirname(config.path) if config.path else os.getcwd()
        candidate = os.path.join(beside, BASELINE_NAME)
        path = candidate if os.path.isfile(candidate) and not args.write_baseline else None
    return baseline.read(path) if path else baseline.Baseline()


def _stale_baseline(used: baseline.Baseline, reports: list[Report], args: argparse.Namespace) -> None:
    """A note on stderr naming the baseline entries no finding of this run has any more, and how to drop
    them, so that a baseline does not rot (a stale entry would accept that finding again unseen)."""
    stale = used.stale(f.fingerprint for report in reports for f in report.findings)
    if not stale or args.quiet:
        return
    shown = ", ".join(printable(entry) for entry in stale[:STALE_SHOWN]) + (", …" if len(stale) > STALE_SHOWN else "")
    path = localfile.shown(str(used.path))
    refresh = shlex.join(["audit", *args.ref, "--write-baseline", path])
    entries = "1 entry" if len(stale) == 1 else f"{len(stale)} entries"
    print(f"audit: note: {entries} of the baseline {printable(path)} no longer found ({shown}); refresh "
          f"it with `{printable(refresh)}` and review the diff before committing", file=sys.stderr)


def _shared_layers(base_ref: str, image: Image, options: Options) -> tuple[int, dict[str, Any]]:
    """How many leading layers `image` shares with the base image, and the base's config."""
    with open_image(base_ref, options) as base:
        base_ids = [layer.diff_id or layer.digest for layer in base.layers]
        config = base.config
    shared = 0
    for layer, base_id in zip(image.layers, base_ids, strict=False):
        if (layer.diff_id or layer.digest) != base_id:
            break
        shared += 1
    if shared < len(base_ids):
        image.warnings.append(
            f"--skip-base {base_ref}: the image shares only {shared} of the base's {len(base_ids)} layers"
        )
    return shared, config


def _exit_code(report: Report, gate: Gate, exit_zero: bool, strict: bool = False) -> int:
    if common.incomplete(report, strict):
        return 2
    if exit_zero:
        return 0
    return 1 if any(gate.fails(f) for f in report.findings) else 0
