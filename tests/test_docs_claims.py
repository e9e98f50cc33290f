"""The README, docs/ and examples/ name no release or tag that does not exist: layer-auditor is installed
from its repository and pinned to a commit. A user who copies `pip install layer-auditor` or
`rev: v0.1.0` gets an error; a placeholder (OWNER, COMMIT_SHA) is visibly one."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"\bCOMMIT(?:_SHA)?\b|<[^>\n]*(?:sha|commit)[^>\n]*>|\$\(git -C .* rev-parse HEAD\)")
SHA = re.compile(r"[0-9a-f]{40}")
REV = re.compile(r"^\s*(?:-\s*)?rev:\s*(?P<rev>\S+)", re.MULTILINE)
PINNED = re.compile(r"layer-auditor(?:\.git)?@(?P<rev>[^\s\"'#]+)")  # git+https://…/layer-auditor@REV, uses: …@REV
PIP = re.compile(r"pip install (?P<args>[^\n`]*)")


def documents() -> list[Path]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return files + sorted(p for p in (ROOT / "examples").rglob("*") if p.suffix in (".md", ".yml", ".yaml", ".sh"))


def tags() -> set[str]:
    try:
        proc = subprocess.run(["git", "tag", "--list"], cwd=ROOT, capture_output=True, text=True, check=False)
    except OSError:
        return set()
    return set(proc.stdout.split()) if proc.returncode == 0 else set()


def problems(text: str, known_tags: set[str]) -> list[str]:
    """What in `text` names a layer-auditor release or tag that does not exist."""
    out = []
    for match in [*REV.finditer(text), *PINNED.finditer(text)]:
        rev = match["rev"].strip("\"'")
        if not (SHA.fullmatch(rev) or PLACEHOLDER.search(match.group(0) + text[match.end():match.end() + 40])
                or rev in known_tags):
            out.append(f"pinned to {rev!r}, which is neither a commit sha, a placeholder, nor a tag")
    for match in PIP.finditer(text):
        words = match["args"].split()
        if any(w.strip("\"'").startswith("layer-auditor") for w in words):
            out.append(f"`pip install {match['args'].strip()}` names a package-index release, and there is none")
    return out


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_documents_pin_commits_and_install_from_the_repository(path):
    assert problems(path.read_text(encoding="utf-8"), tags()) == []


def test_the_documents_do_show_how_to_install_and_pin():
    text = "\n".join(p.read_text(encoding="utf-8") for p in documents())
    assert 'pip install "git+https://github.com/OWNER/layer-auditor@COMMIT_SHA"' in text
    assert "pip install ." in text and len(REV.findall(text)) >= 3


@pytest.mark.parametrize(("text", "says"), [
    ("    rev: v0.1.0\n", "'v0.1.0'"),
    ("run: pip install layer-auditor\n", "package-index release"),
    ("pip install 'layer-auditor==0.1'\n", "package-index release"),
    ('pip install "git+https://github.com/acme/layer-auditor@v0.1.0"\n', "'v0.1.0'"),
    ("- uses: acme/layer-auditor@main\n", "'main'"),
])
def test_unreal_releases_and_tags_are_caught(text, says):
    found = problems(text, set())
    assert len(found) == 1 and says in found[0]


@pytest.mark.parametrize("text", [
    "    rev: 0123456789abcdef0123456789abcdef01234567\n",
    "    rev: COMMIT_SHA  # placeholder\n",
    "    rev: <40-hex commit sha>\n",
    "- uses: OWNER/layer-auditor@COMMIT\n",
    '    rev: $(git -C "$LA" rev-parse HEAD)\n',
    'pip install "git+https://github.com/OWNER/layer-auditor@COMMIT_SHA"\n',
    "pip install . && audit examples/leaky-app.tar\n",
    "- uses: actions/checkout@v4\n",
])
def test_commits_placeholders_and_other_projects_tags_pass(text):
    assert problems(text, set()) == []


def test_an_existing_tag_may_be_named():
    assert problems("    rev: v1.0.0\n", {"v1.0.0"}) == []
