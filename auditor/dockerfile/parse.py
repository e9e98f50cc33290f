"""Dockerfiles as stages of instructions, parsed by BuildKit's own parser (the `dockerfile` package).

Line continuations, heredocs, JSON and shell forms and the `# escape=` directive are the parser's job;
this module groups instructions into stages, rejects instructions Docker does not know, resolves paths
against WORKDIR and records the ARG and ENV values in scope at each instruction (for `$VAR` expansion).
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field

import dockerfile as buildkit

from auditor import localfile
from auditor.errors import AuditorError
from auditor.redact import redact


class DockerfileError(AuditorError):
    """A Dockerfile could not be read or parsed."""


INSTRUCTIONS = frozenset({"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
                          "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"})
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def expand(word: str, variables: dict[str, str]) -> str:
    """`$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME:+alt}` as Docker expands them in COPY, ADD and
    WORKDIR. A variable with no known value (an ARG without a default) is left as written."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        value = variables.get(name)
        op, operand = match.group(2), match.group(3)
        if op in ("-", ":-"):
            return value if value is not None and (value or op == "-") else operand
        if op in ("+", ":+"):
            return operand if value is not None and (value or op == "+") else ""
        return value if value is not None else match.group(0)

    return _VAR.sub(one, word) if "$" in word else word


def unquote(value: str) -> str:
    """A value without one pair of surrounding quotes."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


@dataclass(frozen=True)
class Instruction:
    cmd: str  # upper case: RUN, COPY, ...
    line: int
    end_line: int
    flags: tuple[str, ...]
    value: tuple[str, ...]
    json: bool
    original: str
    heredocs: tuple[str, ...] = ()
    workdir: str = "/"
    variables: tuple[tuple[str, str], ...] = ()  # ARG and ENV values in scope (ENV wins)

    def expand(self, word: str) -> str:
        """`word` with the ARG/ENV variables in scope substituted."""
        return expand(word, dict(self.variables))

    def flag(self, name: str) -> str | None:
        """The value of `--name=value` (the last one given), or None."""
        found = None
        for flag in self.flags:
            key, _, value = flag.lstrip("-").partition("=")
            if key == name:
                found = value
        return found

    def flag_values(self, name: str) -> list[str]:
        return [f.split("=", 1)[1] for f in self.flags if f.lstrip("-").split("=", 1)[0] == name and "=" in f]


@dataclass
class Stage:
    index: int
    line: int
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)
    args_before: dict[str, str | None] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)  # ENV at the end of the stage (a FROM of it inherits)
    workdir: str = "/"  # WORKDIR at the end of the stage (likewise)


@dataclass
class Dockerfile:
    path: str
    stages: list[Stage]

    def stage(self, ref: str) -> Stage | None:
        """A stage by name or index, as `FROM x` and `COPY --from=x` refer to it."""
        for stage in self.stages:
            if stage.name is not None and stage.name.lower() == ref.lower():
                return stage
        if ref.isdigit() and int(ref) < len(self.stages):
            return self.stages[int(ref)]
        return None


_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,30}")


def quote(text: str) -> str:
    """Unparsed Dockerfile text for an error message: a word that could be an instruction or a flag name is
    shown; anything else (a URL with a login, a token: a Dockerfile may be a link to a credentials file)
    keeps at most its first four characters, like a finding's secret."""
    return " ".join(word if _WORD.fullmatch(word.lstrip("-")) else (redact(word, False) or "")
                    for word in text.split())


def repository(path: str) -> str:
    """The repository holding `path`: the nearest directory above it with a `.git`, else its own directory."""
    folder = os.path.dirname(os.path.abspath(path))
    probe = folder
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return folder
        probe = parent


def read(path: str) -> str:
    """A Dockerfile's text. A symlink is followed only to a file inside the same repository (a pull request
    may plant `Dockerfile -> ~/.docker/config.json`); only a regular file of bounded size is read."""
    if os.path.isdir(path):
        raise DockerfileError(f"{path}: is a directory, not a Dockerfile")
    if not os.path.lexists(path):
        raise DockerfileError(f"{path}: no such file")
    root = os.path.realpath(repository(path))
    real = os.path.realpath(path)
    if os.path.commonpath([root, real]) != root:
        raise DockerfileError(f"{path}: a symbolic link to a file outside the repository ({root}); not followed")
    data = localfile.read_bytes(path, localfile.MAX_TEXT_BYTES, DockerfileError)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DockerfileError(f"{path}: cannot read ({exc.reason} at byte {exc.start})") from None


def parse(path: str) -> Dockerfile:
    try:
        commands = buildkit.parse_string(read(path))
    except buildkit.GoParseError as exc:
        raise DockerfileError(f"{path}: {quote(str(exc).strip())}") from None
    stages: list[Stage] = []
    global_args: dict[str, str | None] = {}
    workdir = "/"
    args: dict[str, str] = {}
    env: dict[str, str] = {}
    for command in commands:
        cmd = command.cmd.upper()
        if cmd not in INSTRUCTIONS:
            raise DockerfileError(f"{path}:{command.start_line}: unknown instruction: {quote(command.cmd)}")
        if cmd == "FROM":
            known_globals = {k: v for k, v in global_args.items() if v is not None}
            words = [expand(w, known_globals) for w in command.value]
            if not words or not words[0]:
                raise DockerfileError(f"{path}:{command.start_line}: FROM requires an image or stage name")
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            parent = next((s for s in stages if s.name and s.name.lower() == words[0].lower()), None)
            workdir = parent.workdir if parent else "/"
            env = dict(parent.env) if parent else {}
            args = {}
            stages.append(Stage(index=len(stages), line=command.start_line, base=words[0],
                                name=name, args_before=dict(global_args), env=env, workdir=workdir))
            continue
        if not stages:
            if cmd != "ARG":
                raise DockerfileError(f"{path}:{command.start_line}: {cmd} before the first FROM "
                                      "(only ARG may come first)")
            for word in command.value:
                key, sep, value = word.partition("=")
                global_args[key] = expand(unquote(value), {k: v for k, v in global_args.items() if v is not None}) \
                    if sep else None
            continue
        variables = {**args, **env}
        if cmd == "WORKDIR" and command.value:
            workdir = posixpath.normpath(posixpath.join(workdir, expand(command.value[0], variables)))
            stages[-1].workdir = workdir
        elif cmd == "ARG":
            for word in command.value:
                key, sep, value = word.partition("=")
                if sep:
                    args[key] = expand(unquote(value), variables)
                elif global_args.get(key) is not None:
                    args[key] = global_args[key]  # type: ignore[assignment]
        elif cmd == "ENV":
            values = list(command.value)
            for i in range(0, len(values) - 1, 2):
                env[values[i]] = expand(unquote(values[i + 1]), variables)
        instruction = Instruction(
            cmd=cmd,
            line=command.start_line,
            end_line=command.end_line,
            flags=tuple(command.flags),
            value=tuple(command.value),
            json=command.json,
            original=command.original,
            heredocs=tuple(h.content for h in command.heredocs),
            workdir=workdir,
            variables=tuple(variables.items()),
        )
        stages[-1].instructions.append(instruction)
    if not stages:
        raise DockerfileError(f"{path}: no FROM instruction")
    return Dockerfile(path=path, stages=stages)


def shipping_stages(dockerfile: Dockerfile, target: str | None = None) -> list[Stage]:
    """The target stage (the last one by default) and the stages it is built FROM: their layers ship."""
    stage = dockerfile.stage(target) if target else dockerfile.stages[-1]
    if stage is None:
        raise DockerfileError(f"{dockerfile.path}: no stage named {target!r}")
    chain = [stage]
    while True:
        parent = dockerfile.stage(chain[-1].base) if chain[-1].base else None
        if parent is None or parent in chain or parent.index >= chain[-1].index:
            return list(reversed(chain))
        chain.append(parent)
