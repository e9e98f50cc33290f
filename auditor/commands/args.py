"""Arguments several subcommands share: image references, registry access, limits, rules and config.

Every option defaults from an `AUDITOR_<NAME>` environment variable where one is named; a bad value there
is a usage error, like a bad flag.
"""

from __future__ import annotations

import argparse
import os

from auditor.config import CONFIG_NAME
from auditor.errors import UsageError
from auditor.limits import Limits
from auditor.model import Severity
from auditor.registry.settings import DEFAULT_TIMEOUT

_UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SECONDS = {"s": 1, "m": 60, "h": 3600}
SEVERITIES = [s.value for s in Severity]


def env(name: str, default: str) -> str:
    return os.environ.get(f"AUDITOR_{name}", default)


def size(text: str) -> int:
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


def human(count: int) -> str:
    """A byte count as `--help` shows it: 32 MiB, 16 GiB, 1500 bytes."""
    for unit, factor in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= factor and count % factor == 0:
            return f"{count // factor} {unit}"
    return f"{count} bytes"


def human_duration(seconds: float) -> str:
    """A duration as `--help` shows it: 30 min, 2 h, 90 s, 2.5 s."""
    for unit, factor in (("h", 3600), ("min", 60)):
        if seconds >= factor and seconds % factor == 0:
            return f"{int(seconds // factor)} {unit}"
    return f"{seconds:g} s"


def _seconds(text: str) -> str:
    """A number of seconds from the environment as `--help` shows it (a bad one is shown as it is; using it
    is the error)."""
    try:
        return human_duration(float(text))
    except ValueError:
        return text


def duration(text: str) -> float:
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


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def env_duration(name: str, default: str) -> float:
    """A duration's default from AUDITOR_<NAME>."""
    try:
        return duration(env(name, default))
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"AUDITOR_{name}: {exc}") from None


def env_size(name: str, default: int) -> int:
    """A limit's default from AUDITOR_<NAME>."""
    try:
        return size(env(name, str(default)))
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"AUDITOR_{name}: {exc}") from None


def add_image_args(parser: argparse.ArgumentParser, many: bool = False) -> None:
    parser.add_argument("ref", metavar="REF", nargs="+" if many else None,
                        help="image: NAME[:TAG], docker-daemon:NAME, docker-archive:PATH, oci:DIR[:TAG], "
                        "oci-archive:PATH[:TAG], docker://REGISTRY/REPO[:TAG|@DIGEST], podman://NAME, "
                        "containerd://NAMESPACE/NAME, or a path to an archive or "
                        "layout")
    parser.add_argument("--pull", action="store_true", help="pull the image into the local engine first")
    parser.add_argument("--platform", default=os.environ.get("AUDITOR_PLATFORM") or None, metavar="OS/ARCH",
                        help="os/arch[/variant] to pick from a multi-platform image; an image without it is an "
                        "error (default: this machine's platform if the image has it, else the image's only one)")
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
    timeout = env("TIMEOUT", str(DEFAULT_TIMEOUT))
    registry.add_argument("--timeout", type=float, default=timeout, metavar="SECONDS",
                          help="registry network timeout: to connect, and between bytes "
                          f"(default: {_seconds(timeout)})")
    deadline = env_duration("DEADLINE", "30m")
    parser.add_argument("--deadline", type=duration, metavar="DURATION", default=deadline,
                        help="end the whole audit with an error (exit 2, no report) if it is not done after "
                        f"DURATION: seconds, or a number with s, m or h (default: {human_duration(deadline)})")
    add_limit_args(parser)


def add_limit_args(parser: argparse.ArgumentParser) -> None:
    """Limits against hostile images; hitting one is listed as not scanned (fatal only with --strict)."""
    default = Limits()
    max_layer = env_size("MAX_LAYER_BYTES", default.max_layer_bytes)
    parser.add_argument("--max-layer-bytes", type=size, metavar="BYTES", default=max_layer,
                        help="uncompressed bytes read per layer; the rest is not scanned "
                        f"(default: {human(max_layer)})")
    max_entries = env_size("MAX_ENTRIES", default.max_entries)
    parser.add_argument("--max-entries", type=size, metavar="N", default=max_entries,
                        help=f"tar entries read per layer; the rest are not scanned (default: {max_entries:,})")
    max_json = env_size("MAX_JSON_SIZE", default.max_json_bytes)
    parser.add_argument("--max-json-size", type=size, metavar="BYTES", default=max_json,
                        help="largest manifest, index or config document; a larger one is an error "
                        f"(default: {human(max_json)})")
    max_archive = env_size("MAX_ARCHIVE_BYTES", default.max_archive_bytes)
    parser.add_argument("--max-archive-bytes", type=size, metavar="BYTES", default=max_archive,
                        help="largest gzip-compressed archive once decompressed to the private temp dir; a "
                        f"larger one is an error (default: {human(max_archive)})")
    parser.add_argument("--strict", action="store_true", default=env("STRICT", "") not in ("", "0", "false"),
                        help="exit 2 when anything was not scanned, limits included (default: only when a layer "
                        "could not be read)")


def add_rule_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", action="append", default=[], metavar="PATH",
                        help="an extra rule pack file or directory (repeatable)")
    parser.add_argument("--config", metavar="FILE", default=os.environ.get("AUDITOR_CONFIG"),
                        help=f"configuration file (default: {CONFIG_NAME} here or at the git root)")
    parser.add_argument("--no-config", action="store_true", help="ignore any configuration file")


def add_gate_args(parser: argparse.ArgumentParser) -> None:
    """How findings are shown and which fail the run."""
    parser.add_argument("--show-secrets", action="store_true", help="print secret values unredacted")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings fail the gate")
    parser.add_argument("--fail-on", choices=SEVERITIES, default=os.environ.get("AUDITOR_FAIL_ON"),
                        help="lowest severity that fails (default: the config's, else low; info never fails)")
