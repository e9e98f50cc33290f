"""containerd (`containerd://NAMESPACE/IMAGE`): `ctr images export` into a private file, read as an OCI archive.

`ctr` talks to CONTAINERD_ADDRESS (default /run/containerd/containerd.sock), as it does for the user; the
export is an OCI layout in a tar, which the OCI source reads (platform choice included). containerd keeps
full names (`docker.io/library/alpine:3`): a short name that is not found is retried in that form, as
`ctr images import` and Kubernetes name images.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator

from auditor.errors import SourceError
from auditor.progress import heartbeat
from auditor.registry import reference
from auditor.sources import oci_layout
from auditor.sources.interface import Opened, Options, private_dir
from auditor.sources.store import TarStore

DEFAULT_ADDRESS = "/run/containerd/containerd.sock"
EXPORT_TIMEOUT = 600.0  # seconds for one export, cut to the --deadline


def split(location: str) -> tuple[str, str]:
    """"k8s.io/docker.io/library/alpine:3" -> ("k8s.io", "docker.io/library/alpine:3")."""
    namespace, _, image = location.partition("/")
    if not namespace or not image:
        raise SourceError(f"containerd://{location}: expected containerd://NAMESPACE/IMAGE, e.g. "
                          "containerd://default/docker.io/library/alpine:3")
    return namespace, image


@contextlib.contextmanager
def open_containerd(ref: str, location: str, extra: str | None, options: Options) -> Iterator[Opened]:
    """`containerd://NAMESPACE/IMAGE`: the image exported by `ctr` to a private temporary file, removed when
    the image is closed, and read as an OCI archive. `extra` is never set."""
    namespace, image = split(location)
    with private_dir() as folder:
        spool = os.path.join(folder, "image.oci.tar")
        export(namespace, image, options, spool)
        store = TarStore(spool)
        yield Opened(store, oci_layout.locate(store, None, options, ref))


def address() -> str:
    """containerd's socket, as ctr finds it: CONTAINERD_ADDRESS, else the default."""
    return os.environ.get("CONTAINERD_ADDRESS") or DEFAULT_ADDRESS


def _address() -> str:
    found = address()
    path = found.removeprefix("unix://")
    if path.startswith("/") and not os.path.exists(path):  # else ctr waits for a socket that is not there
        raise SourceError(f"containerd://: no containerd socket at {found} (set CONTAINERD_ADDRESS)")
    return found


def export(namespace: str, image: str, options: Options, dest: str) -> None:
    """`ctr -n NAMESPACE images export DEST IMAGE` (the --platform one when given), retried under the
    image's full name when the short one is not found."""
    ctr = shutil.which("ctr")
    if ctr is None:
        raise SourceError("containerd://: the ctr command is not installed (it comes with containerd)")
    address = _address()
    argv = [ctr, "--address", address, "--namespace", namespace, "images", "export"]
    if options.platform:
        argv += ["--platform", options.platform]
    names = [image]
    with contextlib.suppress(SourceError):
        full = str(reference.parse(image))
        if full != image:
            names.append(full)
    options.progress.step(f"exporting {image} from containerd")
    for name in names:
        try:
            with heartbeat(options.progress):
                proc = subprocess.run([*argv, dest, name], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                      timeout=options.deadline.bound(EXPORT_TIMEOUT), check=False)
        except subprocess.TimeoutExpired:
            options.deadline.check()
            raise SourceError(f"containerd://{namespace}/{image}: ctr export took over {EXPORT_TIMEOUT:.0f}s") from None
        if proc.returncode == 0:
            return
        reason = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1].removeprefix("ctr: ")
        if "not found" not in reason:
            raise SourceError(f"containerd://{namespace}/{image}: ctr images export failed: {reason}")
    tried = " or ".join(repr(n) for n in names)
    raise SourceError(f"containerd://{namespace}/{image}: no image {tried} in namespace {namespace!r} "
                      f"(list them with: ctr -n {namespace} images ls)")
