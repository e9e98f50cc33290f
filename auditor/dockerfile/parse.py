"""Dockerfiles as stages of instructions, parsed by BuildKit's own parser (the `dockerfile` package).

Line continuations, heredocs, JSON and shell forms and the `# escape=` directive are the parser's job;
this module only groups instructions into stages and resolves paths against WORKDIR.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

import dockerfile as buildkit

from auditor.errors import AuditorError


class DockerfileError(AuditorError):
    """A Dockerfile could not be read or parsed."""


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


def parse(path: str) -> Dockerfile:
    try:
        commands = buildkit.parse_file(path)
    except FileNotFoundError:
        raise DockerfileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DockerfileError(f"{path}: cannot read ({exc})") from None
    except buildkit.GoParseError as exc:
        raise DockerfileError(f"{path}: {str(exc).strip()}") from None
    stages: list[Stage] = []
    global_args: dict[str, str | None] = {}
    workdir = "/"
    for command in commands:
        cmd = command.cmd.upper()
        if cmd == "FROM":
            words = list(command.value)
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            parent = next((s for s in stages if s.name and s.name.lower() == (words[0] if words else "").lower()), None)
            workdir = _stage_workdir(parent) if parent else "/"
            stages.append(Stage(index=len(stages), line=command.start_line, base=words[0] if words else "",
                                name=name, args_before=dict(global_args)))
            continue
        if cmd == "WORKDIR" and command.value:
            workdir = posixpath.normpath(posixpath.join(workdir, command.value[0]))
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
        )
        if not stages:
            if cmd == "ARG":
                for word in command.value:
                    key, sep, value = word.partition("=")
                    global_args[key] = value if sep else None
            continue
        stages[-1].instructions.append(instruction)
    if not stages:
        raise DockerfileError(f"{path}: no FROM instruction")
    return Dockerfile(path=path, stages=stages)


def _stage_workdir(stage: Stage) -> str:
    for instruction in reversed(stage.instructions):
        if instruction.cmd == "WORKDIR":
            return instruction.workdir
    return "/"


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
