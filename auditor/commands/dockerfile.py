"""`audit dockerfile PATH...`: static checks of Dockerfiles, no engine and no image needed (the pre-commit
hook). Imports only the Dockerfile checks and the scanner, never the layer reader, cache or worker pool."""

from __future__ import annotations

import argparse
from typing import Any

from auditor.commands import args as common_args
from auditor.commands import common
from auditor.config import Config
from auditor.model import Severity


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audit dockerfile",
        description="Check Dockerfiles for data a layer keeps after a later instruction hides it, secrets in "
        "ARG/ENV, package caches, downloads, and build-context files .dockerignore lets through.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="Dockerfile(s) or Containerfile(s)")
    parser.add_argument("--context", metavar="DIR", help="build context (default: each Dockerfile's directory)")
    parser.add_argument("--target", metavar="STAGE", help="the stage that is built (default: the last)")
    parser.add_argument("--format", "-f", choices=["text", "json"], default=common_args.env("FORMAT", "text"),
                        help="text or json (default: %(default)s)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report here instead of stdout")
    common_args.add_gate_args(parser)
    common_args.add_rule_args(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from auditor.dockerfile.checks import DockerfileAuditor
    from auditor.dockerfile.report import render_json, render_text

    config = common.config(args)
    _keep_compiled_patterns()
    auditor = DockerfileAuditor(common.effective_rules(args, config), context_dir=args.context, target=args.target)
    findings = []
    with auditor.scanner.secrets.session():
        for path in args.paths:
            findings.extend(f for f in auditor.audit(path) if not _allowed(config, f))
    render = render_json if args.format == "json" else render_text
    common.write(render(findings, list(args.paths), args.show_secrets), args.output)
    fail_on = Severity(args.fail_on or (config.fail_on.value if config.fail_on else "low"))
    if args.exit_zero:
        return 0
    return 1 if any(f.severity.rank >= fail_on.rank for f in findings) else 0


def _keep_compiled_patterns() -> None:
    """Reuse the compiled Hyperscan databases an audit keeps in the user's cache (compiling them costs more
    than checking a Dockerfile), when that cache is the user's alone."""
    from auditor import private
    from auditor.checks import hsdb

    root = private.default_root()
    if private.untrusted(root, "hs") is None:
        hsdb.use_cache(root)


def _allowed(config: Config, finding: Any) -> bool:
    for entry in config.allowlist:
        if entry.layers:
            continue
        if entry.rules and finding.rule not in entry.rules:
            continue
        if entry.fingerprints and finding.fingerprint not in entry.fingerprints:
            continue
        if entry.paths is not None and not entry.paths.match(finding.path or ""):
            continue
        return True
    return False
