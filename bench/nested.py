"""What reading archives inside files costs (issue 14, point 4): `audit` on two synthetic images, timed for
the checkout given (default: this one), so a run against `main` gives the "before".

- `jars`: one layer of 200 Spring Boot-shaped jars (each: 300 classes, a config file, a nested library jar
  of 200 classes and its own config), built with `zipfile`;
- `plain`: one layer of 6000 files and no archive: text, binaries, gzipped man pages (what the magic
  check must pass over without an extra read).

    python bench/nested.py                       # this checkout
    python bench/nested.py --tree /work/main     # another checkout, same interpreter and dependencies

Run by hand, never by the test suite; take the best of `--repeat` runs (a shared machine is noisy).
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from testing import imagekit as kit  # noqa: E402
from testing.imagekit import Dir, File, ImageSpec  # noqa: E402


def _zip(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return buffer.getvalue()


def _class(rng: random.Random) -> bytes:
    return b"\xca\xfe\xba\xbe" + rng.randbytes(rng.randint(100, 1200))


def jars(rng: random.Random) -> list[kit.Entry]:
    entries: list[kit.Entry] = [Dir("/app")]
    for n in range(200):
        lib = _zip([*((f"com/lib{n}/C{i}.class", _class(rng)) for i in range(200)),
                    ("lib.yml", b"cache:\n  size: 100\n")])
        jar = _zip([*((f"BOOT-INF/classes/com/app{n}/C{i}.class", _class(rng)) for i in range(300)),
                    ("BOOT-INF/classes/application.properties", b"server.port=8080\nspring.profiles=prod\n"),
                    (f"BOOT-INF/lib/lib{n}.jar", lib)])
        entries.append(File(f"/app/app{n}.jar", jar))
    return entries


def plain(rng: random.Random) -> list[kit.Entry]:
    entries: list[kit.Entry] = [Dir("/usr"), Dir("/usr/share"), Dir("/usr/bin"), Dir("/etc")]
    for i in range(2000):
        page = b".TH PAGE 1\n" + rng.randbytes(600).hex().encode()
        entries.append(File(f"/usr/share/man{i}.1.gz", gzip.compress(page, mtime=0)))
        entries.append(File(f"/usr/bin/tool{i}", b"\x7fELF" + rng.randbytes(20_000)))
        entries.append(File(f"/etc/conf{i}.conf", b"".join(b"key%d = value %d\n" % (k, k) for k in range(100))))
    return entries


def timed(tree: str, image: str, repeat: int) -> tuple[float, float]:
    """The best wall time and the best CPU time (user + system, workers included) of `repeat` runs: on a
    shared machine the CPU time is the steadier of the two."""
    env = {**os.environ, "PYTHONPATH": tree}
    best = cpu = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "auditor", image, "--no-config", "--no-cache", "--format", "json"],
                              env=env, cwd=tempfile.gettempdir(), capture_output=True)
        best = min(best, time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = min(cpu, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode not in (0, 1):
            raise SystemExit(f"audit failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return best, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", default=str(Path(__file__).resolve().parent.parent), help="checkout to time")
    parser.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "la-bench-nested"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    for name, entries in (("jars", jars), ("plain", plain)):
        path = os.path.join(args.dir, f"{name}.tar")
        if not os.path.exists(path):
            kit.write_docker_archive(path, ImageSpec(layers=[entries(random.Random(14))]))
        size = os.path.getsize(path) / 1e6
        wall, cpu = timed(args.tree, path, args.repeat)
        print(f"{name:6} {size:7.1f} MB  wall {wall:6.2f} s  cpu {cpu:6.2f} s  ({args.tree})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
