"""`lazyimport.deferred`: a module imported inside the block costs nothing until it is used, and every
import after the block is an ordinary one."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from auditor import lazyimport

HEAVY = "la_test_heavy"  # a package made for these tests: importing it is recorded


@pytest.fixture
def heavy(tmp_path, monkeypatch):
    package = tmp_path / HEAVY
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent("""
        import sys
        sys.la_heavy_loads = getattr(sys, "la_heavy_loads", 0) + 1
        from . import sub
        class Response:
            pass
        def get(url):
            return "got " + url
    """))
    (package / "sub.py").write_text("class Adapter:\n    pass\n")
    (tmp_path / "la_test_user.py").write_text(textwrap.dedent(f"""
        import {HEAVY}
        def fetch(url) -> {HEAVY}.Response:  # evaluated at import time, as detect-secrets' annotations are
            return {HEAVY}.get(url)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "la_heavy_loads", 0, raising=False)
    yield
    for name in (HEAVY, f"{HEAVY}.sub", "la_test_user"):
        sys.modules.pop(name, None)


def test_a_module_imported_inside_the_block_is_loaded_only_when_used_after_it(heavy):
    with lazyimport.deferred(HEAVY):
        import la_test_user
    assert sys.la_heavy_loads == 0  # type: ignore[attr-defined]
    assert HEAVY not in sys.modules  # the stand-in is gone with the block
    assert la_test_user.fetch("x") == "got x"
    assert sys.la_heavy_loads == 1  # type: ignore[attr-defined]
    assert la_test_user.fetch("y") == "got y"
    assert sys.la_heavy_loads == 1  # type: ignore[attr-defined]


def test_an_import_of_a_submodule_after_the_block_loads_each_module_once(heavy):
    with lazyimport.deferred(HEAVY):
        import la_test_user  # noqa: F401
    import la_test_heavy.sub

    assert sys.la_heavy_loads == 1  # type: ignore[attr-defined]
    assert sys.modules[HEAVY].sub is la_test_heavy.sub  # one copy of the submodule, not two


def test_a_module_imported_already_is_left_as_it_is(heavy):
    import la_test_heavy

    with lazyimport.deferred(HEAVY):
        assert sys.modules[HEAVY] is la_test_heavy
    assert sys.modules[HEAVY] is la_test_heavy


def test_a_module_not_installed_is_left_to_fail_as_usual():
    with lazyimport.deferred("la_test_not_installed"), pytest.raises(ImportError):
        import la_test_not_installed  # noqa: F401


def test_loading_detect_secrets_for_a_scan_leaves_requests_unimported():
    script = textwrap.dedent("""
        import sys
        from auditor.checks.scanner import Scanner
        from auditor.rules import default_pack_paths, load_rules
        scanner = Scanner(load_rules(default_pack_paths()))
        with scanner.secrets.session():
            text = b"AWS_SECRET_ACCESS_KEY=Qm9vdHN0cmFwL3NlY3JldC9rZXkvbWF0ZXJpYWwK\\n"
            hits = scanner.scan_file("/app/.env", text)
        assert hits, hits
        assert "requests" not in sys.modules and "urllib3" not in sys.modules, "requests was imported"
        import detect_secrets.plugins.base as base
        import requests.adapters
        assert base.requests.exceptions.RequestException is requests.exceptions.RequestException
        assert requests.Session().adapters["https://"].__class__ is requests.adapters.HTTPAdapter
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr
