"""Which images a sweep covers: a registry's repositories (`/v2/_catalog`) and their tags
(`/v2/NAME/tags/list`), both followed through `Link` pagination, or the references of a file.

A registry without a catalog (most public ones), or "every image my cluster runs", comes as a file of
references, one a line (`--from-file`, `-` for stdin): blank lines and `#` comments are skipped, a
`docker://` prefix is allowed, and repeated references count once.
"""

from __future__ import annotations

import contextlib
import fnmatch
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from auditor.errors import SourceError, UsageError
from auditor.jsondoc import mapping
from auditor.registry import reference
from auditor.registry.client import RegistryClient
from auditor.registry.reference import RegistryRef
from auditor.registry.settings import RegistryOptions

PAGE = 1000  # entries asked for per page (a registry may send fewer, and a Link to the rest)
MAX_PAGES = 10_000


@dataclass(frozen=True)
class Tags:
    """Which tags of a repository: every one, `latest` only, or the `count` newest (by image creation
    time, known once resolved)."""

    which: str  # "all", "latest" or "newest"
    count: int = 0

    @classmethod
    def parse(cls, text: str) -> Tags:
        kind, _, number = text.partition(":")
        if text in ("all", "latest"):
            return cls(text)
        if kind == "newest" and number.isdigit() and int(number) > 0:
            return cls("newest", int(number))
        raise UsageError(f"--tags {text!r}: expected latest, all or newest:N")


def split_target(target: str) -> tuple[str, str]:
    """`REGISTRY[/PREFIX]` -> (registry, prefix); the registry as a reference names it (`HOST[:PORT]`)."""
    registry, _, prefix = target.removeprefix("docker://").partition("/")
    try:
        reference.auth_key_of(registry)
    except SourceError as exc:
        raise UsageError(f"sweep {target}: {exc}") from None
    return registry, prefix.strip("/")


def _pages(client: RegistryClient, path: str, key: str, what: str) -> Iterator[str]:
    """Every string in the `key` list of each page, from `path` on through the `Link` headers."""
    following: str | None = path
    for _ in range(MAX_PAGES):
        if following is None:
            return
        document, following = client.api_json(following, what)
        names = mapping(document).get(key) or []
        if not isinstance(names, list):
            raise SourceError(f"{what}: no {key!r} list")
        yield from (name for name in names if isinstance(name, str))
    raise SourceError(f"{what}: more than {MAX_PAGES} pages")


def repositories(registry: str, prefix: str, pattern: str | None, options: RegistryOptions,
                 max_json_bytes: int) -> list[str]:
    """The registry's repositories under `prefix/` (all with no prefix) that match the glob `pattern`."""
    client = RegistryClient(RegistryRef(registry, ""), options, max_json_bytes=max_json_bytes)
    with contextlib.closing(client):
        names = list(_pages(client, f"/v2/_catalog?n={PAGE}", "repositories", f"{registry} catalog"))
    chosen = [name for name in names if not prefix or name == prefix or name.startswith(prefix + "/")]
    return sorted(name for name in chosen if pattern is None or fnmatch.fnmatchcase(name, pattern))


def tags(client: RegistryClient, wanted: Tags) -> list[str]:
    """The tags of the client's repository that `wanted` may keep (newest:N is decided once resolved)."""
    listed = sorted(set(_pages(client, f"/v2/{client.ref.repository}/tags/list?n={PAGE}", "tags",
                               f"{client.ref.registry}/{client.ref.repository} tags")))
    if wanted.which == "latest":
        return [tag for tag in listed if tag == "latest"]
    return listed


def from_file(path: str) -> list[RegistryRef]:
    """The references listed in `path` (`-`: stdin), in order, each once."""
    try:
        if path == "-":
            lines = sys.stdin.read().splitlines()
        else:
            with open(path, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--from-file {path}: {exc.strerror if isinstance(exc, OSError) else exc}") from None
    refs: dict[str, RegistryRef] = {}
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            ref = reference.parse(text.removeprefix("docker://"))
        except SourceError as exc:
            raise UsageError(f"--from-file {path}:{number}: {exc}") from None
        refs.setdefault(str(ref), ref)
    return list(refs.values())
