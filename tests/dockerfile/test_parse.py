"""Parsing: stages, WORKDIR, ARG/ENV scope and `$VAR` expansion, and which stages ship."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.dockerfile.parse import DockerfileError, expand, parse, shipping_stages


@pytest.mark.parametrize(("word", "expected"), [
    ("$A/x", "1/x"),
    ("${A}x", "1x"),
    ("${MISSING}/x", "${MISSING}/x"),        # unknown (an ARG without a default): left as written
    ("${MISSING:-/d}/x", "/d/x"),
    ("${EMPTY:-d}", "d"),
    ("${EMPTY-d}", ""),
    ("${A:+set}", "set"),
    ("${MISSING:+set}", ""),
    ("no vars", "no vars"),
])
def test_expand(word: str, expected: str) -> None:
    assert expand(word, {"A": "1", "EMPTY": ""}) == expected


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    return str(path)


def test_stages_workdir_and_variables(tmp_path: Path) -> None:
    dockerfile = parse(write(tmp_path, """\
ARG BASE=alpine:3.19
ARG TOKEN=global
FROM ${BASE} AS build
ARG TOKEN
ENV APP=/srv/app HOME=/home/app
WORKDIR $APP
WORKDIR sub
RUN true
FROM build AS final
ENV APP=/opt
RUN true
FROM scratch
"""))
    build, final, last = dockerfile.stages
    assert (build.base, build.name, final.base, last.base) == ("alpine:3.19", "build", "build", "scratch")
    run = build.instructions[-1]
    assert run.workdir == "/srv/app/sub"
    assert dict(run.variables) == {"TOKEN": "global", "APP": "/srv/app", "HOME": "/home/app"}
    inherited = final.instructions[-1]
    assert inherited.workdir == "/srv/app/sub"                  # WORKDIR and ENV carry into FROM build
    assert dict(inherited.variables) == {"APP": "/opt", "HOME": "/home/app"}  # ARG TOKEN does not
    assert [s.index for s in shipping_stages(dockerfile)] == [2]
    assert [s.index for s in shipping_stages(dockerfile, "final")] == [0, 1]


def test_instruction_lines(tmp_path: Path) -> None:
    dockerfile = parse(write(tmp_path, "FROM a\n\nRUN echo a \\\n  b\nCOPY x /y\n"))
    run, copy = dockerfile.stages[0].instructions
    assert (run.line, run.end_line, copy.line) == (3, 4, 5)


@pytest.mark.parametrize(("text", "message"), [
    ("FROM a\nBOGUS x\n", ":2: unknown instruction: BOGUS"),
    ("ENV A=1\nFROM a\n", ":1: ENV before the first FROM"),
    ("ARG A=1\n", "no FROM instruction"),
])
def test_parse_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DockerfileError, match=message):
        parse(write(tmp_path, text))
