"""Bench for `audit sweep` (issue 17): a synthetic registry of 200 images over 40 distinct layers.

    python bench/sweep.py [--images 200] [--scale 0.01] [--sample 8] [--out bench/results/sweep.json]

Starts a real `docker-registry` on loopback (Debian's `docker-registry` package) and pushes, through the
distribution API, 200 images in 10 repositories. Each image is three layers out of 40 distinct ones, in
the bench image's proportions (bench/build_image.py: a ~200 MB base, a ~555 MB package layer, a small
application layer) times `--scale` (default 1/100, so the whole bench runs in minutes on 2 cores): 4 bases,
8 package layers and 28 application layers of text files (random words, so gzip and the scanners see
text), with a GitHub token planted in one base. Then it times, each as its own process with an empty cache:

- `audit docker://REF --no-cache` for a random sample of `--sample` images; the sum over all images is
  estimated as the sample's mean times the image count (the loop the issue calls the wrong tool);
- `audit sweep --executor local` with 1 and 2 jobs;
- `audit sweep --executor dask://…` against a `dask scheduler` with 1 and with 2 `dask worker` processes.

It prints a Markdown table (wall s, the client's peak RSS, the store's size, layers scanned) and writes the
figures as JSON. Needs `pip install '.[dask]'` for the Dask rows (skipped without it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from testing import imagekit as kit  # noqa: E402
from testing.sweepkit import push_all  # noqa: E402
from testing.tokens import github_token  # noqa: E402
from tests.integration.registries import free_port, start_registry  # noqa: E402

# (count, size in bytes at scale 1) of each kind of distinct layer, after the bench image's layers
KINDS = {"base": (4, 200 << 20), "packages": (8, 555 << 20), "app": (28, 1 << 20)}
WORDS = [w for w in "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore "
         "et dolore magna aliqua export path usr lib python share config value enabled timeout retries host port "
         "version release build debian package install binary library module status".split()]
FILE_BYTES = 64 << 10


def text(rng: random.Random, size: int) -> bytes:
    out = " ".join(rng.choices(WORDS, k=size // 6)).encode()
    return (out + b"\n")[:size]


def layers(scale: float, secret: str) -> dict[str, list[list[kit.Entry]]]:
    rng = random.Random(17)
    made: dict[str, list[list[kit.Entry]]] = {}
    for kind, (count, size) in KINDS.items():
        made[kind] = []
        for number in range(count):
            target = max(int(size * scale), 4096)
            entries: list[kit.Entry] = [kit.Dir(f"/{kind}{number}")]
            entries += [kit.File(f"/{kind}{number}/f{n}.txt", text(rng, min(FILE_BYTES, target - n * FILE_BYTES)))
                        for n in range((target + FILE_BYTES - 1) // FILE_BYTES)]
            if kind == "base" and number == 0:
                entries.append(kit.File("/etc/app/settings.yml", f"github_token: {secret}\n".encode()))
            made[kind].append(entries)
    return made


def images(count: int, made: dict[str, list[list[kit.Entry]]]) -> list[tuple[str, str, kit.ImageSpec]]:
    out = []
    for number in range(count):
        picked = [made["base"][number % 4], made["packages"][(number // 4) % 8], made["app"][number % 28]]
        spec = kit.ImageSpec(layers=picked, labels={"build": str(number)},
                             history=["ADD rootfs.tar /", "RUN apt-get install -y things", "COPY app /app"])
        out.append((f"bench/repo{number % 10}", f"v{number}", spec))
    return out


def _peak_mb(pid: int) -> float | None:
    """The process's peak RSS so far (VmHWM), or None once it is gone. Not `wait4`'s `ru_maxrss`: that
    counts the pages the child shared with this (large) process between fork and exec."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, the process's peak RSS in MB, sampled every 0.05 s, exit code) of a command."""
    start = time.monotonic()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, _peak_mb(process.pid) or 0.0)
        time.sleep(0.05)
    err = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv)} failed ({process.returncode}):\n{err}")
    return time.monotonic() - start, peak, process.returncode


def fresh_env(work: Path) -> dict[str, str]:
    cache = Path(tempfile.mkdtemp(dir=work, prefix="cache-"))
    return {**{k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_")}, "XDG_CACHE_HOME": str(cache)}


def dask_cluster(workers: int, env: dict[str, str]) -> tuple[str, list[subprocess.Popen[bytes]]]:
    dask = str(Path(sys.executable).with_name("dask"))
    port = free_port()
    address = f"127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              env=env, **quiet)]  # type: ignore[call-overload]
    procs += [subprocess.Popen([dask, "worker", f"tcp://{address}", "--nthreads", "1", "--no-dashboard",
                                "--host", "127.0.0.1"], env=env, **quiet)  # type: ignore[call-overload]
              for _ in range(workers)]
    from distributed import Client

    with Client(f"tcp://{address}", timeout=60) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--sample", type=int, default=8)
    parser.add_argument("--out", default="bench/results/sweep.json")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="la-sweep-bench-"))
    registry = start_registry(shutil.which("docker-registry") or "/usr/bin/docker-registry", work / "registry")
    audit = [sys.executable, "-m", "auditor"]
    rows: list[dict[str, object]] = []
    try:
        started = time.monotonic()
        made = layers(args.scale, github_token())
        pushed = push_all(registry.address, images(args.images, made))
        blobs = sorted({d for p in pushed for d in p.layers})
        raw = sum(len(kit.layer_tar(entries)) for kind in made.values() for entries in kind)
        distinct = sum(registry.blob_file(d).stat().st_size for d in blobs)
        shipped = sum(registry.blob_file(d).stat().st_size for p in pushed for d in p.layers)
        print(f"pushed {len(pushed)} images, {len(blobs)} distinct layers, {distinct / 1e6:.1f} MB distinct of "
              f"{shipped / 1e6:.1f} MB shipped (gzip), in {time.monotonic() - started:.0f} s", file=sys.stderr)

        sample = random.Random(3).sample(pushed, min(args.sample, len(pushed)))
        singles = [timed([*audit, f"docker://{p.reference}", "--no-cache", "-q", "--format", "json"],
                         fresh_env(work))[0] for p in sample]
        mean = sum(singles) / len(singles)
        rows.append({"run": f"single `audit --no-cache`, mean of {len(singles)}", "wall_s": round(mean, 1)})
        rows.append({"run": f"sum of single audits, estimated ({len(pushed)} x mean)",
                     "wall_s": round(mean * len(pushed), 0)})

        sweep = [*audit, "sweep", registry.address, "--tags", "all", "-q"]
        executors: list[tuple[str, list[str], int]] = [("sweep, local, 1 job", ["--jobs", "1"], 0),
                                                       ("sweep, local, 2 jobs", ["--jobs", "2"], 0)]
        try:
            import distributed  # noqa: F401

            executors += [("sweep, dask, 1 worker", [], 1), ("sweep, dask, 2 workers", [], 2)]
        except ImportError:
            print("dask not installed: no Dask rows", file=sys.stderr)
        for name, extra, workers in executors:
            env = fresh_env(work)
            db = work / f"{name.replace(' ', '_').replace(',', '')}.db"
            procs: list[subprocess.Popen[bytes]] = []
            if workers:
                address, procs = dask_cluster(workers, env)
                extra = ["--executor", f"dask://{address}"]
            try:
                wall, rss, _ = timed([*sweep, "--db", str(db), *extra], env)
            finally:
                for proc in procs:
                    proc.kill()
                    proc.wait()
            rows.append({"run": name, "wall_s": round(wall, 1), "client_peak_rss_mb": round(rss),
                         "store_kb": db.stat().st_size // 1024,
                         "share_of_single_sum": round(wall / (mean * len(pushed)), 3),
                         "uncompressed_mb_per_s": round(raw / 1e6 / wall, 2)})
        rerun_env = fresh_env(work)
        db = work / "rerun.db"
        timed([*sweep, "--db", str(db), "--jobs", "2"], rerun_env)
        wall, rss, _ = timed([*sweep, "--db", str(db), "--jobs", "2"], rerun_env)
        rows.append({"run": "sweep again, nothing new (resolution only)", "wall_s": round(wall, 1),
                     "client_peak_rss_mb": round(rss)})
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)
    figures = {"images": len(pushed), "distinct_layers": len(blobs), "distinct_mb_gzip": round(distinct / 1e6, 1),
               "distinct_mb_uncompressed": round(raw / 1e6, 1),
               "shipped_mb_gzip": round(shipped / 1e6, 1), "scale": args.scale, "cpus": os.cpu_count(),
               "loadavg": os.getloadavg(), "rows": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(figures, indent=2) + "\n")
    print("| run | wall s | client peak RSS MB | store KB | share of the single-audit sum | MB/s uncompressed |\n"
          "|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['run']} | {row['wall_s']} | {row.get('client_peak_rss_mb', '')} | {row.get('store_kb', '')} | "
              f"{row.get('share_of_single_sum', '')} | {row.get('uncompressed_mb_per_s', '')} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
