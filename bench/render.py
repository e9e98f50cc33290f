"""How long each report format takes to render 1k, 10k and 100k findings (issue 16, point 7).

    python bench/render.py [--sizes 1000,10000,100000] [--formats text,sarif] [--repeat 1]

A synthetic report (`testing.reports.synthetic`: no image is read) is rendered by each format in
`auditor.formats.FORMATS`, in this process; the fastest of `--repeat` runs is kept. The last column is
the time of the largest size over the one ten times smaller: about 10 when rendering is linear, about
100 when it is quadratic. Run by hand, never by the test suite; the target is under 10 s for 100k.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `testing` importable
    sys.path.insert(0, str(ROOT))

from auditor.formats import FORMATS  # noqa: E402
from testing.reports import synthetic  # noqa: E402


def seconds(fmt: str, size: int, repeat: int) -> float:
    """The fastest of `repeat` renderings of a `size`-finding report in `fmt`."""
    report = synthetic(size)
    render = FORMATS[fmt]
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        render([report], False, False)
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="finding counts, comma-separated")
    parser.add_argument("--formats", default=",".join(FORMATS), help="formats, comma-separated")
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell; the fastest is kept")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"{'format':<10}" + "".join(f"{size:>12,}" for size in sizes) + f"{'ratio':>8}")
    for fmt in args.formats.split(","):
        times = []
        for size in sizes:
            times.append(seconds(fmt, size, args.repeat))
            print(f"\r{fmt:<10}" + "".join(f"{t:>11.2f}s" for t in times), end="", file=sys.stderr, flush=True)
        ratio = times[-1] / times[-2] if len(times) > 1 and times[-2] > 0 else float("nan")
        print("\r", end="", file=sys.stderr)
        print(f"{fmt:<10}" + "".join(f"{t:>11.2f}s" for t in times) + f"{ratio:>8.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
