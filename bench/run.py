"""The benchmark of issue 6: the floor, `audit`, detect-secrets and a peer scanner on the same image.

    python bench/run.py [--dir /tmp/la-bench] [--quick] [--repeat N] [--big] [--json FILE]

Builds (or reuses) the bench image with bench/build_image.py, then runs every contender as its own
subprocess and measures wall time, CPU time, peak RSS (the largest single process, from wait4's rusage)
and the peak RSS of the whole process tree (sampled from /proc every 0.1 s: detect-secrets runs a
worker pool). Prints a table, the ratios and the issue's targets, and writes the results as JSON.
See bench/README.md for what each row means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import build_image
import floor

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PAGE = os.sysconf("SC_PAGE_SIZE")
BIG_SIZE = 2 << 30  # the single big file of --big
JARS, JAR_MEMBER = 6, 30 * 10**6  # --jars: this many jars, each inflating to one text member of this size


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def tool(name: str) -> str | None:
    """A command of this interpreter's environment (the venv), else from PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), name)
    return beside if os.access(beside, os.X_OK) else shutil.which(name)


def precompile() -> None:
    """Byte-compile the `auditor` package this interpreter imports, as `pip install` does for an installed
    wheel: an editable checkout run with PYTHONDONTWRITEBYTECODE set (as here) would otherwise compile
    every module from source on every run, 0.3 s that no installed `audit` spends."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("auditor")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            compileall.compile_dir(location, quiet=1)


class TreeSampler(threading.Thread):
    """Sample the memory of a process and all its descendants until stopped: the sum of their PSS
    (proportional set size: a page shared by n processes counts 1/n in each, so forked workers sharing
    their parent's pages are not counted twice, as summed RSS would), or of RSS where PSS is unknown."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._done = threading.Event()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(name))
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, []))
        return tree

    def sample(self) -> None:
        total = 0
        for pid in self._tree():
            try:
                total += _pss(pid)
            except (OSError, IndexError, ValueError):
                continue
        self.peak = max(self.peak, total)

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self._done.set()
        self.join()


def _pss(pid: int) -> int:
    """A process's proportional set size in bytes (its RSS where smaps_rollup is missing)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except FileNotFoundError:
        pass
    with open(f"/proc/{pid}/statm", "rb") as handle:
        return int(handle.read().split()[1]) * PAGE


@dataclass
class Run:
    """One measured subprocess."""

    wall: float
    cpu: float
    max_rss: int  # bytes, the largest single process
    tree_rss: int  # bytes, sampled sum of PSS over the process tree
    returncode: int
    stderr_tail: str = ""
    steal: float | None = None  # seconds the hypervisor gave this machine's CPUs to others meanwhile


def stolen() -> float | None:
    """CPU time stolen from this (virtual) machine so far, all CPUs, in seconds (/proc/stat's `steal`);
    None where it is not known."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = handle.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK") if fields[0] == "cpu" and len(fields) > 8 else None
    except (OSError, ValueError, IndexError):
        return None


def measure(cmd: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None,
            stdout: str | None = None) -> Run:
    """Run `cmd` to completion and measure it; its stdout goes to `stdout` (a file) or nowhere."""
    with open(stdout or os.devnull, "wb") as out, tempfile.TemporaryFile() as err:
        steal_before = stolen()
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, env=env, cwd=cwd)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            raise
        wall = time.perf_counter() - started
        steal_after = stolen()
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace")
    return Run(wall=wall, cpu=usage.ru_utime + usage.ru_stime, max_rss=usage.ru_maxrss * 1024,
               tree_rss=max(sampler.peak, usage.ru_maxrss * 1024), returncode=proc.returncode, stderr_tail=tail,
               steal=None if steal_before is None or steal_after is None else steal_after - steal_before)


@dataclass
class Row:
    """A line of the result table: a contender on one input, the best of its repeats."""

    key: str
    label: str
    input: str
    runs: list[Run] = field(default_factory=list)
    findings: int | None = None
    planted: str | None = None
    note: str = ""
    skipped: str | None = None

    def check(self, ok: Sequence[int] = (0,)) -> bool:
        """Mark the row failed when its last run exited with a code outside `ok`."""
        last = self.runs[-1]
        if last.returncode in ok:
            return True
        tail = " ".join(last.stderr_tail.split())[-300:]
        self.skipped = f"failed (exit {last.returncode})"
        self.note = (self.note + " " + tail).strip()
        return False

    @property
    def best(self) -> Run | None:
        return min(self.runs, key=lambda r: r.wall) if self.runs else None


class Bench:
    """Runs the contenders on one saved image and collects their rows."""

    def __init__(self, art: build_image.Artifacts, work: str, repeat: int, planted: Sequence[str],
                 base: build_image.Artifacts | None = None) -> None:
        self.art = art
        self.base = base
        self.work = work
        self.repeat = repeat
        self.planted = list(planted)
        self.rows: list[Row] = []
        self.info: dict[str, Any] = {}
        self.audit = tool("audit")
        precompile()
        self.audit_help = subprocess.run([self.audit, "--help"], capture_output=True, text=True,
                                         check=False).stdout if self.audit else ""
        self.has_cache = "--no-cache" in self.audit_help

    def row(self, key: str, label: str, input_: str) -> Row:
        row = Row(key, label, input_)
        self.rows.append(row)
        return row

    def _planted(self, paths: set[str | None]) -> str | None:
        """How many of the planted secrets' paths a contender reported."""
        if not self.planted:
            return None
        return f"{sum(p in paths for p in self.planted)}/{len(self.planted)}"

    def get(self, key: str) -> Row | None:
        return next((r for r in self.rows if r.key == key), None)

    def fresh_cache_env(self) -> tuple[dict[str, str], str]:
        """An environment whose XDG_CACHE_HOME is a new empty directory (a first run for the layer cache)."""
        home = tempfile.mkdtemp(prefix="xdg-", dir=self.work)
        return dict(os.environ, XDG_CACHE_HOME=home), home

    # 1. the floor
    def floor(self, transport: str, sha256: bool = False) -> None:
        """One run of the floor (`main` alternates it with `audit`'s, so both meet the same machine)."""
        key = f"1{'h' if sha256 else ''}-{transport}"
        label = "floor + sha256" if sha256 else "floor"
        row = self.get(key) or self.row(key, label, transport)
        if row.skipped:
            return
        out = os.path.join(self.work, f"floor-{key}.json")
        cmd = [sys.executable, os.path.join(HERE, "floor.py"), self.art.ref(transport)]
        cmd += ["--sha256"] if sha256 else []
        row.runs.append(measure(cmd, stdout=out))
        if not row.check():
            return
        with open(out, encoding="utf-8") as handle:
            totals = json.load(handle)
        row.findings = None
        row.note = f"{totals['entries']} entries, {totals['layers']} layers, {totals['compression']}"
        self.info.setdefault("tar_bytes", totals["tar_bytes"])
        self.info.setdefault("entries", totals["entries"])
        self.info.setdefault("layers", totals["layers"])
        self.info.setdefault("blob_bytes", {})[transport] = totals["blob_bytes"]

    # 2. audit
    def audit_row(self, transport: str) -> None:
        """One first run of `audit` (and, on the docker-archive, a second one with the cache it filled)."""
        key = f"2-{transport}"
        row = self.get(key) or self.row(key, "audit", transport)
        if row.skipped:
            return
        if not self.audit:
            row.skipped = "not installed"
            return
        out = os.path.join(self.work, f"audit-{transport}.json")
        cmd = [self.audit, self.art.ref(transport), "--format", "json", "--output", out,
               "--no-config", "--no-baseline", "--quiet"]
        env, home = self.fresh_cache_env()
        row.runs.append(measure(cmd, env=env, cwd=self.work))
        if not row.check((0, 1)):
            return
        if self.has_cache and transport == "docker-archive":
            self.cache_second(home, env, cmd, first=row.runs[-1])
        shutil.rmtree(home, ignore_errors=True)
        row.note = ""
        self._audit_findings(row, out)

    def cache_second(self, home: str, env: dict[str, str], cmd: list[str], first: Run) -> None:
        """The same audit again with the cache the first run filled."""
        row = self.get("2c-docker-archive") or self.row("2c-docker-archive", "audit, 2nd run (cache)",
                                                          "docker-archive")
        out = os.path.join(self.work, "audit-second.json")
        cmd = list(cmd)
        cmd[cmd.index("--output") + 1] = out
        row.runs.append(measure(cmd, env=env, cwd=self.work))
        if not row.check((0, 1)):
            return
        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(home) for f in fs)
        row.note = f"cache {size / 1e6:.1f} MB; first run {first.wall:.1f}s"
        self._audit_findings(row, out)

    def shared_base(self) -> None:
        """The app image audited right after its base image with one cache: only the app's own layers
        should be read (the issue's "an image that shares its base layers ... only scans its new layers")."""
        row = self.row("2b-docker-archive", "audit after its base (cache)", "docker-archive")
        if not self.audit or not self.has_cache or self.base is None:
            row.skipped = "needs audit with a layer cache and the base image"
            return
        env, home = self.fresh_cache_env()
        out = os.path.join(self.work, "audit-after-base.json")
        base_cmd = [self.audit, self.base.ref("docker-archive"), "--format", "json", "--output", out,
                    "--no-config", "--no-baseline", "--quiet"]
        base_run = measure(base_cmd, env=env, cwd=self.work)
        cmd = list(base_cmd)
        cmd[1] = self.art.ref("docker-archive")
        row.runs.append(measure(cmd, env=env, cwd=self.work))
        shutil.rmtree(home, ignore_errors=True)
        if not row.check((0, 1)):
            return
        with open(out, encoding="utf-8") as handle:
            summary = json.load(handle)["summary"]
        self.info["shared_base"] = {"cached_layers": summary.get("cached_layers"), "layers": self.info.get("layers"),
                                    "base_wall": base_run.wall}
        row.note = f"base audited first in {base_run.wall:.1f}s;"
        self._audit_findings(row, out)

    def _audit_findings(self, row: Row, out: str) -> None:
        try:
            with open(out, encoding="utf-8") as handle:
                report = json.load(handle)
        except (OSError, ValueError):
            row.note = (row.note + " no report: " + row.runs[-1].stderr_tail.strip()[-200:]).strip()
            return
        row.findings = report["summary"]["findings"]
        paths = {f.get("path") for f in report["findings"]}
        row.planted = self._planted(paths)
        cached = report["summary"].get("cached_layers")
        row.note = (row.note + (f" cached layers {cached}" if cached else "")
                    + f" exit {row.runs[-1].returncode}").strip()

    # 3. detect-secrets over the extracted files
    def detect_secrets(self, tmp: str) -> None:
        row = self.row("3", "detect-secrets --all-files", "extracted files")
        exe = tool("detect-secrets")
        if not exe:
            row.skipped = "not installed"
            return
        out = os.path.join(self.work, "detect-secrets.json")
        for _ in range(self.repeat):
            dest = tempfile.mkdtemp(prefix="la-bench-extract-", dir=tmp)
            try:
                started = time.perf_counter()
                totals = floor.extract(self.art.ref("docker-archive"), dest)
                extraction = time.perf_counter() - started
                row.runs.append(measure([exe, "scan", "--all-files", "."], cwd=dest, stdout=out))
                if not row.check():
                    return
            finally:
                shutil.rmtree(dest, ignore_errors=True)
            row.note = (f"extraction {extraction:.1f}s (not counted): {totals['extracted_files']} files, "
                        f"{int(str(totals['extracted_bytes'])) / 1e6:.0f} MB in {tmp}")
        try:
            with open(out, encoding="utf-8") as handle:
                results = json.load(handle)["results"]
        except (OSError, ValueError, KeyError):
            row.note += " no report: " + row.runs[-1].stderr_tail.strip()[-200:]
            return
        row.findings = sum(len(v) for v in results.values())
        names = ["/" + name.split("/", 1)[1] for name in results if "/" in name]
        row.planted = self._planted(set(names))

    # 4. the peer
    def peer(self, tmpdir: str | None) -> None:
        where = "TMPDIR=" + (tmpdir or os.environ.get("TMPDIR", "/tmp"))
        row = self.row(f"4-{'shm' if tmpdir else 'default'}", "kingfisher scan docker", f"oci-archive, {where}")
        exe = tool("kingfisher")
        if not exe:
            row.skipped = "not installed"
            return
        out = os.path.join(self.work, "kingfisher.json")
        # Compile and cache its Vectorscan rules once, untimed (a one-time cost per installation).
        empty = tempfile.mkdtemp(dir=self.work)
        subprocess.run([exe, "scan", empty, "--no-validate", "--no-update-check", "-q"], capture_output=True,
                       check=False)
        env = dict(os.environ, TMPDIR=tmpdir) if tmpdir else None
        # --no-limits: with its default limits, kingfisher 2.14 refuses any layer blob over about 256 MB
        # ("archive ... did not contain Docker image layers", exit 1), which is the case of this image.
        cmd = [exe, "scan", "docker", "--archive", self.art.oci_archive, "--no-validate", "--no-update-check",
               "--no-limits", "--quiet", "--format", "json", "--output", out]
        for _ in range(self.repeat):
            row.runs.append(measure(cmd, env=env, cwd=self.work))
            if not row.check((0, 200)):
                return
        try:
            with open(out, encoding="utf-8") as handle:
                report = json.load(handle)
        except (OSError, ValueError):
            row.note = "no report: " + row.runs[-1].stderr_tail.strip()[-200:]
            return
        findings = report.get("findings", [])
        row.findings = len(findings)
        paths = {"/" + f["finding"]["path"].split(" | ", 1)[-1].lstrip("/") for f in findings}
        row.planted = self._planted(paths)
        row.note = f"exit {row.runs[-1].returncode}"

    # --big: one 2 GiB file in a layer; --jars: jars that inflate to big text members
    def one_image(self, name: str, transport_ref: str, what: str) -> None:
        """The floor and `audit` once each on an extra image (`--big`, `--jars`): rows `1-NAME`, `2-NAME`."""
        for key, label, cmd in (
            (f"1-{name}", "floor", [sys.executable, os.path.join(HERE, "floor.py"), transport_ref]),
            (f"2-{name}", "audit", [self.audit or "audit", transport_ref, "--format", "json", "--output",
                                    os.path.join(self.work, f"audit-{name}.json"), "--no-config", "--no-baseline",
                                    "--quiet"]),
        ):
            row = self.row(key, label, what)
            env, home = self.fresh_cache_env()
            row.runs.append(measure(cmd, env=env, cwd=self.work))
            shutil.rmtree(home, ignore_errors=True)
            row.note = f"exit {row.runs[-1].returncode}"
            row.check((0, 1))


def make_big(path: str) -> str:
    """An OCI layout (no engine needed) whose single uncompressed layer holds one 2 GiB text file."""
    import tarfile

    line = b"INFO 2024-06-01T00:00:00Z request served path=/api/v1/items status=200 bytes=5120\n"
    block = line * ((1 << 20) // len(line))

    def layer(write: Callable[[bytes], None]) -> None:
        info = tarfile.TarInfo("var/log/app/big.log")
        info.size, info.mode, info.mtime = BIG_SIZE, 0o644, 1717200000
        write(info.tobuf(tarfile.PAX_FORMAT))
        left = BIG_SIZE
        while left:
            piece = block[: min(left, len(block))]
            write(piece)
            left -= len(piece)
        write(b"\0" * (-BIG_SIZE % 512) + b"\0" * 1024)  # padding, then the end-of-archive blocks

    return _oci_layout(path, "big", layer, "COPY big.log /var/log/app/ # bench", "a 2 GiB text file in one layer")


def make_jars(path: str) -> str:
    """An OCI layout whose single layer holds JARS jars of about 3 MB, each inflating to one text member of
    JAR_MEMBER bytes (a properties file): what the workers read and scan inside archive files at once."""
    import io
    import random
    import tarfile
    import zipfile

    rng = random.Random(1)
    body = "".join(f"setting_{rng.randrange(300)} = value {rng.randrange(30)} token\n" for _ in range(40_000))
    text = (body * (JAR_MEMBER // len(body) + 1)).encode()[:JAR_MEMBER]

    def layer(write: Callable[[bytes], None]) -> None:
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for index in range(JARS):
                jar = io.BytesIO()
                with zipfile.ZipFile(jar, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
                    archive.writestr("conf/app.properties", text)
                info = tarfile.TarInfo(f"opt/app/lib/part{index}.jar")
                info.size, info.mode, info.mtime = jar.tell(), 0o644, 1717200000
                tar.addfile(info, io.BytesIO(jar.getvalue()))
        write(out.getvalue())

    return _oci_layout(path, "jars", layer, "COPY lib/ /opt/app/lib/ # bench",
                       f"{JARS} jars, each inflating to a {JAR_MEMBER >> 20} MB text member")


def _oci_layout(path: str, name: str, write_layer: Callable[[Callable[[bytes], None]], None], created_by: str,
                what: str) -> str:
    """An OCI layout at `path` (kept once written) with one uncompressed layer that `write_layer` writes."""
    import hashlib

    ref = f"oci:{path}:{name}"
    if os.path.isfile(os.path.join(path, "index.json")):
        return ref
    log(f"writing {path} ({what})")
    blobs = os.path.join(path + ".tmp", "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)
    layer_tmp = os.path.join(blobs, "layer.tmp")
    digest = hashlib.sha256()
    with open(layer_tmp, "wb") as raw:

        def write(data: bytes) -> None:
            raw.write(data)
            digest.update(data)

        write_layer(write)
    layer_digest = "sha256:" + digest.hexdigest()
    os.rename(layer_tmp, os.path.join(blobs, digest.hexdigest()))

    def put(doc: dict[str, Any]) -> tuple[str, int]:
        data = json.dumps(doc).encode()
        hexdigest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, hexdigest), "wb") as handle:
            handle.write(data)
        return "sha256:" + hexdigest, len(data)

    config, config_size = put({"architecture": "amd64", "os": "linux", "config": {},
                               "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
                               "history": [{"created_by": created_by}]})
    manifest, manifest_size = put({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest,
                    "size": os.path.getsize(os.path.join(blobs, digest.hexdigest()))}],
    })
    with open(os.path.join(path + ".tmp", "oci-layout"), "w", encoding="utf-8") as handle:
        json.dump({"imageLayoutVersion": "1.0.0"}, handle)
    with open(os.path.join(path + ".tmp", "index.json"), "w", encoding="utf-8") as handle:
        json.dump({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest, "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": name}}]}, handle)
    os.rename(path + ".tmp", path)
    return ref


# The table's order of rows (they are measured in another: the floor and audit alternate).
ORDER = ["1-docker-archive", "1-oci-archive", "1h-docker-archive", "1h-oci-archive", "2-docker-archive",
         "2c-docker-archive", "2-oci-archive", "2b-docker-archive", "3", "4-default", "4-shm", "1-big", "2-big",
         "1-jars", "2-jars"]


def _mb(value: int | None) -> str:
    return "" if value is None else f"{value / 1e6:.0f}"


def render(bench: Bench, targets: list[tuple[str, str, bool | None]],
           ratios: list[tuple[str, float | None, str]]) -> str:
    """The result table, the ratios and the targets as text."""
    tar_bytes = bench.info.get("tar_bytes")
    header = ("row", "contender", "input", "wall s", "cpu s", "steal s", "peak RSS MB", "tree PSS MB", "MB/s",
              "findings", "planted", "notes")
    lines = [header]
    for row in sorted(bench.rows, key=lambda r: ORDER.index(r.key) if r.key in ORDER else len(ORDER)):
        best = row.best
        if row.skipped or best is None:
            lines.append((row.key, row.label, row.input, row.skipped or "not run", "", "", "", "", "", "", "",
                          row.note))
            continue
        steal = " / ".join("?" if r.steal is None else f"{r.steal:.1f}" for r in row.runs)
        walls = " / ".join(f"{r.wall:.1f}" for r in row.runs) if len(row.runs) > 1 else f"{best.wall:.1f}"
        size = BIG_SIZE if row.key.endswith("big") else None if row.key.endswith("jars") else tar_bytes
        rate = f"{size / 1e6 / best.wall:.0f}" if size and best.wall else ""
        lines.append((row.key, row.label, row.input, walls, f"{best.cpu:.1f}", steal, _mb(best.max_rss),
                      _mb(best.tree_rss), rate, "" if row.findings is None else str(row.findings), row.planted or "",
                      row.note))
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header) - 1)]
    out = []
    for number, line in enumerate(lines):
        cells = "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=False))
        out.append(cells + "  " + str(line[-1]))
        if number == 0:
            out.append("-" * (sum(widths) + 2 * len(widths) + 5))
    out.append("")
    for name, value, meaning in ratios:
        out.append(f"{name:<34} {'n/a' if value is None else f'{value:.2f}':>7}   {meaning}")
    out.append("")
    for name, detail, ok in targets:
        mark = "n/a " if ok is None else ("PASS" if ok else "FAIL")
        out.append(f"[{mark}] {name}: {detail}")
    return "\n".join(out)


def ratio(a: Row | None, b: Row | None) -> float | None:
    """Best wall of a over best wall of b."""
    if a is None or b is None or a.best is None or b.best is None or a.skipped or b.skipped:
        return None
    return a.best.wall / b.best.wall


def paired(a: Row | None, b: Row | None) -> float | None:
    """The median, over rounds, of a's wall over b's in the same round (the runs alternate: each pair met
    the same machine); None with fewer than two pairs."""
    if a is None or b is None or a.skipped or b.skipped or min(len(a.runs), len(b.runs)) < 2:
        return None
    return statistics.median(x.wall / y.wall for x, y in zip(a.runs, b.runs, strict=False))


def evaluate(bench: Bench) -> tuple[list[tuple[str, float | None, str]], list[tuple[str, str, bool | None]]]:
    """The ratios the issue asks for, and each target's verdict."""
    g = bench.get
    r21 = ratio(g("2-docker-archive"), g("1-docker-archive"))
    r21_oci = ratio(g("2-oci-archive"), g("1-oci-archive"))
    r32 = ratio(g("3"), g("2-docker-archive"))
    r42 = ratio(g("4-default"), g("2-oci-archive"))
    r42_shm = ratio(g("4-shm"), g("2-oci-archive"))
    rcache = ratio(g("2c-docker-archive"), g("2-docker-archive"))
    rbig = ratio(g("2-big"), g("1-big"))
    p21 = paired(g("2-docker-archive"), g("1-docker-archive"))
    p21_oci = paired(g("2-oci-archive"), g("1-oci-archive"))
    ratios = [
        ("2/1 audit / floor (docker-archive)", r21, "target <= 3 (issue 6), <= 1.6 (issues 14, 15)"),
        ("2/1 audit / floor (oci-archive gz)", r21_oci, "target <= 3 (issue 6), <= 1.6 (issues 14, 15)"),
        ("2/1 median of paired runs (docker)", p21, "the same rounds' runs (needs --repeat 2 or more)"),
        ("2/1 median of paired runs (oci)", p21_oci, "the same rounds' runs (needs --repeat 2 or more)"),
        ("3/2 detect-secrets / audit", r32, "target >= 30"),
        ("4/2 peer / audit (oci-archive)", r42, "target > 1 (peer extracting to its default TMPDIR)"),
        ("4/2 peer(tmpfs) / audit", r42_shm, "target > 1 (peer extracting to /dev/shm)"),
        ("cache: 2nd run / 1st run", rcache, "target < 0.10"),
    ]
    if rbig is not None:
        ratios.append(("2/1 audit / floor (2 GiB file)", rbig, "not a target"))

    def times(*values: float | None) -> str:
        return ", ".join("not run" if v is None else f"{v:.2f}x" for v in values)

    def verdict(value: float | None, ok: Any) -> bool | None:
        return None if value is None else bool(ok(value))

    audits = [r for r in bench.rows if r.label.startswith("audit") and r.best is not None and not r.skipped]
    peak = max((r.best.tree_rss for r in audits if r.best), default=None)
    targets = [
        ("audit <= 3x the floor", f"{times(r21)} (docker-archive), {times(r21_oci)} (oci-archive)",
         None if r21 is None else max(r21, r21_oci or 0) <= 3),
        ("audit <= 1.6x the floor (issues 14, 15)",
         f"{times(r21)} (docker-archive), {times(r21_oci)} (oci-archive); paired medians {times(p21, p21_oci)}",
         None if r21 is None else max(r21, r21_oci or 0) <= 1.6),
        ("audit >= 30x faster than detect-secrets", times(r32), verdict(r32, lambda v: v >= 30)),
        ("audit faster than the peer",
         f"peer takes {times(r42)} audit's time (default TMPDIR), {times(r42_shm)} (tmpfs)",
         None if r42 is None and r42_shm is None else min(v for v in (r42, r42_shm) if v is not None) > 1),
        ("audit peak memory < 300 MB", "" if peak is None else f"{peak / 1e6:.0f} MB (largest audit row)",
         None if peak is None else peak < 300e6),
        ("2nd run with cache < 10% of the 1st",
         "audit has no --no-cache option" if not bench.has_cache else f"{(rcache or 0) * 100:.1f}%",
         verdict(rcache, lambda v: v < 0.10)),
    ]
    shared = bench.info.get("shared_base")
    if shared:
        targets.append(("image sharing the base reads only its own layers",
                        f"{shared['cached_layers']} of {shared['layers']} layers from the cache (the base has 1)",
                        shared["cached_layers"] == 1))
    return ratios, targets


def versions() -> dict[str, str]:
    """Versions of everything measured, for the JSON."""
    found: dict[str, str] = {"python": platform.python_version()}
    for name, args in (("audit", ["--version"]), ("detect-secrets", ["--version"]), ("kingfisher", ["--version"])):
        exe = tool(name)
        if exe:
            done = subprocess.run([exe, *args], capture_output=True, text=True, check=False)
            found[name] = (done.stdout or done.stderr).strip()
    done = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          check=False)
    found["commit"] = done.stdout.strip()
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "auditor", "rules"],
                           capture_output=True, text=True, check=False).stdout
    found["worktree"] = "dirty" if dirty.strip() else "clean"
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Build or reuse the image, run every contender, print and save the results."""
    parser = argparse.ArgumentParser(prog="run.py",
                                     description="Issue 6 benchmark: floor, audit, detect-secrets, peer.")
    parser.add_argument("--dir", default=build_image.DEFAULT_DIR, help="image cache (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="the debootstrap base image only (one layer)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per contender; the table shows the fastest")
    parser.add_argument("--big", action="store_true", help="also floor and audit an image with one 2 GiB file")
    parser.add_argument("--jars", action="store_true",
                        help=f"also floor and audit an image of {JARS} jars, each inflating to one "
                        f"{JAR_MEMBER // 10**6} MB text member (memory)")
    parser.add_argument("--tmp", default="/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir(),
                        help="where detect-secrets' extraction goes (default: %(default)s)")
    parser.add_argument("--skip", action="append", default=[], choices=["floor", "audit", "detect-secrets", "peer"],
                        help="leave a contender out (repeatable)")
    parser.add_argument("--json", metavar="FILE", help="results file (default: DIR/results/bench-TIME.json)")
    args = parser.parse_args(argv)

    images = build_image.ensure(args.dir, only_base=args.quick)
    art = images["base" if args.quick else "app"]
    planted = [] if args.quick else list(build_image.PLANTED)
    work = tempfile.mkdtemp(prefix="la-bench-run-")
    load_before = os.getloadavg()
    started = time.time()
    bench = Bench(art, work, max(1, args.repeat), planted, base=None if args.quick else images["base"])
    try:
        rounds = max(1, args.repeat)
        for attempt in range(1, rounds + 1):  # the floor and audit alternate: a machine that slows down
            for transport in ("docker-archive", "oci-archive"):  # or speeds up meets both of them alike
                if "floor" not in args.skip:
                    log(f"floor on {transport} ({attempt}/{rounds})")
                    bench.floor(transport)
                if "audit" not in args.skip:
                    log(f"audit on {transport} ({attempt}/{rounds})")
                    bench.audit_row(transport)
        if "floor" not in args.skip:
            for attempt in range(1, rounds + 1):
                for transport in ("docker-archive", "oci-archive"):
                    log(f"floor + sha256 on {transport} ({attempt}/{rounds})")
                    bench.floor(transport, sha256=True)
        if "audit" not in args.skip and not args.quick:
            log("audit of the app right after its base, sharing one cache")
            bench.shared_base()
        if "detect-secrets" not in args.skip:
            log("detect-secrets over the extracted layers")
            bench.detect_secrets(args.tmp)
        if "peer" not in args.skip:
            log("kingfisher on the oci-archive")
            bench.peer(None)
            if os.path.isdir("/dev/shm"):
                bench.peer("/dev/shm")
        if args.big:
            bench.one_image("big", make_big(os.path.join(args.dir, "big.oci")), "2 GiB file (oci, plain tar)")
        if args.jars:
            bench.one_image("jars", make_jars(os.path.join(args.dir, "jars.oci")),
                            f"{JARS} jars of one {JAR_MEMBER // 10**6} MB member (oci)")
        ratios, targets = evaluate(bench)
        tar_bytes = bench.info.get("tar_bytes")
        title = (f"image {art.tag}: {bench.info.get('layers', '?')} layers, {bench.info.get('entries', '?')} entries, "
                 f"{_mb(tar_bytes)} MB uncompressed; blobs {json.dumps(bench.info.get('blob_bytes', {}))}; "
                 f"{os.cpu_count()} cores, load {load_before[0]:.1f} -> {os.getloadavg()[0]:.1f}")
        text = title + "\n\n" + render(bench, targets, ratios)
        print(text)
        path = args.json or os.path.join(args.dir, "results", time.strftime("bench-%Y%m%d-%H%M%S.json"))
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({
                "image": {"tag": art.tag, "ref": art.ref("docker-archive"), **bench.info},
                "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
                "seconds": round(time.time() - started, 1),
                "machine": {"cores": os.cpu_count(), "load_before": load_before, "load_after": os.getloadavg()},
                "versions": versions(),
                "rows": [{**{k: v for k, v in asdict(r).items() if k != "runs"},
                          "runs": [{k: v for k, v in asdict(run).items() if k != "stderr_tail"} for run in r.runs],
                          "wall_median": statistics.median([x.wall for x in r.runs]) if r.runs else None}
                         for r in bench.rows],
                "ratios": {name: value for name, value, _ in ratios},
                "targets": [{"target": n, "detail": d, "ok": ok} for n, d, ok in targets],
                "table": text,
            }, handle, indent=2)
        log(f"results written to {path}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
