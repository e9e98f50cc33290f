"""The `audit` command: all argument parsing and exit codes live here.

Exit codes: 0 nothing to report, 1 findings at or above --fail-on, 2 usage/config/source error or an
incomplete audit, 3 crash, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence, TextIO

from auditor import __version__
from auditor.audit import Settings, audit
from auditor.errors import AuditorError, UsageError
from auditor.formats import FORMATS, json_format, text
from auditor.layers import DEFAULT_MAX_FILE_BYTES
from auditor.model import Report, Severity
from auditor.rules import Rule, default_pack_paths, load_rules
from auditor.sources import Options, open_image

SUBCOMMANDS = ("files", "rules")


def _env(name: str, default: str) -> str:
    return os.environ.get(f"AUDITOR_{name}", default)


def _add_image_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ref", metavar="REF", help="image: NAME[:TAG], docker-daemon:NAME, docker-archive:PATH, "
                        "oci:DIR[:TAG], oci-archive:PATH[:TAG], or a path to an archive or layout")
    parser.add_argument("--pull", action="store_true", help="pull the image into the local engine first")
    parser.add_argument("--platform", default=_env("PLATFORM", "linux/amd64"),
                        help="os/arch[/variant] to pick from a multi-platform index (default: %(default)s)")
    parser.add_argument("--image", metavar="NAME:TAG", help="which image of a multi-image docker archive")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report here instead of stdout")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress or warnings on stderr")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audit",
        description="Audit a Docker/OCI image layer by layer, including files that later layers delete or "
        "overwrite. Subcommands: 'audit files REF' (inventory), 'audit rules' (list or check rules).",
    )
    _add_image_args(parser)
    parser.add_argument("--format", "-f", choices=sorted(FORMATS), default=_env("FORMAT", "text"))
    parser.add_argument("--show-secrets", action="store_true", help="print secret values unredacted")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings fail the gate")
    parser.add_argument("--fail-on", choices=[s.value for s in Severity], default=_env("FAIL_ON", "low"),
                        help="lowest severity that fails (default: %(default)s)")
    parser.add_argument("--rules", action="append", default=[], metavar="PATH",
                        help="an extra rule pack file or directory (repeatable)")
    parser.add_argument("--max-file-size", type=int, default=DEFAULT_MAX_FILE_BYTES, metavar="BYTES",
                        help="largest text file whose content is scanned (default: %(default)s)")
    parser.add_argument("--version", action="version", version=f"layer-auditor {__version__}")
    return parser


def _files_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="audit files", description="List every entry each layer adds, with its fate.")
    _add_image_args(parser)
    parser.add_argument("--format", "-f", choices=["text", "json"], default=_env("FORMAT", "text"))
    return parser


def _rules_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="audit rules", description="List the effective rules, or check a rule file.")
    parser.add_argument("--format", "-f", choices=["text", "json"], default="text")
    parser.add_argument("--rules", action="append", default=[], metavar="PATH")
    parser.add_argument("--check", metavar="FILE", action="append", help="validate a rule pack (repeatable)")
    return parser


def _progress(stream: TextIO, quiet: bool):  # type: ignore[no-untyped-def]
    if quiet or not stream.isatty():
        return None

    def show(done: int, total: int, nbytes: int) -> None:
        end = "\n" if done == total else ""
        stream.write(f"\rread {done}/{total} layers, {nbytes / 1e6:.1f} MB{end}")
        stream.flush()

    return show


def _write(text_out: str, output: str | None) -> None:
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text_out)
        except OSError as exc:
            raise UsageError(f"--output {output}: {exc.strerror}") from None
    else:
        sys.stdout.write(text_out)
        sys.stdout.flush()


def _load_rules(extra: list[str]) -> list[Rule]:
    return load_rules([*default_pack_paths(), *extra])


def _run_audit(args: argparse.Namespace) -> int:
    rules = _load_rules(args.rules)
    options = Options(platform=args.platform, image=args.image, pull=args.pull)
    with open_image(args.ref, options) as image:
        report, _ = audit(image, rules, Settings(max_file_bytes=args.max_file_size),
                          progress=_progress(sys.stderr, args.quiet))
    _write(FORMATS[args.format](report, args.show_secrets), args.output)
    if not args.quiet:
        for warning in report.image.warnings:
            print(f"audit: warning: {warning}", file=sys.stderr)
    return _exit_code(report, Severity(args.fail_on), args.exit_zero)


def _exit_code(report: Report, fail_on: Severity, exit_zero: bool) -> int:
    broken = [n for n in report.not_scanned if n.path is None]
    if broken:
        print(f"audit: {len(broken)} layer(s) could not be read completely; the audit is incomplete",
              file=sys.stderr)
        return 2
    if exit_zero:
        return 0
    return 1 if any(f.severity.rank >= fail_on.rank for f in report.findings) else 0


def _run_files(args: argparse.Namespace) -> int:
    options = Options(platform=args.platform, image=args.image, pull=args.pull)
    with open_image(args.ref, options) as image:
        report, entries = audit(image, [], progress=_progress(sys.stderr, args.quiet))
    render = json_format.render_files if args.format == "json" else text.render_files
    _write(render(entries), args.output)
    return 2 if any(n.path is None for n in report.not_scanned) else 0


def _run_rules(args: argparse.Namespace) -> int:
    if args.check:
        for path in args.check:
            count = len(load_rules([path]))
            print(f"{path}: {count} rule(s) OK")
        return 0
    rules = _load_rules(args.rules)
    if args.format == "json":
        import json

        doc = {"rules": [
            {"id": r.id, "kind": r.kind, "severity": r.severity.value, "description": r.description,
             "remediation": r.remediation, "source": os.path.basename(r.source)}
            for r in rules
        ]}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        for r in rules:
            sys.stdout.write(f"{r.id:<36} {r.kind:<9} {r.severity.value:<9} {r.description}\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "files":
            return _run_files(_files_parser().parse_args(argv[1:]))
        if argv and argv[0] == "rules":
            return _run_rules(_rules_parser().parse_args(argv[1:]))
        return _run_audit(_parser().parse_args(argv))
    except AuditorError as exc:
        print(f"audit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("audit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the one place a crash becomes exit 3
        if os.environ.get("AUDITOR_DEBUG"):
            raise
        print(f"audit: internal error: {type(exc).__name__}: {exc} (set AUDITOR_DEBUG=1 for a traceback)",
              file=sys.stderr)
        return 3


if __name__ == "__main__":
    raise SystemExit(main())
