"""Crafted hostile images, audited through the real command: helpers to write them and read the verdict."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from testing import imagekit as kit

Layers = Sequence[Sequence[kit.Entry] | kit.Blob]
_counter = itertools.count()


@pytest.fixture
def archive(tmp_path: Path) -> Callable[..., str]:
    """`archive(layers, **spec)`: a legacy `docker save` archive of those layers; returns its path."""

    def write(layers: Layers, **spec: Any) -> str:
        path = tmp_path / f"image-{next(_counter)}.tar"
        kit.write_docker_archive(path, kit.ImageSpec(layers=layers, **spec))
        return str(path)

    return write


@pytest.fixture
def oci(tmp_path: Path) -> Callable[..., str]:
    """`oci(layers, compression="gzip", **spec)`: an OCI layout directory; returns its path."""

    def write(layers: Layers, compression: kit.Compression = "gzip", **spec: Any) -> str:
        path = tmp_path / f"layout-{next(_counter)}"
        kit.write_oci_layout(path, kit.ImageSpec(layers=layers, **spec), compression=compression)
        return str(path)

    return write


@pytest.fixture
def audit(cli: Callable[..., Any]) -> Callable[..., Any]:
    """`audit(ref, *flags)`: run `audit REF --format json`; never a traceback or a crash exit."""

    def run(ref: str, *flags: str) -> Any:
        result = cli(ref, "--format", "json", "--quiet", "--no-cache", *flags)
        assert "Traceback" not in result.err and "internal error" not in result.err, result.err
        assert result.code in (0, 1, 2), result
        return result

    return run

