"""The GitHub Action (action.yml), the example workflow and the GitLab template, without a GitHub runner.

There is no local runner here (`act` is not available), so:
- action.yml, the example workflow and the GitLab template are validated against the schemas that
  check-jsonschema vendors (SchemaStore's GitHub action and workflow schemas, GitLab's CI schema): offline;
- `run_action` runs the composite action's steps as a runner would: each `run:` step in bash with GitHub's
  flags (`bash --noprofile --norc -eo pipefail`), its `env:` and `if:` expressions evaluated from the
  inputs and the outputs earlier steps wrote to their own GITHUB_OUTPUT file, GITHUB_STEP_SUMMARY and
  RUNNER_TEMP set, and `uses:` steps recorded instead of run. It audits the shipped example image.

The install step really builds and installs the package from the checkout into a new virtual environment;
to stay offline and quick, the packages it depends on come from this test's environment (PYTHONPATH,
PIP_NO_DEPS, PIP_NO_BUILD_ISOLATION with hatchling from the test extra).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from testing import readers

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "examples" / "ci" / "github-actions.yml"
GITLAB = ROOT / "examples" / "ci" / "gitlab" / "layer-auditor.gitlab-ci.yml"
EXAMPLE = ROOT / "examples" / "leaky-app.tar"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@pytest.mark.parametrize(("schema", "path"), [("vendor.github-actions", ACTION),
                                              ("vendor.github-workflows", WORKFLOW),
                                              ("vendor.gitlab-ci", GITLAB)])
def test_ci_files_validate_against_their_schemas(schema, path):
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_schema_check_rejects_a_broken_action(tmp_path):
    doc = yaml.safe_load(ACTION.read_text())
    del doc["runs"]["steps"][0]["shell"]  # a composite run step must name its shell
    broken = tmp_path / "action.yml"
    broken.write_text(yaml.safe_dump(doc))
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-actions",
                           str(broken)], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1, proc.stdout


def test_the_example_workflow_passes_only_inputs_the_action_has():
    inputs = yaml.safe_load(ACTION.read_text())["inputs"]
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["audit"]["steps"]
    step = next(s for s in steps if str(s.get("uses", "")).startswith("OWNER/layer-auditor@"))
    assert set(step["with"]) <= set(inputs)
    assert {name for name, spec in inputs.items() if spec.get("required")} <= set(step["with"])
    permissions = yaml.safe_load(WORKFLOW.read_text())["permissions"]
    assert permissions["security-events"] == "write"  # upload-sarif: true needs it


def test_no_input_is_pasted_into_a_script():
    """Inputs reach the scripts through env: an image name such as `x"; rm -rf ~; "` stays a string."""
    for step in yaml.safe_load(ACTION.read_text())["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]


def test_the_gitlab_template_publishes_the_reports_its_script_writes():
    job = yaml.safe_load(GITLAB.read_text())["image-audit"]
    gate = next(line for line in job["script"] if line.startswith('audit "$IMAGE"'))
    reports = job["artifacts"]["reports"]
    assert f"--junit-output {reports['junit']}" in gate
    assert f"--gitlab-output {reports['secret_detection']}" in gate
    assert job["artifacts"]["when"] == "always"  # published when the gate fails too


# --- the composite steps, run as a runner would --------------------------------------------------------


@dataclass
class Ran:
    """What running the action left: each step's outcome, outputs, the log, the `uses:` steps it reached."""

    codes: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    log: str = ""
    used: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    summary: str = ""
    action_outputs: dict[str, str] = field(default_factory=dict)


def _evaluate(expression: str, inputs: dict[str, str], steps: dict[str, dict[str, str]], github: dict[str, str]) -> Any:
    """The few GitHub expressions action.yml uses: contexts, string literals, ==, !=, &&, ||."""
    def context(match: re.Match[str]) -> str:
        parts = match.group(0).split(".")
        if parts[0] == "inputs":
            return repr(inputs.get(parts[1], ""))
        if parts[0] == "steps":
            return repr(steps.get(parts[1], {}).get(parts[3], ""))
        return repr(github[parts[1]])

    python = re.sub(r"\b(?:inputs|steps|github)(?:\.[\w-]+)+", context, expression)
    python = python.replace("&&", " and ").replace("||", " or ")
    return eval(python, {"__builtins__": {}}, {})  # noqa: S307 - our own action.yml's expressions


def _substitute(text: str, *contexts: Any) -> str:
    return EXPRESSION.sub(lambda m: str(_evaluate(m.group(1), *contexts)), text)


def run_action(given: dict[str, str], workspace: Path, temp: Path, env: dict[str, str]) -> Ran:
    action = yaml.safe_load(ACTION.read_text())
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    unknown = set(given) - set(inputs)
    assert not unknown, f"not inputs of the action: {unknown}"
    inputs.update(given)
    github = {"action_path": str(ROOT), "workspace": str(workspace)}
    ran = Ran()
    files = Path(tempfile.mkdtemp(dir=temp, prefix="files-"))  # this run's GITHUB_OUTPUT and summary files
    summary = files / "step-summary.md"
    for index, step in enumerate(action["runs"]["steps"]):
        step_id = step.get("id", f"step{index}")
        contexts = (inputs, ran.outputs, github)
        if "if" in step and not _evaluate(step["if"], *contexts):
            continue
        if "uses" in step:
            ran.used.append((step["uses"], {k: _substitute(str(v), *contexts) for k, v in step["with"].items()}))
            continue
        assert step["shell"] == "bash"
        output = files / f"output-{index}"
        output.touch()
        step_env = {**env, **{k: _substitute(str(v), *contexts) for k, v in step.get("env", {}).items()},
                    "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(temp),
                    "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_WORKSPACE": str(workspace), "GITHUB_ACTIONS": "true"}
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                              cwd=workspace, env=step_env, capture_output=True, text=True, timeout=300,
                              stdin=subprocess.DEVNULL)
        ran.log += f"--- {step['name']} (exit {proc.returncode})\n{proc.stdout}{proc.stderr}"
        ran.codes[step_id] = proc.returncode
        ran.outputs[step_id] = dict(line.split("=", 1) for line in output.read_text().splitlines() if line)
        if proc.returncode != 0:
            break
    ran.summary = summary.read_text() if summary.exists() else ""
    ran.action_outputs = {name: _substitute(spec["value"], inputs, ran.outputs, github)
                          for name, spec in action["outputs"].items()}
    return ran


@pytest.fixture(scope="module")
def runner_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A runner's environment, offline: the install step builds the checkout but takes its dependencies
    (and hatchling, to build it) from this test's environment."""
    try:
        import hatchling  # noqa: F401 - the test extra's build backend
    except ImportError:
        pytest.fail("hatchling is missing: pip install -e '.[test]'", pytrace=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUDITOR_", "PIP_", "GITHUB_", "PYTHON"))}
    # PIP_NO_BUILD_ISOLATION is one of pip's inverted switches: "0" turns build isolation off.
    env.update(PYTHONPATH=sysconfig.get_paths()["purelib"], PIP_NO_DEPS="1", PIP_NO_BUILD_ISOLATION="0",
               PIP_NO_INDEX="1", PIP_NO_CACHE_DIR="1", XDG_CACHE_HOME=str(tmp_path_factory.mktemp("cache")))
    return env


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runner-temp")


def _run_on_example(inputs: dict[str, str], temp: Path, env: dict[str, str], workspace: Path) -> Ran:
    (workspace / "image.tar").symlink_to(EXAMPLE)
    return run_action({"image": "image.tar", "python": sys.executable, **inputs}, workspace, temp, env)


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory, runner_env: dict[str, str], runner_temp: Path) -> tuple[Ran, Path]:
    """The action run once on the example image, asking for every report and the SARIF upload."""
    workspace = tmp_path_factory.mktemp("workspace")
    ran = _run_on_example({"fail-on": "high", "upload-sarif": "true", "json": "out/audit.json",
                           "junit": "audit.junit.xml", "args": "--no-config --jobs 1"}, runner_temp, runner_env,
                          workspace)
    return ran, workspace


@pytest.mark.slow
def test_the_action_installs_from_its_checkout_and_audits_once_into_every_report(gate):
    ran, workspace = gate
    assert ran.codes.get("install") == 0 and ran.codes.get("audit") == 0, ran.log
    venv_audit = Path(ran.outputs["install"]["audit"])
    assert venv_audit.is_file() and "layer-auditor-venv" in str(venv_audit)
    assert ran.action_outputs == {"exit-code": "1", "sarif": "layer-audit.sarif", "json": "out/audit.json",
                                  "junit": "audit.junit.xml"}, ran.log
    findings = readers.from_json((workspace / "out" / "audit.json").read_text())
    assert findings
    sarif = readers.from_sarif((workspace / "layer-audit.sarif").read_text())
    assert sorted(s.key for s in sarif) == sorted(s.key for s in findings)
    assert len(readers.from_junit((workspace / "audit.junit.xml").read_text())) == len(findings)
    ET.fromstring((workspace / "audit.junit.xml").read_text())
    annotations = readers.github_commands("\n".join(line for line in ran.log.splitlines() if line.startswith("::")))
    assert len(annotations) == len(findings)  # the example has fewer than 10 of each level
    assert "| " in ran.summary and "/root/.ssh/id_rsa" in ran.summary, ran.summary  # the Markdown report
    json.loads((workspace / "layer-audit.sarif").read_text())


@pytest.mark.slow
def test_the_action_uploads_the_sarif_and_then_fails_with_the_audits_exit_code(gate):
    ran, _ = gate
    assert ran.used == [("github/codeql-action/upload-sarif@v3",
                         {"sarif_file": "layer-audit.sarif", "category": "layer-auditor"})]
    gate_step = yaml.safe_load(ACTION.read_text())["runs"]["steps"][-1]
    assert list(ran.codes.values())[-1] == 1 and gate_step["name"] in ran.log.rsplit("--- ", 1)[-1], ran.log


@pytest.mark.slow
def test_a_passing_audit_uploads_nothing_writes_text_and_passes(tmp_path, runner_env, runner_temp):
    ran = _run_on_example({"annotations": "false", "summary": "false", "args": "--no-config --exit-zero --jobs 1"},
                          runner_temp, runner_env, tmp_path)
    assert ran.action_outputs == {"exit-code": "0", "sarif": "", "json": "", "junit": ""}, ran.log
    assert ran.used == [] and list(ran.codes.values())[-1] == 0, ran.log
    assert "/root/.ssh/id_rsa" in ran.log and "::error" not in ran.log  # the text report, no annotations
    assert ran.summary == ""
