"""Typos and wrong guesses get one line on stderr that points the right way (exit 2)."""

from __future__ import annotations

import datetime
import os
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.commands.common import image_line
from auditor.model import Image
from auditor.sources import hints
from testing import imagekit as kit
from testing.imagekit import File, ImageSpec


def one_error_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.code == 2, (result.out, result.err)
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("audit: error: "), lines
    return lines[0]


@pytest.fixture
def no_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    host = f"unix://{tmp_path}/no-such.sock"
    monkeypatch.setenv("DOCKER_HOST", host)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    return host


def test_a_first_argument_close_to_a_subcommand_suggests_it(cli, no_engine):
    line = one_error_line(cli("file", "x.tar"))
    assert line.endswith("did you mean `audit files x.tar`?")


def test_a_subcommand_typo_that_argparse_refuses_still_gets_the_suggestion(cli, capsys):
    with pytest.raises(SystemExit) as exited:
        cli("rule", "--check", "x.yaml")
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == "audit: did you mean `audit rules --check x.yaml`?"


def test_an_existing_file_named_like_a_subcommand_gets_no_suggestion(cli, tmp_path):
    kit.write_docker_archive(tmp_path / "file", ImageSpec(layers=[[File("/a", b"hello\n")]]))
    os.chdir(tmp_path)
    result = cli("file")
    assert result.code == 0 and "did you mean" not in result.err


@pytest.mark.parametrize("ref", ["examples/leaky.tar", "leaky.tar.gz", "build/app.oci", "./missing", "/no/such"])
def test_a_missing_path_is_no_such_file_not_an_engine_lookup(cli, no_engine, ref):
    line = one_error_line(cli(ref))
    assert f"{ref}: no such file or directory" in line and "Docker engine" not in line


def test_an_archive_name_can_still_name_an_engine_image():
    assert "docker-daemon:examples/leaky.tar" in (hints.missing_path("examples/leaky.tar") or "")
    assert hints.missing_path("library/alpine:3.19") is None and hints.missing_path("myorg/app") is None


@pytest.mark.parametrize("name", ["127.0.0.1:5000/app:1", "ghcr.io/org/app:1", "localhost/app"])
def test_an_image_named_by_its_registry_suggests_docker_transport(name):
    assert f"did you mean docker://{name}" in hints.not_in_engine(name)


def test_a_plain_image_name_missing_from_the_engine_suggests_pull():
    message = hints.not_in_engine("myapp:1")
    assert "--pull" in message and "docker://" not in message


def test_unreachable_engine_names_docker_host_and_the_engine_free_references(cli, no_engine):
    line = one_error_line(cli("myapp:1"))
    assert f"cannot reach a Docker engine at {no_engine} (DOCKER_HOST): No such file or directory" in line
    for alternative in ("docker-archive:", "oci:", "docker://"):
        assert alternative in line
    for noise in ("urllib3", "Connection aborted", "HTTPConnection", "fetching server API version"):
        assert noise not in line


def test_unreachable_engine_names_a_docker_context_it_does_not_follow(cli, no_engine, monkeypatch, tmp_path):
    monkeypatch.delenv("DOCKER_HOST")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    (tmp_path / "config.json").write_text('{"currentContext": "colima"}')
    message = hints.unreachable(FileNotFoundError(2, "No such file or directory"))
    assert "unix:///var/run/docker.sock (the default" in message and "docker context 'colima'" in message


def test_an_unwritable_output_is_refused_before_the_scan(cli, tmp_path, monkeypatch):
    image = tmp_path / "image.tar"
    kit.write_docker_archive(image, ImageSpec(layers=[[File("/a", b"hello\n")]]))
    opened = []
    monkeypatch.setattr("auditor.commands.audit.open_image", lambda *a, **k: opened.append(a))
    for command in ([], ["files"]):
        line = one_error_line(cli(*command, image, "--output", tmp_path / "no-such-dir" / "report.json"))
        assert "--output" in line and "No such file or directory" in line
    assert opened == [] and not (tmp_path / "no-such-dir").exists()


def test_a_writable_output_is_left_as_it_was_until_the_report(cli, tmp_path):
    image = tmp_path / "image.tar"
    kit.write_docker_archive(image, ImageSpec(layers=[[File("/a", b"hello\n")]]))
    report = tmp_path / "report.json"
    assert cli(image, "--format", "json", "--output", report).code == 0 and report.read_text().startswith("{")


def test_the_image_line_names_the_image_its_id_and_its_age():
    image = Image(reference="myapp:latest", digest="sha256:" + "0f3c" * 16,
                  config={"created": "2026-11-30T10:00:00.123456789Z"}, layers=[])
    now = datetime.datetime(2026, 12, 2, 10, 30, tzinfo=datetime.timezone.utc)
    expected = "myapp:latest: image sha256:0f3c0f3c0f3c, created 2026-11-30 10:00 UTC (2 days ago)"
    assert image_line(image, now) == expected
    assert image_line(replace(image, config={}), now) == "myapp:latest: image sha256:0f3c0f3c0f3c"


def test_each_audited_image_is_named_on_stderr_unless_quiet(cli, tmp_path):
    image = tmp_path / "image.tar"
    kit.write_docker_archive(image, ImageSpec(layers=[[File("/a", b"hello\n")]]))
    loud = cli(image, "--format", "json")
    assert f"audit: {image}: image sha256:" in loud.err and ", created " in loud.err
    assert loud.json()  # stdout stays the report alone
    assert "image sha256:" not in cli(image, "--quiet").err
