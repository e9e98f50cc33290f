"""The `audit` command's edge: pick the subcommand, run it, and turn every outcome into an exit code.

Exit codes: 0 nothing to report, 1 findings at or above --fail-on, 2 usage/config/source error or an
incomplete audit (a layer that could not be read; with --strict, anything not scanned, limits included),
3 crash, 130 interrupted (128 + the signal for SIGTERM and SIGHUP).
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import os
import shlex
import signal
import sys
import threading
from collections.abc import Iterator, Sequence

from auditor.commands import COMMANDS, DEFAULT
from auditor.errors import AuditorError


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


def entry() -> None:
    """The `audit` command itself (and `python -m auditor`): `main`, its output flushed, then out at once.
    Tearing the interpreter down after an audit (every module, the detect-secrets plugins, the Hyperscan
    databases) took 0.12 s after the bench image and changes nothing: by then every report is written,
    every temp directory removed and every worker gone. An error in `main` that escapes it (argparse's
    usage exit) leaves the usual way."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say there
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    with _terminable():
        return _main(argv)


def _main(argv: list[str]) -> int:
    hint = None
    try:
        if argv and argv[0] in COMMANDS:
            name, argv = COMMANDS[argv[0]][0], argv[1:]
        else:
            name, hint = DEFAULT, _did_you_mean(argv)
        command = importlib.import_module(f"auditor.commands.{name}")
        try:
            return int(command.run(command.parser().parse_args(argv)))
        except SystemExit as exc:  # argparse refused the arguments: after its usage line, the likely command
            if hint and exc.code == 2:
                print(f"audit: {hint}", file=sys.stderr)
            raise
    except AuditorError as exc:
        print(f"audit: error: {exc}{f'; {hint}' if hint else ''}", file=sys.stderr)
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


def _did_you_mean(argv: list[str]) -> str | None:
    """For a first argument that is close to a subcommand's name and names no file (`audit file x.tar`),
    the command the user most likely meant; it is shown only if the run then fails (an image of that name
    is audited as asked)."""
    if not argv or argv[0].startswith("-") or os.path.exists(argv[0]):
        return None
    match = difflib.get_close_matches(argv[0], COMMANDS, n=1, cutoff=0.75)
    return f"did you mean `audit {shlex.join([match[0], *argv[1:]])}`?" if match else None


if __name__ == "__main__":
    entry()
