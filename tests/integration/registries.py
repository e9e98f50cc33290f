"""Real `docker-registry` processes for the registry tests: anonymous, TLS with htpasswd, token auth.

Each registry runs on a free loopback port with its own storage directory (so a test may tamper with
its blobs), and is killed when its fixture ends. Certificates, the htpasswd file (bcrypt) and the token
service's signing key are generated per run with `cryptography` and `bcrypt`; nothing is checked in.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import http.server
import json
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- certificates ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    """A CA, and a server certificate it signed for 127.0.0.1 and localhost (PEM files)."""

    ca: Path
    cert: Path
    key: Path
    cert_dir: Path  # for skopeo --dest-cert-dir: holds ca.crt


def _name(common: str) -> Any:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_key(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def _certificate(subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool, sans: list[Any]) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               # Python 3.13's default context verifies strictly (VERIFY_X509_STRICT): a CA needs key usage and
               # a subject key id, and a certificate it signs needs an authority key id
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                              critical=False))
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False), critical=True)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki(folder: Path) -> Pki:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    folder.mkdir(parents=True, exist_ok=True)
    ca_key, server_key = _key(), _key()
    ca = _certificate("layer-auditor test CA", ca_key, "layer-auditor test CA", ca_key, True, [])
    sans = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    server = _certificate("127.0.0.1", server_key, "layer-auditor test CA", ca_key, False, sans)
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "server.pem").write_bytes(server.public_bytes(pem))
    (folder / "server.key").write_bytes(_pem_key(server_key))
    cert_dir = folder / "certs.d"
    cert_dir.mkdir()
    (cert_dir / "ca.crt").write_bytes(ca.public_bytes(pem))
    return Pki(folder / "ca.pem", folder / "server.pem", folder / "server.key", cert_dir)


# --- token service --------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def libtrust_key_id(public_key: Any) -> str:
    """The `kid` the registry derives from a key: base32 of the first 240 bits of sha256(DER SPKI)."""
    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode()
    return ":".join(encoded[i:i + 4] for i in range(0, len(encoded), 4))


class TokenService(http.server.ThreadingHTTPServer):
    """A Docker token endpoint: checks Basic credentials, issues RS256 JWTs the registry trusts."""

    def __init__(self, folder: Path, username: str, password: str) -> None:
        from cryptography.hazmat.primitives import serialization

        super().__init__(("127.0.0.1", 0), _TokenHandler)
        folder.mkdir(parents=True, exist_ok=True)
        self.key = _key()
        cert = _certificate("token signer", self.key, "token signer", self.key, True, [])
        self.bundle = folder / "token-signer.pem"
        self.bundle.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.kid = libtrust_key_id(self.key.public_key())
        self.username, self.password = username, password
        self.service, self.issuer = "layer-auditor-test-registry", "layer-auditor-test-issuer"
        self.requests: list[dict[str, Any]] = []  # what each token request carried (login checked or not)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/token"

    def sign(self, scopes: list[str]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        claims = {"iss": self.issuer, "sub": self.username, "aud": self.service, "exp": now + 600,
                  "nbf": now - 60, "iat": now,
                  "jti": base64.b16encode(hashlib.sha256(str(now).encode()).digest()[:8]).decode(),
                  "access": access}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _TokenHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        service: TokenService = self.server  # type: ignore[assignment]
        query = parse_qs(urlparse(self.path).query)
        header = self.headers.get("Authorization", "")
        login = base64.b64decode(header[6:]).decode() if header.startswith("Basic ") else None
        valid = login == f"{service.username}:{service.password}"
        service.requests.append({"login": login is not None, "valid": valid, "scope": query.get("scope", [])})
        if not valid:
            self.send_response(401)
            self.end_headers()
            return
        body = json.dumps({"token": service.sign(query.get("scope", []))}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


# --- registries -----------------------------------------------------------------------------------


@dataclass
class Registry:
    """One running `docker-registry`."""

    address: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path
    tls: Pki | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def blob_file(self, digest: str) -> Path:
        """Where the filesystem driver keeps a blob's bytes."""
        algorithm, hexpart = digest.split(":", 1)
        return self.root / "docker/registry/v2/blobs" / algorithm / hexpart[:2] / hexpart / "data"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)


def start_registry(binary: str, folder: Path, tls: Pki | None = None, htpasswd: Path | None = None,
                   token: TokenService | None = None) -> Registry:
    """Start a registry on a free port and wait until `/v2/` answers."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    lines = ["version: 0.1", "log:", "  level: warn", "storage:", "  filesystem:",
             f"    rootdirectory: {folder / 'storage'}", "  delete:", "    enabled: true",
             "http:", f"  addr: 127.0.0.1:{port}"]
    if tls:
        lines += ["  tls:", f"    certificate: {tls.cert}", f"    key: {tls.key}"]
    if htpasswd:
        lines += ["auth:", "  htpasswd:", "    realm: layer-auditor-test", f"    path: {htpasswd}"]
    if token:
        lines += ["auth:", "  token:", f"    realm: {token.realm}", f"    service: {token.service}",
                  f"    issuer: {token.issuer}", f"    rootcertbundle: {token.bundle}"]
    config = folder / "config.yml"
    config.write_text("\n".join(lines) + "\n")
    log = folder / "registry.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([binary, "serve", str(config)], stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    registry = Registry(f"127.0.0.1:{port}", folder / "storage", process, log, tls)
    _wait(registry, "https" if tls else "http")
    return registry


def _wait(registry: Registry, scheme: str) -> None:
    import warnings

    import requests

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if registry.process.poll() is not None:
            pytest.fail(f"docker-registry exited ({registry.process.returncode}):\n{registry.log.read_text()}",
                        pytrace=False)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the readiness probe does not check the certificate
                requests.get(f"{scheme}://{registry.address}/v2/", verify=False, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.1)
    registry.stop()
    pytest.fail(f"docker-registry did not answer within {START_TIMEOUT}s:\n{registry.log.read_text()}", pytrace=False)


def htpasswd_file(path: Path, username: str, password: str) -> Path:
    import bcrypt

    path.write_text(f"{username}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()}\n")
    return path
