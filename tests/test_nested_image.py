"""Archives inside an image's files, audited end to end: a secret in a member is a finding at
`outer!/member` with the outer file's status, layer and hidden_by, in every format and from the cache;
an unreadable archive is listed as not scanned without failing the audit."""

from __future__ import annotations

import gzip
import io
import json
import secrets
import string
import tarfile
import xml.etree.ElementTree as ET
import zipfile
from urllib.parse import unquote

import pytest

from auditor.formats import FORMATS
from auditor.layers import read_layer
from auditor.model import Digest, Layer
from testing import imagekit as kit
from testing.imagekit import Dir, File, ImageSpec, Whiteout
from testing.tokens import github_token

AWS_KEY = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))
GITHUB_TOKEN = github_token()  # a live-format token: its checksum holds
BASE = [Dir("/etc"), File("/etc/os-release", b"ID=kit\n")]
JAR_MEMBER = "/app/app.jar!/BOOT-INF/classes/application.properties"
LIB_MEMBER = "/app/app.jar!/BOOT-INF/lib/client.jar!/client.yml"


def zip_bytes(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return buffer.getvalue()


def tgz_bytes(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue(), mtime=0)


def fat_jar() -> bytes:
    """A Spring Boot-shaped jar: classes, config, and a nested library jar with its own config."""
    client = zip_bytes([("client.yml", f"github:\n  token: {GITHUB_TOKEN}\n".encode()),
                        ("com/acme/Client.class", b"\xca\xfe\xba\xbe" + bytes(2000))])
    return zip_bytes([("META-INF/MANIFEST.MF", b"Main-Class: org.springframework.boot.loader.JarLauncher\n"),
                      ("BOOT-INF/classes/application.properties",
                       f"server.port=8080\naws.accessKeyId={AWS_KEY}\n".encode()),
                      ("BOOT-INF/classes/com/acme/App.class", b"\xca\xfe\xba\xbe" + bytes(3000)),
                      ("BOOT-INF/lib/client.jar", client)])


def write(tmp_path, layers, name="image.tar"):
    path = tmp_path / name
    kit.write_docker_archive(path, ImageSpec(layers=layers))
    return str(path)


@pytest.fixture
def deleted_jar(tmp_path):
    """The fat jar added in layer 1 and deleted in layer 2."""
    return write(tmp_path, [BASE, [Dir("/app"), File("/app/app.jar", fat_jar())],
                            [Dir("/app"), Whiteout("/app/app.jar")]])


def by_path(doc):
    """Each finding path, with its findings by rule."""
    paths: dict[str, dict[str, dict]] = {}
    for finding in doc["findings"]:
        paths.setdefault(finding["path"], {})[finding["rule"]] = finding
    return paths


def test_a_secret_in_a_deleted_fat_jar_is_found_at_its_member_path_with_the_jars_fate(cli, deleted_jar, tmp_path,
                                                                                       monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    result = cli(deleted_jar, "--format", "json")
    assert result.code == 1, result.err
    findings = by_path(result.json())
    assert findings.keys() == {JAR_MEMBER, LIB_MEMBER}
    for path, rule in ((JAR_MEMBER, "ds-aws-access-key"), (LIB_MEMBER, "ds-github-token")):
        finding = findings[path][rule]
        assert (finding["rule"], finding["status"], finding["layer"], finding["hidden_by"]) == (rule, "deleted", 1, 2)
    assert findings[JAR_MEMBER]["ds-aws-access-key"]["line"] == 2
    assert result.json()["not_scanned"] == []


def test_member_findings_come_back_the_same_from_the_layer_cache(cli, deleted_jar, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = cli(deleted_jar, "--format", "json").json()
    second = cli(deleted_jar, "--format", "json").json()
    assert second["summary"]["cached_layers"] == 3
    assert second["findings"] == first["findings"] and by_path(second).keys() == {JAR_MEMBER, LIB_MEMBER}


def test_fingerprints_tell_the_same_secret_in_two_members_apart(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    line = f"aws_access_key_id = {AWS_KEY}\n".encode()
    ref = write(tmp_path, [BASE, [Dir("/app"), File("/app/b.zip", zip_bytes([("a.ini", line), ("b.ini", line)]))]])
    findings = by_path(cli(ref, "--format", "json").json())
    assert findings.keys() == {"/app/b.zip!/a.ini", "/app/b.zip!/b.ini"}
    assert len({f["ds-aws-access-key"]["fingerprint"] for f in findings.values()}) == 2


def test_a_wheel_with_a_dotenv_and_a_tgz_inside_a_zip_are_read(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    wheel = zip_bytes([("acme/__init__.py", b""), ("acme/.env", f"AWS_ACCESS_KEY_ID={AWS_KEY}\n".encode()),
                       ("acme-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n")])
    bundle = zip_bytes([("deploy/config.tgz", tgz_bytes([("etc/app.yml", f"token: {GITHUB_TOKEN}\n".encode())]))])
    ref = write(tmp_path, [BASE, [Dir("/opt"), File("/opt/acme-1.0-py3-none-any.whl", wheel),
                                  File("/opt/bundle.zip", bundle)]])
    findings = by_path(cli(ref, "--format", "json").json())
    assert findings["/opt/acme-1.0-py3-none-any.whl!/acme/.env"]["ds-aws-access-key"]["status"] == "visible"
    assert "ds-github-token" in findings["/opt/bundle.zip!/deploy/config.tgz!/etc/app.yml"]


def test_a_corrupt_archive_is_listed_as_not_scanned_and_does_not_fail_the_audit(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    broken = zip_bytes([("a.env", b"A=1\n" * 100)])[:80]
    ref = write(tmp_path, [BASE, [Dir("/app"), File("/app/broken.jar", broken)]])
    result = cli(ref, "--format", "json")
    assert result.code == 0, result.err
    [item] = result.json()["not_scanned"]
    assert item["path"] == "/app/broken.jar" and "unreadable" in item["reason"]


def test_an_archive_over_the_cap_is_listed_with_the_flag_that_raises_it(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    big = zip_bytes([("app.properties", f"aws.accessKeyId={AWS_KEY}\n".encode()), ("blob", secrets.token_bytes(4096))])
    ref = write(tmp_path, [BASE, [Dir("/app"), File("/app/app.jar", big)]])
    result = cli(ref, "--format", "json", "--max-file-size", "1K")  # archives: up to twice that
    assert result.code == 0, result.err
    assert [(i["path"], i["limit"]) for i in result.json()["not_scanned"]] == [("/app/app.jar", "max-file-size")]


def shown_paths(fmt: str, out: str) -> set[str]:
    """The finding paths a report in `fmt` shows (for SARIF, decoded from the artifact URIs)."""
    if fmt == "json":
        return set(by_path(json.loads(out)))
    if fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        return {"/" + unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results}
    if fmt == "junit":
        return {case.get("name", "") for case in ET.fromstring(out).iter("testcase")}
    return {out}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_shows_the_member_path(cli, deleted_jar, fmt, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    result = cli(deleted_jar, "--format", fmt)
    assert result.code == 1, result.err
    shown = " ".join(shown_paths(fmt, result.out))
    for path in (JAR_MEMBER, LIB_MEMBER):
        assert path in shown or path.lstrip("/") in shown, (fmt, result.out)
    assert AWS_KEY not in result.out and GITHUB_TOKEN not in result.out


def test_sarif_artifact_uris_of_members_stay_valid_uri_references(cli, deleted_jar, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    results = cli(deleted_jar, "--format", "sarif").json()["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {JAR_MEMBER.lstrip("/"), LIB_MEMBER.lstrip("/")}  # `!` is a sub-delim: no escaping needed


def test_path_rules_judge_an_archives_text_members_with_the_archives_fate(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    bundle = zip_bytes([("home/ci/.ssh/id_rsa", b"not a key, but named like one\n"), ("app/.env", b"DEBUG=0\n"),
                        ("app/README.md", b"# readme\n"), ("keys/id_rsa.class", b"\xca\xfe\xba\xbe" + bytes(100))])
    ref = write(tmp_path, [BASE, [Dir("/srv"), File("/srv/bundle.zip", bundle)],
                           [Dir("/srv"), Whiteout("/srv/bundle.zip")]])
    first = cli(ref, "--format", "json").json()
    files = {(f["path"], f["rule"]): (f["status"], f["layer"], f["hidden_by"])
             for f in first["findings"] if f["kind"] == "file"}
    assert files == {("/srv/bundle.zip!/home/ci/.ssh/id_rsa", "private-key-file"): ("deleted", 1, 2),
                     ("/srv/bundle.zip!/app/.env", "dotenv-file"): ("deleted", 1, 2),
                     ("/srv/bundle.zip", "hidden-archive"): ("deleted", 1, 2)}
    assert cli(ref, "--format", "json").json()["findings"] == first["findings"]  # and from the cache


def test_a_layer_read_for_its_entries_only_leaves_its_archives_closed():
    tar = kit.layer_tar([Dir("/app"), File("/app/broken.jar", zip_bytes([("a.env", b"A=1\n" * 100)])[:80]),
                         File("/app/app.jar", zip_bytes([("config.env", b"A=1\n")]))])
    layer = Layer(index=0, digest=Digest(kit.sha256(tar)), diff_id=Digest(kit.sha256(tar)), media_type=None,
                  size=len(tar), opener=lambda: io.BytesIO(tar))
    for archives, scanned, unread in ((False, [], []), (True, ["/app/app.jar!/config.env"], ["/app/broken.jar"])):
        seen: list[str] = []
        scan = read_layer(layer, lambda path, data: seen.append(path) or [], archives=archives)  # noqa: B023
        assert (seen, [item.path for item in scan.not_scanned]) == (scanned, unread)
