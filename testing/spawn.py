"""Run `python -m auditor` in a child process with stdout or stderr on a pseudo-terminal, as a user sees it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Spawned:
    code: int
    out: bytes
    err: bytes


def spawn(args: list[str], cwd: Path, tty: str | None = None, env: dict[str, str] | None = None) -> Spawned:
    """Run `python -m auditor ARGS` with stdout or stderr (`tty`) on a pseudo-terminal, the other a pipe."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("AUDITOR_") and k not in ("NO_COLOR", "FORCE_COLOR")}
    clean["XDG_CACHE_HOME"] = str(cwd / ".cache")  # never the user's own cache
    clean.update(env or {})
    master = slave = None
    if tty:
        master, slave = os.openpty()
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    if tty:
        streams[tty] = slave
    proc = subprocess.Popen([sys.executable, "-m", "auditor", *args, "--no-config"], cwd=cwd, env=clean,
                            stdin=subprocess.DEVNULL, **streams)  # type: ignore[call-overload]
    captured = bytearray()
    reader = None
    if master is not None:
        os.close(slave)  # type: ignore[arg-type]

        def drain() -> None:
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    return
                if not chunk:
                    return
                captured.extend(chunk)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
    out, err = proc.communicate(timeout=300)
    if reader is not None:
        reader.join(timeout=60)
        os.close(master)  # type: ignore[arg-type]
    if tty == "stdout":
        out = bytes(captured)
    elif tty == "stderr":
        err = bytes(captured)
    return Spawned(proc.returncode, out or b"", err or b"")
