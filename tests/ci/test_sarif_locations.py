"""SARIF for code scanning with `--dockerfile`: every finding points at the Dockerfile line that made its
layer (a base image's layers at its FROM), the Dockerfile named relative to the repository root so code
scanning can open it, and the in-image path kept in the message and the logical location.

The history-to-line mapping is table-tested; the CLI runs on an image built in memory; one test builds a
real image with the engine (FROM scratch plus a static busybox, a planted file COPYed in).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from typing import Any

import pytest

from auditor.provenance import history_lines
from testing import imagekit as kit
from testing.imagekit import Dir, File, History, ImageSpec

DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG BASE=kit
FROM kit/base:1

COPY .env /app/.env
RUN echo built > /app/built
"""
FROM_LINE, COPY_LINE, RUN_LINE = 3, 5, 6
BASE_HISTORY = ["/bin/sh -c #(nop) ADD file:0123456789abcdef in / ", "/bin/sh -c #(nop)  CMD [\"sh\"]",
                "/bin/sh -c mkdir -p /etc/kit"]
HISTORY = [*BASE_HISTORY, "/bin/sh -c #(nop) COPY file:aaaaaaaaaaaaaaaa in /app/.env ",
           "/bin/sh -c echo built > /app/built"]


@pytest.mark.parametrize(("history", "expected"), [
    (HISTORY, {0: FROM_LINE, 1: FROM_LINE, 2: FROM_LINE, 3: COPY_LINE, 4: RUN_LINE}),
    (HISTORY[3:], {0: COPY_LINE, 1: RUN_LINE}),  # no base entries
    # the last entry fits no instruction: nothing can be said about any entry, the base's included
    ([*HISTORY, "/bin/sh -c #(nop)  LABEL x=1"], {}),
    # an entry in the middle fits none: the ones after it are mapped, the base is not guessed
    ([*BASE_HISTORY, "/bin/sh -c #(nop)  USER 1", HISTORY[4]], {4: RUN_LINE}),
])
def test_history_entries_map_to_their_instruction_and_the_base_to_its_from(tmp_path, history, expected):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    config = {"history": [{"created_by": entry} for entry in history]}
    assert history_lines(str(tmp_path / "Dockerfile"), config) == expected


def base_and_app(secret_line: str) -> ImageSpec:
    return ImageSpec(
        layers=[[Dir("/srv"), Dir("/srv/base"), File("/srv/base/.env", secret_line.encode())],
                [Dir("/app"), File("/app/.env", secret_line.encode())],
                [Dir("/app"), File("/app/built", b"built\n")]],
        history=[BASE_HISTORY[0], History(BASE_HISTORY[1], empty_layer=True), BASE_HISTORY[2], HISTORY[3],
                 HISTORY[4]],
    )


def test_sarif_points_each_finding_at_its_line_relative_to_the_repository_root(tmp_path, cli, monkeypatch):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)  # the repository root
    (repo / "services" / "app").mkdir(parents=True)
    (repo / "services" / "app" / "Dockerfile").write_text(DOCKERFILE)
    kit.write_docker_archive(tmp_path / "image.tar", base_and_app("DEBUG=0\n"))
    monkeypatch.chdir(repo / "services" / "app")  # the audit runs in a subdirectory
    result = cli(str(tmp_path / "image.tar"), "--no-config", "--format", "sarif", "--dockerfile", "Dockerfile")
    assert result.code == 1, result.err
    results = json.loads(result.out)["runs"][0]["results"]
    lines = {}
    for item in results:
        location = item["locations"][0]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": "services/app/Dockerfile"}, physical
        path = location["logicalLocations"][0]["fullyQualifiedName"]
        assert path in item["message"]["text"] and item["properties"]["path"] == path
        lines[path] = physical["region"]["startLine"]
    assert lines == {"/srv/base/.env": FROM_LINE, "/app/.env": COPY_LINE}


def test_without_a_repository_the_dockerfile_is_relative_to_the_current_directory(tmp_path, cli, monkeypatch):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    kit.write_docker_archive(tmp_path / "image.tar", base_and_app("DEBUG=0\n"))
    monkeypatch.chdir(tmp_path)
    if any((parent / ".git").exists() for parent in tmp_path.parents):
        pytest.skip("the temporary directory is inside a git repository")
    result = cli("image.tar", "--no-config", "--format", "sarif", "--dockerfile", "Dockerfile")
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads(result.out)["runs"][0]["results"]}
    assert uris == {"Dockerfile"}


# --- a real image ----------------------------------------------------------------------------------------


@pytest.mark.docker
def test_an_engine_built_image_points_at_the_copy_line(tmp_path, docker_client: Any, which):
    busybox = which("busybox", "apt-get install busybox-static")
    repo = tmp_path / "repo"
    context = repo / "app"
    context.mkdir(parents=True)
    (repo / ".git").mkdir()
    shutil.copy(busybox, context / "busybox")
    (context / "planted.env").write_text("DEBUG=0\n")
    dockerfile = ("FROM scratch\nCOPY busybox /bin/busybox\n\n# plant it\nCOPY planted.env /srv/.env\n"
                  "RUN [\"/bin/busybox\", \"true\"]\n")
    (context / "Dockerfile").write_text(dockerfile)
    tag = f"layer-auditor-test/sarif-lines:{os.getpid()}"
    docker_client.images.build(path=str(context), tag=tag, rm=True, forcerm=True, network_mode="none")
    try:
        proc = subprocess.run([sys.executable, "-m", "auditor", f"docker-daemon:{tag}", "--no-config", "--format",
                               "sarif", "--dockerfile", "app/Dockerfile"], cwd=repo, capture_output=True, text=True,
                              timeout=300, stdin=subprocess.DEVNULL,
                              env={k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_")})
    finally:
        with contextlib.suppress(Exception):
            docker_client.images.remove(tag, force=True)
    assert proc.returncode == 1, proc.stderr
    results = json.loads(proc.stdout)["runs"][0]["results"]
    planted = [r for r in results if r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "/srv/.env"]
    assert planted, results
    for item in planted:
        physical = item["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": "app/Dockerfile"}
        assert physical["region"] == {"startLine": 5}  # the COPY line
