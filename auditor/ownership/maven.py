"""Maven's local repository: `.m2/repository/GROUP/PATH/ARTIFACT/VERSION/FILE.sha1`.

Maven stores next to each downloaded file the SHA-1 the remote repository published for it, and checks
it on download. That is a record of the sibling file's bytes as published: a jar or pom with a matching
SHA-1 is the artifact everyone downloads. The package is `group:artifact:version` from the layout; only
files named `ARTIFACT-VERSION...` (jars, poms, classifiers) are read, not the `maven-metadata*.xml`
files, whose layout carries no version.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.ownership.interface import Entry, Record, valid_digest

MANAGER = "maven"
REPOSITORY = "/.m2/repository/"
MAX_CHECKSUM_FILE = 4096  # "hex" or "hex  filename"


def parse_sha1(path: str, data: bytes) -> Iterator[Entry]:
    """The record a `.sha1` checksum file gives for its sibling."""
    _, marker, inside = path.partition(REPOSITORY)
    parts = inside.split("/")
    if not marker or len(parts) < 4 or len(data) > MAX_CHECKSUM_FILE or not path.endswith(".sha1"):
        return
    *group, artifact, version, name = parts
    if not name.startswith(f"{artifact}-{version}") or not group:
        return
    words = data.decode("ascii", "replace").split()
    digest = words[0].lower() if words else ""
    if valid_digest("sha1", digest):
        yield Record(path.removesuffix(".sha1"), "sha1", digest, f"{'.'.join(group)}:{artifact}:{version}", MANAGER)
