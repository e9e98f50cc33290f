"""Which in-image paths are package databases, and the parser for each: one plain dict.

Patterns use `auditor.globs` syntax, anchored at the root: `*` stays within a segment, `/**/` spans any
number of them. When several patterns match a path, the first in this dict wins, so the more specific
come first. `is_database` runs for every tar entry of every layer, so the patterns are compiled once
into a single regex whose matching alternative names the parser: one `fullmatch`, no loop over patterns.
A regex with a dozen `/**/` alternatives costs ~10 us a path (it backtracks at every "/"), so a
`str.endswith`/`startswith` with the literal ends of the patterns, derived from the dict, turns away
nearly every path first (under 1 us).
"""

from __future__ import annotations

import re

from auditor.globs import translate
from auditor.ownership import apk, dpkg, gomod, maven, npm, pip, rpm
from auditor.ownership.interface import Parser

DATABASES: dict[str, Parser] = {
    "/var/lib/dpkg/status": dpkg.parse_status,
    "/var/lib/dpkg/info/*.md5sums": dpkg.parse_md5sums,
    "/var/lib/dpkg/status.d/*": dpkg.parse_status_d,  # distroless: PKG (a stanza) and PKG.md5sums
    "/lib/apk/db/installed": apk.parse_installed,
    "/var/lib/rpm/rpmdb.sqlite": rpm.parse_sqlite,
    "/usr/lib/sysimage/rpm/rpmdb.sqlite": rpm.parse_sqlite,  # Fedora 36+, openSUSE: /var/lib/rpm links here
    "/var/lib/rpm/Packages": rpm.parse_berkeley,
    "/var/lib/rpm/Packages.db": rpm.parse_berkeley,
    "/usr/lib/sysimage/rpm/Packages": rpm.parse_berkeley,
    "/usr/lib/sysimage/rpm/Packages.db": rpm.parse_berkeley,
    "/**/*.dist-info/RECORD": pip.parse_record,
    "/**/node_modules/*/package.json": npm.parse_package_json,
    "/**/node_modules/@*/*/package.json": npm.parse_package_json,
    "/**/.m2/repository/**/*.sha1": maven.parse_sha1,
    "/**/pkg/mod/cache/download/**/@v/*.ziphash": gomod.parse_ziphash,
}

_PARSERS = list(DATABASES.values())


def _literal_ends(globs: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(suffixes, prefixes): each glob's text after its last wildcard, or before its first when it ends
    in one. A path that matches a glob ends with its suffix (or starts with its prefix)."""
    suffixes: list[str] = []
    prefixes: list[str] = []
    for glob in globs:
        last = max(glob.rfind(char) for char in "*?]")
        if last + 1 < len(glob):
            suffixes.append(glob[last + 1:])
        else:
            prefixes.append(glob[:min(i for i in (glob.find(char) for char in "*?[") if i >= 0)])
    return tuple(suffixes), tuple(prefixes)


_SUFFIXES, _PREFIXES = _literal_ends(list(DATABASES))
_PATTERN = re.compile("|".join(f"(?P<p{index}>{translate(glob)})" for index, glob in enumerate(DATABASES)),
                      re.DOTALL)


def parser_for(path: str) -> Parser | None:
    """The parser for the database file at `path` (absolute, normalised), or None if it is not one."""
    if not path.endswith(_SUFFIXES) and not path.startswith(_PREFIXES):
        return None
    match = _PATTERN.fullmatch(path)
    if match is None or match.lastgroup is None:
        return None
    return _PARSERS[int(match.lastgroup[1:])]


def is_database(path: str) -> bool:
    """Whether the file at `path` (absolute, normalised) is a package database the ledger wants fed."""
    return parser_for(path) is not None
