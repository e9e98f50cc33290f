"""Go module cache: a .ziphash marks MODULE@VERSION/ as an extracted module (unverified)."""

from __future__ import annotations

import pytest

from auditor.ownership.gomod import decode, parse_ziphash
from auditor.ownership.interface import DirectoryOwner

ZIPHASH = b"h1:HS0xZRTF7j8UyYU6ynnBWyHxcq4e6Uyu5IGbCtTs4Gc=\n"


def test_a_ziphash_owns_the_extracted_module_directory_with_its_encoded_name() -> None:
    path = "/root/go/pkg/mod/cache/download/github.com/!burnt!sushi/toml/@v/v1.3.2.ziphash"
    assert list(parse_ziphash(path, ZIPHASH)) == [
        DirectoryOwner("/root/go/pkg/mod/github.com/!burnt!sushi/toml@v1.3.2", "github.com/BurntSushi/toml@v1.3.2",
                       "go")]


def test_any_gomodcache_location() -> None:
    path = "/go/pkg/mod/cache/download/golang.org/x/sys/@v/v0.15.0.ziphash"
    assert [o.path for o in parse_ziphash(path, ZIPHASH)] == ["/go/pkg/mod/golang.org/x/sys@v0.15.0"]


def test_case_encoding() -> None:
    assert decode("github.com/!azure/azure-sdk-for-go") == "github.com/Azure/azure-sdk-for-go"
    assert decode("v1.0.0-!r!c1") == "v1.0.0-RC1"


@pytest.mark.parametrize("path,data", [
    ("/root/go/pkg/mod/cache/download/golang.org/x/sys/@v/v0.15.0.ziphash", b"not a hash"),
    ("/root/go/pkg/mod/cache/download/golang.org/x/sys/@v/v0.15.0.ziphash", b"h1:" + b"A" * 2000),
    ("/root/go/pkg/mod/cache/download/@v/v0.15.0.ziphash", ZIPHASH),
    ("/root/go/pkg/mod/cache/download/../../../../../../x/@v/v1.ziphash", ZIPHASH),
    ("/root/go/pkg/mod/cache/download/golang.org/x/sys/@v/.ziphash", ZIPHASH),
])
def test_ziphash_files_that_name_no_module_give_nothing(path: str, data: bytes) -> None:
    assert list(parse_ziphash(path, data)) == []
