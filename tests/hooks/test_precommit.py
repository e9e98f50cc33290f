"""The pre-commit hooks of this repository, run by the real pre-commit (from PyPI) in throwaway git repositories.

pre-commit installs this package from a git repository, as a user's pre-commit would:

- `hooks_repo` is that repository: one commit of this checkout's work tree as it is on disk (tracked files
  with their uncommitted changes, as `pre-commit try-repo` takes them, plus new files git does not
  ignore), made once per session without touching the checkout's own index. In CI, a clean clone, it
  is exactly HEAD.
- `pre-commit try-repo` always installs the hook environment into a fresh temporary store (it ignores
  PRE_COMMIT_HOME), so only one test uses it; the others run `pre-commit run --config` with the very
  configuration try-repo writes, against one session-wide PRE_COMMIT_HOME, so the environment is built
  once.
- The README flow (`.pre-commit-config.yaml` from examples/, `pre-commit install`, `git commit`) uses this
  checkout at its committed HEAD, as a user's config pins a released revision.

Git runs with a private global config (identity, `safe.directory`) and no system config, and no
AUDITOR_*, GIT_* or PRE_COMMIT* variables leak in. The tests skip without git or pre-commit, and fail
under CI=true, where they must run.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from auditor.rules import default_pack_paths
from testing import imagekit as kit

ROOT = Path(__file__).resolve().parents[2]  # the checkout: tests/hooks/test_precommit.py -> ../..
HOOK = "audit-dockerfile"
TIMEOUT = 900

LEAKY = """\
FROM alpine:3.19
COPY id_rsa /root/.ssh/id_rsa
RUN apk add --no-cache git && git clone git@example.com:acme/app.git /app \\
    && rm /root/.ssh/id_rsa
"""

CLEAN_MULTISTAGE = """\
# syntax=docker/dockerfile:1
FROM golang:1.22 AS build
ARG NPM_TOKEN
WORKDIR /src
COPY go.mod main.go ./
COPY id_rsa /root/.ssh/id_rsa
RUN --mount=type=cache,target=/root/.cache/go-build go build -o /out/app . && rm /root/.ssh/id_rsa

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/app /app
USER nonroot
ENTRYPOINT ["/app"]
"""

CONTEXT_LEAK = """\
FROM python:3.12-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -r requirements.txt
CMD ["python", "app.py"]
"""

Which = Callable[..., str]


@dataclass(frozen=True)
class Proc:
    code: int
    out: str


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> Proc:
    proc = subprocess.run(argv, check=False, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT)
    return Proc(proc.returncode, proc.stdout)


def _ok(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    proc = _run(argv, cwd, env)
    if proc.code != 0:
        pytest.fail(f"{' '.join(argv)} failed ({proc.code}) in {cwd}:\n{proc.out}", pytrace=False)
    return proc.out


@pytest.fixture(scope="session")
def git(which: Which) -> str:
    return which("git", "apt-get install git")


@pytest.fixture(scope="session")
def pre_commit(which: Which) -> list[str]:
    """How to run pre-commit: this Python's `pre_commit` module, else a `pre-commit` on PATH."""
    if importlib.util.find_spec("pre_commit") is not None:
        return [sys.executable, "-m", "pre_commit"]
    return [which("pre-commit", "pip install 'pre-commit>=3' (it is in the `test` extra)")]


@pytest.fixture(scope="session")
def env(tmp_path_factory: pytest.TempPathFactory, git: str) -> dict[str, str]:
    """The environment for git and pre-commit: one PRE_COMMIT_HOME for the session, a private git config."""
    home = tmp_path_factory.mktemp("pre-commit")
    gitconfig = home / "gitconfig"
    gitconfig.write_text(textwrap.dedent("""\
        [user]
            name = layer-auditor tests
            email = tests@layer-auditor.invalid
        [init]
            defaultBranch = main
        [safe]
            directory = *
        [commit]
            gpgsign = false
        """))
    out = {k: v for k, v in os.environ.items() if not k.startswith(("AUDITOR_", "GIT_", "PRE_COMMIT"))}
    out.update(PRE_COMMIT_HOME=str(home / "store"), PRE_COMMIT_COLOR="never", GIT_CONFIG_GLOBAL=str(gitconfig),
               GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0",
               # the identity again, for a git older than 2.32 (no GIT_CONFIG_GLOBAL)
               GIT_AUTHOR_NAME="layer-auditor tests", GIT_AUTHOR_EMAIL="tests@layer-auditor.invalid",
               GIT_COMMITTER_NAME="layer-auditor tests", GIT_COMMITTER_EMAIL="tests@layer-auditor.invalid")
    return out


@pytest.fixture(scope="session")
def checkout(git: str, env: dict[str, str]) -> Path:
    """The repository root of this checkout; it must be a git work tree."""
    proc = _run([git, "rev-parse", "--show-toplevel"], ROOT, env)
    if proc.code != 0 or Path(proc.out.strip()).resolve() != ROOT:
        pytest.fail(f"{ROOT} is not the root of a git checkout, which pre-commit needs:\n{proc.out}", pytrace=False)
    return ROOT


@pytest.fixture(scope="session")
def hooks_repo(checkout: Path, git: str, env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
               ) -> tuple[str, str]:
    """(path, commit) of a repository holding this checkout's work tree as it is on disk."""
    dest = tmp_path_factory.mktemp("hooks-repo") / "layer-auditor"
    dest.mkdir()
    listing = _ok([git, "ls-files", "-z", "--cached", "--others", "--exclude-standard"], checkout, env)
    for rel in filter(None, listing.split("\0")):
        source = checkout / rel
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree
        if source.is_dir() and not source.is_symlink():
            continue  # a submodule
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    _ok([git, "init", "-q"], dest, env)
    _ok([git, "add", "-A"], dest, env)
    _ok([git, "commit", "-q", "--no-verify", "-m", "snapshot of the work tree"], dest, env)
    return str(dest), _ok([git, "rev-parse", "HEAD"], dest, env).strip()


class Project:
    """A throwaway git repository of a user's project."""

    def __init__(self, root: Path, git: str, pre_commit: list[str], env: dict[str, str]) -> None:
        self.root = root
        self.git = git
        self.pre_commit = pre_commit
        self.env = env
        _ok([git, "init", "-q"], root, env)

    def write(self, files: dict[str, str], add: bool = True) -> None:
        for rel, text in files.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        if add:
            _ok([self.git, "add", "--", *files], self.root, self.env)

    def pre_commit_run(self, *argv: str) -> Proc:
        return _run([*self.pre_commit, *argv], self.root, self.env)

    def run_hook(self, repo: tuple[str, str], hook: str = HOOK) -> Proc:
        """`pre-commit run HOOK --all-files` with the configuration `try-repo REPO HOOK --ref REV` writes."""
        config = self.root.parent / f"{self.root.name}-config.yaml"
        config.write_text(yaml.safe_dump({"repos": [{"repo": repo[0], "rev": repo[1], "hooks": [{"id": hook}]}]}))
        return self.pre_commit_run("run", hook, "--all-files", "--config", str(config))


@pytest.fixture
def project(tmp_path: Path, git: str, pre_commit: list[str], env: dict[str, str]) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    return Project(root, git, pre_commit, env)


# --- the manifest and the example configuration ------------------------------------------------------------------

def test_manifest_and_example_config_are_valid(pre_commit: list[str], env: dict[str, str], checkout: Path) -> None:
    _ok([*pre_commit, "validate-manifest", str(checkout / ".pre-commit-hooks.yaml")], checkout, env)
    _ok([*pre_commit, "validate-config", str(checkout / "examples" / "pre-commit-config.yaml")], checkout, env)
    manifest = {h["id"]: h for h in yaml.safe_load((checkout / ".pre-commit-hooks.yaml").read_text())}
    image = manifest["audit-image"]
    assert image["pass_filenames"] is False and image["always_run"] is True
    assert "pre-push" in image["stages"] and "manual" in image["stages"]
    example = yaml.safe_load((checkout / "examples" / "pre-commit-config.yaml").read_text())
    hooks = {h["id"]: h for h in example["repos"][0]["hooks"]}
    assert set(hooks) == {"audit-dockerfile", "audit-image"}
    # No `stages` of its own: the manifest's [pre-push, manual] apply, so `--hook-stage manual` finds it.
    assert hooks["audit-image"] == {"id": "audit-image", "args": ["myapp:latest"]}
    dockerfile = manifest["audit-dockerfile"]
    assert dockerfile["always_run"] is True and dockerfile["pass_filenames"] is False


# --- (a) copy a key, remove it later: refused, with both lines and the fix ------------------------------------

def test_try_repo_refuses_copy_then_rm(project: Project, hooks_repo: tuple[str, str]) -> None:
    project.write({"Dockerfile": LEAKY, "id_rsa": "an SSH key would be here\n"})
    proc = project.pre_commit_run("try-repo", hooks_repo[0], HOOK, "--ref", hooks_repo[1], "--all-files")
    assert proc.code == 1, proc.out
    out = proc.out
    assert f"- hook id: {HOOK}" in out and "- exit code: 1" in out
    assert "Dockerfile:2: " in out and "df-hidden-secret (and line 3)" in out
    assert "added by COPY at line 2 and removed by RUN at line 3" in out
    assert "fix: Never put it in a layer: use `RUN --mount=type=secret" in out


# --- (b) a clean multi-stage Dockerfile passes ------------------------------------------------------------------

def test_clean_multistage_passes(project: Project, hooks_repo: tuple[str, str]) -> None:
    project.write({"Dockerfile": CLEAN_MULTISTAGE, "go.mod": "module example.com/app\n",
                   "main.go": "package main\n\nfunc main() {}\n", "id_rsa": "deploy key\n",
                   ".dockerignore": "*\n!go.mod\n!main.go\n!id_rsa\n"})
    proc = project.run_hook(hooks_repo)
    assert proc.code == 0, proc.out
    assert "Passed" in proc.out


# --- (c) an unignored .env in the build context fails until .dockerignore excludes it --------------------------

def test_unignored_dotenv_fails_until_dockerignored(project: Project, hooks_repo: tuple[str, str]) -> None:
    project.write({"Dockerfile": CONTEXT_LEAK, "app.py": "print('hi')\n", "requirements.txt": "flask\n",
                   ".gitignore": ".env\n"})
    project.write({".env": "DATABASE_URL=postgres://app:pw@db/app\n"}, add=False)  # on disk, never committed
    failed = project.run_hook(hooks_repo)
    assert failed.code == 1, failed.out
    assert "Dockerfile:3: HIGH dotenv-file" in failed.out
    assert "/app/.env" in failed.out and "fix: Add `.env` to .dockerignore." in failed.out
    project.write({".dockerignore": ".env\n.git\n"})
    passed = project.run_hook(hooks_repo)
    assert passed.code == 0, passed.out


# --- which files the hook takes ---------------------------------------------------------------------------

def test_hook_runs_on_dockerfile_variants_only(project: Project, hooks_repo: tuple[str, str]) -> None:
    project.write({"Containerfile": LEAKY, "docker/api.Dockerfile": LEAKY, "Dockerfile.prod": LEAKY,
                   "id_rsa": "key\n", "docker/id_rsa": "key\n", "README.md": "COPY id_rsa /x\nRUN rm /x\n"})
    proc = project.run_hook(hooks_repo)
    assert proc.code == 1, proc.out
    for name in ("Containerfile:2: ", "docker/api.Dockerfile:2: ", "Dockerfile.prod:2: "):
        assert name in proc.out
    assert "finding(s) in 3 Dockerfile(s)" in proc.out
    assert "README.md" not in proc.out


def test_hook_runs_when_only_the_build_context_changes(project: Project, hooks_repo: tuple[str, str]) -> None:
    """A commit that stages only .dockerignore (which stops excluding .env), with a .env git ignores and so
    never stages: the Dockerfile did not change, yet what it ships did."""
    project.write({"Dockerfile": CONTEXT_LEAK, "app.py": "print('hi')\n", "requirements.txt": "flask\n",
                   ".gitignore": ".env\n", ".dockerignore": ".env\n.git\n"})
    project.write({".env": "DATABASE_URL=postgres://app:pw@db/app\n"}, add=False)
    _ok([project.git, "commit", "-q", "--no-verify", "-m", "initial"], project.root, project.env)
    config = project.root.parent / "config.yaml"
    config.write_text(yaml.safe_dump({"repos": [{"repo": hooks_repo[0], "rev": hooks_repo[1],
                                                 "hooks": [{"id": HOOK}]}]}))
    project.write({".dockerignore": ".git\n"})  # the only staged change
    failed = project.pre_commit_run("run", "--config", str(config))  # the staged files only, as a commit
    assert failed.code == 1, failed.out
    assert "Dockerfile:3: HIGH dotenv-file" in failed.out and "/app/.env" in failed.out


def test_manual_stage_runs_audit_image_as_the_readme_says(project: Project, hooks_repo: tuple[str, str],
                                                          checkout: Path, tmp_path: Path) -> None:
    """`pre-commit run audit-image --hook-stage manual` with the example configuration runs the hook (it
    used to say "No hook with id `audit-image` in stage `manual`" and exit 0), and its output, passing or
    failing, names the image and when it was created."""
    clean = tmp_path / "clean.tar"
    kit.write_docker_archive(clean, kit.ImageSpec(layers=[[kit.File("/app/main.py", b"print('hi')\n")]]))
    config = yaml.safe_load((checkout / "examples" / "pre-commit-config.yaml").read_text())
    config["repos"][0].update(repo=hooks_repo[0], rev=hooks_repo[1])
    for image, code in ((checkout / "examples" / "leaky-app.tar", 1), (clean, 0)):
        config["repos"][0]["hooks"][1]["args"] = [str(image), "--no-cache"]
        project.write({".pre-commit-config.yaml": yaml.safe_dump(config, sort_keys=False)})
        proc = project.pre_commit_run("run", "audit-image", "--hook-stage", "manual")
        assert proc.code == code, proc.out
        assert "audit container images (layer-auditor)" in proc.out and "No hook" not in proc.out
        assert f"audit: {image}: image sha256:" in proc.out and ", created " in proc.out


def readme_block(heading: str) -> str:
    """The first ```sh block under `heading` in the README."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(heading):]
    return section[section.index("```sh\n") + 6:section.index("\n```", section.index("```sh\n"))]


def test_readme_pre_commit_block_works_as_written(project: Project, hooks_repo: tuple[str, str], tmp_path: Path,
                                                  env: dict[str, str]) -> None:
    """The README's Use 3 block, pasted into a project's shell: only where the clone is (LA), the image
    `args` name (an archive, so no engine is needed) and the `pip install` (done) differ."""
    clean = tmp_path / "clean.tar"
    kit.write_docker_archive(clean, kit.ImageSpec(layers=[[kit.File("/app/main.py", b"print('hi')\n")]]))
    block = readme_block("## Use 3: a pre-commit hook")
    assert "LA=~/layer-auditor\n" in block and "args: [myapp:latest]" in block and "pip install pre-commit\n" in block
    script = (block.replace("LA=~/layer-auditor\n", f"LA={hooks_repo[0]}\n")
              .replace("args: [myapp:latest]", f"args: [{clean}, --no-cache]")
              .replace("pip install pre-commit\n", ""))
    project.write({"Dockerfile": "FROM scratch\nCOPY main.py /app/\n", "main.py": "print('hi')\n",
                   ".dockerignore": "*\n!main.py\n"})
    bindir = str(Path(sys.executable).parent)  # the test environment's pre-commit
    proc = _run(["bash", "-e", "-c", script], project.root, {**env, "PATH": f"{bindir}:{env.get('PATH', '')}"})
    assert proc.code == 0, proc.out
    assert "audit Dockerfiles (layer-auditor)" in proc.out and "audit container images (layer-auditor)" in proc.out
    assert proc.out.count("Passed") == 2 and f"audit: {clean}: image sha256:" in proc.out


def test_hook_skips_dockerfile_specific_dockerignore(project: Project, hooks_repo: tuple[str, str]) -> None:
    project.write({"Dockerfile": CONTEXT_LEAK, "app.py": "", "requirements.txt": "",
                   "Dockerfile.dockerignore": ".env\n.git\n"})
    proc = project.run_hook(hooks_repo)
    assert proc.code == 0, proc.out


# --- (d) the README flow: the example config, `pre-commit install`, `git commit` ------------------------------

def test_readme_flow_refuses_the_commit(project: Project, checkout: Path, git: str, env: dict[str, str]) -> None:
    """A new user copies examples/pre-commit-config.yaml (pointing `repo`/`rev` at this checkout's HEAD),
    runs `pre-commit install`, and commits a Dockerfile that copies id_rsa and removes it later."""
    head = _ok([git, "rev-parse", "HEAD"], checkout, env).strip()
    config = yaml.safe_load((checkout / "examples" / "pre-commit-config.yaml").read_text())
    config["repos"][0].update(repo=str(checkout), rev=head)
    project.write({".pre-commit-config.yaml": yaml.safe_dump(config, sort_keys=False)})
    installed = project.pre_commit_run("install")
    assert installed.code == 0, installed.out
    project.write({"Dockerfile": LEAKY, "id_rsa": "an SSH key would be here\n"})
    commit = _run([git, "commit", "-m", "Add a Dockerfile"], project.root, env)
    assert commit.code != 0, commit.out
    assert "audit Dockerfiles (layer-auditor)" in commit.out and "Failed" in commit.out
    assert "Dockerfile:2: " in commit.out and "(and line 3)" in commit.out
    assert "line 2" in commit.out and "line 3" in commit.out and "fix: " in commit.out
    assert _run([git, "rev-parse", "--verify", "-q", "HEAD"], project.root, env).code != 0, "the commit was made"
    # Fixed the way the finding says, the commit goes through.
    project.write({"Dockerfile": "# syntax=docker/dockerfile:1\nFROM alpine:3.19\n"
                                 "RUN --mount=type=ssh apk add --no-cache git "
                                 "&& git clone git@example.com:acme/app.git /app\n"})
    _ok([git, "rm", "-q", "--cached", "id_rsa"], project.root, env)
    commit = _run([git, "commit", "-m", "Add a Dockerfile"], project.root, env)
    assert commit.code == 0, commit.out


def test_validate_rules_takes_every_file_pre_commit_passes(cli):
    """pre-commit runs `audit rules --check A B ...` with every changed rule file at once."""
    packs = default_pack_paths()[:2]
    result = cli("rules", "--check", *packs)
    assert result.code == 0, result
    assert all(f"{pack}:" in result.out for pack in packs)
