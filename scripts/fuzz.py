"""Fuzz the layer, manifest and archive parsers: run by hand, for minutes, and keep what crashes.

    python scripts/fuzz.py --minutes 10                 # all targets, atheris when installed
    python scripts/fuzz.py --target layer --engine random --minutes 2
    python scripts/fuzz.py --replay crash-1234abcd       # run one saved input again, with a traceback

Targets (with `all`, the first byte of each input picks one):
- layer: the bytes are a layer blob (plain tar, gzip or zstd) read by `read_layer` with small limits,
  then walked and reported above a valid base layer. Any exception at all is a crash.
- manifest: the bytes replace one JSON document (manifest.json, index.json, a manifest or a config) of a
  valid image held in memory. Only our own `AuditorError` may come out.
- archive: the bytes are a whole `docker save` or OCI archive, written to a private temp file and audited.
  Only our own `AuditorError` may come out.

Each run ends with a report, checks the formats can render it, and asserts the exit code would not
call an incomplete audit clean. With atheris (coverage-guided) the first crash stops the run and is
saved as `crash-*` under --crashes; the random engine (byte mutations of the seeds) keeps going and
saves each distinct crash. Turn each one into a regression test in tests/test_fuzz_regressions.py.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    import atheris
except ImportError:  # the random engine needs nothing
    atheris = None

_instrument = atheris.instrument_imports(include=["auditor", "tarfile", "gzip"]) if atheris else \
    contextlib.nullcontext()
with _instrument:
    import tarfile  # noqa: F401 - imported here so atheris instruments it

    from auditor.audit import Settings, audit
    from auditor.errors import AuditorError
    from auditor.formats import FORMATS
    from auditor.layers import read_layer
    from auditor.limits import Limits
    from auditor.model import Digest, Image, Layer, Report
    from auditor.sources import Options, oci_layout, open_image
    from auditor.sources import archive as archive_source
    from auditor.sources.interface import assemble

from testing import imagekit as kit  # noqa: E402
from testing.hostile import MemoryStore, gnu_sparse, pax_sparse, raw_tar  # noqa: E402

LIMITS = Settings(limits=Limits(max_file_bytes=64 * 1024, max_layer_bytes=32 << 20, max_entries=5000), cache_dir=None)
OPTIONS = Options(limits=Limits(max_json_bytes=1 << 20))
TARGETS = ("layer", "manifest", "archive")

BASE = kit.layer_tar([kit.Dir("/etc"), kit.File("/etc/passwd", b"root:x:0:0\n"), kit.File("/a", b"x"),
                      kit.Dir("/d"), kit.File("/d/f", b"AKIAIOSFODNN7EXAMPLE\n")])


def _layer(index: int, blob: bytes, diff_id: str | None = None) -> Layer:
    digest = Digest(kit.sha256(blob))
    return Layer(index, digest, Digest(diff_id) if diff_id else None, None, len(blob), lambda: io.BytesIO(blob))


def _finish(report: Report) -> None:
    """Every format renders the report; a layer that was not read is never a clean result."""
    for render in FORMATS.values():
        render([report], False, False).encode("utf-8")
    unread = {n.layer for n in report.not_scanned if n.path is None}
    assert unread <= set(range(len(report.image.layers))) | {None}, report.not_scanned


def fuzz_layer(data: bytes) -> None:
    layer = _layer(1, data)
    scan = read_layer(layer, lambda path, content: [], LIMITS.limits.max_file_bytes, LIMITS.limits.max_layer_bytes,
                      LIMITS.limits.max_entries)
    assert all(n.layer == 1 for n in scan.not_scanned), scan.not_scanned
    image = Image("fuzz", None, {}, [_layer(0, BASE, kit.sha256(BASE)), layer])
    report, _ = audit(image, [], LIMITS)
    _finish(report)


def _seed_images() -> list[tuple[str, MemoryStore]]:
    spec = kit.ImageSpec(layers=[[kit.Dir("/app"), kit.File("/app/key", b"k")], [kit.Whiteout("/app/key")]],
                         env=("A=b",), labels={"l": "v"}, cmd=["sh"])
    stores = []
    for kind, write in (("legacy", lambda p: kit.write_docker_archive(p, spec)),
                        ("docker25", lambda p: kit.write_docker_archive(p, spec, layout="docker25")),
                        ("oci", lambda p: kit.write_oci_archive(p, spec, index="nested"))):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "image.tar")
            write(path)
            with open(path, "rb") as handle:
                stores.append((kind, MemoryStore.from_tar(handle.read())))
    return stores


SEED_STORES = _seed_images()
DOCUMENTS = [(i, name) for i, (_, store) in enumerate(SEED_STORES) for name in store.json_names()]


def fuzz_manifest(data: bytes) -> None:
    if not data:
        return
    which, name = DOCUMENTS[data[0] % len(DOCUMENTS)]
    kind, seed = SEED_STORES[which]
    store = seed.replaced(name, data[1:])
    try:
        if kind == "oci":
            located = oci_layout.locate(store, None, OPTIONS, "fuzz")
        else:
            located = archive_source.locate(store, OPTIONS, "fuzz")
        image = assemble("fuzz", store, located)
    except AuditorError:
        return
    report, _ = audit(image, [], LIMITS)
    _finish(report)


def fuzz_archive(data: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="layer-auditor-fuzz-") as folder:
        path = os.path.join(folder, "image.tar")
        with open(path, "wb") as handle:
            handle.write(data)
        try:
            with open_image(path, OPTIONS) as image:
                report, _ = audit(image, [], LIMITS)
        except AuditorError:
            return
        _finish(report)


FUZZERS: dict[str, Callable[[bytes], None]] = {"layer": fuzz_layer, "manifest": fuzz_manifest,
                                               "archive": fuzz_archive}


def run_one(target: str, data: bytes) -> None:
    if target == "all":
        if not data:
            return
        target, data = TARGETS[data[0] % len(TARGETS)], data[1:]
    FUZZERS[target](data)


def seeds(target: str) -> list[bytes]:
    """Valid and nearly valid inputs for each target, prefixed with their selector byte under `all`."""
    tar = kit.layer_tar([kit.Dir("/etc"), kit.File("/etc/x", b"secret=1\n"), kit.Symlink("/l", "../x"),
                         kit.Hardlink("/h", "/etc/x"), kit.Whiteout("/a"), kit.Opaque("/d"),
                         kit.Raw("dev/null", tarfile.CHRTYPE), kit.File("/" + "n" * 300, b"long")])
    by_target: dict[str, list[bytes]] = {
        "layer": [tar, kit.compress(tar, "gzip"), kit.compress(tar, "zstd"),
                  gnu_sparse(b"s", 1 << 20, b"data") + b"\0" * 1024, raw_tar() + pax_sparse(b"p", 1 << 20, b"d")],
        "manifest": [bytes([i]) + SEED_STORES[w][1].read(n) for i, (w, n) in enumerate(DOCUMENTS)],
        "archive": [store.to_tar() for _, store in SEED_STORES],
    }
    if target != "all":
        return by_target[target]
    return [bytes([TARGETS.index(t)]) + s for t in TARGETS for s in by_target[t]]


def _save(folder: str, data: bytes) -> str:
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "crash-" + hashlib.sha256(data).hexdigest()[:16])
    with open(path, "wb") as handle:
        handle.write(data)
    return path


def _mutate(rng: random.Random, data: bytes, pool: Sequence[bytes]) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        choice = rng.random()
        if choice < 0.4 and out:
            out[rng.randrange(len(out))] = rng.randrange(256)
        elif choice < 0.55 and out:
            del out[rng.randrange(len(out)):][: rng.randint(1, 64)]
        elif choice < 0.7:
            at = rng.randrange(len(out) + 1)
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif choice < 0.8 and out:
            del out[rng.randrange(len(out)):]
        elif choice < 0.9 and out:
            at = rng.randrange(len(out))
            out[at:at + 12] = rng.choice([b"%011o\0" % rng.randrange(8**11), b"\xff" * 12, b"-1\0", b"0\0"])
        else:
            other = rng.choice(pool)
            at = rng.randrange(len(out) + 1)
            out[at:] = other[rng.randrange(len(other) + 1):]
    return bytes(out)


def random_engine(target: str, seconds: float, crashes: str, seed: int) -> int:
    rng = random.Random(seed)
    pool = seeds(target)
    found: dict[str, str] = {}
    runs = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        data = _mutate(rng, rng.choice(pool), pool)
        runs += 1
        try:
            run_one(target, data)
        except Exception as exc:  # noqa: BLE001 - a crash is what we are looking for
            where = traceback.extract_tb(exc.__traceback__)[-1]
            key = f"{type(exc).__name__} at {where.filename}:{where.lineno}"
            if key not in found:
                found[key] = _save(crashes, data)
                print(f"crash: {key} -> {found[key]}", flush=True)
        if runs % 500 == 0 and len(pool) < 200:
            pool.append(data)  # keep some mutants as seeds: mutations pile up
    print(f"random engine: {runs} inputs in {seconds:.0f} s, {len(found)} distinct crash(es)", flush=True)
    return 1 if found else 0


def atheris_engine(target: str, seconds: float, crashes: str, corpus: str | None) -> int:
    corpus = corpus or tempfile.mkdtemp(prefix="layer-auditor-corpus-")
    os.makedirs(corpus, exist_ok=True)
    for data in seeds(target):
        with open(os.path.join(corpus, hashlib.sha256(data).hexdigest()[:16]), "wb") as handle:
            handle.write(data)
    os.makedirs(crashes, exist_ok=True)
    argv = [sys.argv[0], corpus, f"-max_total_time={int(seconds)}", "-timeout=60", "-rss_limit_mb=3072",
            "-max_len=262144", f"-artifact_prefix={crashes.rstrip('/')}/", "-print_final_stats=1"]
    atheris.Setup(argv, lambda data: run_one(target, data))
    atheris.Fuzz()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--target", choices=("all", *TARGETS), default="all")
    parser.add_argument("--engine", choices=("atheris", "random"), default="atheris" if atheris else "random")
    parser.add_argument("--crashes", default="fuzz-crashes", help="where crashing inputs are saved")
    parser.add_argument("--corpus", help="atheris corpus directory (default: a new temp dir)")
    parser.add_argument("--seed", type=int, default=0, help="random engine seed")
    parser.add_argument("--replay", metavar="FILE", help="run one saved input and show its traceback")
    args = parser.parse_args(argv)
    if args.replay:
        with open(args.replay, "rb") as handle:
            run_one(args.target, handle.read())
        print("no crash")
        return 0
    started = time.monotonic()
    if args.engine == "atheris":
        if atheris is None:
            parser.error("atheris is not installed; use --engine random")
        code = atheris_engine(args.target, args.minutes * 60, args.crashes, args.corpus)
    else:
        code = random_engine(args.target, args.minutes * 60, args.crashes, args.seed)
    print(f"fuzzed for {(time.monotonic() - started) / 60:.1f} minute(s)", flush=True)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
