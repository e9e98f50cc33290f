"""Split a RUN instruction into simple commands (word lists), well enough to spot rm, curl, apt-get.

Not a shell: it tokenises with shlex (quotes honoured), splits at `&&`, `||`, `;`, `|`, `&` and newlines,
and drops leading `VAR=value` assignments and `sudo`/`command`/`exec` prefixes.
"""

from __future__ import annotations

import shlex

from auditor.dockerfile.parse import Instruction

SEPARATORS = {"&&", "||", ";", "|", "&", ";;", "(", ")", "{", "}"}
PREFIXES = {"sudo", "command", "exec", "nohup", "time", "env"}


def _tokens(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:  # unbalanced quotes: fall back to plain words
        return text.split()


def split(text: str) -> list[list[str]]:
    """Simple commands of a shell script, each a list of words."""
    commands: list[list[str]] = []
    current: list[str] = []
    for line in text.replace("\\\n", " ").split("\n"):
        for token in _tokens(line) + [";"]:
            if token in SEPARATORS or set(token) <= set(";&|()"):
                if current:
                    commands.append(_strip_prefixes(current))
                current = []
            else:
                current.append(token)
    return [c for c in commands if c]


def _strip_prefixes(words: list[str]) -> list[str]:
    i = 0
    while i < len(words) and ("=" in words[i] and not words[i].startswith("-") and words[i].split("=")[0].isidentifier()
                              or words[i] in PREFIXES):
        i += 1
    return words[i:]


def commands(instruction: Instruction) -> list[list[str]]:
    """The simple commands a RUN executes (JSON form, shell form and heredocs)."""
    if instruction.json:
        words = list(instruction.value)
        if len(words) >= 3 and words[0].endswith("sh") and words[1] == "-c":
            return split(words[2])
        return [words] if words else []
    script = " ".join(instruction.value)
    out = [] if script.lstrip().startswith("<<") else split(script)
    for body in instruction.heredocs:
        out.extend(split(body))
    return out
