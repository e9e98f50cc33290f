"""Source options from the image arguments: platform, registry login and trust, limits, the deadline."""

from __future__ import annotations

import argparse
import sys

from auditor.deadline import Deadline
from auditor.errors import AuditorError, UsageError
from auditor.limits import DEFAULT_MAX_FILE_BYTES, Limits
from auditor.registry import reference as registry_reference
from auditor.registry.credentials import Credentials
from auditor.registry.settings import RegistryOptions
from auditor.sources import Options, parse_reference


def options(args: argparse.Namespace) -> Options:
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
                   limits=limits(args), deadline=Deadline.after(args.deadline))


def limits(args: argparse.Namespace) -> Limits:
    """Every limit of the run from the flags `commands.args.add_limit_args` adds (and --max-file-size, which
    only `audit` itself has: the others scan no file contents)."""
    return Limits(max_file_bytes=getattr(args, "max_file_size", DEFAULT_MAX_FILE_BYTES),
                  max_layer_bytes=args.max_layer_bytes, max_entries=args.max_entries,
                  max_json_bytes=args.max_json_size, max_archive_bytes=args.max_archive_bytes)


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
