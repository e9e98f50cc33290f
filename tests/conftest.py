"""Fixtures every test directory shares: the Docker engine, skopeo and other commands.

A test that needs one asks for its fixture (`docker_client`, `skopeo`, `which`) or carries its marker
(`docker`, `skopeo`, declared in pyproject.toml). When the tool is missing the test is skipped, except under
`CI=true`, where it fails: CI installs everything, so a skip there would hide a broken setup.

`slow` marks what the fast loop (`python -m pytest -m "not slow"`) leaves out: every test under
tests/integration/ and tests/hooks/ (real engines, registries, git and pre-commit), every test that needs
Docker or skopeo, and the few unit tests marked `@pytest.mark.slow` by hand (long property runs). The
whole suite (`python -m pytest`, what CI runs) still runs them all.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pytest

from auditor.cli import main
from testing.cli import Result

MARKERS = {
    "docker": "needs a Docker engine (fails instead of skipping when CI=true)",
    "skopeo": "needs skopeo",
}
FIXTURE_MARKERS = {"docker_client": "docker", "skopeo": "skopeo"}
SLOW_DIRS = ("integration", "hooks")  # directories under tests/ whose every test is slow
SLOW_MARKERS = ("docker", "skopeo")  # a test that needs these tools is slow wherever it lives
TESTS = Path(__file__).resolve().parent


def in_ci() -> bool:
    """Whether we run in CI, where missing tools are failures."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


def missing(reason: str) -> NoReturn:
    """Skip the current test for a missing tool, or fail it under CI=true."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: required, not skipped)", pytrace=False)
    pytest.skip(reason)


@functools.cache
def _docker_probe() -> tuple[Any, str | None]:
    """Connect to the engine once per run: (client, None) or (None, why not)."""
    host = os.environ.get("DOCKER_HOST") or "the default socket"
    try:
        import docker
    except ImportError:
        return None, "the docker SDK (Python package 'docker') is not installed"
    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no engine"
        text = str(exc).strip().splitlines()
        return None, f"no Docker engine at {host}: {text[0] if text else type(exc).__name__}"
    return client, None


def _skopeo_probe() -> tuple[str | None, str | None]:
    path = shutil.which("skopeo")
    return (path, None) if path else (None, "skopeo is not installed (not on PATH)")


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that uses `docker_client` or `skopeo` gets the matching marker, so `-m 'not docker'` works;
    tests in SLOW_DIRS and tests with a SLOW_MARKERS marker also get `slow`, so `-m 'not slow'` works."""
    for item in items:
        for fixture, marker in FIXTURE_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()) and item.get_closest_marker(marker) is None:
                item.add_marker(marker)
        if item.get_closest_marker("slow") is None and _is_slow(item):
            item.add_marker("slow")


def _is_slow(item: pytest.Item) -> bool:
    try:
        top = Path(item.path).resolve().relative_to(TESTS).parts[0]
    except (ValueError, IndexError):
        top = ""
    return top in SLOW_DIRS or any(item.get_closest_marker(m) is not None for m in SLOW_MARKERS)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A marked test needs its tool even when it does not use the fixture."""
    if item.get_closest_marker("docker") is not None:
        client, reason = _docker_probe()
        if client is None:
            missing(reason or "no Docker engine")
    if item.get_closest_marker("skopeo") is not None:
        path, reason = _skopeo_probe()
        if path is None:
            missing(reason or "no skopeo")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _docker_probe.cache_info().currsize:
        client, _ = _docker_probe()
        if client is not None:
            client.close()
        _docker_probe.cache_clear()


@pytest.fixture(scope="session")
def docker_client() -> Any:
    """A `docker.DockerClient` for the engine at DOCKER_HOST (skip, or fail under CI=true, without one)."""
    client, reason = _docker_probe()
    if client is None:
        missing(reason or "no Docker engine")
    return client


@pytest.fixture(scope="session")
def skopeo() -> str:
    """The path of the skopeo binary (skip, or fail under CI=true, without one)."""
    path, reason = _skopeo_probe()
    if path is None:
        missing(reason or "no skopeo")
    return path


def _which(name: str, hint: str = "") -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed (not on PATH){'; ' + hint if hint else ''}")
    return path


@pytest.fixture(scope="session")
def which() -> Callable[..., str]:
    """`which(NAME, HINT)`: the path of a command, or skip (fail under CI=true) naming HINT."""
    return _which


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets an empty layer cache of its own: none reads or fills the user's, or another test's
    (two tests may build layers with the same diff_id, one of them deliberately corrupt)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


# --- the CLI, in process ------------------------------------------------------------------------------


Run = Callable[..., Result]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path_factory: pytest.TempPathFactory) -> Run:
    """`cli("files", ref, "--format", "json")` runs `audit` and returns its exit code, stdout and stderr.

    It runs in an empty directory outside any git repository with no AUDITOR_* variables, so no
    configuration file or baseline of the checkout changes what the tests see.
    """
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    for name in [n for n in os.environ if n.startswith("AUDITOR_")]:
        monkeypatch.delenv(name)

    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


