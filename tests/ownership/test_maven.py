"""Maven: ~/.m2/repository/**/X.sha1 is the published SHA-1 of its sibling X."""

from __future__ import annotations

import hashlib

import pytest

from auditor.ownership.interface import Record
from auditor.ownership.maven import parse_sha1

REPO = "/root/.m2/repository"
JAR = f"{REPO}/org/apache/commons/commons-lang3/3.14.0/commons-lang3-3.14.0.jar"


def test_a_jar_sha1_is_a_record_for_the_jar() -> None:
    digest = hashlib.sha1(b"jar").hexdigest()
    assert list(parse_sha1(JAR + ".sha1", digest.encode())) == [
        Record(JAR, "sha1", digest, "org.apache.commons:commons-lang3:3.14.0", "maven")]


def test_the_hex_then_file_name_format_and_poms_and_classifiers() -> None:
    digest = hashlib.sha1(b"pom").hexdigest()
    pom = f"{REPO}/com/google/guava/guava/33.0.0-jre/guava-33.0.0-jre.pom"
    assert [r.path for r in parse_sha1(pom + ".sha1", f"{digest.upper()}  guava-33.0.0-jre.pom\n".encode())] == [pom]
    sources = f"{REPO}/com/google/guava/guava/33.0.0-jre/guava-33.0.0-jre-sources.jar"
    assert [r.package for r in parse_sha1(sources + ".sha1", digest.encode())] == ["com.google.guava:guava:33.0.0-jre"]


@pytest.mark.parametrize("path,data", [
    (f"{REPO}/org/apache/commons/commons-lang3/maven-metadata-central.xml.sha1", b"a" * 40),
    (JAR + ".sha1", b"not a sha1"),
    (JAR + ".sha1", b""),
    (JAR + ".sha1", b"a" * 39),
    (JAR + ".sha1", b"a" * 5000),
    ("/root/.m2/repository/x.jar.sha1", b"a" * 40),
    ("/srv/elsewhere/x/y/1/y-1.jar.sha1", b"a" * 40),
])
def test_checksum_files_that_are_not_an_artifacts_sha1_give_nothing(path: str, data: bytes) -> None:
    assert list(parse_sha1(path, data)) == []
