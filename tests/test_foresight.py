"""The report's path and waste findings worked out from the layers' records while the workers finish the
content scan (`audit.Foresight`) are the ones the walk after the scan gives: same findings, same order."""

from __future__ import annotations

import io
import zipfile

import pytest

from auditor.audit import Settings, _foresee, assess
from auditor.layers import read_layer
from auditor.model import Digest, Layer
from auditor.rules import default_pack_paths, load_rules
from testing import imagekit as kit


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


LAYERS = [
    [kit.Dir("/app"), kit.File("/app/.env", b"DEBUG=1\n"), kit.File("/root/.ssh/id_rsa", b"key\n"),
     kit.File("/var/lib/apt/lists/deb_Packages", b"Package: a\n"), kit.File("/var/lib/apt/lists/deb_Release", b"x\n"),
     kit.File("/opt/bundle.zip", _zip({"config/.env": b"A=1\n", "notes.txt": b"hello\n"})),
     kit.File("/tmp/build.log", b"log\n" * 10)],
    [kit.Whiteout("/root/.ssh/id_rsa"), kit.File("/app/.env", b"DEBUG=0\n"), kit.File("/root/.ssh/id_ed25519", b"k\n"),
     kit.File("/var/lib/apt/lists/deb2_Packages", b"Package: b\n")],
    [kit.File("/home/u/.npmrc", b"registry=x\n"), kit.Whiteout("/opt/bundle.zip")],
]


@pytest.mark.parametrize("skip_layers", [0, 1])
def test_the_path_findings_foreseen_from_the_records_are_those_of_the_walk(skip_layers: int) -> None:
    rules = load_rules(default_pack_paths())
    scans = []
    for index, entries in enumerate(LAYERS):
        data = kit.layer_tar(entries)
        digest = Digest(kit.sha256(data))
        layer = Layer(index, digest, digest, None, len(data), lambda data=data: io.BytesIO(data))  # type: ignore[misc]
        scans.append(read_layer(layer, lambda path, content: []))
    settings = Settings(skip_layers=skip_layers)
    after = assess(scans, rules, settings)[0].findings
    foreseen = assess(scans, rules, settings, _foresee(scans, rules, skip_layers))[0].findings
    assert after == foreseen
    assert len({finding.rule for finding in after}) >= 3  # the layers give several path rules something to find
    assert any("!" in finding.path for finding in after) == (skip_layers == 0)  # an archive member's path too
