"""dpkg's records of installed files: `info/*.md5sums`, and the conffiles of `status`.

- `/var/lib/dpkg/info/PKG[:ARCH].md5sums`: one line per shipped file, `md5hex  path/relative/to/root`
  (md5sum(1) output). dpkg leaves conffiles out of these.
- `/var/lib/dpkg/status`: deb822 stanzas, one per package. `Conffiles:` continuation lines
  ` /etc/path md5hex [obsolete|remove-on-upgrade]` give the digest of each conffile as shipped; the
  literal `newconffile` (a conffile not yet installed) has no digest and is skipped.
- Distroless images have no `status`: `/var/lib/dpkg/status.d/PKG` holds one stanza and
  `/var/lib/dpkg/status.d/PKG.md5sums` its md5sums.

Why not python-debian: we read two fields of a format whose whole grammar we need is "blank lines end
a stanza, a leading space continues a field" (a dozen lines here). Its `Deb822` keeps every field of
every stanza (the 700 KB status file of a desktop system), and has no bounds for hostile input, which we
need anyway; a dependency would buy nothing.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from auditor.ownership.interface import Entry, Record, valid_digest
from auditor.ownership.lines import lines
from auditor.ownership.paths import join

MANAGER = "dpkg"
CONFFILE_FLAGS = ("obsolete", "remove-on-upgrade")  # words dpkg may append after a conffile's digest


def parse_md5sums(path: str, data: bytes) -> Iterator[Entry]:
    """Records from one package's md5sums file; the package is the file name less ".md5sums"."""
    package = posixpath.basename(path).removesuffix(".md5sums")
    for line in lines(data):
        digest, _, name = line.partition(" ")
        if name[:1] in (" ", "*"):  # md5sum writes "  " (text mode) or " *" (binary mode)
            name = name[1:]
        digest = digest.lower()
        target = join("/", name)
        if target is not None and valid_digest("md5", digest):
            yield Record(target, "md5", digest, package, MANAGER)


def parse_status(path: str, data: bytes) -> Iterator[Entry]:
    """Records for the conffiles of every package in a status file (or a status.d stanza file).

    Conffiles of a package that is "not-installed" are skipped: dpkg removed them. Those of a removed
    package that kept its configuration ("config-files") are still on disk as shipped, so they count.
    A stanza without `Status:` (distroless status.d) is taken as installed.
    """
    for fields in _stanzas(data):
        package = fields.get("package", "").strip()
        if not package or fields.get("status", "").split()[-1:] == ["not-installed"]:
            continue
        for line in fields.get("conffiles", "").split("\n"):
            words = line.strip().split(" ")
            while words and words[-1] in CONFFILE_FLAGS:
                words.pop()
            if len(words) < 2:
                continue
            digest = words[-1].lower()
            target = join("/", " ".join(words[:-1]))
            if target is not None and valid_digest("md5", digest):
                yield Record(target, "md5", digest, package, MANAGER)


def parse_status_d(path: str, data: bytes) -> Iterator[Entry]:
    """A distroless `status.d` entry: the package's md5sums, or its one-stanza status file."""
    if path.endswith(".md5sums"):
        return parse_md5sums(path, data)
    return parse_status(path, data)


def _stanzas(data: bytes) -> Iterator[dict[str, str]]:
    """The deb822 stanzas of `data` as {lowercased field name: value}, continuation lines joined by "\n".

    Only the fields we read are kept, so a huge status file costs one stanza's worth of memory; a
    field's lines are gathered in a list and joined once (repeated `+=` would copy a crafted
    million-line field a million times).
    """
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines(data):
        if not line.strip():
            if fields:
                yield {name: "\n".join(value) for name, value in fields.items()}
            fields, current = {}, None
        elif line[0] in " \t":
            if current is not None:
                current.append(line)
        else:
            name, colon, value = line.partition(":")
            name = name.strip().lower()
            current = None
            if colon and name in _WANTED:
                current = fields[name] = [value.strip()]
    if fields:
        yield {name: "\n".join(value) for name, value in fields.items()}


_WANTED = frozenset({"package", "status", "conffiles"})
