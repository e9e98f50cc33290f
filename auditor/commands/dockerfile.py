"""`audit dockerfile PATH...`: static checks of Dockerfiles, no engine and no image needed (the pre-commit
hook). The findings go through the same allowlist, gate and formats as an image's. Imports only the
Dockerfile checks, the scanner and the format asked for, never the layer reader, cache or worker pool."""

from __future__ import annotations

import argparse
import sys

from auditor.baseline import Baseline
from auditor.commands import args as common_args
from auditor.commands import common
from auditor.formats import FORMATS, Render
from auditor.model import Severity
from auditor.policy import Gate, suppress


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audit dockerfile",
        description="Check Dockerfiles for data a layer keeps after a later instruction hides it, secrets in "
        "ARG/ENV, package caches, downloads, and build-context files .dockerignore lets through.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="Dockerfile(s) or Containerfile(s) (default: every one in the git work tree here, "
                        "tracked or not ignored, or under this directory outside git)")
    parser.add_argument("--context", metavar="DIR", help="build context (default: each Dockerfile's directory)")
    parser.add_argument("--target", metavar="STAGE", help="the stage that is built (default: the last)")
    parser.add_argument("--format", "-f", choices=sorted(FORMATS), default=common_args.env("FORMAT", "text"),
                        help="report format (default: %(default)s)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report here instead of stdout")
    common_args.add_gate_args(parser)
    common_args.add_rule_args(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    common.check_output(args.output)
    from auditor.dockerfile import find
    from auditor.dockerfile.checks import DockerfileAuditor

    config = common.config(args)
    cache = _private_cache()
    auditor = DockerfileAuditor(common.effective_rules(args, config, cache), context_dir=args.context,
                                target=args.target, cache=cache)
    paths = list(args.paths) or find.dockerfiles()
    if not paths:
        print("audit dockerfile: no Dockerfile or Containerfile here; nothing to check", file=sys.stderr)
        return 0
    report = suppress(auditor.report(paths), config, Baseline())
    common.write(_render(args.format)([report], args.show_secrets, False), args.output)
    if args.exit_zero:
        return 0
    gate = Gate(fail_on=Severity(args.fail_on or (config.fail_on.value if config.fail_on else "low")))
    return 1 if any(gate.fails(f) for f in report.findings) else 0


def _render(name: str) -> Render:
    """Text and JSON have a Dockerfile report's own shapes; every other format is the image formats' own.
    (An unknown AUDITOR_FORMAT, which argparse does not check, is text.)"""
    if name in ("text", "json") or name not in FORMATS:
        from auditor.dockerfile import report

        return report.render_text if name == "text" else report.render_json
    return FORMATS[name]


def _private_cache() -> str | None:
    """The user's cache root when it is the user's alone (None otherwise): the validated rules
    (`auditor.rulecache`) and the compiled Hyperscan databases an audit keeps there are reused, since
    validating and compiling them costs more than checking a Dockerfile."""
    from auditor import private
    from auditor.checks import hsdb

    root = private.default_root()
    if private.untrusted(root, "hs", "rules", "secrets") is not None:
        return None
    hsdb.use_cache(root)
    return root
