"""Which content findings package ownership keeps out of a report, and the counts the summary gives instead.

The audit feeds every layer's package databases to a `Ledger` (`ledger_of`), asks it about each file
that has content findings (`judge`, with the digests computed for those files only) and marks those
findings with the file's standing (`mark`). `partition` then decides, apart from any rendering:

- UNMODIFIED package files: shipped to everyone (test keys, sample tokens, hashes in docs), never a
  secret planted in this image. Hidden, counted.
- PACKAGED_UNVERIFIED (node_modules, the Go module cache: directories a package manager wrote, with no
  per-file digests): hidden too, counted apart. This is where the bulk of package noise sits (4,775 info
  hits in the Debian nodejs/npm files of issue 15's images), and a user's own edits there are rare; the
  separate count keeps the choice visible and `--include-package-files` lists them.
- Package managers' own indexes and caches (apt lists, npm's `_cacache`, pip's http cache): third-party
  text whose directory already has one leftover finding. Hidden, counted, and the count is added to that
  directory's finding.
- MODIFIED package files, and files no package claims: reported as usual; a modified one says so.

With `include` (--include-package-files) nothing is hidden; every marked finding says its ownership.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from auditor.globs import FLAGS, globs_regex
from auditor.model import FileDigests, Finding, PackageCounts
from auditor.ownership.ledger import Ledger, Standing

INDEX = "package manager index"  # the ownership of a file in a package manager's own index or cache
INDEXES = (
    "/var/lib/apt/lists/**",
    "/var/cache/apt/**",
    "/**/.npm/_cacache/**",
    "/**/.cache/pip/http/**",
    "/**/.cache/pip/http-v2/**",
)
_INDEX = re.compile(globs_regex(INDEXES) or "(?!)", FLAGS)
_HIDDEN = (Standing.UNMODIFIED.value, Standing.PACKAGED_UNVERIFIED.value, INDEX)

Change = tuple[int, str, bytes | None]  # (layer, path, the database's bytes; None: the layer removes path)


def is_index(path: str) -> bool:
    """Whether `path` lies in a package manager's own index or cache (`INDEXES`)."""
    return _INDEX.fullmatch(path) is not None


def ledger_of(changes: Iterable[Change]) -> Ledger:
    """A ledger fed `changes` in order: base layer first, and within a layer in tar order."""
    ledger = Ledger()
    for layer, path, data in changes:
        if data is None:
            ledger.delete(layer, path)
        else:
            ledger.feed(layer, path, data)
    return ledger


def judge(ledger: Ledger, path: str, layer: int, digests: FileDigests | None,
          visible: bool) -> tuple[str | None, str | None]:
    """(ownership, package) of the file at `path` that `layer` adds: `INDEX` for a package manager's
    index, else the ledger's standing (None when no package claims it), and "NAME (MANAGER)"."""
    if is_index(path):
        return INDEX, None
    verdict = ledger.verdict(path, layer, digests.get if digests else _none, visible=visible)
    if verdict.standing is Standing.NOT_PACKAGED:
        return None, None
    return verdict.standing.value, f"{verdict.package} ({verdict.manager})"


def mark(finding: Finding, ownership: str | None, package: str | None) -> Finding:
    """`finding` with its file's ownership, said in the message too (every format shows that)."""
    if ownership is None:
        return finding
    said = f"{ownership}: {package}" if package else ownership
    return replace(finding, ownership=ownership, package=package, message=f"{finding.message} [{said}]")


def partition(findings: list[Finding], include: bool = False) -> tuple[list[Finding], PackageCounts]:
    """The findings a report shows, and the counts of those package ownership keeps out (see the module
    docstring). Hidden index findings are counted into the finding of their directory too."""
    shown: list[Finding] = []
    tallies: dict[str, tuple[int, set[tuple[int | None, str | None]]]] = {kind: (0, set()) for kind in _HIDDEN}
    indexed: list[Finding] = []
    for finding in findings:
        if finding.ownership not in _HIDDEN:
            shown.append(finding)
            continue
        count, files = tallies[finding.ownership]
        files.add((finding.layer, finding.path))
        tallies[finding.ownership] = (count + 1, files)
        if include:
            shown.append(finding)
        elif finding.ownership == INDEX:
            indexed.append(finding)
    unmodified, unverified, indexes = ((count, len(files)) for count, files in tallies.values())
    counts = PackageCounts(unmodified, unverified, indexes, shown=include)
    return (_count_into_directories(shown, indexed) if indexed else shown), counts


def _count_into_directories(shown: list[Finding], hidden: list[Finding]) -> list[Finding]:
    """`shown`, where the file finding of the nearest directory (same layer) holding hidden index findings
    says how many of them it holds."""
    folders = {(f.layer, f.path): position for position, f in enumerate(shown) if f.kind == "file" and f.path}
    counts: dict[int, int] = {}
    for finding in hidden:
        directory = finding.path or ""
        while directory not in ("", "/"):
            directory = directory.rpartition("/")[0]
            position = folders.get((finding.layer, directory))
            if position is not None:
                counts[position] = counts.get(position, 0) + 1
                break
    out = list(shown)
    for position, count in counts.items():
        folder = out[position]
        out[position] = replace(folder, message=f"{folder.message}; {count} content finding(s) in its files not shown "
                                "(package manager index: --include-package-files lists them)")
    return out


def _none(algorithm: str) -> str:
    return ""

