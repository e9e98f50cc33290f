"""`audit dockerfile` and the image audit agree on what a Dockerfile hides in its layers.

Each scenario is a Dockerfile (`FROM scratch` plus a static busybox, so it builds in seconds without a
network) that the real engine builds with the classic builder. Then:

- D is what `audit dockerfile` reports as hidden: the `df-hidden-secret` and `df-hidden-file` findings, each
  as (path, line of the instruction that added the file, line of the instruction that hid it).
- I is what the image audit reports as hidden: its findings with status `deleted` or `overwritten`, each as
  (path, line of the instruction that made the layer `layer`, line of the one that made `hidden_by`).
  Layers map to lines through the Dockerfile itself: with the classic builder, every COPY, ADD, RUN and
  WORKDIR of the built stage's chain makes exactly one layer, in order (checked against the layer count).

The test asserts D == I == the scenario's expected set. The image audit reports a hidden file only when
a rule flags it, while `audit dockerfile` also reports unflagged ones as `df-hidden-file`; so every file
these scenarios hide is one a rule flags (a key, a .env, a config holding a token, a tarball). As a second,
rule-free check, every path in D must be hidden (`deleted` or `overwritten`) in `audit files` by the
layers D names.

A separate test compares `.dockerignore` evaluation with the Docker CLI's: for each pattern set, the files
that `COPY . /ctx/` puts in a real image equal the build context `audit dockerfile` works out.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import secrets
import shutil
import string
import subprocess
import tarfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from auditor.dockerfile.context import Context
from auditor.dockerfile.parse import parse, shipping_stages
from testing.tokens import github_token

pytestmark = pytest.mark.docker

RUN_ID = secrets.token_hex(4)
HIDDEN_RULES = ("df-hidden-secret", "df-hidden-file")
LAYER_CMDS = ("COPY", "ADD", "RUN", "WORKDIR")  # the classic builder commits a layer for each
PRELUDE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
"""

Triple = tuple[str, int, int]  # (path, line that added it, line that hid it)


def _pick(alphabet: str, count: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(count))


def _pem() -> str:
    body = "\n".join(textwrap.wrap(base64.b64encode(secrets.token_bytes(600)).decode(), 64))
    return f"-----{'BEGIN'} RSA PRIVATE KEY-----\n{body}\n-----{'END'} RSA PRIVATE KEY-----\n"


GITHUB_TOKEN = github_token()
AWS_KEY_ID = "AKIA" + _pick(string.ascii_uppercase + string.digits, 16)


@dataclass(frozen=True)
class Scenario:
    name: str
    dockerfile: str
    files: dict[str, str]
    hidden: frozenset[Triple]  # the expected D (and I)
    target: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


# A builder stage that holds a key and an .env, and a final stage that copies only its output.
MULTISTAGE = textwrap.dedent("""\
    FROM scratch AS builder
    COPY busybox /bin/busybox
    RUN ["/bin/busybox", "--install", "-s", "/bin"]
    COPY id_rsa /root/.ssh/id_rsa
    COPY builder.env /src/.env
    RUN mkdir -p /src/dist && echo built > /src/dist/app.txt && rm /root/.ssh/id_rsa

    FROM scratch
    COPY --from=builder /bin/busybox /bin/busybox
    COPY --from=builder /src/dist/ /app/
    """)


def _multistage_context() -> dict[str, str]:
    return {"id_rsa": _pem(), "builder.env": f"AWS_ACCESS_KEY_ID={AWS_KEY_ID}\n"}


SCENARIOS = [
    Scenario(
        "copy-then-rm",
        PRELUDE + textwrap.dedent("""\
            COPY id_rsa /root/.ssh/id_rsa
            COPY dotenv /app/.env
            RUN cat /root/.ssh/id_rsa > /dev/null && rm /root/.ssh/id_rsa /app/.env && echo ok > /app/done
            """),
        {"id_rsa": _pem(), "dotenv": f"AWS_ACCESS_KEY_ID={AWS_KEY_ID}\nDEBUG=0\n"},
        frozenset({("/root/.ssh/id_rsa", 4, 6), ("/app/.env", 5, 6)}),
    ),
    Scenario(
        "download-like-archive-removed-later",
        PRELUDE + textwrap.dedent("""\
            RUN mkdir -p /opt/tool /tmp && echo 'tool' > /opt/tool/README && tar -czf /tmp/tool.tar.gz /opt/tool
            RUN tar -xzf /tmp/tool.tar.gz -C / && rm /tmp/tool.tar.gz
            """),
        {},
        frozenset({("/tmp/tool.tar.gz", 4, 5)}),
    ),
    Scenario(
        "overwritten",
        PRELUDE + textwrap.dedent("""\
            WORKDIR /app
            COPY config-leaky.yml config.yml
            COPY config-clean.yml config.yml
            """),
        {"config-leaky.yml": f"github:\n  user: ci-bot\n  token: {GITHUB_TOKEN}\n",
         "config-clean.yml": "github:\n  user: ci-bot\n"},
        frozenset({("/app/config.yml", 5, 6)}),
    ),
    Scenario(
        "tree-wiped-and-key-moved",
        PRELUDE + textwrap.dedent("""\
            COPY secrets/ /app/secrets/
            COPY deploy_key /tmp/
            RUN mkdir -p /root/.ssh && mv /tmp/deploy_key /root/.ssh/id_ed25519 \\
                && rm -rf /app/secrets && mkdir /app/secrets && echo ok > /app/secrets/readme
            """),
        {"secrets/server.key": _pem(), "secrets/notes.txt": "rotate every quarter\n", "deploy_key": _pem()},
        frozenset({("/app/secrets/server.key", 4, 6), ("/tmp/deploy_key", 5, 6)}),
    ),
    Scenario(
        "clean-multistage",
        MULTISTAGE,
        _multistage_context(),
        frozenset(),
    ),
    Scenario(
        "multistage-builder-target",  # the same Dockerfile's builder stage, built on its own: now it ships
        MULTISTAGE,
        _multistage_context(),
        frozenset({("/root/.ssh/id_rsa", 4, 6)}),
        target="builder",
    ),
]


@dataclass(frozen=True)
class Built:
    scenario: Scenario
    context: Path
    tag: str


@pytest.fixture(scope="module")
def build(docker_client: Any, which: Callable[..., str], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`build(scenario)`: the scenario built by the engine (classic builder), once per module."""
    import docker.errors

    busybox = Path(which("busybox", "apt-get install busybox-static"))
    root = tmp_path_factory.mktemp("agreement")
    built: dict[str, Built] = {}

    def get(scenario: Scenario) -> Built:
        if scenario.name not in built:
            context = root / scenario.name
            context.mkdir()
            shutil.copy(busybox, context / "busybox")
            (context / "Dockerfile").write_text(scenario.dockerfile)
            for rel, text in scenario.files.items():
                (context / rel).parent.mkdir(parents=True, exist_ok=True)
                (context / rel).write_text(text)
            tag = f"layer-auditor-test/agreement-{scenario.name}:{RUN_ID}"
            try:
                docker_client.images.build(path=str(context), tag=tag, target=scenario.target, rm=True,
                                           forcerm=True, network_mode="none")
            except docker.errors.BuildError as exc:
                log = "".join(str(c.get("stream") or c.get("error") or "") for c in exc.build_log)
                pytest.fail(f"building {scenario.name} failed: {exc}\n{log}\n(busybox must be static: "
                            "apt-get install busybox-static)", pytrace=False)
            built[scenario.name] = Built(scenario, context, tag)
        return built[scenario.name]

    yield get
    for item in built.values():
        with contextlib.suppress(Exception):  # cleanup is best effort
            docker_client.images.remove(item.tag, force=True)


def _json(proc: subprocess.CompletedProcess[str], allowed: tuple[int, ...] = (0, 1)) -> dict[str, Any]:
    assert proc.returncode in allowed, f"exit {proc.returncode}\nstderr: {proc.stderr}\nstdout: {proc.stdout[:2000]}"
    return json.loads(proc.stdout)


def _layer_lines(dockerfile: str, target: str | None) -> list[int]:
    """The line of the instruction that made each layer: the COPY/ADD/RUN/WORKDIR of the built chain, in order."""
    parsed = parse(dockerfile)
    return [ins.line for stage in shipping_stages(parsed, target) for ins in stage.instructions
            if ins.cmd in LAYER_CMDS]


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.name) for s in SCENARIOS])
def test_dockerfile_and_image_audits_agree_on_hidden_files(scenario: Scenario, build: Any, audit_cli: Any) -> None:
    built = build(scenario)
    dockerfile = str(built.context / "Dockerfile")
    target = ["--target", scenario.target] if scenario.target else []
    static = _json(audit_cli("dockerfile", dockerfile, *target, "--format", "json", "--no-config"))
    image = _json(audit_cli(f"docker-daemon:{built.tag}", "--format", "json", "--no-config", "--no-baseline"))
    files = _json(audit_cli("files", f"docker-daemon:{built.tag}", "--format", "json"), allowed=(0,))

    lines = _layer_lines(dockerfile, scenario.target)
    layers = image["image"]["layers"]
    assert len(layers) == len(lines), (
        f"expected one layer per COPY/ADD/RUN/WORKDIR ({lines}), got {[layer['created_by'] for layer in layers]}")

    d = {(f["path"], f["line"], f["related_line"]) for f in static["findings"] if f["rule"] in HIDDEN_RULES}
    i = {(f["path"], lines[f["layer"]], lines[f["hidden_by"]]) for f in image["findings"]
         if f["status"] in ("deleted", "overwritten")}
    assert d == i, f"audit dockerfile only: {sorted(d - i)}; image audit only: {sorted(i - d)}"
    assert d == set(scenario.hidden)

    # Rule-free: each path D names is hidden in the image, added and hidden by the layers D names.
    hidden = {(e["path"], lines[e["layer"]], lines[e["hidden_by"]]) for e in files["files"]
              if e["status"] in ("deleted", "overwritten")}
    assert d <= hidden, sorted(d - hidden)


# --- .dockerignore as the Docker CLI applies it ----------------------------------------------------------------

CONTEXT_FILES = [".env", "a/.env", "a/b/.env", "a/.env.example", "keys/id_rsa", "top.key", "keys/deploy.key",
                 "src/app.py", "src/.env", ".git/HEAD", ".git/config", "docs/x.md", "README.md",
                 "node_modules/x/index.js"]
IGNORE_PATTERNS = [
    "", ".env", "/.env", "./.env", "**/.env", "*/.env", "a/**/.env", "*.key", "**/*.key", "a", "a/**", "keys/",
    ".git", ".*", "src/*.py", "**/b", "!a", "# comment\n.env  ", "a\n!a/b/.env", "**/.env\n!a/b/.env",
    "**/*.md\n!README.md", "*\n!src", "*\n!src/app.py", "**\n!README.md", "*\n!Dockerfile\n!src/**",
]


@pytest.mark.parametrize("ignore", IGNORE_PATTERNS, ids=[repr(p) for p in IGNORE_PATTERNS])
def test_dockerignore_matches_the_docker_cli(ignore: str, docker_client: Any, which: Callable[..., str],
                                             tmp_path: Path) -> None:
    """What `docker build` (the CLI, classic builder) sends for `COPY . /ctx/` is the context we work out."""
    cli = which("docker", "apt-get install docker.io (the CLI)")
    for rel in CONTEXT_FILES:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY . /ctx/\n")
    if ignore:
        (tmp_path / ".dockerignore").write_text(ignore + "\n")
    tag = f"layer-auditor-test/dockerignore:{RUN_ID}-{abs(hash(ignore)) % 10**8}"
    env = dict(os.environ, DOCKER_BUILDKIT="0")
    proc = subprocess.run([cli, "build", "-q", "-t", tag, str(tmp_path)], check=False, capture_output=True,
                          text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    try:
        data = b"".join(docker_client.images.get(tag).save())
    finally:
        docker_client.images.remove(tag, force=True)
    sent = set()
    with tarfile.open(fileobj=io.BytesIO(data)) as outer:
        for member in outer.getmembers():
            if not member.name.endswith("layer.tar") and not member.name.startswith("blobs/"):
                continue
            blob = outer.extractfile(member)
            if blob is None:
                continue
            try:
                with tarfile.open(fileobj=io.BytesIO(blob.read())) as layer:
                    sent |= {m.name[len("ctx/"):] for m in layer.getmembers()
                             if m.name.startswith("ctx/") and m.isfile()}
            except tarfile.ReadError:
                continue  # a config or manifest blob
    ours = {item.rel for item in Context(str(tmp_path)).items if not item.is_dir}
    assert ours == sent, f"docker only: {sorted(sent - ours)}; ours only: {sorted(ours - sent)}"
