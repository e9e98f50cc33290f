"""Package ownership on a real Debian image built by the engine: a dpkg file shipped as is is hidden and
counted, the same file edited by a later layer is reported as a modified package file, and a secret planted
in /app is reported; a cached and a memoized second run give the same report.

The base is the bench's debootstrap'ed bookworm minbase (`debmin:bookworm`, bench/build_image.py), made
once and kept in the engine. Its /usr/sbin/pam-auth-update (package libpam-runtime) holds md5 constants
that the entropy detector reports: exactly the package noise of issue 15.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import SUBPROCESS_TIMEOUT, audit_command

BASE = "debmin:bookworm"
SHIPPED = "/usr/sbin/pam-auth-update"
TOKEN = "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"
DOCKERFILE = f"""FROM {BASE}
RUN echo '# edited locally' >> {SHIPPED}
COPY env /app/.env
"""


def _ensure_base(client: Any, tmp: Path) -> None:
    import docker.errors

    try:
        client.images.get(BASE)
        return
    except docker.errors.ImageNotFound:
        pass
    if os.geteuid() != 0:
        pytest.skip(f"{BASE} is missing and building it (debootstrap) needs root")
    spec = importlib.util.spec_from_file_location("build_image", Path(__file__).parents[2] / "bench" / "build_image.py")
    assert spec is not None and spec.loader is not None
    build_image = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_image)
    build_image.ensure_base(BASE, str(tmp / "rootfs"))


@pytest.fixture(scope="module")
def archive(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    work = tmp_path_factory.mktemp("package-files")
    _ensure_base(docker_client, work)
    context = work / "context"
    context.mkdir()
    (context / "Dockerfile").write_text(DOCKERFILE)
    (context / "env").write_text(f"GITHUB_TOKEN={TOKEN}\n")
    tag = f"layer-auditor-test/package-files:{os.getpid()}"
    image, _ = docker_client.images.build(path=str(context), tag=tag, rm=True, forcerm=True, network_mode="none")
    path = work / "image.tar"
    with path.open("wb") as out:
        for chunk in image.save(named=True):
            out.write(chunk)
    yield path
    docker_client.images.remove(tag, force=True)


def audit(*args: str, cache: Path | None = None) -> tuple[int, dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_")}
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    done = subprocess.run([*audit_command(), *args, "--format", "json", "-q", *([] if cache else ["--no-cache"])],
                          env=env, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def by_path(doc: dict[str, Any], path: str) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["path"] == path and f["kind"] == "secret"]


def test_shipped_package_file_hidden_edited_one_reported_planted_secret_found(archive: Path) -> None:
    code, doc = audit(str(archive))
    shipped = by_path(doc, SHIPPED)
    assert shipped and {f["layer"] for f in shipped} == {1}  # only the edited copy, from the RUN layer
    assert {(f["ownership"], f["package"]) for f in shipped} == {("package file, modified", "libpam-runtime (dpkg)")}
    assert all("[package file, modified: libpam-runtime (dpkg)]" in f["message"] for f in shipped)
    planted = by_path(doc, "/app/.env")
    assert planted and all(f["ownership"] is None for f in planted)
    counts = doc["summary"]["package_files"]
    assert counts["unmodified"]["files"] >= 1 and counts["unmodified"]["findings"] >= len(shipped) - 1
    assert code == 1


def test_include_package_files_lists_the_shipped_copy(archive: Path) -> None:
    _, doc = audit(str(archive), "--include-package-files")
    owned = {f["ownership"] for f in by_path(doc, SHIPPED) if f["layer"] == 0}
    assert owned == {"package file, unmodified"}


def test_cached_and_memoized_runs_give_the_same_report(archive: Path, tmp_path: Path) -> None:
    _, fresh = audit(str(archive))
    _, first = audit(str(archive), cache=tmp_path)
    _, second = audit(str(archive), cache=tmp_path)
    assert second["summary"]["cached_layers"] == len(second["image"]["layers"])
    for doc in (first, second):
        assert doc["findings"] == fresh["findings"]
        assert doc["summary"]["package_files"] == fresh["summary"]["package_files"]
