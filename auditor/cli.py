"""The `audit` command: all argument parsing and exit codes live here.

Exit codes: 0 nothing to report, 1 findings at or above --fail-on, 2 usage/config/source error or an
incomplete audit (a layer that could not be read; with --strict, anything not scanned, limits included),
3 crash, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from typing import Any, Iterator, Sequence, TextIO

from auditor import __version__, baseline, localfile, yamlfile
from auditor.audit import Settings, audit
from auditor.parallel import default_jobs
from auditor.cache import default_dir as cache_dir
from auditor.cache import untrusted as cache_untrusted
from auditor.config import BASELINE_NAME, CONFIG_NAME, GATE_STATUSES, Config, find_config, is_pack, load_config
from auditor.deadline import Deadline
from auditor.errors import AuditorError, UsageError
from auditor.formats import FORMATS
from auditor.formats.common import printable
from auditor.limits import Limits
from auditor.model import Image, Report, Severity
from auditor.policy import Gate, suppress
from auditor.registry import reference as registry_reference
from auditor.registry.credentials import Credentials
from auditor.registry.settings import DEFAULT_TIMEOUT, RegistryOptions
from auditor.rules import Rule, default_pack_paths, load_rules
from auditor.sources import Options, open_image, parse_reference

SUBCOMMANDS = ("files", "rules", "dockerfile")


def _env(name: str, default: str) -> str:
    return os.environ.get(f"AUDITOR_{name}", default)


def _add_image_args(parser: argparse.ArgumentParser, many: bool = False) -> None:
    parser.add_argument("ref", metavar="REF", nargs="+" if many else None, help="image: NAME[:TAG], docker-daemon:NAME, docker-archive:PATH, "
                        "oci:DIR[:TAG], oci-archive:PATH[:TAG], docker://REGISTRY/REPO[:TAG|@DIGEST], "
                        "or a path to an archive or layout")
    parser.add_argument("--pull", action="store_true", help="pull the image into the local engine first")
    parser.add_argument("--platform", default=_env("PLATFORM", "linux/amd64"),
                        help="os/arch[/variant] to pick from a multi-platform index (default: %(default)s)")
    parser.add_argument("--image", metavar="NAME:TAG", help="which image of a multi-image docker archive")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report here instead of stdout")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress or warnings on stderr")
    registry = parser.add_argument_group("registry references (docker://)")
    registry.add_argument("--username", "-u", metavar="USER",
                          help="log in as USER (with --password-stdin) to the first image's registry, or the one "
                          "--registry-login names, instead of the Docker config's login; every other registry gets "
                          "only the Docker config's login for its own host")
    registry.add_argument("--password-stdin", action="store_true", help="read the password (or token) from stdin")
    registry.add_argument("--registry-login", metavar="HOST[:PORT]",
                          help="the registry the --username login is for (default: the first image's)")
    registry.add_argument("--ca-cert", action="append", default=[], metavar="FILE",
                          help="also trust the CA certificates in FILE (repeatable; SSL_CERT_FILE and "
                          "REQUESTS_CA_BUNDLE are trusted too)")
    registry.add_argument("--insecure-registry", action="store_true",
                          help="allow plain HTTP and unverified TLS (always allowed for loopback addresses: "
                          "plain HTTP only)")
    registry.add_argument("--timeout", type=float, default=_env("TIMEOUT", str(DEFAULT_TIMEOUT)),
                          metavar="SECONDS", help="registry network timeout: to connect, and between bytes "
                          "(default: %(default)s)")
    parser.add_argument("--deadline", type=_duration, metavar="DURATION", default=_env_duration("DEADLINE", "30m"),
                        help="end the whole audit with an error (exit 2, no report) if it is not done after "
                        "DURATION: seconds, or a number with s, m or h (default: 30m)")
    _add_limit_args(parser)


def _size(text: str) -> int:
    """A positive byte or entry count: 1048576, 64K, 32M, 16G (powers of 1024)."""
    number, unit = text.strip(), 1
    if number[-1:].upper() in _UNITS:
        number, unit = number[:-1], _UNITS[number[-1:].upper()]
    try:
        value = int(number) * unit
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number such as 1000000, 64K, 32M or 16G") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be positive")
    return value


_UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SECONDS = {"s": 1, "m": 60, "h": 3600}


def _duration(text: str) -> float:
    """A positive duration in seconds: 90, 2.5, 90s, 30m, 2h."""
    number, unit = text.strip(), 1
    if number[-1:].lower() in _SECONDS:
        number, unit = number[:-1], _SECONDS[number[-1:].lower()]
    try:
        value = float(number) * unit
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a duration such as 90, 90s, 30m or 2h") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: must be a positive duration")
    return value


def _env_duration(name: str, default: str) -> float:
    """A duration's default from AUDITOR_<NAME>; a bad value there is a usage error, like a bad flag."""
    try:
        return _duration(_env(name, default))
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"AUDITOR_{name}: {exc}") from None


def _env_size(name: str, default: int) -> int:
    """A limit's default from AUDITOR_<NAME>; a bad value there is a usage error, like a bad flag."""
    try:
        return _size(_env(name, str(default)))
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"AUDITOR_{name}: {exc}") from None


def _add_limit_args(parser: argparse.ArgumentParser) -> None:
    """Limits against hostile images; hitting one is listed as not scanned (fatal only with --strict)."""
    default = Limits()
    parser.add_argument("--max-layer-bytes", type=_size, metavar="BYTES",
                        default=_env_size("MAX_LAYER_BYTES", default.max_layer_bytes),
                        help="uncompressed bytes read per layer; the rest is not scanned (default: %(default)s)")
    parser.add_argument("--max-entries", type=_size, metavar="N",
                        default=_env_size("MAX_ENTRIES", default.max_entries),
                        help="tar entries read per layer; the rest are not scanned (default: %(default)s)")
    parser.add_argument("--max-json-size", type=_size, metavar="BYTES",
                        default=_env_size("MAX_JSON_SIZE", default.max_json_bytes),
                        help="largest manifest, index or config document; a larger one is an error "
                        "(default: %(default)s)")
    parser.add_argument("--max-archive-bytes", type=_size, metavar="BYTES",
                        default=_env_size("MAX_ARCHIVE_BYTES", default.max_archive_bytes),
                        help="largest gzip-compressed archive once decompressed to the private temp dir; a "
                        "larger one is an error (default: %(default)s)")
    parser.add_argument("--strict", action="store_true", default=_env("STRICT", "") not in ("", "0", "false"),
                        help="exit 2 when anything was not scanned, limits included (default: only when a layer "
                        "could not be read)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audit",
        description="Audit a Docker/OCI image layer by layer, including files that later layers delete or "
        "overwrite. Subcommands: 'audit files REF' (inventory), 'audit rules' (list or check rules).",
    )
    _add_image_args(parser, many=True)
    parser.add_argument("--format", "-f", choices=sorted(FORMATS), default=_env("FORMAT", "text"))
    parser.add_argument("--show-secrets", action="store_true", help="print secret values unredacted")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings fail the gate")
    parser.add_argument("--fail-on", choices=[s.value for s in Severity], default=os.environ.get("AUDITOR_FAIL_ON"),
                        help="lowest severity that fails (default: the config's, else low; info never fails)")
    parser.add_argument("--fail-on-status", choices=GATE_STATUSES, default=os.environ.get("AUDITOR_FAIL_ON_STATUS"),
                        help="gate only on findings hidden by a later layer (what squashing would remove), "
                        "only on visible ones (files in the final filesystem and metadata), or on any (default)")
    parser.add_argument("--baseline", metavar="FILE", help=f"only findings not in this baseline count "
                        f"(default: {BASELINE_NAME} beside the config, when present)")
    parser.add_argument("--no-baseline", action="store_true", help="ignore any baseline file")
    parser.add_argument("--write-baseline", metavar="FILE", help="record the current findings as the baseline")
    parser.add_argument("--dockerfile", metavar="PATH",
                        help="the Dockerfile that built the image: SARIF results point at its instructions' lines")
    parser.add_argument("--skip-base", metavar="IMAGE",
                        help="do not report layers shared with this base image (any REF form)")
    _add_rule_args(parser)
    parser.add_argument("--no-cache", action="store_true",
                        help="do not use the layer cache ($XDG_CACHE_HOME/layer-auditor)")
    parser.add_argument("--max-file-size", type=_size, metavar="BYTES",
                        default=_env_size("MAX_FILE_SIZE", Limits().max_file_bytes),
                        help="largest text file whose content is scanned (default: %(default)s)")
    parser.add_argument("--jobs", "-j", type=_positive, default=_env("JOBS", None), metavar="N",
                        help="processes scanning file contents (default: every core this process may use)")
    parser.add_argument("--version", action="version", version=f"layer-auditor {__version__}")
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def _add_rule_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", action="append", default=[], metavar="PATH",
                        help="an extra rule pack file or directory (repeatable)")
    parser.add_argument("--config", metavar="FILE", default=os.environ.get("AUDITOR_CONFIG"),
                        help=f"configuration file (default: {CONFIG_NAME} here or at the git root)")
    parser.add_argument("--no-config", action="store_true", help="ignore any configuration file")


def _files_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="audit files", description="List every entry each layer adds, with its fate.")
    _add_image_args(parser)
    parser.add_argument("--format", "-f", choices=["text", "json"], default=_env("FORMAT", "text"))
    return parser


def _dockerfile_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audit dockerfile",
        description="Check Dockerfiles for data a layer keeps after a later instruction hides it, secrets in "
        "ARG/ENV, package caches, downloads, and build-context files .dockerignore lets through.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="Dockerfile(s) or Containerfile(s)")
    parser.add_argument("--context", metavar="DIR", help="build context (default: each Dockerfile's directory)")
    parser.add_argument("--target", metavar="STAGE", help="the stage that is built (default: the last)")
    parser.add_argument("--format", "-f", choices=["text", "json"], default=_env("FORMAT", "text"))
    parser.add_argument("--output", "-o", metavar="FILE")
    parser.add_argument("--show-secrets", action="store_true")
    parser.add_argument("--exit-zero", action="store_true")
    parser.add_argument("--fail-on", choices=[s.value for s in Severity], default=os.environ.get("AUDITOR_FAIL_ON"))
    _add_rule_args(parser)
    return parser


def _run_dockerfile(args: argparse.Namespace) -> int:
    from auditor.dockerfile.checks import DockerfileAuditor
    from auditor.dockerfile.report import render_json, render_text

    config = _config(args)
    auditor = DockerfileAuditor(_effective_rules(args, config), context_dir=args.context, target=args.target)
    findings = []
    with auditor.scanner.secrets.session():
        for path in args.paths:
            findings.extend(f for f in auditor.audit(path) if not _allowed(config, f))
    render = render_json if args.format == "json" else render_text
    _write(render(findings, list(args.paths), args.show_secrets), args.output)
    fail_on = Severity(args.fail_on or (config.fail_on.value if config.fail_on else "low"))
    if args.exit_zero:
        return 0
    return 1 if any(f.severity.rank >= fail_on.rank for f in findings) else 0


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


def _rules_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="audit rules", description="List the effective rules, or check a rule file.")
    parser.add_argument("--format", "-f", choices=["text", "json"], default="text")
    parser.add_argument("--check", metavar="FILE", action="append",
                        help="validate a rule pack or a configuration file (repeatable)")
    _add_rule_args(parser)
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
        localfile.write_text(output, text_out, lambda message: UsageError(f"--output {message}"))
    else:
        sys.stdout.write(text_out)
        sys.stdout.flush()


def _config(args: argparse.Namespace) -> Config:
    if args.no_config:
        return Config()
    path = args.config or find_config()
    if args.config and not os.path.isfile(args.config):
        raise UsageError(f"--config {args.config}: no such file")
    return load_config(path) if path else Config()


def _effective_rules(args: argparse.Namespace, config: Config) -> list[Rule]:
    return config.apply(load_rules([*default_pack_paths(), *config.rules, *args.rules]))


def _baseline(args: argparse.Namespace, config: Config) -> frozenset[str]:
    if args.no_baseline:
        return frozenset()
    path = args.baseline or config.baseline
    if path is None:
        beside = os.path.dirname(config.path) if config.path else os.getcwd()
        candidate = os.path.join(beside, BASELINE_NAME)
        path = candidate if os.path.isfile(candidate) and not args.write_baseline else None
    return baseline.read(path) if path else frozenset()


def _shared_layers(base_ref: str, image: Image, options: Options) -> tuple[int, dict[str, Any]]:
    """How many leading layers `image` shares with the base image, and the base's config."""
    with open_image(base_ref, options) as base:
        base_ids = [layer.diff_id or layer.digest for layer in base.layers]
        config = base.config
    shared = 0
    for layer, base_id in zip(image.layers, base_ids):
        if (layer.diff_id or layer.digest) != base_id:
            break
        shared += 1
    if shared < len(base_ids):
        image.warnings.append(
            f"--skip-base {base_ref}: the image shares only {shared} of the base's {len(base_ids)} layers"
        )
    return shared, config


def _trusted_cache(directory: str, quiet: bool) -> str | None:
    """`directory` when only the user can write it; else None (the audit runs without a cache) and a
    one-line warning, since entries another user could forge decide what is not read again."""
    reason = cache_untrusted(directory)
    if reason is None:
        return directory
    if not quiet:
        print(f"audit: warning: not using the cache {printable(directory)}: {printable(reason)}", file=sys.stderr)
    return None


def _run_audit(args: argparse.Namespace) -> int:
    config = _config(args)
    rules = _effective_rules(args, config)
    baseline_fingerprints = _baseline(args, config)
    options = _options(args)
    skip_base = args.skip_base or config.skip_base
    cache = None if args.no_cache else _trusted_cache(cache_dir(), args.quiet)
    reports = []
    for ref in args.ref:
        with open_image(ref, options) as image:
            skip, base_config = _shared_layers(skip_base, image, options) if skip_base else (0, None)
            settings = Settings(max_file_bytes=args.max_file_size, skip_layers=skip, base_config=base_config,
                                cache_dir=cache, cache_read=not args.show_secrets,
                                jobs=int(args.jobs or default_jobs()), inventory=False,
                                max_layer_bytes=args.max_layer_bytes, max_entries=args.max_entries,
                                deadline=options.deadline)
            report, _ = audit(image, rules, settings, progress=_progress(sys.stderr, args.quiet))
        if args.dockerfile:
            from auditor.dockerfile.mapping import history_lines

            report.dockerfile = os.path.relpath(args.dockerfile)
            report.history_lines = history_lines(args.dockerfile, image.config)
        reports.append(report)
    if args.write_baseline:
        count = baseline.write(args.write_baseline, [f for r in reports for f in r.findings])
        print(f"audit: wrote {count} finding(s) to {args.write_baseline}", file=sys.stderr)
    for report in reports:
        suppress(report, config, baseline_fingerprints)
    color = args.output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    _write(FORMATS[args.format](reports, args.show_secrets, color), args.output)
    if not args.quiet:
        for report in reports:
            for warning in report.image.warnings:
                print(f"audit: warning: {warning}", file=sys.stderr)
    gate = Gate(
        fail_on=Severity(args.fail_on or (config.fail_on.value if config.fail_on else "low")),
        status=args.fail_on_status or config.fail_on_status or "any",
    )
    return max(_exit_code(report, gate, args.exit_zero or bool(args.write_baseline), args.strict) for report in reports)


def _incomplete(report: Report, strict: bool) -> bool:
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


def _exit_code(report: Report, gate: Gate, exit_zero: bool, strict: bool = False) -> int:
    if _incomplete(report, strict):
        return 2
    if exit_zero:
        return 0
    return 1 if any(gate.fails(f) for f in report.findings) else 0


def _options(args: argparse.Namespace) -> Options:
    """Source options from the image arguments; the password, if any, is read from stdin here, and the
    deadline starts."""
    if args.password_stdin and not args.username:
        raise UsageError("--password-stdin needs --username")
    if args.username and not args.password_stdin:
        raise UsageError("--username needs --password-stdin (a password is never taken as an argument)")
    if args.registry_login and not args.username:
        raise UsageError("--registry-login needs --username and --password-stdin")
    if not args.timeout > 0:
        raise UsageError("--timeout must be a positive number of seconds")
    credentials = None
    if args.username:
        login_for = _login_registry(args)
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UsageError("--password-stdin: no password on standard input")
        credentials = Credentials(username=args.username, password=password, source="--username",
                                  registry=login_for)
    registry = RegistryOptions(credentials=credentials, ca_certs=tuple(args.ca_cert),
                               insecure=args.insecure_registry, timeout=args.timeout)
    return Options(platform=args.platform, image=args.image, pull=args.pull, registry=registry,
                   max_json_bytes=args.max_json_size, max_archive_bytes=args.max_archive_bytes,
                   deadline=Deadline.after(args.deadline))


def _login_registry(args: argparse.Namespace) -> str:
    """The auth key of the one registry the --username login is for: --registry-login's, else the first
    image's. Only the command line decides it; a configuration file cannot (its skip-base, say, gets only
    the Docker config's login for its own registry)."""
    if args.registry_login:
        try:
            return registry_reference.auth_key_of(args.registry_login)
        except AuditorError as exc:
            raise UsageError(f"--registry-login {exc}") from None
    first = args.ref[0] if isinstance(args.ref, list) else args.ref
    transport, location, _ = parse_reference(first)
    if transport != "docker":
        raise UsageError(f"--username: {first} is not an image in a registry; name the registry the login is "
                         "for with --registry-login HOST")
    return registry_reference.parse(location).auth_key


def _run_files(args: argparse.Namespace) -> int:
    options = _options(args)
    settings = Settings(max_layer_bytes=args.max_layer_bytes, max_entries=args.max_entries, deadline=options.deadline)
    with open_image(args.ref, options) as image:
        report, entries = audit(image, [], settings, progress=_progress(sys.stderr, args.quiet))
    from auditor.formats import json_format, text

    render = json_format.render_files if args.format == "json" else text.render_files
    _write(render(entries), args.output)
    for n in report.not_scanned:  # the inventory itself has no room for them; never drop them silently
        where = (f"layer {n.layer}" if n.layer is not None else "image") + (f" {n.path}" if n.path else "")
        print(f"audit: not scanned: {printable(f'{where}: {n.reason}')}", file=sys.stderr)
    return 2 if _incomplete(report, args.strict) else 0


def _run_rules(args: argparse.Namespace) -> int:
    if args.check:
        for path in args.check:
            if os.path.isfile(path) and not is_pack(yamlfile.load(path)):
                checked = load_config(path)
                count = len(checked.apply(load_rules([*default_pack_paths(), *checked.rules])))
                print(f"{path}: configuration OK ({count} effective rules)")
            else:
                print(f"{path}: {len(load_rules([path]))} rule(s) OK")
        return 0
    rules = _effective_rules(args, _config(args))
    if args.format == "json":
        import json

        doc = {"rules": [
            {"id": r.id, "kind": r.kind, "severity": r.severity.value, "description": r.description,
             "remediation": r.remediation, "source": os.path.basename(r.source),
             "paths": list(r.paths), "exclude": list(r.exclude), "status": sorted({s.value for s in r.status}),
             "params": dict(r.params)}
            for r in rules
        ]}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        for r in rules:
            sys.stdout.write(f"{r.id}  [{r.kind}, {r.severity.value}]\n    why: {r.description}\n"
                             f"    fix: {' '.join(r.remediation.split())}\n")
        sys.stdout.write(f"{len(rules)} rule(s)\n")
    return 0


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl-C, so every temp file and worker is cleaned up."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _terminable() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into `Terminated` in this process while the command runs (a CI runner's
    cancel or a closed terminal must not leave a decompressed archive behind). Forked scan workers die
    of the signal as they would have without us."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def handler(signum: int, _frame: object) -> None:
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Terminated(signum)

    previous = {signum: signal.signal(signum, handler) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    with _terminable():
        return _main(argv)


def _main(argv: list[str]) -> int:
    try:
        if argv and argv[0] == "files":
            return _run_files(_files_parser().parse_args(argv[1:]))
        if argv and argv[0] == "dockerfile":
            return _run_dockerfile(_dockerfile_parser().parse_args(argv[1:]))
        if argv and argv[0] == "rules":
            return _run_rules(_rules_parser().parse_args(argv[1:]))
        return _run_audit(_parser().parse_args(argv))
    except AuditorError as exc:
        print(f"audit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("audit: interrupted", file=sys.stderr)
        return 130
    except Terminated as exc:
        print(f"audit: terminated ({signal.Signals(exc.signum).name})", file=sys.stderr)
        return 128 + exc.signum
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
