"""Transport security: the trust store (defaults plus extra CAs) and which hosts may use plain HTTP."""

from __future__ import annotations

import ipaddress
import os
import ssl

from auditor.errors import SourceError

CA_BUNDLE_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def host_of(address: str) -> str:
    """"127.0.0.1:5000" -> "127.0.0.1"; "[::1]:5000" -> "::1"."""
    if address.startswith("["):
        return address[1:].split("]", 1)[0]
    return address.rsplit(":", 1)[0] if address.count(":") == 1 else address


def is_loopback(address: str) -> bool:
    """Whether a registry address (host[:port]) is this machine: localhost, 127.0.0.0/8 or ::1."""
    host = host_of(address).lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def extra_ca_files(ca_certs: tuple[str, ...]) -> list[str]:
    """CA bundles to trust besides the defaults: the standard variables', then `--ca-cert` files."""
    files = [os.environ[name] for name in CA_BUNDLE_VARIABLES if os.environ.get(name)]
    return [*files, *ca_certs]


def context(ca_certs: tuple[str, ...] = (), verify: bool = True) -> ssl.SSLContext:
    """A client TLS context: the system and certifi roots, plus every extra bundle (each adds trust)."""
    if not verify:
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE
        return insecure
    ctx = ssl.create_default_context()
    try:
        import certifi

        ctx.load_verify_locations(certifi.where())
    except (ImportError, OSError, ssl.SSLError):
        pass  # the system store is enough when certifi is missing
    for path in extra_ca_files(ca_certs):
        try:
            if os.path.isdir(path):
                ctx.load_verify_locations(capath=path)
            else:
                ctx.load_verify_locations(cafile=path)
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or type(exc).__name__
            raise SourceError(f"CA certificates {path}: cannot be loaded ({reason})") from None
    return ctx
