"""`audit sweep REGISTRY[/PREFIX]` (or `--from-file`): audit every image of a registry into a sweep store,
each distinct layer scanned once; `audit sweep report --db FILE`: the findings by root cause.

Exit codes: 0 the sweep finished (findings are in the store, see `sweep report`), 2 bad input, or an
image that could not be resolved or read completely (listed on stderr; the rest is in the store).
"""

from __future__ import annotations

import argparse
import os
import sys

from auditor.audit import Settings
from auditor.cache import default_dir as cache_dir
from auditor.checks import hsdb
from auditor.commands import args as common_args
from auditor.commands import common, image_options
from auditor.errors import UsageError
from auditor.formats.common import printable
from auditor.limits import Limits
from auditor.parallel import default_jobs
from auditor.registry import reference
from auditor.registry.credentials import Credentials
from auditor.registry.settings import RegistryOptions
from auditor.sources import Options
from auditor.sweep import catalog, resolve, summary
from auditor.sweep.executor import executor
from auditor.sweep.progress import Progress
from auditor.sweep.runner import Sweep
from auditor.sweep.store import Store

REPORT = "report"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audit sweep", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Audit every image of a registry (or of a list of references), each distinct layer scanned "
        "once, into a SQLite sweep store; `audit sweep report --db FILE` prints the findings by root cause.",
        epilog="examples:\n  audit sweep registry.example.com/team --tags newest:3 --db sweep.db\n"
        "  kubectl get pods -A -o jsonpath='{range .items[*].spec.containers[*]}{.image}{\"\\n\"}{end}' \\\n"
        "    | audit sweep --from-file - --db cluster.db\n  audit sweep report --db sweep.db --format sarif")
    parser.add_argument("target", metavar="REGISTRY[/PREFIX] | report", nargs="?",
                        help="the registry (HOST[:PORT]) and optional repository prefix to list through its catalog; "
                        "or `report`, to print what a sweep store holds")
    parser.add_argument("--db", default=common_args.env("SWEEP_DB", "sweep.db"), metavar="FILE",
                        help="the sweep store, SQLite (default: %(default)s)")
    parser.add_argument("--format", "-f", choices=sorted(summary.RENDERERS), default="text",
                        help="`sweep report` format (default: %(default)s)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report here instead of stdout")
    chosen = parser.add_argument_group("which images")
    chosen.add_argument("--from-file", metavar="FILE", help="sweep the references listed in FILE, one a line "
                        "(`-`: stdin), instead of a registry's catalog")
    chosen.add_argument("--repo", metavar="GLOB", help="only repositories matching GLOB (e.g. 'team/*')")
    chosen.add_argument("--tags", default="latest", metavar="latest|all|newest:N",
                        help="which tags of each repository (default: %(default)s; newest:N by image creation time)")
    chosen.add_argument("--platform", default=common_args.env("PLATFORM", "linux/amd64"),
                        help="os/arch[/variant] to pick from a multi-platform index (default: %(default)s)")
    run = parser.add_argument_group("how")
    run.add_argument("--executor", default=common_args.env("SWEEP_EXECUTOR", "local"),
                     metavar="local|dask://HOST:PORT",
                     help="where layers are scanned: this machine's processes (default), or a Dask distributed "
                     "scheduler (dask://HOST:PORT, dask+tls://HOST:PORT; pip install '.[dask]' from a clone)")
    run.add_argument("--jobs", "-j", type=common_args.positive, default=os.environ.get("AUDITOR_JOBS"), metavar="N",
                     help="local worker processes (default: every core this process may use)")
    run.add_argument("--no-cache", action="store_true",
                     help="neither look up nor fill the user's cache ($XDG_CACHE_HOME/layer-auditor: layers, "
                     "validated rules, compiled patterns)")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    registry = parser.add_argument_group("registry access (as for docker:// references)")
    registry.add_argument("--username", "-u", metavar="USER", help="log in as USER (with --password-stdin)")
    registry.add_argument("--password-stdin", action="store_true", help="read the password (or token) from stdin")
    registry.add_argument("--ca-cert", action="append", default=[], metavar="FILE",
                          help="also trust the CA certificates in FILE (repeatable)")
    registry.add_argument("--insecure-registry", action="store_true",
                          help="allow plain HTTP and unverified TLS (plain HTTP is always allowed on loopback)")
    registry.add_argument("--timeout", type=float, default=common_args.env("TIMEOUT", "30"), metavar="SECONDS",
                          help="registry network timeout (default: %(default)s)")
    common_args.add_limit_args(parser)
    max_file = common_args.env_size("MAX_FILE_SIZE", Limits().max_file_bytes)
    parser.add_argument("--max-file-size", type=common_args.size, metavar="BYTES", default=max_file,
                        help=f"largest text file whose content is scanned (default: {common_args.human(max_file)})")
    common_args.add_rule_args(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    if args.target == REPORT:
        store = Store(args.db, create=False)
        try:
            common.write(summary.render(store, args.format), args.output)
        finally:
            store.close()
        return 0
    if (args.target is None) == (args.from_file is None):
        raise UsageError("sweep: name a REGISTRY[/PREFIX], or give --from-file (not both)")
    if args.from_file == "-" and args.password_stdin:
        raise UsageError("--from-file - and --password-stdin cannot both read stdin")
    cache = None if args.no_cache else common.trusted_cache(cache_dir(), args.quiet)
    hsdb.use_cache(cache)
    config = common.config(args)
    rules = common.effective_rules(args, config, cache)
    options = _options(args)
    wanted = catalog.Tags.parse(args.tags)
    if args.from_file:
        outcomes = resolve.from_refs(catalog.from_file(args.from_file), options)
    else:
        registry, prefix = catalog.split_target(args.target)
        outcomes = resolve.from_registry(registry, prefix, args.repo, wanted, options)
    settings = Settings(limits=options.limits, cache_dir=cache, inventory=False)
    store = Store(args.db)
    try:
        runs_on = executor(args.executor, int(args.jobs or default_jobs()))
        sweep = Sweep(store, rules, settings, options.registry, runs_on, config,
                      Progress(None if args.quiet else sys.stderr))
        done = sweep.run(outcomes)
    finally:
        store.close()
    print(f"audit sweep: {done.resolved} image(s) resolved, {len(done.failed)} not; {done.distinct} distinct layer(s): "
          f"{len(done.scanned)} scanned, {done.from_store} from the store, {done.from_cache} from the layer cache; "
          f"{done.assessed} image(s) assessed, {done.unchanged} unchanged. `audit sweep report --db {args.db}`",
          file=sys.stderr)
    for ref in done.failed + done.incomplete:
        print(f"audit sweep: incomplete: {printable(ref)}", file=sys.stderr)
    return 2 if done.failed or done.incomplete else 0


def _options(args: argparse.Namespace) -> Options:
    """Source options: the --username login is for the swept registry (or, with --from-file, the first
    reference's); every other registry gets the Docker config's login for its own host."""
    if args.password_stdin != bool(args.username):
        raise UsageError("--username and --password-stdin go together (a password is never an argument)")
    if not args.timeout > 0:
        raise UsageError("--timeout must be a positive number of seconds")
    credentials = None
    if args.username:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UsageError("--password-stdin: no password on standard input")
        credentials = Credentials(username=args.username, password=password, source="--username",
                                  registry=_login_registry(args))
    registry = RegistryOptions(credentials=credentials, ca_certs=tuple(args.ca_cert),
                               insecure=args.insecure_registry, timeout=args.timeout)
    return Options(platform=args.platform, registry=registry, limits=image_options.limits(args))


def _login_registry(args: argparse.Namespace) -> str:
    if args.target:
        return reference.auth_key_of(catalog.split_target(args.target)[0])
    refs = catalog.from_file(args.from_file)
    if not refs:
        raise UsageError(f"--from-file {args.from_file}: no references")
    return refs[0].auth_key
