"""The GitLab CI template in examples/ci/gitlab/ runs as written: its shell steps, against a real engine.
(The GitHub workflow example uses the action; tests/ci/test_action.py runs the action's steps.)

The commands are taken from the YAML file itself (GitLab CI `script` and `after_script`; the
`before_script` that pip-installs layer-auditor is left out: the test environment has it), and run with
`bash -e` in a project directory whose image builds from `FROM scratch` plus a static busybox. The
project carries a finding the team accepted (a `.env` written by a RUN, recorded in the committed baseline,
which `audit dockerfile` cannot see); the gate passes with it and fails once a key is copied and removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "ci"
BASELINE = ".layer-auditor-baseline.json"
PRELUDE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /app && echo DEBUG=0 > /app/.env
"""
LEAK = "COPY id_rsa /root/.ssh/id_rsa\nRUN cat /root/.ssh/id_rsa > /dev/null && rm /root/.ssh/id_rsa\n"


@dataclass(frozen=True)
class Example:
    """The shell commands of one CI example."""

    gate: list[str]  # run in order; the job fails at the first that fails
    on_failure: list[str]  # run when the gate failed
    on_failure_env: dict[str, str]
    artifact: str


def gitlab() -> Example:
    job = yaml.safe_load((EXAMPLES / "gitlab" / "layer-auditor.gitlab-ci.yml").read_text())["image-audit"]
    assert job["artifacts"]["when"] == "always"
    return Example(list(job["script"]), list(job["after_script"]), {"CI_JOB_STATUS": "failed"},
                   job["artifacts"]["paths"][0])


EXAMPLE_PARAMS = [pytest.param(gitlab, id="gitlab-ci")]


@pytest.mark.parametrize("load", EXAMPLE_PARAMS)
def test_examples_gate_on_the_baseline_and_keep_the_report(load: Callable[[], Example]) -> None:
    example = load()
    assert any(c.startswith("audit dockerfile ") for c in example.gate)
    assert any(c.startswith("docker build ") for c in example.gate)
    gate = [c for c in example.gate if c.startswith('audit "$IMAGE"')]
    assert len(gate) == 1
    for option in ("--fail-on high", f"--baseline {BASELINE}", "--format json", f"--output {example.artifact}"):
        assert option in gate[0]


@dataclass
class Job:
    root: Path
    env: dict[str, str]

    def run(self, commands: list[str], extra: dict[str, str] | None = None) -> tuple[int | None, str]:
        """Run commands in order as the CI job would: (index of the first that failed or None, output)."""
        out = []
        for index, command in enumerate(commands):
            proc = subprocess.run(["bash", "-e", "-c", command], cwd=self.root, env={**self.env, **(extra or {})},
                                  check=False, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=600)
            out.append(f"$ {command}\n{proc.stdout}")
            if proc.returncode != 0:
                return index, "".join(out)
        return None, "".join(out)


@pytest.fixture
def job(docker_client: Any, which: Callable[..., str], tmp_path: Path) -> Any:
    """A project directory and the environment a CI job gives its steps (docker and audit on PATH)."""
    docker = which("docker", "apt-get install docker.io (the CLI)")
    busybox = which("busybox", "apt-get install busybox-static")
    audit = Path(sys.executable).with_name("audit")
    if not audit.exists():
        pytest.fail("the `audit` console script is not installed next to this Python; pip install the package",
                    pytrace=False)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, target in (("docker", docker), ("audit", str(audit))):
        (bin_dir / name).symlink_to(target)
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(busybox, root / "busybox")
    (root / "id_rsa").write_text("a deploy key would be here\n")
    tag = f"layer-auditor-test/ci-example:{os.getpid()}-{tmp_path.name[-12:]}".lower()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", IMAGE=tag, DOCKER_BUILDKIT="0")
    yield Job(root, env)
    with contextlib.suppress(Exception):  # cleanup is best effort
        docker_client.images.remove(tag, force=True)


@pytest.mark.docker
@pytest.mark.parametrize("load", EXAMPLE_PARAMS)
def test_example_job_passes_with_the_baseline_and_fails_on_a_new_leak(load: Callable[[], Example], job: Job) -> None:
    example = load()
    (job.root / "Dockerfile").write_text(PRELUDE)
    failed, log = job.run(['docker build -q -t "$IMAGE" .', f'audit "$IMAGE" --write-baseline {BASELINE}'])
    assert failed is None, log

    failed, log = job.run(example.gate)
    assert failed is None, log
    report = json.loads((job.root / example.artifact).read_text())
    assert report["findings"] == [] and report["summary"]["suppressed"] >= 1, report

    (job.root / "Dockerfile").write_text(PRELUDE + LEAK)
    failed, log = job.run(example.gate)
    assert failed is not None and example.gate[failed].startswith("audit dockerfile "), log
    assert "Dockerfile:5: " in log and "(and line 6)" in log

    # Without the static step, the image gate refuses it too, and the report says why.
    (job.root / example.artifact).unlink()
    image_gate = [c for c in example.gate if not c.startswith("audit dockerfile ")]
    failed, log = job.run(image_gate)
    assert failed is not None and image_gate[failed].startswith('audit "$IMAGE"'), log
    report = json.loads((job.root / example.artifact).read_text())
    hidden = {(f["rule"], f["path"], f["status"]) for f in report["findings"]}
    assert ("private-key-file", "/root/.ssh/id_rsa", "deleted") in hidden, report["findings"]
    failed, log = job.run(example.on_failure, example.on_failure_env)
    assert failed is None, log
    assert "/root/.ssh/id_rsa" in log
