"""Real images for the integration tests, built once per run by the real engine, and every route to them.

Each scenario is a Dockerfile (`FROM scratch` plus a static busybox, so builds take seconds and need no
network) that leaks something in a way a layer walk must see. Secret values are generated per run, so no
credential-shaped literal lives in this repository and nothing can be cached from an earlier run.

`routes.ref(scenario, route)` turns a scenario into a reference for one route (engine, `docker save`
archive, gzip archive, OCI layouts written by skopeo, OCI archive), producing each artifact once.
"""

from __future__ import annotations

import base64
import gzip
import os
import secrets
import shutil
import string
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from testing.tokens import github_token

Which = Callable[..., str]  # tests/conftest.py `which`: a command's path, or skip (fail under CI=true)

RUN_ID = secrets.token_hex(4)
REPOSITORY = "layer-auditor-test"
SUBPROCESS_TIMEOUT = 600

PRELUDE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
"""


def _pick(alphabet: str, count: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(count))


def _pem(kind: str) -> str:
    label = f"{kind} PRIVATE KEY".strip()
    body = base64.b64encode(secrets.token_bytes(600)).decode()
    lines = "\n".join(textwrap.wrap(body, 64))
    # Assembled so this file holds no key header a secret scanner would flag.
    return f"-----{'BEGIN'} {label}-----\n{lines}\n-----{'END'} {label}-----\n"


@dataclass(frozen=True)
class Values:
    """The secrets planted in this run's images."""

    aws_key_id: str = field(default_factory=lambda: "AKIA" + _pick(string.ascii_uppercase + string.digits, 16))
    aws_secret: str = field(default_factory=lambda: _pick(string.ascii_letters + string.digits + "/+", 40))
    builder_aws_key_id: str = field(
        default_factory=lambda: "AKIA" + _pick(string.ascii_uppercase + string.digits, 16))
    github_token: str = field(default_factory=github_token)
    npm_token: str = field(default_factory=lambda: "npm_" + _pick(string.ascii_letters + string.digits, 36))
    api_token: str = field(default_factory=lambda: _pick(string.ascii_letters + string.digits, 32))
    rsa_key: str = field(default_factory=lambda: _pem("RSA"))
    ec_key: str = field(default_factory=lambda: _pem("EC"))
    release_key: str = field(default_factory=lambda: _pem(""))


@dataclass(frozen=True)
class Scenario:
    """One image to build: its Dockerfile, build context files, build args and target stage."""

    name: str
    dockerfile: str
    files: dict[str, str]
    buildargs: dict[str, str] = field(default_factory=dict)
    target: str | None = None


def scenarios(v: Values) -> dict[str, Scenario]:
    """All scenarios, by name. `multistage-builder` is the builder stage of `multistage`, kept to prove
    that the secret the final image must not show is really in that stage."""
    multistage = """\
        FROM scratch AS builder
        COPY busybox /bin/busybox
        RUN ["/bin/busybox", "--install", "-s", "/bin"]
        COPY builder.env /src/.env
        COPY release.key /src/release.key
        RUN mkdir -p /src/dist && echo built > /src/dist/app.txt

        FROM scratch
        COPY --from=builder /bin/busybox /bin/busybox
        COPY --from=builder /src/dist/ /app/
        COPY --from=builder /src/release.key /app/release.key
        """
    multistage_files = {
        "builder.env": f"AWS_ACCESS_KEY_ID={v.builder_aws_key_id}\nREGION=eu-west-1\n",
        "release.key": v.release_key,
    }
    items = [
        Scenario(
            "deleted",
            PRELUDE + textwrap.dedent("""\
                COPY id_rsa /root/.ssh/id_rsa
                COPY dotenv /app/.env
                RUN rm /root/.ssh/id_rsa /app/.env && echo cleaned > /app/cleaned
                """),
            {
                "id_rsa": v.rsa_key,
                "dotenv": f"AWS_ACCESS_KEY_ID={v.aws_key_id}\nAWS_SECRET_ACCESS_KEY={v.aws_secret}\nDEBUG=0\n",
            },
        ),
        Scenario(
            "overwritten",
            PRELUDE + textwrap.dedent("""\
                COPY config-leaky.yml /app/config.yml
                COPY config-clean.yml /app/config.yml
                """),
            {
                "config-leaky.yml": f"github:\n  user: ci-bot\n  token: {v.github_token}\n",
                "config-clean.yml": "github:\n  user: ci-bot\n",
            },
        ),
        Scenario(
            "hardlinked",
            PRELUDE + textwrap.dedent("""\
                COPY token.txt /app/token.txt
                RUN ln /app/token.txt /app/token-link.txt
                RUN rm /app/token.txt
                """),
            {"token.txt": f"GITHUB_TOKEN={v.github_token}\n"},
        ),
        Scenario(
            "wiped",
            PRELUDE + textwrap.dedent("""\
                COPY secrets/ /app/secrets/
                RUN rm -rf /app/secrets && mkdir /app/secrets && echo ok > /app/secrets/readme
                """),
            {"secrets/server.key": v.ec_key, "secrets/notes.txt": "rotate every quarter\n"},
        ),
        Scenario(
            "replaced",  # a file replaced by a symlink, a directory removed and made again
            PRELUDE + textwrap.dedent("""\
                COPY a/ /a/
                RUN rm /a/f && ln -s x /a/f
                RUN rm -r /a/g && mkdir /a/g
                """),
            {"a/f": f"GITHUB_TOKEN={v.github_token}\n", "a/g/notes.txt": "rotate every quarter\n"},
        ),
        Scenario("multistage", textwrap.dedent(multistage), multistage_files),
        Scenario("multistage-builder", textwrap.dedent(multistage), multistage_files, target="builder"),
        Scenario(
            "metadata",
            PRELUDE + textwrap.dedent(f"""\
                ARG NPM_TOKEN
                ENV API_TOKEN={v.api_token}
                RUN test -n "$NPM_TOKEN" && mkdir -p /app && echo DEBUG=0 > /app/.env
                """),
            {},
            buildargs={"NPM_TOKEN": v.npm_token},
        ),
    ]
    return {s.name: s for s in items}


STAGES = {"multistage": "multistage-builder"}  # scenario -> the scenario of its builder stage


@dataclass(frozen=True)
class Built:
    """An image the engine built for a scenario."""

    scenario: Scenario
    tag: str
    id: str


def _build(client: Any, scenario: Scenario, context: Path, busybox: Path) -> Built:
    import docker.errors

    context.mkdir(parents=True)
    shutil.copy(busybox, context / "busybox")
    (context / "Dockerfile").write_text(scenario.dockerfile)
    for name, text in scenario.files.items():
        (context / name).parent.mkdir(parents=True, exist_ok=True)
        (context / name).write_text(text)
    tag = f"{REPOSITORY}/{scenario.name}:{RUN_ID}"
    try:
        image, _ = client.images.build(
            path=str(context), tag=tag, buildargs=scenario.buildargs or None, target=scenario.target,
            rm=True, forcerm=True, network_mode="none",
        )
    except docker.errors.BuildError as exc:
        log = "".join(str(chunk.get("stream") or chunk.get("error") or "") for chunk in exc.build_log)
        pytest.fail(f"building {scenario.name} failed: {exc}\n{log}\n(is {busybox} statically linked? "
                    "it must be: apt-get install busybox-static)", pytrace=False)
    return Built(scenario, tag, image.id)


class Images:
    """Scenario images, built on first use and removed when the run ends."""

    def __init__(self, client: Any, workdir: Path, which: Which) -> None:
        self.client = client
        self.workdir = workdir
        self.which = which
        self.values = Values()
        self.scenarios = scenarios(self.values)
        self._built: dict[str, Built] = {}
        self._busybox: Path | None = None

    def __getitem__(self, name: str) -> Built:
        if name not in self._built:
            if self._busybox is None:
                self._busybox = Path(self.which("busybox", "apt-get install busybox-static"))
            if name in STAGES:  # tag the earlier stage too, so cleanup leaves no dangling image behind
                self[STAGES[name]]
            self._built[name] = _build(self.client, self.scenarios[name], self.workdir / name, self._busybox)
        return self._built[name]

    def remove_all(self) -> None:
        for built in self._built.values():
            try:
                self.client.images.remove(built.tag, force=True)
            except Exception:  # noqa: BLE001 - cleanup is best effort
                pass


def run(argv: list[str], what: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    """Run a helper command; a failure fails the test with its output."""
    proc = subprocess.run(argv, capture_output=True, timeout=SUBPROCESS_TIMEOUT, stdin=subprocess.DEVNULL, **kwargs)
    if proc.returncode != 0:
        pytest.fail(f"{what} failed ({proc.returncode}): {' '.join(argv)}\n{proc.stderr.decode(errors='replace')}",
                    pytrace=False)
    return proc


class Routes:
    """Artifacts for each route, each produced once: save archives, gzip copies, OCI layouts."""

    def __init__(self, images: Images, workdir: Path, which: Which) -> None:
        self.images = images
        self.workdir = workdir
        self.which = which
        self._made: dict[tuple[str, str], Path] = {}

    def _cached(self, name: str, kind: str, make: Callable[[Path], None]) -> Path:
        key = (name, kind)
        if key not in self._made:
            path = self.workdir / name / kind
            path.parent.mkdir(parents=True, exist_ok=True)
            make(path)
            self._made[key] = path
        return self._made[key]

    def archive(self, name: str) -> Path:
        """`docker save -o PATH NAME` through the docker CLI, as a user would."""
        tag = self.images[name].tag
        cli = self.which("docker", "apt-get install docker.io")
        return self._cached(name, "image.tar", lambda p: run([cli, "save", "-o", str(p), tag], "docker save"))

    def archive_gzip(self, name: str) -> Path:
        """`docker save NAME | gzip`."""
        source = self.archive(name)

        def make(path: Path) -> None:
            with open(source, "rb") as src, gzip.open(path, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)

        return self._cached(name, "image.tar.gz", make)

    def _skopeo(self, name: str, dest: str, extra: list[str]) -> list[str]:
        skopeo = self.which("skopeo", "apt-get install skopeo")
        return [skopeo, "--insecure-policy", "copy", "--quiet", *extra, f"docker-archive:{self.archive(name)}", dest]

    def oci(self, name: str, compression: str) -> Path:
        """`skopeo copy docker-archive:X oci:DIR:NAME` with gzip (default), zstd or no compression."""
        extra = {"gzip": [], "zstd": ["--dest-compress-format", "zstd"],
                 "plain": ["--dest-oci-accept-uncompressed-layers"]}[compression]
        return self._cached(name, f"oci-{compression}",
                            lambda p: run(self._skopeo(name, f"oci:{p}:{name}", extra), "skopeo copy"))

    def oci_archive(self, name: str) -> Path:
        """`skopeo copy docker-archive:X oci-archive:PATH:NAME`."""
        return self._cached(name, "image.oci.tar",
                            lambda p: run(self._skopeo(name, f"oci-archive:{p}:{name}", []), "skopeo copy"))

    def ref(self, name: str, route: str) -> str:
        """The command-line reference of scenario `name` through `route`."""
        tag = self.images[name].tag
        refs: dict[str, Callable[[], str]] = {
            "daemon": lambda: f"docker-daemon:{tag}",
            "daemon-bare": lambda: tag,
            "archive": lambda: f"docker-archive:{self.archive(name)}",
            "archive-bare": lambda: str(self.archive(name)),
            "archive-gzip": lambda: f"docker-archive:{self.archive_gzip(name)}",
            "archive-gzip-bare": lambda: str(self.archive_gzip(name)),
            "oci-gzip": lambda: f"oci:{self.oci(name, 'gzip')}:{name}",
            "oci-zstd": lambda: f"oci:{self.oci(name, 'zstd')}:{name}",
            "oci-plain": lambda: f"oci:{self.oci(name, 'plain')}:{name}",
            "oci-bare": lambda: str(self.oci(name, "gzip")),
            "oci-archive": lambda: f"oci-archive:{self.oci_archive(name)}:{name}",
            "oci-archive-bare": lambda: str(self.oci_archive(name)),
        }
        return refs[route]()


@pytest.fixture(scope="session")
def images(docker_client: Any, which: Which, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """This run's scenario images in the engine (built on first use)."""
    built = Images(docker_client, tmp_path_factory.mktemp("contexts"), which)
    yield built
    built.remove_all()


@pytest.fixture(scope="session")
def routes(images: Images, which: Which, tmp_path_factory: pytest.TempPathFactory) -> Routes:
    """Route artifacts (archives, OCI layouts) for the scenario images."""
    return Routes(images, tmp_path_factory.mktemp("routes"), which)


def audit_command(entry: str = "module") -> list[str]:
    """How to run the CLI: `python -m auditor`, or the installed `audit` console script."""
    if entry == "module":
        return [sys.executable, "-m", "auditor"]
    script = Path(sys.executable).with_name("audit")
    if not script.exists():
        found = shutil.which("audit")
        if found is None:
            pytest.fail("the `audit` console script is not installed next to this Python; pip install the "
                        "package first", pytrace=False)
        script = Path(found)
    return [str(script)]


@pytest.fixture(scope="session")
def audit_cli(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real CLI in a subprocess, in an empty directory, without AUDITOR_* settings."""
    cwd = tmp_path_factory.mktemp("cwd")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_")}

    def call(*args: str, entry: str = "module") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*audit_command(entry), *args], cwd=cwd, env=env, capture_output=True, text=True,
            stdin=subprocess.DEVNULL, timeout=SUBPROCESS_TIMEOUT,
        )

    return call
