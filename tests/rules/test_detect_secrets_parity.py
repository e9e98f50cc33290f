"""No silent loss: whatever the real `detect-secrets scan --all-files` finds, layer-auditor reports or
rejects by a named rule.

The corpus under tests/assets/corpus holds FAKE credentials for every detect-secrets plugin in files of
many kinds (Python, YAML, JSON, INI/CFG, .env, .properties, JS, Go, Terraform, a Dockerfile, a shell
script, CRLF and CR-only line endings, a UTF-8 BOM, a file that is not UTF-8, a lock file, a swagger file,
an SVG, an allowlisted line, a secret on two lines, files only the eager transformers read, values
repeated on several lines). The test runs `python -m detect_secrets scan --all-files` in a copy of it, and
audits an image holding the same files under /srv/app/ with every default rule. Each (file, line,
hashed secret) of detect-secrets must be matched by a finding of the report on the same file and line
whose value is the secret or contains it (detect-secrets reports only "ghp" of a GitHub token, which
layer-auditor reports whole), or by a finding the report rejects by a named rule (`rejected_finding`).

This is no longer a statement of equality: layer-auditor reports more (every occurrence, settings the
eager transformer reads whatever the raw pass found, its own `regex` rules).

Two things of the CLI's environment are pinned so that the reference does not depend on the machine:
- PYTHONUTF8=1: the CLI opens files in the locale's encoding; layer-auditor always reads UTF-8.
- HTTP(S)_PROXY pointing at a closed local port: by default the CLI verifies some secrets over the network
  (Slack, Stripe, AWS, Mailchimp, Telegram, IBM, SoftLayer, ...) and drops the ones a service says are
  invalid; layer-auditor never calls out. With no network every verification is "unverified", which the
  CLI keeps, and no FAKE value leaves the machine. `--no-verify` is run as a second reference.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor.audit import Settings, audit
from auditor.model import Finding, Report
from auditor.rules import default_pack_paths, load_rules
from auditor.sources import open_image
from testing import imagekit as kit

CORPUS = Path(__file__).resolve().parent.parent / "assets" / "corpus"
DEAD_PROXY = "http://127.0.0.1:9"
PREFIX = "/srv/app/"

Triple = tuple[int, str, str]  # (line_number, secret type, sha1 of the secret)


def _secret_types() -> dict[str, str]:
    """Plugin class name -> detect-secrets secret type (the `type` of the CLI's JSON)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    return {cls.__name__: secret_type for secret_type, cls in get_mapping_from_secret_type_to_class().items()}


def _cli_results(workdir: Path, extra: list[str]) -> dict[str, list[Triple]]:
    proxies = ("http_proxy", "https_proxy", "no_proxy", "all_proxy")
    env = {k: v for k, v in os.environ.items() if k.lower() not in proxies}
    env.update(PYTHONUTF8="1", HTTP_PROXY=DEAD_PROXY, HTTPS_PROXY=DEAD_PROXY, NO_PROXY="")
    proc = subprocess.run(
        [sys.executable, "-m", "detect_secrets", "scan", "--all-files", *extra],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, f"detect-secrets scan failed ({proc.returncode}):\n{proc.stderr}"
    results = json.loads(proc.stdout)["results"]
    return {
        filename.replace(os.sep, "/"):
            sorted((item["line_number"], item["type"], item["hashed_secret"]) for item in items)
        for filename, items in results.items()
    }


def _corpus_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _holds(value: str | None, hashed: str) -> bool:
    """Whether `value` is the secret whose sha1 is `hashed`, or contains it."""
    if not value:
        return False
    return any(_sha1(value[i:k]) == hashed for i in range(len(value)) for k in range(i + 1, len(value) + 1))


def rejected_finding(report: Report, path: str, line: int, hashed: str) -> Finding | None:
    """The finding the value judge rejected at `path`:`line` holding the secret, with the name of the
    reason (`Finding.rejected`, kept in `Report.rejected`); None when there is none."""
    for f in report.rejected:
        if f.path == path and f.line == line and f.rejected and _holds(f.secret, hashed):
            return f
    return None


@pytest.fixture(scope="module")
def corpus_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="module", params=[[], ["--no-verify"]], ids=["default", "no-verify"])
def cli(request: pytest.FixtureRequest, corpus_copy: Path) -> dict[str, list[Triple]]:
    return _cli_results(corpus_copy, request.param)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The audit of an image holding the corpus under PREFIX, with every default rule and no cache."""
    files = _corpus_files(CORPUS)
    dirs = sorted({PREFIX + str(Path(f).parent) for f in files} | {"/srv", PREFIX.rstrip("/")})
    entries: list[Any] = [kit.Dir(d.rstrip("/.") or "/") for d in dirs]
    entries += [kit.File(PREFIX + f, (CORPUS / f).read_bytes()) for f in files]
    path = tmp_path_factory.mktemp("image") / "corpus.tar"
    kit.write_docker_archive(path, kit.ImageSpec(layers=[entries]))
    with open_image(str(path)) as image:
        result, _ = audit(image, load_rules(default_pack_paths()), Settings(jobs=1))
    return result


def test_corpus_has_the_promised_variety() -> None:
    files = _corpus_files(CORPUS)
    suffixes = {Path(f).suffix for f in files}
    assert {".py", ".yaml", ".yml", ".json", ".ini", ".cfg", ".properties", ".js", ".sh", ".go", ".tf"} <= suffixes
    names = set(files) | {Path(f).name for f in files}
    assert {"Dockerfile", ".env", ".npmrc", "package-lock.json", "api/swagger.yaml", "occur/dup.env"} <= names
    assert any(b"\r\n" in (CORPUS / f).read_bytes() for f in files), "a CRLF file"
    contents = [(CORPUS / f).read_bytes() for f in files]
    assert any(b"\r" in data and b"\n" not in data for data in contents), "a CR-only file"
    not_utf8 = []
    for f in files:
        try:
            (CORPUS / f).read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            not_utf8.append(f)
    assert not_utf8, "a file that is not valid UTF-8"
    assert len(files) >= 12


def test_cli_reference_covers_the_plugins(cli: dict[str, list[Triple]]) -> None:
    """The reference is not vacuous: every plugin that can report under default filters does."""
    found = {secret_type for triples in cli.values() for _, secret_type, _ in triples}
    expected = set(_secret_types().values())
    # IPPublicDetector never reports with detect-secrets' default filters: an IPv4 address has no letter,
    # so `is_not_alphanumeric_string` drops every one of them (see test_rule_cases.py).
    expected.discard("Public IP (ipv4)")
    assert expected - found == set()
    # the filters and special files behave as documented, so the comparison below exercises them
    assert "package-lock.json" not in cli and "api/swagger.yaml" not in cli and "misc/icon.svg" not in cli
    assert "legacy/latin1.properties" not in cli
    assert [t[0] for t in cli["dup/twice.txt"]] == [1, 4]
    assert [t[0] for t in cli["misc/allowlisted.py"]] == [2]
    assert "misc/credentials" in cli  # found only by the eager config transformer


def test_nothing_detect_secrets_finds_is_silently_lost(cli: dict[str, list[Triple]], report: Report) -> None:
    lost = []
    for name, triples in sorted(cli.items()):
        path = PREFIX + name
        reported = [f for f in report.findings if f.path == path and f.kind == "secret"]
        for line, secret_type, hashed in triples:
            if any(f.line == line and _holds(f.secret, hashed) for f in reported):
                continue
            if rejected_finding(report, path, line, hashed) is None:
                lost.append({"file": name, "line": line, "type": secret_type,
                             "reported on that line": sorted(f.rule for f in reported if f.line == line)})
    assert not lost, json.dumps(lost, indent=1)


def test_every_occurrence_detect_secrets_keeps_once_is_reported(report: Report) -> None:
    """detect-secrets reports dup/twice.txt's repeated token on line 1 only and misses the second AWS key
    line of occur/dup.env; layer-auditor reports (or, for the corpus' FAKE stand-ins, rejects by name) each line."""
    judged = report.findings + report.rejected
    lines = sorted(f.line or 0 for f in judged
                   if f.path == PREFIX + "occur/dup.env" and f.rule == "ds-aws-access-key")
    assert lines == [2, 5, 8]
    lines = sorted(f.line or 0 for f in judged
                   if f.path == PREFIX + "dup/twice.txt" and f.rule == "ds-github-token")
    assert lines == [1, 3]


def test_the_plugins_rules_may_name_without_importing_detect_secrets_are_the_librarys() -> None:
    from importlib.metadata import version

    from auditor.checks.params import KNOWN_PLUGINS
    from auditor.checks.secrets import library_version, plugin_names

    assert KNOWN_PLUGINS == plugin_names()
    assert library_version() == version("detect-secrets")


def test_loading_the_default_rules_does_not_import_detect_secrets() -> None:
    code = ("import sys\nfrom auditor.rules import default_pack_paths, load_rules\nload_rules(default_pack_paths())\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('detect_secrets', 'requests')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_rule_naming_a_plugin_the_library_lacks_is_refused() -> None:
    from auditor.errors import RuleError
    from auditor.rules import parse_rule

    raw = {"id": "mine", "kind": "secret", "severity": "high", "description": "D.", "remediation": "R.",
           "plugin": "NoSuchDetector"}
    with pytest.raises(RuleError, match="unknown detect-secrets plugin 'NoSuchDetector'"):
        parse_rule(raw, "mine.yaml")
