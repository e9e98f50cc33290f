"""The image config's and history's findings (`audit._metadata_findings`): each says where it is, and an
ENV value that config.Env and its history line both show is one finding, in every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing import imagekit as kit
from testing.imagekit import Dir, File, History, ImageSpec
from testing.tokens import github_token

TOKEN = github_token()


def _image(tmp_path: Path, setter: str) -> str:
    """An image whose config.Env holds a GitHub token that the history line `setter` also shows."""
    spec = ImageSpec(
        layers=[[Dir("/etc"), File("/etc/os-release", b"ID=kit\n")], [Dir("/app"), File("/app/main.py", b"pass\n")]],
        history=["/bin/sh -c #(nop) ADD file:0123456789abcdef in / ", History(setter, empty_layer=True),
                 "/bin/sh -c #(nop) COPY file:aaaaaaaaaaaaaaaa in /app/main.py "],
        env=["PATH=/usr/bin:/bin", f"GITHUB_TOKEN={TOKEN}"],
    )
    path = tmp_path / "image.tar"
    kit.write_docker_archive(path, spec)
    return str(path)


def _findings(cli, ref: str) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    return [f for f in json.loads(cli(ref, "--format", "json", "--no-cache").out)["findings"] if f["layer"] is None]


def test_an_env_value_in_config_and_on_its_env_line_is_one_finding_naming_the_instruction(cli, tmp_path):
    ref = _image(tmp_path, f"/bin/sh -c #(nop)  ENV GITHUB_TOKEN={TOKEN}")
    found = _findings(cli, ref)
    content = [f for f in found if f["rule"] != "secret-in-env"]  # the token rules, not the ENV name rule
    assert content, found
    assert all(f["location"] == "history[1].created_by" for f in content), content
    for f in content:
        assert "in history: entry 1's ENV" in f["message"] and f["message"].endswith("; also in config.Env"), f
    # the rule that judges ENV names still reports config.Env, and says so
    names = [f for f in found if f["rule"] == "secret-in-env"]
    assert [f["location"] for f in names] == ["config.Env"]
    assert names[0]["message"].endswith("(in image config: Env)")


def test_an_env_value_also_echoed_by_a_run_line_stays_two_findings(cli, tmp_path):
    ref = _image(tmp_path, f"/bin/sh -c echo {TOKEN} > /dev/null")
    content = [f for f in _findings(cli, ref) if f["rule"] != "secret-in-env"]
    assert {f["location"] for f in content} == {"config.Env", "history[1].created_by"}
    assert not any("also in config.Env" in f["message"] for f in content)


def test_metadata_findings_never_say_file_content(cli, tmp_path):
    found = _findings(cli, _image(tmp_path, f"/bin/sh -c #(nop)  ENV GITHUB_TOKEN={TOKEN}"))
    assert found and not any("file content" in f["message"] for f in found)


@pytest.mark.parametrize("fmt", ["sarif", "junit", "github", "markdown", "text"])
def test_every_format_counts_the_merged_finding_once(cli, tmp_path, fmt):
    from testing import readers

    ref = _image(tmp_path, f"/bin/sh -c #(nop)  ENV GITHUB_TOKEN={TOKEN}")
    doc = json.loads(cli(ref, "--format", "json", "--no-cache").out)
    shown = readers.READERS[fmt](cli(ref, "--format", fmt, "--no-cache").out)
    assert doc["summary"]["findings"] == len(doc["findings"]) == len(shown)
