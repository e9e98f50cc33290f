"""The engine source exports an image only when a layer must be read: an image whose layers are all in the
layer cache is audited from the engine's id and the config kept from an earlier export, with the same report.

The engine tests build one tiny image (FROM scratch, two COPY layers) on the real engine at DOCKER_HOST."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor import cache, private
from auditor.sources import configs, daemon

TOKEN = "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"


# --- the config store, no engine -----------------------------------------------------------------------


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_a_kept_config_is_found_by_its_digest(tmp_path):
    root = str(tmp_path / "cache")
    config = b'{"rootfs": {"diff_ids": []}}'
    configs.put(root, digest(config), config)
    assert configs.get(root, digest(config)) == config


def test_a_config_that_is_not_what_its_digest_names_is_neither_kept_nor_used(tmp_path):
    root = str(tmp_path / "cache")
    config, other = b'{"a": 1}', b'{"a": 2}'
    configs.put(root, digest(config), other)  # an engine whose ids are not config digests (containerd store)
    assert configs.get(root, digest(config)) is None
    configs.put(root, digest(config), config)
    path = Path(root, "configs", digest(config)[7:9], digest(config)[7:] + ".json")
    path.write_bytes(other)  # altered in place
    assert configs.get(root, digest(config)) is None


def test_a_config_another_user_could_have_written_is_a_miss(tmp_path):
    root = str(tmp_path / "cache")
    config = b'{"a": 1}'
    configs.put(root, digest(config), config)
    Path(root, "configs").chmod(0o777)
    assert private.untrusted(root, "configs") is not None
    assert configs.get(root, digest(config)) is None


@pytest.mark.parametrize("name", ["sha256:abc", "md5:" + "0" * 32, "sha256:../../x"])
def test_a_malformed_digest_is_a_miss(tmp_path, name):
    assert configs.get(str(tmp_path), name) is None
    configs.put(str(tmp_path), name, b"{}")
    assert not (tmp_path / "configs").exists()


# --- with the engine -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def image(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    context = tmp_path_factory.mktemp("context")
    (context / "Dockerfile").write_text("FROM scratch\nCOPY app/ /app/\nENV MODE=prod\nCOPY .env /app/.env\n")
    (context / "app").mkdir()
    (context / "app" / "main.py").write_text("print('hello')\n")
    (context / ".env").write_text(f"GITHUB_TOKEN={TOKEN}\n")
    tag = f"layer-auditor-test/daemon-cache:{uuid.uuid4().hex[:8]}"
    docker_client.images.build(path=str(context), tag=tag, rm=True, network_mode="host")
    yield tag
    docker_client.images.remove(tag, force=True)


@pytest.fixture
def saves(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the images the source exports (`docker save`) from now on."""
    exported: list[str] = []
    real = daemon.save

    def counting(name: str, image_id: str, *args: Any) -> None:
        exported.append(image_id)
        real(name, image_id, *args)

    monkeypatch.setattr(daemon, "save", counting)
    return exported


def audit_json(cli: Any, ref: str, *extra: str) -> dict[str, Any]:
    result = cli(ref, "--format", "json", "--quiet", *extra)
    assert result.code == 1, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def without_cache_count(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "summary": {k: v for k, v in doc["summary"].items() if k != "cached_layers"}}


def test_a_cached_image_is_audited_without_an_export_and_reports_the_same(cli, image, saves):
    first = audit_json(cli, image)
    assert len(saves) == 1 and first["summary"]["cached_layers"] == 0
    second = audit_json(cli, image)
    assert len(saves) == 1  # no second export
    assert second["summary"]["cached_layers"] == first["summary"]["layers"] == 2
    assert without_cache_count(second) == without_cache_count(first)
    assert any(f["path"] == "/app/.env" for f in second["findings"])


def test_a_cached_audit_equals_one_that_exports(cli, image, saves):
    audit_json(cli, image)
    saved_config = Path(private.default_root(), "configs")
    shutil.rmtree(saved_config)  # the path of a cached audit before this change: export, then the cache
    exported = cli(image, "--format", "json", "--quiet")
    assert len(saves) == 2
    not_exported = cli(image, "--format", "json", "--quiet")
    assert len(saves) == 2
    assert not_exported.out == exported.out  # byte for byte


def test_a_layer_missing_from_the_cache_is_exported_once_when_it_is_read(cli, image, saves):
    first = audit_json(cli, image)
    shutil.rmtree(Path(private.default_root(), f"v{cache.FORMAT}"))  # the layer cache and memo gone, the config kept
    second = audit_json(cli, image)
    assert len(saves) == 2  # the second export came when a layer was read
    assert second == first


def test_show_secrets_reads_every_layer_from_an_export(cli, image, saves):
    audit_json(cli, image)
    shown = cli(image, "--format", "json", "--show-secrets")
    assert shown.code == 1 and TOKEN in shown.out
    assert len(saves) == 2


def test_no_cache_exports_every_time_and_keeps_no_config(cli, image, saves):
    audit_json(cli, image, "--no-cache")
    audit_json(cli, image, "--no-cache")
    assert len(saves) == 2
    assert not Path(private.default_root(), "configs").exists()
