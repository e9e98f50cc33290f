"""Map an image's history entries back to the Dockerfile instructions that made them.

The shipping stages' instructions produce the last history entries, one each (the base image's come
first). Entries are paired from the end, by instruction keyword; an ARG that left no entry (BuildKit) is
skipped, and the pairing stops at the first entry that fits no instruction.
"""

from __future__ import annotations

from typing import Any

from auditor.dockerfile.parse import parse, shipping_stages

KEYWORDS = {"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "MAINTAINER",
            "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}


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
    history = config.get("history")
    if not isinstance(history, list):
        return {}
    instructions = [i for stage in shipping_stages(parse(path), target) for i in stage.instructions]
    mapping: dict[int, int] = {}
    h = len(history) - 1
    i = len(instructions) - 1
    while h >= 0 and i >= 0:
        entry = history[h]
        created_by = entry.get("created_by") if isinstance(entry, dict) else None
        kind = keyword(created_by) if isinstance(created_by, str) else None
        if kind == instructions[i].cmd:
            mapping[h] = instructions[i].line
            h -= 1
            i -= 1
        elif instructions[i].cmd in ("ARG", "ONBUILD"):
            i -= 1
        else:
            break
    return mapping
