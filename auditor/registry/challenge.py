"""`WWW-Authenticate` challenges (RFC 7235): the scheme and its parameters."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from auditor.errors import SourceError

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


def realm_url(realm: str, registry: str) -> SplitResult:
    """A Bearer challenge's token realm as a URL we may call: http or https, with a host and a valid port,
    and no user name or password in it. With userinfo, a realm such as `http://localhost:1@evil.example/`
    would have the plain-HTTP guard judge "localhost" while the request went to evil.example; so it is
    refused, and the guard is given `hostname` as the standard parser reads it. SourceError otherwise."""
    try:
        parsed = urlsplit(realm)
        parsed.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        parsed = None
    if parsed is None or parsed.scheme not in ("https", "http") or not _plain_host(parsed.hostname or ""):
        raise SourceError(f"{registry}: the auth challenge names no usable token realm")
    if "@" in parsed.netloc:
        raise SourceError(f"{registry}: the auth challenge's token realm carries a user name (user@host); refused")
    return parsed


def _plain_host(host: str) -> bool:
    """A DNS name or an IP address, nothing a resolver or another URL parser could read differently."""
    if re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?", host):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
