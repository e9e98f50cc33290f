"""Plain HTTP only for loopback (or when asked); extra CA bundles add trust and are checked."""

from __future__ import annotations

import pytest

from auditor.errors import SourceError
from auditor.registry import tls


@pytest.mark.parametrize("address", ["127.0.0.1:5000", "127.8.9.1", "localhost:5000", "[::1]:5000", "::1",
                                     "reg.localhost:443"])
def test_loopback_addresses_are_recognised(address):
    assert tls.is_loopback(address)


@pytest.mark.parametrize("address", ["10.0.0.1:5000", "ghcr.io", "localhost.example.com", "[2001:db8::1]:5000",
                                     "128.0.0.1", "registry-1.docker.io"])
def test_other_addresses_are_not_loopback(address):
    assert not tls.is_loopback(address)


def test_ca_bundle_variables_and_ca_cert_files_are_all_trusted(monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", "/a.pem")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/b.pem")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    assert tls.extra_ca_files(("/c.pem",)) == ["/a.pem", "/b.pem", "/c.pem"]


def test_an_unreadable_ca_file_is_an_error_naming_it(tmp_path, monkeypatch):
    for name in tls.CA_BUNDLE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    bad = tmp_path / "not-a-cert.pem"
    bad.write_text("hello\n")
    with pytest.raises(SourceError, match="not-a-cert.pem"):
        tls.context((str(bad),))
    with pytest.raises(SourceError, match="missing.pem"):
        tls.context((str(tmp_path / "missing.pem"),))
