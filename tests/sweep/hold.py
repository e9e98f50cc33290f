"""A Dask worker preload (`dask worker --preload tests/sweep/hold.py`) that holds one layer's task until
the test releases it: the worker that takes the layer named by SWEEP_HOLD_DIGEST writes
`started-<pid>` into SWEEP_HOLD_DIR and waits there until a `release` file appears. So the test knows
which worker is mid-layer, kills it then, and only then lets the retry (on the other worker) go on.

It replaces `auditor.sweep.executor.scan_layer` in the worker, which is where a task's function (sent by
reference) is looked up.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from auditor.sweep import executor

# Dask imports a preload twice (the file, then its copy in the worker's directory): keep the real one
_real = getattr(executor, "_unheld_scan_layer", executor.scan_layer)
executor._unheld_scan_layer = _real  # type: ignore[attr-defined]


def _held(task, rules):  # type: ignore[no-untyped-def]
    if task.digest == os.environ.get("SWEEP_HOLD_DIGEST"):
        folder = Path(os.environ["SWEEP_HOLD_DIR"])
        (folder / f"started-{os.getpid()}").write_text(task.digest)
        while not (folder / "release").exists():
            time.sleep(0.05)
    return _real(task, rules)


executor.scan_layer = _held
