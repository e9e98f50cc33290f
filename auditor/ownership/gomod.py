"""The Go module cache: `GOMODCACHE/cache/download/MODULE/@v/VERSION.ziphash` and `GOMODCACHE/MODULE@VERSION/`.

`go mod download` keeps each module's zip under cache/download, extracts it to MODULE@VERSION/ (both
case-encoded: "!b" for "B"), and writes the `.ziphash` ("h1:..." of the zip, checked against go.sum)
last. The .ziphash is our database file: it says that MODULE@VERSION/ is an extracted module. go.sum and
the ziphash are digests of the zip, not of the files, so nothing verifies a file in that directory:
`DirectoryOwner`, judged "packaged (unverified)". Go makes the directory read-only so that editing it
takes intent, which is why an unverified owner is still worth telling apart from a user's own files.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.ownership.interface import DirectoryOwner, Entry
from auditor.ownership.paths import join

MANAGER = "go"
DOWNLOAD = "/cache/download/"
VERSIONS = "/@v/"
SUFFIX = ".ziphash"
MAX_ZIPHASH = 1024  # "h1:" + 44 base64 characters


def parse_ziphash(path: str, data: bytes) -> Iterator[Entry]:
    """The extracted module directory a `.ziphash` file stands for."""
    cache, marker, rest = path.partition(DOWNLOAD)
    module, versions, file = rest.rpartition(VERSIONS)
    if (not marker or not versions or not module or "/" in file or not file.endswith(SUFFIX)
            or len(data) > MAX_ZIPHASH or not data.startswith(b"h1:")):
        return
    version = file.removesuffix(SUFFIX)
    directory = join(cache or "/", f"{module}@{version}")
    if directory is not None and version and ".." not in module.split("/"):
        yield DirectoryOwner(directory, f"{decode(module)}@{decode(version)}", MANAGER)


def decode(escaped: str) -> str:
    """Undo Go's case-encoding of module paths and versions: "!burnt!sushi" -> "BurntSushi"."""
    out: list[str] = []
    upper = False
    for char in escaped:
        if char == "!" and not upper:
            upper = True
            continue
        out.append(char.upper() if upper else char)
        upper = False
    return "".join(out)
