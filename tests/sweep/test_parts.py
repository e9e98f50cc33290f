"""The sweep's pure parts, without a registry: pagination links, tag choices, reference files, executor
names, the task's repr, and the grouping by root cause."""

from __future__ import annotations

import pytest

from auditor.errors import UsageError
from auditor.limits import Limits
from auditor.registry.client import _next_page
from auditor.registry.credentials import Credentials
from auditor.registry.settings import RegistryOptions
from auditor.sweep import catalog, executor
from auditor.sweep.summary import root_causes


@pytest.mark.parametrize(("header", "expected"), [
    ('</v2/_catalog?last=b&n=2>; rel="next"', "/v2/_catalog?last=b&n=2"),
    ('<http://127.0.0.1:5000/v2/app/tags/list?last=v3&n=2>; rel="next"', "/v2/app/tags/list?last=v3&n=2"),
    ('<https://elsewhere.example/v2/_catalog?last=b>; rel="next"', None),  # never another host
    ('</elsewhere?last=b>; rel="next"', None),  # never outside the API
    ('</v2/_catalog?last=b>; rel="prev"', None),
    ("", None),
])
def test_next_page_follows_only_a_same_origin_next_link(header, expected):
    assert _next_page(header, "127.0.0.1:5000") == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("latest", catalog.Tags("latest")), ("all", catalog.Tags("all")), ("newest:3", catalog.Tags("newest", 3))])
def test_tags_choices(text, expected):
    assert catalog.Tags.parse(text) == expected


@pytest.mark.parametrize("text", ["newest", "newest:0", "newest:x", "some"])
def test_a_bad_tags_choice_is_a_usage_error(text):
    with pytest.raises(UsageError, match="--tags"):
        catalog.Tags.parse(text)


def test_a_reference_file_skips_comments_and_repeats_and_reads_docker_hub_names(tmp_path):
    refs = tmp_path / "refs.txt"
    refs.write_text("# kubectl output\nnginx:1.25\n\ndocker://ghcr.io/org/app:2  # app\nnginx:1.25\n"
                    "127.0.0.1:5000/team/api@sha256:" + "a" * 64 + "\n")
    assert [str(ref) for ref in catalog.from_file(str(refs))] == [
        "docker.io/library/nginx:1.25", "ghcr.io/org/app:2", "127.0.0.1:5000/team/api@sha256:" + "a" * 64]


def test_a_bad_line_names_the_file_and_line(tmp_path):
    refs = tmp_path / "refs.txt"
    refs.write_text("nginx:1.25\nNot/A/Valid:Ref:x\n")
    with pytest.raises(UsageError, match=r"refs.txt:2: "):
        catalog.from_file(str(refs))


def test_target_splits_registry_and_prefix():
    assert catalog.split_target("registry.example.com:5000/team/") == ("registry.example.com:5000", "team")
    assert catalog.split_target("docker://ghcr.io") == ("ghcr.io", "")
    with pytest.raises(UsageError):
        catalog.split_target("https:/x")


def test_executor_names():
    assert executor.executor("local", 3) == executor.LocalExecutor(3)
    assert executor.executor("dask://10.0.0.5:8786", 1) == executor.DaskExecutor("tcp://10.0.0.5:8786")
    assert executor.executor("dask+tls://sched:8786", 1) == executor.DaskExecutor("tls://sched:8786")
    for bad in ("dask://", "spark://x:1", "tcp://x:1"):
        with pytest.raises(UsageError, match="--executor"):
            executor.executor(bad, 1)


def test_a_task_never_shows_its_credentials():
    password = "hunter2-very-secret"
    options = RegistryOptions(credentials=Credentials(username="ci", password=password, registry="r.example"))
    task = executor.LayerTask("r.example", "team/app", "sha256:" + "b" * 64, None, 10, None, Limits(), options)
    assert password not in repr(task) and password not in str(task)


def _row(reference, fingerprint, severity="high", layer="sha256:l1", status="visible"):
    return {"reference": reference, "fingerprint": fingerprint, "rule": f"rule-{fingerprint}", "severity": severity,
            "kind": "secret", "message": "m", "path": "/p", "location": None, "layer_digest": layer,
            "instruction": None, "preview": "ab****", "remediation": None, "status": status}


def test_root_causes_group_a_finding_per_layer_and_put_the_worst_and_widest_first():
    rows = [_row("a:1", "f1"), _row("b:1", "f1", status="deleted"), _row("c:1", "f1"),
            _row("a:1", "f2", severity="critical"), _row("a:1", "f3"), _row("b:1", "f1", layer="sha256:l2")]
    causes = root_causes(rows)
    assert [(c.fingerprint, c.layer_digest, len(c.images)) for c in causes] == [
        ("f2", "sha256:l1", 1), ("f1", "sha256:l1", 3), ("f1", "sha256:l2", 1), ("f3", "sha256:l1", 1)]
    assert causes[1].images == (("a:1", "visible"), ("b:1", "deleted"), ("c:1", "visible"))


@pytest.mark.parametrize("argv", [
    ["sweep"],  # neither a registry nor --from-file
    ["sweep", "report", "--db", "missing.db"],
    ["sweep", "127.0.0.1:1", "--tags", "oldest"],
    ["sweep", "127.0.0.1:1", "--executor", "spark://x"],
])
def test_bad_input_is_one_line_and_exit_2(cli, argv):
    result = cli(*argv)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("audit: error: ") and result.err.count("\n") == 1


def test_the_store_is_private_and_refuses_another_sqlite_file(tmp_path):
    import os
    import sqlite3

    from auditor.sweep.store import Store

    Store(str(tmp_path / "sweep.db")).close()
    assert os.stat(tmp_path / "sweep.db").st_mode & 0o077 == 0
    with sqlite3.connect(tmp_path / "other.db") as other:
        other.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        other.execute("INSERT INTO meta VALUES ('schema', '0')")
    with pytest.raises(UsageError, match="schema 0"):
        Store(str(tmp_path / "other.db"))


def test_a_task_that_fails_outright_ends_the_sweep_with_one_line_naming_the_layer():
    from concurrent.futures import Future

    from auditor.errors import SweepError

    task = executor.LayerTask("r.example", "team/app", "sha256:" + "c" * 64, None, 10, None, Limits(),
                              RegistryOptions())
    failed: Future[executor.LayerResult] = Future()
    failed.set_exception(RuntimeError("worker died"))
    with pytest.raises(SweepError, match=r"layer sha256:c{64} of r.example/team/app: its task failed \(RuntimeError\)"):
        executor._outcome(failed, task)
