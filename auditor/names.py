"""Tar entry names as the container engines read them: where in the image a name puts its entry.

A name is cleaned lexically, as Go's `filepath.Clean` does before Docker (`pkg/archive`, `UnpackLayer`)
and containerd (`archive/tar.go`, `applyNaive`) extract an entry: empty and "." parts are dropped, and
each ".." removes the part before it. So `tmp/../app/.env` is the file `/app/.env`, where both engines
write it, and it must be scanned there. A rooted name cannot climb out: `/../etc/shadow` is
`/etc/shadow` (Go's Clean drops a ".." at the root).

A relative name that still climbs above the root once cleaned (`../x`, `a/../../x`) is where the engines
part: Docker refuses the layer ("... is outside of ...", a breakout error) while containerd bounds the
path at the root (`fs.RootPath`) and writes the file at `/x`. Such a name is refused here (`clean`
returns None), and the caller must count that refusal as an incomplete audit, never as clean: an engine
would extract a file that was not checked. Hard-link targets are cleaned the same way.
"""

from __future__ import annotations


def clean(name: str) -> str | None:
    """The absolute in-image path a tar name (or hard-link target) puts its entry at; None when the
    cleaned name still climbs above the root (refused: see the module docstring).

    `tmp/../app/.env` -> `/app/.env`; `./a/../root/.ssh/id_rsa` -> `/root/.ssh/id_rsa`;
    `a/b/../../c` -> `/c`; `/../x` -> `/x`; `../x` and `a/../../x` -> None; `.` and `` -> `/`.
    """
    rooted = name.startswith("/")
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            elif not rooted:
                return None
            continue
        parts.append(part)
    return "/" + "/".join(parts)
