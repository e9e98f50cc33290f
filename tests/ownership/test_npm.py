"""npm: node_modules/NAME/package.json marks its directory as an (unverified) package directory."""

from __future__ import annotations

import json

import pytest

from auditor.ownership.databases import is_database
from auditor.ownership.interface import DirectoryOwner
from auditor.ownership.npm import parse_package_json


def manifest(**fields: object) -> bytes:
    return json.dumps({"description": "x", "main": "index.js", **fields}).encode()


def test_a_package_json_under_node_modules_owns_its_directory() -> None:
    data = manifest(name="lodash", version="4.17.21")
    owners = list(parse_package_json("/app/node_modules/lodash/package.json", data))
    assert owners == [DirectoryOwner("/app/node_modules/lodash", "lodash@4.17.21", "npm")]


def test_scoped_and_nested_packages() -> None:
    assert list(parse_package_json("/app/node_modules/@babel/core/package.json",
                                   manifest(name="@babel/core", version="7.24.0"))) == [
        DirectoryOwner("/app/node_modules/@babel/core", "@babel/core@7.24.0", "npm")]
    nested = "/app/node_modules/a/node_modules/b/package.json"
    assert is_database(nested)
    assert [o.path for o in parse_package_json(nested, manifest(name="b", version="1.0.0"))] == \
        ["/app/node_modules/a/node_modules/b"]


def test_a_fixture_package_json_deeper_inside_a_package_is_no_database() -> None:
    assert not is_database("/app/node_modules/resolve/test/fixtures/package.json")
    assert not is_database("/app/node_modules/@scope/pkg/lib/package.json")
    assert not is_database("/app/package.json")  # the application itself is not a package of ours


@pytest.mark.parametrize("path,data", [
    ("/app/node_modules/lodash/package.json", manifest(name="not-lodash", version="1.0.0")),
    ("/app/node_modules/lodash/package.json", manifest(name="lodash")),
    ("/app/node_modules/lodash/package.json", manifest(name="lodash", version=4)),
    ("/app/node_modules/lodash/package.json", b"[1, 2]"),
    ("/app/node_modules/lodash/package.json", b"{not json"),
    ("/app/node_modules/lodash/package.json", b"\xff\xfe"),
    ("/app/node_modules/lodash/package.json", b"[" * 100_000 + b"]" * 100_000),
    ("/app/node_modules/lodash/package.json", b" " * (1024 * 1024 + 1)),
    ("/app/node_modules/a/b/package.json", manifest(name="a/b", version="1.0.0")),
    ("/app/lodash/package.json", manifest(name="lodash", version="1.0.0")),
])
def test_manifests_that_do_not_name_their_directory_or_are_not_manifests_mark_nothing(path: str, data: bytes) -> None:
    assert list(parse_package_json(path, data)) == []
