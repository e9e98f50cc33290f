"""Package ownership in the audit: which content findings are shown, hidden and counted, and what says so."""

from __future__ import annotations

import hashlib

import pytest

from auditor.formats.common import summary_lines
from auditor.model import FileDigests, Finding, RuleId, Severity, Status
from auditor.ownership.findings import INDEX, is_index, judge, ledger_of, mark, partition
from auditor.ownership.ledger import Standing
from testing import imagekit as kit
from testing.imagekit import Dir, File, ImageSpec, Whiteout

TOKEN = "ghp_R8vXq2LmT4nYw7KpZ3sB9dF6hJ1cV5gN0aQe"
SHIPPED = f"# sample configuration\ntoken = {TOKEN}\n".encode()
EDITED = SHIPPED + b"# edited by the image's builder\n"
DOC = "/usr/share/doc/app/sample.conf"
SUMS = "/var/lib/dpkg/info/app.md5sums"


def md5sums(*pairs: tuple[str, bytes]) -> bytes:
    return "".join(f"{hashlib.md5(data).hexdigest()}  {path.lstrip('/')}\n" for path, data in pairs).encode()


def finding(path: str, layer: int = 0, kind: str = "secret", ownership: str | None = None) -> Finding:
    return Finding(rule=RuleId("r"), kind=kind, severity=Severity.HIGH, status=Status.VISIBLE, message="m",
                   fingerprint=f"{path}{layer}", path=path, layer=layer, ownership=ownership)


# --- pure wiring -----------------------------------------------------------------------------------------


def test_a_file_matching_its_md5sums_record_is_unmodified_with_its_package() -> None:
    ledger = ledger_of([(0, SUMS, md5sums((DOC, SHIPPED)))])
    assert judge(ledger, DOC, 0, FileDigests.of(SHIPPED), True) == (Standing.UNMODIFIED.value, "app (dpkg)")
    assert judge(ledger, DOC, 1, FileDigests.of(EDITED), True) == (Standing.MODIFIED.value, "app (dpkg)")
    assert judge(ledger, "/app/config", 1, FileDigests.of(SHIPPED), True) == (None, None)


def test_without_digests_a_recorded_file_never_passes_as_unmodified() -> None:
    ledger = ledger_of([(0, SUMS, md5sums((DOC, SHIPPED)))])
    assert judge(ledger, DOC, 0, None, True)[0] == Standing.MODIFIED.value


def test_a_database_removed_by_a_later_layer_judges_nothing_added_after() -> None:
    ledger = ledger_of([(0, SUMS, md5sums((DOC, SHIPPED))), (1, SUMS, None)])
    assert judge(ledger, DOC, 2, FileDigests.of(SHIPPED), True) == (None, None)
    assert judge(ledger, DOC, 0, FileDigests.of(SHIPPED), False)[0] == Standing.UNMODIFIED.value


@pytest.mark.parametrize("path", ["/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_i18n_Translation-en",
                                  "/root/.npm/_cacache/index-v5/1f/2a/abcdef",
                                  "/root/.cache/pip/http-v2/a/b/c/d/e/0123.body"])
def test_package_manager_indexes_are_classified_by_path_before_any_ledger(path: str) -> None:
    assert is_index(path)
    assert judge(ledger_of([]), path, 0, None, True) == (INDEX, None)


@pytest.mark.parametrize("path", ["/app/.npm/config", "/var/lib/apt/listsx", "/root/.cache/pip/selfcheck.json"])
def test_paths_beside_the_indexes_are_not_indexes(path: str) -> None:
    assert not is_index(path)


def test_unmodified_unverified_and_index_findings_are_hidden_and_counted_by_kind() -> None:
    findings = [finding("/a", ownership=Standing.UNMODIFIED.value), finding("/a", ownership=Standing.UNMODIFIED.value),
                finding("/b", ownership=Standing.UNMODIFIED.value),
                finding("/n/x.js", ownership=Standing.PACKAGED_UNVERIFIED.value),
                finding("/etc/app.conf", ownership=Standing.MODIFIED.value), finding("/app/.env")]
    shown, counts = partition(findings)
    assert [f.path for f in shown] == ["/etc/app.conf", "/app/.env"]
    assert (counts.unmodified, counts.unverified, counts.indexes, counts.hidden) == ((3, 2), (1, 1), (0, 0), 4)
    assert summary_lines(counts)[0] == \
        "3 finding(s) in 2 unmodified package file(s) not shown; `--include-package-files` to list them."


def test_include_package_files_shows_everything_and_keeps_the_counts() -> None:
    findings = [finding("/a", ownership=Standing.UNMODIFIED.value), finding("/app/.env")]
    shown, counts = partition(findings, include=True)
    assert shown == findings and counts.unmodified == (1, 1) and counts.hidden == 0
    assert "shown" in summary_lines(counts)[0]


def test_hidden_index_findings_are_counted_into_their_directory_finding() -> None:
    lists = "/var/lib/apt/lists"
    group = finding(lists, kind="file")
    other_layer = finding(lists, layer=1, kind="file")
    hits = [finding(f"{lists}/x_Packages", ownership=INDEX), finding(f"{lists}/partial/y", ownership=INDEX)]
    shown, counts = partition([group, other_layer, *hits])
    assert counts.indexes == (2, 2)
    assert shown[0].message.startswith("m; 2 content finding(s) in its files not shown")
    assert shown[1] == other_layer


def test_mark_says_the_ownership_in_the_message_and_fields() -> None:
    marked = mark(finding("/etc/app.conf"), Standing.MODIFIED.value, "app (dpkg)")
    assert (marked.ownership, marked.package) == ("package file, modified", "app (dpkg)")
    assert marked.message == "m [package file, modified: app (dpkg)]"
    assert mark(finding("/x"), None, None) == finding("/x")


# --- through the audit ------------------------------------------------------------------------------------

BASE = [Dir("/usr"), File(DOC, SHIPPED), File(SUMS, md5sums((DOC, SHIPPED), ("/etc/app.conf", b"port = 1\n"))),
        File("/etc/app.conf", b"port = 1\n")]
EDIT = [File(DOC, EDITED)]
APP = [Dir("/app"), File("/app/.env", f"GITHUB_TOKEN={TOKEN}\n".encode())]
NODE = [File("/app/node_modules/left-pad/package.json", b'{"name": "left-pad", "version": "1.3.0"}'),
        File("/app/node_modules/left-pad/test.js", f"const t = '{TOKEN}'\n".encode())]


def archive(tmp_path, layers, name="image.tar"):
    path = tmp_path / name
    kit.write_docker_archive(path, ImageSpec(layers=layers))
    return path


def secrets(doc):
    return {(f["path"], f["layer"], f["ownership"]) for f in doc["findings"] if f["kind"] == "secret"}


def test_the_audit_hides_the_shipped_file_reports_the_edited_one_and_the_planted_secret(tmp_path, cli) -> None:
    ref = archive(tmp_path, [BASE, EDIT, APP])
    result = cli(ref, "--format", "json", "--no-cache")
    doc = result.json()
    assert secrets(doc) == {(DOC, 1, "package file, modified"), ("/app/.env", 2, None)}
    edited = next(f for f in doc["findings"] if f["path"] == DOC)
    assert edited["package"] == "app (dpkg)" and "[package file, modified: app (dpkg)]" in edited["message"]
    assert doc["summary"]["package_files"]["unmodified"] == {"findings": 1, "files": 1}
    assert result.code == 1


def test_include_package_files_lists_the_shipped_file_with_its_ownership(tmp_path, cli) -> None:
    doc = cli(archive(tmp_path, [BASE, EDIT, APP]), "--format", "json", "--no-cache",
              "--include-package-files").json()
    assert (DOC, 0, "package file, unmodified") in secrets(doc)
    assert doc["summary"]["package_files"]["shown"] is True


def test_an_image_holding_only_shipped_package_content_passes_the_gate(tmp_path, cli) -> None:
    result = cli(archive(tmp_path, [BASE]), "--no-cache")
    assert result.code == 0
    assert "1 finding(s) in 1 unmodified package file(s) not shown" in result.out


def test_node_modules_files_are_hidden_as_unverified_and_counted_apart(tmp_path, cli) -> None:
    doc = cli(archive(tmp_path, [BASE, NODE]), "--format", "json", "--no-cache").json()
    assert secrets(doc) == set()
    unverified = doc["summary"]["package_files"]["unverified"]
    assert unverified["files"] == 1 and unverified["findings"] >= 1


def test_a_deleted_database_no_longer_vouches_for_files_added_after_it(tmp_path, cli) -> None:
    doc = cli(archive(tmp_path, [BASE, [Whiteout(SUMS)], [File(DOC, SHIPPED)]]), "--format", "json",
              "--no-cache").json()
    assert (DOC, 2, None) in secrets(doc)


def test_the_cached_second_run_gives_the_same_report(tmp_path, cli, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ref = archive(tmp_path, [BASE, EDIT, APP])
    first = cli(ref, "--format", "json").json()
    second = cli(ref, "--format", "json").json()
    assert second["summary"]["cached_layers"] == 3
    assert second["findings"] == first["findings"]
    assert second["summary"]["package_files"] == first["summary"]["package_files"]
    third = cli(ref, "--format", "json", "--include-package-files").json()  # memo holds every finding
    assert (DOC, 0, "package file, unmodified") in secrets(third)


def test_layer_cache_entries_keep_databases_and_digests(tmp_path, cli, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cli(archive(tmp_path, [BASE], name="base.tar"), "--format", "json")
    doc = cli(archive(tmp_path, [BASE, EDIT, APP], name="app.tar"), "--format", "json").json()
    assert doc["summary"]["cached_layers"] == 1  # the base layer's scan, read back, still feeds the ledger
    assert doc["summary"]["package_files"]["unmodified"] == {"findings": 1, "files": 1}
    assert (DOC, 1, "package file, modified") in secrets(doc)


def test_audit_files_records_ownership_and_package_per_entry(tmp_path, cli) -> None:
    ref = archive(tmp_path, [BASE, EDIT])
    files = {(f["path"], f["layer"]): f for f in cli("files", ref, "--format", "json").json()["files"]}
    assert (files[(DOC, 0)]["ownership"], files[(DOC, 0)]["package"]) == ("package file, unmodified", "app (dpkg)")
    assert files[(DOC, 1)]["ownership"] == "package file, modified"
    assert files[("/etc/app.conf", 0)]["ownership"] == "package file, unmodified"
    assert files[(SUMS, 0)]["ownership"] is None
    text = cli("files", ref).out
    assert any(line.split()[-1] == DOC and "package file, unmodified: app (dpkg)" in line for line in text.splitlines())
