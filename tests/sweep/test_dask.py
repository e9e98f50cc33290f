"""`--executor dask://…`: a `LocalCluster` of two worker processes, and real `dask scheduler` and two
`dask worker` processes on loopback, one of them killed while it holds a layer; the store's report must
equal the one `--executor local` gives, byte for byte."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import missing
from tests.integration.conftest import audit_command
from tests.integration.registries import free_port

pytestmark = pytest.mark.slow
HOLD = Path(__file__).with_name("hold.py")
WAIT = 120.0


@pytest.fixture(scope="module")
def distributed():
    try:
        import distributed
    except ImportError:
        missing("dask.distributed is not installed: pip install '.[test]' (or 'layer-auditor[dask]')")
    return distributed


@pytest.fixture(scope="module")
def local_report(fleet, tmp_path_factory) -> str:
    """The JSON report of a sweep with the local executor (one process), as the reference."""
    from auditor.cli import main

    db = tmp_path_factory.mktemp("local") / "sweep.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("local-cache")))
        assert main(["sweep", fleet.address, "--tags", "all", "--db", str(db), "--jobs", "1", "-q"]) == 0
    return report_json(db)


def report_json(db: Path) -> str:
    proc = subprocess.run([*audit_command(), "sweep", "report", "--db", str(db), "--format", "json"],
                          capture_output=True, text=True, timeout=WAIT)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def sweep_command(fleet, db: Path, scheduler: str) -> list[str]:
    # the test's own empty cache (XDG_CACHE_HOME): no layer comes from it, the workers share the compiled patterns
    return [*audit_command(), "sweep", fleet.address, "--tags", "all", "--db", str(db), "-q",
            "--executor", "dask://" + scheduler.removeprefix("tcp://")]


def test_a_local_cluster_of_two_worker_processes_gives_the_local_report(distributed, fleet, local_report, tmp_path):
    db = tmp_path / "sweep.db"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        proc = subprocess.run(sweep_command(fleet, db, cluster.scheduler_address), capture_output=True, text=True,
                              timeout=WAIT * 2)
    assert proc.returncode == 0, proc.stderr
    assert "25 distinct layer(s): 25 scanned" in proc.stderr
    assert report_json(db) == local_report


def _dask(which) -> str:
    beside = Path(sys.executable).with_name("dask")
    return str(beside) if beside.exists() else which("dask", "pip install 'dask[distributed]'")


def _wait_for(predicate, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}", pytrace=False)


def test_killing_a_worker_mid_layer_changes_nothing(distributed, which, fleet, local_report, tmp_path):
    dask = _dask(which)
    address = f"tcp://127.0.0.1:{free_port()}"
    hold = tmp_path / "hold"
    hold.mkdir()
    held = fleet.pushed[0].layers[0]  # the base layer every image shares
    env = {**os.environ, "SWEEP_HOLD_DIGEST": held, "SWEEP_HOLD_DIR": str(hold)}
    logs = [tmp_path / name for name in ("scheduler.log", "worker-1.log", "worker-2.log")]
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                   "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=logs[0].open("wb"))]
    try:
        for log in logs[1:]:
            processes.append(subprocess.Popen(
                [dask, "worker", address, "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1", "--no-dashboard",
                 "--preload", str(HOLD)], env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb")))
        with distributed.Client(address, timeout=WAIT) as client:
            client.wait_for_workers(2, timeout=WAIT)
        db = tmp_path / "sweep.db"
        sweep = subprocess.Popen(sweep_command(fleet, db, address), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
        [first] = _wait_for(lambda: list(hold.glob("started-*")), "a worker to take the held layer")
        victim = int(first.name.removeprefix("started-"))
        os.kill(victim, signal.SIGKILL)
        (hold / "release").write_text("")
        out, err = sweep.communicate(timeout=WAIT * 2)
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=30)
    assert sweep.returncode == 0, err
    starts = {path.name for path in hold.glob("started-*")}
    assert len(starts) == 2 and first.name in starts, "the held layer was retried on the other worker"
    assert "25 distinct layer(s): 25 scanned" in err
    assert report_json(db) == local_report
    for log in logs:
        text = log.read_text(errors="replace")
        assert fleet.shared_secret not in text and fleet.single_secret not in text
