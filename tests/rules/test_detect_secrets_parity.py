"""layer-auditor's `secret` rules must find exactly what the real `detect-secrets scan` finds.

The corpus under tests/assets/corpus holds FAKE credentials for every detect-secrets plugin in files of
many kinds (Python, YAML, JSON, INI/CFG, .env, .properties, JS, Go, Terraform, a Dockerfile, a shell
script, CRLF and CR-only line endings, a UTF-8 BOM, a file that is not UTF-8, a lock file, a swagger file,
an SVG, an allowlisted line, a secret on two lines, a file only the eager transformers read). The test runs
`python -m detect_secrets scan --all-files` in a copy of it and compares, file by file, the sorted
(line_number, type, hashed_secret) triples with what `Scanner(rules).secrets.scan_file()` returns for the
same bytes, the rule of each hit mapped back to its plugin's secret type.

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

import pytest

from auditor.checks.scanner import Scanner
from auditor.rules import default_pack_paths, load_rules

CORPUS = Path(__file__).resolve().parent.parent / "assets" / "corpus"
DEAD_PROXY = "http://127.0.0.1:9"

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


def _reported_value(plugin: str, secret: str) -> str:
    """The value detect-secrets itself reports for a secret layer-auditor reports whole.

    GitHub's and GitLab's patterns capture only the token's prefix (`(ghp|gho|...)_...`), so detect-secrets
    reports "ghp" for every GitHub token; layer-auditor reports the whole token
    (auditor.checks.secrets._whole_token). Map it back to compare like with like.
    """
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    cls = {c.__name__: c for c in get_mapping_from_secret_type_to_class().values()}[plugin]
    for pattern in getattr(cls, "denylist", ()):
        match = pattern.fullmatch(secret)
        if match and pattern.groups and match.start(1) == 0:
            return str(match.group(1))
    return secret


def _auditor_results(root: Path, prefix: str) -> dict[str, list[Triple]]:
    rules = load_rules(default_pack_paths())
    type_of_plugin = _secret_types()
    type_of_rule = {r.id: type_of_plugin[str(r.params["plugin"])] for r in rules if r.kind == "secret"}
    plugin_of_rule = {r.id: str(r.params["plugin"]) for r in rules if r.kind == "secret"}
    scanner = Scanner(rules)
    out: dict[str, list[Triple]] = {}
    with scanner.secrets.session():
        for rel in _corpus_files(root):
            hits = scanner.secrets.scan_file(prefix + rel, (root / rel).read_bytes())
            if hits:
                assert all(h.secret is not None for h in hits)
                triples = {
                    (h.line or 0, type_of_rule[h.rule],
                     hashlib.sha1(_reported_value(plugin_of_rule[h.rule], str(h.secret)).encode("utf-8")).hexdigest())
                    for h in hits
                }
                # detect-secrets keeps one of several secrets with the same (type, reported value) in a file
                # (the first line); layer-auditor keeps every whole token. Compare the first of each.
                first: dict[tuple[str, str], Triple] = {}
                for triple in sorted(triples):
                    first.setdefault((triple[1], triple[2]), triple)
                out[rel] = sorted(first.values())
    return out


@pytest.fixture(scope="module")
def corpus_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="module", params=[[], ["--no-verify"]], ids=["default", "no-verify"])
def cli(request: pytest.FixtureRequest, corpus_copy: Path) -> dict[str, list[Triple]]:
    return _cli_results(corpus_copy, request.param)


def test_corpus_has_the_promised_variety() -> None:
    files = _corpus_files(CORPUS)
    suffixes = {Path(f).suffix for f in files}
    assert {".py", ".yaml", ".yml", ".json", ".ini", ".cfg", ".properties", ".js", ".sh", ".go", ".tf"} <= suffixes
    names = set(files) | {Path(f).name for f in files}
    assert {"Dockerfile", ".env", ".npmrc", "package-lock.json", "api/swagger.yaml"} <= names
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


@pytest.mark.parametrize("prefilter", [True, False], ids=["prefilter", "every-line"])
@pytest.mark.parametrize("prefix", ["/", "/srv/app/"], ids=["at-root", "under-srv-app"])
def test_auditor_matches_detect_secrets_line_for_line(cli: dict[str, list[Triple]], corpus_copy: Path,
                                                      prefix: str, prefilter: bool,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """With and without the Hyperscan prefilter, so neither its skipping nor the transformer shortcuts
    can hide a finding."""
    import auditor.checks.prefilter

    if not prefilter:
        monkeypatch.setattr(auditor.checks.prefilter, "hyperscan", None)
    ours = _auditor_results(corpus_copy, prefix)
    mismatches = {
        name: {"detect-secrets": cli.get(name), "layer-auditor": ours.get(name)}
        for name in sorted(set(cli) | set(ours))
        if cli.get(name) != ours.get(name)
    }
    assert not mismatches, json.dumps(mismatches, indent=1)
