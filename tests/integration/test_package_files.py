"""Package ownership on a real image built by the engine: a dpkg file shipped as is is hidden and counted,
the same file edited by a later layer is reported as a modified package file, and a secret planted in /app
is reported; a cached and a memoized second run give the same report.

The image is `FROM scratch` with a static busybox and a package installed the way dpkg leaves it: the
file, and its md5 in /var/lib/dpkg/info/PACKAGE.md5sums. The shipped config holds a live-format token, as
a package's sample configuration may: package content, not something the image's builders put there.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from testing.tokens import github_token
from tests.integration.conftest import SUBPROCESS_TIMEOUT, audit_command

SHIPPED = "/etc/app/app.conf"
PACKAGE = "app (dpkg)"
CONTENT = f"# sample configuration shipped by the package\ntoken = {github_token()}\n"
TOKEN = github_token()
DOCKERFILE = f"""FROM scratch
COPY busybox /bin/busybox
COPY rootfs/ /
RUN ["/bin/busybox", "sh", "-c", "echo '# edited locally' >> {SHIPPED}"]
COPY env /app/.env
"""


@pytest.fixture(scope="module")
def archive(docker_client: Any, which: Callable[..., str], tmp_path_factory: pytest.TempPathFactory) -> Any:
    work = tmp_path_factory.mktemp("package-files")
    context = work / "context"
    (context / "rootfs/etc/app").mkdir(parents=True)
    (context / "rootfs/var/lib/dpkg/info").mkdir(parents=True)
    shutil.copy(which("busybox", "apt-get install busybox-static"), context / "busybox")
    (context / "rootfs" / SHIPPED.lstrip("/")).write_text(CONTENT)
    digest = hashlib.md5(CONTENT.encode()).hexdigest()
    (context / "rootfs/var/lib/dpkg/info/app.md5sums").write_text(f"{digest}  {SHIPPED.lstrip('/')}\n")
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
    assert shipped and {f["layer"] for f in shipped} == {2}  # only the edited copy, from the RUN layer
    assert {(f["ownership"], f["package"]) for f in shipped} == {("package file, modified", PACKAGE)}
    assert all(f"[package file, modified: {PACKAGE}]" in f["message"] for f in shipped)
    planted = by_path(doc, "/app/.env")
    assert planted and all(f["ownership"] is None for f in planted)
    counts = doc["summary"]["package_files"]
    assert counts["unmodified"]["files"] >= 1 and counts["unmodified"]["findings"] >= len(shipped) - 1
    assert code == 1


def test_include_package_files_lists_the_shipped_copy(archive: Path) -> None:
    _, doc = audit(str(archive), "--include-package-files")
    owned = {f["ownership"] for f in by_path(doc, SHIPPED) if f["layer"] == 1}
    assert owned == {"package file, unmodified"}


def test_cached_and_memoized_runs_give_the_same_report(archive: Path, tmp_path: Path) -> None:
    _, fresh = audit(str(archive))
    _, first = audit(str(archive), cache=tmp_path)
    _, second = audit(str(archive), cache=tmp_path)
    assert second["summary"]["cached_layers"] == len(second["image"]["layers"])
    for doc in (first, second):
        assert doc["findings"] == fresh["findings"]
        assert doc["summary"]["package_files"] == fresh["summary"]["package_files"]
