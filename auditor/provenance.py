"""Where each finding of an image came from: layer → image-history entry → (with `--dockerfile`) the line
of the Dockerfile instruction. Worked out once per report before any format runs (`trace` when the report
is built, `map_dockerfile` for `--dockerfile`); formats only look it up (`report.provenance.of(finding)`).

A file finding comes from the history entry that made its layer. A metadata finding comes from the entry
it was found in (`history[N].created_by`), or else from the last ENV, LABEL, CMD or ENTRYPOINT entry that
holds its secret (the instruction that put it in the config).

The shipping stages' Dockerfile instructions produce the last history entries, one each (the base image's
come first). Entries are paired with instructions from the end, by instruction keyword; an ARG that left
no entry (BuildKit) is skipped, and the pairing stops at the first entry that fits no instruction. When
every instruction was paired, the entries left before them are the base image's: they map to the line of
the FROM that names it.

The Dockerfile is named relative to the root of the repository that holds it (the nearest directory
above it with a `.git`), else to the current directory: code scanning and annotations resolve paths
from the repository root, whatever directory the audit ran in.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from auditor.model import Finding, Image, Origin, Provenance, Report

KEYWORDS = {"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "MAINTAINER",
            "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}
CONFIG_KEYWORD = {"config.Env": "ENV", "config.Labels": "LABEL", "config.Cmd": "CMD",
                  "config.Entrypoint": "ENTRYPOINT"}


def trace(image: Image, findings: Iterable[Finding]) -> Provenance:
    """The history entry, instruction and layer behind each of `findings` (no Dockerfile lines)."""
    history = image.config.get("history")
    commands = [_created_by(entry) for entry in history] if isinstance(history, list) else None
    return Provenance({finding: _origin(finding, image, commands) for finding in findings})


def map_dockerfile(report: Report, path: str) -> Report:
    """`report` with each finding's origin given the line of the instruction in the Dockerfile at `path`
    (its last stage built) that made the finding's history entry."""
    from auditor.dockerfile.parse import repository

    root = repository(path)
    dockerfile = os.path.relpath(path, root if os.path.exists(os.path.join(root, ".git")) else os.getcwd())
    lines = history_lines(path, report.image.config)
    origins = {finding: replace(origin, line=lines.get(origin.history) if origin.history is not None else None)
               for finding, origin in report.provenance.origins.items()}
    return replace(report, provenance=Provenance(origins, dockerfile=dockerfile))


def _created_by(entry: Any) -> str | None:
    created_by = entry.get("created_by") if isinstance(entry, dict) else None
    return created_by if isinstance(created_by, str) else None


def _origin(finding: Finding, image: Image, commands: list[str | None] | None) -> Origin:
    if finding.layer is not None:
        layer = image.layers[finding.layer]
        return Origin(history=layer.history_index, instruction=layer.created_by, layer=layer.index)
    index = _holder(finding, commands)
    instruction = commands[index] if commands is not None and index is not None and 0 <= index < len(commands) \
        else None
    made = next((layer.index for layer in image.layers if index is not None and layer.history_index == index), None)
    return Origin(history=index, instruction=instruction, layer=made)


def _holder(finding: Finding, commands: list[str | None] | None) -> int | None:
    """The history entry a metadata finding was found in, or else the one whose instruction set it."""
    location = finding.location or ""
    if location.startswith("history["):
        try:
            return int(location[len("history["):].split("]", 1)[0])
        except ValueError:
            return None
    secret = finding.secret
    if not secret or len(secret) < 4 or commands is None:
        return None
    holding = [index for index, command in enumerate(commands) if command and secret in command]
    wanted = CONFIG_KEYWORD.get(location)
    same_kind = [index for index in holding if keyword(commands[index] or "") == wanted]
    if same_kind:
        return same_kind[-1]
    return holding[0] if holding else None


def keyword(created_by: str) -> str:
    """The instruction keyword a history `created_by` records (classic builder or BuildKit)."""
    text = created_by.strip()
    if "#(nop)" in text:
        words = text.split("#(nop)", 1)[1].split()
        return words[0].upper() if words and words[0].upper() in KEYWORDS else "RUN"
    first = text.split(" ", 1)[0].upper()
    if first in KEYWORDS:
        return first
    return "RUN"  # the classic builder records RUN as the bare command (`/bin/sh -c ...`, `|N ARG=... ...`)


def history_lines(path: str, config: dict[str, Any], target: str | None = None) -> dict[int, int]:
    """history index -> line of the Dockerfile instruction that produced it."""
    from auditor.dockerfile.parse import parse, shipping_stages  # BuildKit's parser: only with --dockerfile

    history = config.get("history")
    if not isinstance(history, list):
        return {}
    stages = shipping_stages(parse(path), target)
    instructions = [i for stage in stages for i in stage.instructions]
    mapping: dict[int, int] = {}
    h = len(history) - 1
    i = len(instructions) - 1
    while h >= 0 and i >= 0:
        created_by = _created_by(history[h])
        kind = keyword(created_by) if created_by is not None else None
        if kind == instructions[i].cmd:
            mapping[h] = instructions[i].line
            h -= 1
            i -= 1
        elif instructions[i].cmd in ("ARG", "ONBUILD"):
            i -= 1
        else:
            break
    if all(instruction.cmd in ("ARG", "ONBUILD") for instruction in instructions[: i + 1]):
        mapping.update(dict.fromkeys(range(h + 1), stages[0].line))  # the base image's entries: its FROM
    return mapping
