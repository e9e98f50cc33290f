"""Inputs scripts/fuzz.py found crashing, kept as regression tests (each replayed through its target)."""

from __future__ import annotations

import base64
import importlib.util
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def fuzz():  # type: ignore[no-untyped-def]
    """scripts/fuzz.py as a module (without atheris instrumentation, which only applies when it runs)."""
    spec = importlib.util.spec_from_file_location("layer_auditor_fuzz", os.path.join(ROOT, "scripts", "fuzz.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


CRASHES = {
    # atheris, manifest target: a nested OCI index blob holding the JSON number -0 made `_manifests` call
    # `.get` on an int (AttributeError, exit 3). Fixed: every JSON field is checked for its type.
    "nested index that is a number": "Ac4tMA==",
    # atheris, archive target (after 16 minutes): an archive whose first member is an old-GNU sparse file
    # with "more sparse headers follow" and nothing after; `tarfile` reads past the end (IndexError, exit 3)
    # while sniffing the archive type. Fixed: archives are read with the guarded SafeTarInfo too.
    "archive ending inside a GNU sparse header": (
        "IHMAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAwMDAwNjQ0ADAwMDAwMDAAMDAwMDAwMAAwMDAwMDAwMDAwNAAxNDUyNDc3MDQwMAAw"
        "MTEzMzMAIFMAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAdXN0YXIgIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAAwMDAwMzc3Nzc3NAAwMDAwMDAwMDAwNAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAMDAwMDQwMDAwMDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AHJvb3QAAABAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAADAAAAAAAAAAAAAAAAAAAA"
    ),
}


@pytest.mark.parametrize("data", list(CRASHES.values()), ids=list(CRASHES))
def test_fuzz_crash_stays_fixed(fuzz, data):
    fuzz.run_one("all", base64.b64decode(data))


def test_the_fuzz_targets_accept_their_own_seeds(fuzz):
    for data in fuzz.seeds("all"):
        fuzz.run_one("all", data)
