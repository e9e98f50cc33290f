"""The registry: which in-image paths are package databases, and which parser reads each."""

from __future__ import annotations

import pytest

from auditor.ownership import apk, dpkg, gomod, maven, npm, pip, rpm
from auditor.ownership.databases import DATABASES, is_database, parser_for


@pytest.mark.parametrize("path,parser", [
    ("/var/lib/dpkg/status", dpkg.parse_status),
    ("/var/lib/dpkg/info/libc6:amd64.md5sums", dpkg.parse_md5sums),
    ("/var/lib/dpkg/status.d/libc6", dpkg.parse_status_d),
    ("/var/lib/dpkg/status.d/libc6.md5sums", dpkg.parse_status_d),
    ("/lib/apk/db/installed", apk.parse_installed),
    ("/var/lib/rpm/rpmdb.sqlite", rpm.parse_sqlite),
    ("/usr/lib/sysimage/rpm/rpmdb.sqlite", rpm.parse_sqlite),
    ("/var/lib/rpm/Packages", rpm.parse_berkeley),
    ("/usr/lib/sysimage/rpm/Packages.db", rpm.parse_berkeley),
    ("/usr/lib/python3/dist-packages/six-1.16.0.dist-info/RECORD", pip.parse_record),
    ("/opt/venv/lib/python3.12/site-packages/a_b-1.0.dist-info/RECORD", pip.parse_record),
    ("/app/node_modules/express/package.json", npm.parse_package_json),
    ("/app/node_modules/@types/node/package.json", npm.parse_package_json),
    ("/home/dev/.m2/repository/junit/junit/4.13.2/junit-4.13.2.jar.sha1", maven.parse_sha1),
    ("/root/go/pkg/mod/cache/download/golang.org/x/net/@v/v0.19.0.ziphash", gomod.parse_ziphash),
])
def test_database_paths_map_to_their_parser(path: str, parser: object) -> None:
    assert is_database(path)
    assert parser_for(path) is parser


@pytest.mark.parametrize("path", [
    "/var/lib/dpkg/status-old",
    "/var/lib/dpkg/info/libc6:amd64.list",
    "/var/lib/dpkg/info/sub/x.md5sums",
    "/srv/var/lib/dpkg/status",
    "/lib/apk/db/installed.bak",
    "/var/lib/rpm/rpmdb.sqlite-wal",
    "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
    "/usr/lib/python3/dist-packages/six-1.16.0.egg-info/installed-files.txt",
    "/app/package.json",
    "/app/node_modules/express/lib/package.json",
    "/root/.m2/settings.xml",
    "/root/go/pkg/mod/golang.org/x/net@v0.19.0/go.sum",
    "/usr/bin/ls",
    "/",
])
def test_other_paths_are_not_databases(path: str) -> None:
    assert not is_database(path)
    assert parser_for(path) is None


def test_the_registry_is_a_plain_dict_of_anchored_globs() -> None:
    assert all(pattern.startswith("/") for pattern in DATABASES)
    assert all(callable(parser) for parser in DATABASES.values())
