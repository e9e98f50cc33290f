"""How fast the pre-commit hook (`audit dockerfile`) is on a small repository, against two floors.

Run by hand, never by the test suite: `python bench/hook_speed.py [-n 30] [--repo DIR]`. It builds a
small repository in a temp dir (a Dockerfile, a .dockerignore, a few clean context files) unless `--repo`
names one, then runs, interleaved so that load on the machine hits all of them alike:

- `python -c pass` (the interpreter's own start-up),
- `audit --version` (the CLI's start-up),
- `audit dockerfile Dockerfile`, warm: one untimed run first fills the user's cache,
- `audit dockerfile` (the hook as `.pre-commit-hooks.yaml` runs it: it finds the Dockerfiles itself),

and prints min and median wall time of each, their ratios to the floors, min and median CPU time (user +
system: less sensitive to other load than wall time), the number of modules the hook imports, and
/proc/loadavg before and after (the machine is shared: compare the quietest runs).

The commands run with bytecode caching on (PYTHONDONTWRITEBYTECODE removed from their environment), as
in the virtualenv pre-commit installs the package into: without .pyc files every run compiles every
module again, which is not what a user waits for.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

DOCKERFILE = """\
FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY app/ ./app/
ENV APP_MODE=production
USER 1000
CMD ["python", "-m", "app"]
"""
FILES = {
    "Dockerfile": DOCKERFILE,
    ".dockerignore": ".git\n**/__pycache__\n*.pyc\n.env\n!.env.example\n",
    "requirements.txt": "flask==3.0.0\n",
    "app/__init__.py": "",
    "app/__main__.py": "from app.web import run\n\nrun()\n",
    "app/web.py": "import flask\n\napp = flask.Flask(__name__)\n\n\ndef run():\n    app.run()\n",
    ".env.example": "APP_MODE=development\n",
    "README.md": "# a small service\n",
}


def small_repo(directory: str) -> str:
    """A git work tree (the hook lists its Dockerfiles with `git ls-files`), or a bare `.git` without git."""
    if subprocess.run(["git", "init", "-q", directory], check=False, capture_output=True).returncode != 0:
        os.makedirs(os.path.join(directory, ".git"), exist_ok=True)
    for name, text in FILES.items():
        path = os.path.join(directory, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    return directory


def audit_command() -> list[str]:
    beside = os.path.join(os.path.dirname(sys.executable), "audit")
    return [beside] if os.path.exists(beside) else [sys.executable, "-m", "auditor"]


ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of `command`."""
    cpu, start = _cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False,
                          env=ENV)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)}: exit {done.returncode}: {done.stderr.decode(errors='replace')}")
    return elapsed, _cpu() - cpu


def module_count(cwd: str) -> int:
    code = ("import sys; from auditor.cli import main\n"
            "try:\n    main(['dockerfile', 'Dockerfile'])\nexcept SystemExit:\n    pass\n"
            "print(len(sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=False,
                          env=ENV)
    return int(done.stderr.strip().splitlines()[-1])


def loadavg() -> str:
    try:
        with open("/proc/loadavg", encoding="ascii") as handle:
            return " ".join(handle.read().split()[:3])
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="runs of each command (default 30)")
    parser.add_argument("--repo", help="run in this repository instead of a generated one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = args.repo or small_repo(tmp)
        audit = audit_command()
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "audit --version": [*audit, "--version"],
            "audit dockerfile": [*audit, "dockerfile", "Dockerfile"],
            "hook (no PATH)": [*audit, "dockerfile"],  # as .pre-commit-hooks.yaml runs it: finds the Dockerfiles
        }
        timed(commands["audit dockerfile"], repo)  # warm the user's cache (and write the bytecode)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        load_before = loadavg()
        for _ in range(args.n):
            for name, command in commands.items():
                times[name].append(timed(command, repo))
        load_after = loadavg()
        modules = module_count(repo)
    print(f"load before {load_before}, after {load_after}; {args.n} runs each")
    wall = {name: statistics.median(w for w, _ in runs) for name, runs in times.items()}
    for name, runs in times.items():
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        print(f"{name:18} wall min {min(walls):.3f} s  median {wall[name]:.3f} s  "
              f"(x python {wall[name] / wall['python -c pass']:.1f}, x --version "
              f"{wall[name] / wall['audit --version']:.2f})  CPU min {min(cpus):.3f} s  median "
              f"{statistics.median(cpus):.3f} s")
    print(f"modules loaded by the hook: {modules}")


if __name__ == "__main__":
    main()
