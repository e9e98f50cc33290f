"""The package's shape: every module imports, no import cycles, and the Dockerfile hook stays light."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import auditor

ROOT = Path(__file__).resolve().parent.parent
# What `audit dockerfile` (a pre-commit hook, run on every commit) must not load: the layer reader, the
# layer cache, the worker pool and the registry client belong to image audits.
NOT_FOR_DOCKERFILES = ("auditor.layers", "auditor.cache", "auditor.parallel", "auditor.audit",
                       "auditor.registry.client", "auditor.sources")


def _modgraph() -> ModuleType:
    spec = importlib.util.spec_from_file_location("modgraph", ROOT / "scripts" / "modgraph.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _all_modules() -> list[str]:
    return sorted(info.name for info in pkgutil.walk_packages(auditor.__path__, "auditor."))


@pytest.mark.parametrize("name", [n for n in _all_modules() if n != "auditor.__main__"])  # that one runs `audit`
def test_every_module_imports(name: str) -> None:
    importlib.import_module(name)


def test_the_module_graph_sees_every_module() -> None:
    assert set(_modgraph().graph()) == {"auditor", *_all_modules()}


def test_no_import_cycles() -> None:
    """Every import counts, deferred ones too (`scripts/modgraph.py` prints the graph)."""
    modgraph = _modgraph()
    assert modgraph.cycles(modgraph.graph()) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _modgraph().cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_the_secrets_check_imports_detect_secrets() -> None:
    """detect-secrets is wrapped in one module (`auditor.checks.secrets`); the rest asks it."""
    importers = set()
    for path in sorted((ROOT / "auditor").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(name == "detect_secrets" or name.startswith("detect_secrets.") for name in names):
                importers.add(path.relative_to(ROOT).as_posix())
    assert importers == {"auditor/checks/secrets.py"}


def test_dockerfile_command_does_not_load_image_machinery(tmp_path: Path) -> None:
    """Checked in a fresh interpreter after a real run over a small build context."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text('FROM alpine:3.19\nCOPY app.py /app/app.py\nENV MODE=prod\n'
                                         'RUN echo hi\nCMD ["python", "/app/app.py"]\n')
    (tmp_path / "app.py").write_text('print("hello")\n')
    script = ("import contextlib, io, json, sys\n"
              "from auditor import cli\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n"
              "    code = cli.main(['dockerfile', '--no-config', 'Dockerfile'])\n"
              "print(json.dumps([code, sorted(sys.modules)]))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_")}
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    code, loaded = json.loads(proc.stdout.splitlines()[-1])
    assert code == 0
    assert "auditor.dockerfile.checks" in loaded
    heavy = [m for m in loaded if any(m == name or m.startswith(name + ".") for name in NOT_FOR_DOCKERFILES)]
    assert heavy == []
