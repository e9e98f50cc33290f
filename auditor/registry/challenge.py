"""`WWW-Authenticate` challenges (RFC 7235): the scheme and its parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_.-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)')


@dataclass(frozen=True)
class Challenge:
    """One challenge: `scheme` lowercased ("basic", "bearer"), parameter names lowercased."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)


def parse(header: str) -> list[Challenge]:
    """Every challenge in a header value, e.g. `Bearer realm="https://auth",service="reg",scope="x"`."""
    challenges: list[Challenge] = []
    rest = header.strip()
    while rest:
        scheme_match = re.match(r"([A-Za-z][A-Za-z0-9_-]*)\s*", rest)
        if scheme_match is None:
            break
        scheme = scheme_match.group(1).lower()
        rest = rest[scheme_match.end():]
        params: dict[str, str] = {}
        while rest:
            param = _PARAM.match(rest)
            if param is None:
                break
            value = param.group(2) if param.group(2) is not None else param.group(3)
            params[param.group(1).lower()] = re.sub(r"\\(.)", r"\1", value)
            rest = rest[param.end():]
            if re.match(r"\s*[A-Za-z][A-Za-z0-9_-]*\s+[A-Za-z]", rest) or re.match(r"\s*[A-Za-z][\w-]*\s*$", rest):
                break  # the next challenge starts
        challenges.append(Challenge(scheme, params))
        rest = rest.lstrip(" ,")
    return challenges


def pick(challenges: list[Challenge]) -> Challenge | None:
    """The challenge to answer: Bearer over Basic, as the Docker CLI prefers."""
    for scheme in ("bearer", "basic"):
        for found in challenges:
            if found.scheme == scheme:
                return found
    return None
