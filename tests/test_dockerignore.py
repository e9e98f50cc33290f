""".dockerignore matching as Docker does it: the documented examples, Go's `filepath.Match` details, and
the same build context as the Docker SDK's matcher on many generated pattern lists."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.dockerignore import Matcher, clean

TREE = [
    "Dockerfile", ".dockerignore", "README.md", "README-secret.md", "notes.md", "main.go", "temp", "tempa",
    "a/temp.txt", "a/b/temp.txt", "a/b/c/deep.go", "a/keep.md", "b/x.go", "b/tempb/inner.txt",
    "node_modules/pkg/index.js", "node_modules/pkg/keep.txt", ".git/config", "src/app.py", "src/app.pyc",
    "src/sub/app.pyc", "src/sub/data.txt",
]


def _make(root, names):
    for rel in names:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)
    return str(root)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return _make(tmp_path_factory.mktemp("context"), TREE)


@pytest.fixture(scope="module")
def lower_tree(tmp_path_factory):
    """The tree without upper-case names, on which the SDK's case folding makes no difference."""
    return _make(tmp_path_factory.mktemp("lower"), [rel for rel in TREE if rel == rel.lower()])


def _files(matcher, root):
    return {rel for rel in matcher.walk(root) if os.path.isfile(os.path.join(root, rel))}


@pytest.mark.parametrize(("lines", "path", "excluded"), [
    # the examples of https://docs.docker.com/build/concepts/context/#dockerignore-files
    (["*/temp*"], "a/temp.txt", True),
    (["*/temp*"], "a/b/temp.txt", False),
    (["*/temp*"], "b/tempb/inner.txt", True),  # its parent directory b/tempb matches
    (["*/*/temp*"], "a/b/temp.txt", True),
    (["temp?"], "tempa", True),
    (["temp?"], "temp", False),
    (["**/*.go"], "main.go", True),
    (["**/*.go"], "a/b/c/deep.go", True),
    (["*.md", "!README*.md", "README-secret.md"], "README.md", False),
    (["*.md", "!README*.md", "README-secret.md"], "README-secret.md", True),
    (["*.md", "README-secret.md", "!README*.md"], "README-secret.md", False),
    (["."], "README.md", False),  # "for historical reasons, the pattern . is ignored"
    # cleaning: a leading slash, `.` and `..` elements, trailing slashes
    (["/src/app.py"], "src/app.py", True),
    (["src/./sub/../app.py"], "src/app.py", True),
    (["src/"], "src/app.py", True),
    (["src//sub///"], "src/sub/data.txt", True),
    # Go's filepath.Match: case-sensitive, classes, escapes; `*` and `?` never cross `/`
    (["readme.md"], "README.md", False),
    (["[A-Z]*.md"], "README.md", True),
    (["[!A-Z]*.md"], "README.md", True),  # Go reads `!` in a class as itself, not as a negation
    (["[!A-Z]*.md"], "!notes.md", True),
    (["[^A-Z]*.md"], "README.md", False),
    (["a[^x]b"], "a/b", False),
    (["[^A-Z]*.md"], "notes.md", True),
    (["\\*.md"], "notes.md", False),
    (["\\*.md"], "*.md", True),
    (["src*"], "src/app.py", True),
    (["s?c/app.py"], "src/app.py", True),
    (["*"], "src/sub/data.txt", True),
    (["[a-"], "a", False),  # a malformed class matches nothing
    # `**` at either end or in the middle
    (["src/**"], "src/sub/data.txt", True),
    (["src/**/*.pyc"], "src/app.pyc", True),
    (["src/**/*.pyc"], "src/sub/app.pyc", True),
    (["**"], "anything/at/all", True),
    # exceptions inside an excluded directory
    (["node_modules", "!node_modules/pkg/keep.txt"], "node_modules/pkg/keep.txt", False),
    (["node_modules", "!node_modules/pkg/keep.txt"], "node_modules/pkg/index.js", True),
    (["!README.md"], "README.md", False),
])
def test_a_path_is_excluded_by_the_last_pattern_matching_it_or_a_parent(lines, path, excluded):
    assert Matcher(lines).excluded(path) is excluded


@pytest.mark.parametrize(("pattern", "cleaned"), [
    ("a/./b", "a/b"), ("a/../b", "b"), ("a/b/..", "a"), ("/../a", "a"), ("../a", "../a"), ("a//b/", "a/b"),
    ("/", "."), ("./", "."), ("/a", "a"),
])
def test_patterns_are_cleaned_like_go_filepath_clean(pattern, cleaned):
    assert clean(pattern) == cleaned


def test_an_exception_brings_back_a_file_under_an_excluded_directory(tree):
    files = _files(Matcher(["node_modules", "!node_modules/pkg/keep.txt"]), tree)
    assert "node_modules/pkg/keep.txt" in files
    assert "node_modules/pkg/index.js" not in files


def test_an_exception_not_written_below_an_excluded_directory_does_not_reopen_it(tree):
    """As in Docker's walks: `src` is not entered for `!**/*.txt`, though the pattern would match inside."""
    files = _files(Matcher(["src", "!**/*.txt"]), tree)
    assert "src/sub/data.txt" not in files
    assert "a/temp.txt" in files
    assert "src/sub/data.txt" in _files(Matcher(["src", "!src/sub/*.txt"]), tree)


def test_the_dockerignore_and_the_dockerfile_leave_the_context_when_excluded(tree):
    files = _files(Matcher(["*"]), tree)
    assert files == set()
    assert _files(Matcher([".dockerignore", "Dockerfile"]), tree).isdisjoint({".dockerignore", "Dockerfile"})


def test_a_walk_lists_directories_before_their_members_and_never_follows_links(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "d")
    listed = list(Matcher([]).walk(str(tmp_path)))
    assert sorted(listed) == ["d", "d/f", "link"]
    assert listed.index("d") < listed.index("d/f")


# --- the same context as the Docker SDK's matcher (docker.utils.build.PatternMatcher) ---------------

# Elements the SDK and Docker treat alike. The SDK lower-cases names and patterns (Docker is
# case-sensitive), resolves a leading `..` against nothing (Go's Clean keeps it), knows no `\\` escapes,
# reads `[^` literally and `[!` as a negation (Go: the other way round), and checks a pattern against
# parent directories only at the pattern's own depth, which its walk hides except inside a directory it
# enters for an exception when some pattern holds `**` (`**/a` then `!a/a` keeps `a/x`; Docker does not).
# Like Docker, it enters an excluded directory only for an exception written below it.
ELEMENT = st.sampled_from(["a", "b", "c", "src", "sub", "temp", "node_modules", "pkg", "*", "?", "t*", "*.txt",
                           "*.go", "*.md", "*.py?", "[ab]", "[a-c]", "readme*", "keep.txt", ".", "**"])
PATTERN = st.builds(
    lambda exception, lead, parts: ("!" if exception else "") + ("/" if lead else "") + "/".join(parts),
    st.booleans(), st.booleans(), st.lists(ELEMENT, min_size=1, max_size=4),
)


def _sdk_files(lines, root):
    from docker.utils.build import PatternMatcher

    matcher = PatternMatcher(lines)
    matcher.patterns.pop()  # the SDK's forced `!.dockerignore`: Docker has none
    return {rel for rel in matcher.walk(root) if os.path.isfile(os.path.join(root, rel))}


def _sdk_comparable(lines):
    """Whether the SDK gives Docker's answer for these patterns (see ELEMENT)."""
    return not (any(line.startswith("!") for line in lines) and any("**" in line for line in lines))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(PATTERN, max_size=5))
def test_the_context_is_the_docker_sdks_for_generated_patterns(lower_tree, lines):
    if not _sdk_comparable(lines):
        return
    assert _files(Matcher(lines), lower_tree) == _sdk_files(list(lines), lower_tree)
