"""The build context as Docker sends it: `.dockerignore` patterns, `!` exceptions, `**`, and COPY sources.

The expected exclusions in `IGNORE` were checked against the Docker CLI (28.2, classic builder) by building
`FROM scratch` + `COPY . /ctx/` for each pattern set and listing what arrived; the `docker`-marked test in
tests/integration/test_dockerfile_agreement.py repeats that check against the engine at hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.dockerfile.context import Context, read_dockerignore

FILES = [".env", "a/.env", "a/b/.env", "keys/id_rsa", "top.key", "keys/deploy.key", "src/app.py", "src/.env",
         ".git/HEAD", "README.md", "docs/x.md"]

# .dockerignore text -> the files of FILES it keeps out of the context
IGNORE = {
    "": [],
    ".env": [".env"],
    "/.env": [".env"],
    "# comment\n.env  \n\n": [".env"],
    "**/.env": [".env", "a/.env", "a/b/.env", "src/.env"],
    "*/.env": ["a/.env", "src/.env"],
    "a/**/.env": ["a/.env", "a/b/.env"],
    "*.key": ["top.key"],
    "**/*.key": ["top.key", "keys/deploy.key"],
    "a": ["a/.env", "a/b/.env"],
    ".git": [".git/HEAD"],
    ".*": [".env", ".git/HEAD"],
    "src/*.py": ["src/app.py"],
    "**/.env\n!a/b/.env": [".env", "a/.env", "src/.env"],
    "**/*.md\n!README.md": ["docs/x.md"],
    "*\n!src": [f for f in FILES if not f.startswith("src/")],
    "*\n!src/app.py": [f for f in FILES if f != "src/app.py"],
}


def make(root: Path, ignore: str | None, name: str = ".dockerignore") -> Context:
    for rel in FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x\n")
    (root / "Dockerfile").write_text("FROM scratch\nCOPY . /ctx/\n")
    if ignore is not None:
        (root / name).write_text(ignore)
    return Context(str(root))


@pytest.mark.parametrize(("ignore", "excluded"), list(IGNORE.items()), ids=[repr(k) for k in IGNORE])
def test_dockerignore(tmp_path: Path, ignore: str, excluded: list[str]) -> None:
    context = make(tmp_path, ignore or None)
    files = {item.rel for item in context.items if not item.is_dir} - {"Dockerfile", ".dockerignore"}
    assert sorted(set(FILES) - files) == sorted(excluded)


def test_dockerignore_can_exclude_itself(tmp_path: Path) -> None:
    """Docker drops .dockerignore (and the Dockerfile) from the context when the patterns exclude them."""
    context = make(tmp_path, "*\n!src\n")
    assert {item.rel for item in context.items if not item.is_dir} == {"src/app.py", "src/.env"}


def test_directories_are_listed_and_links_not_followed(tmp_path: Path) -> None:
    context = make(tmp_path, None)
    (tmp_path / "link").symlink_to("/etc")
    items = {item.rel: item.is_dir for item in context.items}
    assert items["keys"] is True and items[".git"] is True and items["link"] is False
    assert not any(rel.startswith("link/") for rel in items)


def test_dockerfile_specific_ignore_file_wins(tmp_path: Path) -> None:
    make(tmp_path, "README.md\n")
    (tmp_path / "Dockerfile.dockerignore").write_text(".env\n")
    assert read_dockerignore(str(tmp_path), "Dockerfile") == [".env"]
    assert read_dockerignore(str(tmp_path), "Other") == ["README.md"]


@pytest.mark.parametrize(("source", "expected"), [
    (".", None),
    ("src", ["src", "src/.env", "src/app.py"]),
    ("src/", ["src", "src/.env", "src/app.py"]),
    ("/src/app.py", ["src/app.py"]),
    ("*.key", ["top.key"]),                        # a wildcard does not cross `/`
    ("*/.env", ["a/.env", "src/.env"]),
    ("k*", ["keys", "keys/deploy.key", "keys/id_rsa"]),  # a matched directory brings its tree
    ("missing", []),
])
def test_copy_sources(tmp_path: Path, source: str, expected: list[str] | None) -> None:
    context = make(tmp_path, None)
    got = sorted(item.rel for item in context.expand(source))
    assert got == (sorted(item.rel for item in context.items) if expected is None else sorted(expected))
