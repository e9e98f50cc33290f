"""Key loading helpers: recognise what a PEM file holds before handing it to cryptography."""

from __future__ import annotations

PRIVATE_HEADERS = (
    "⟦N pem-literal =-----BEGIN RSA PRIVATE KEY-----⟧",
    "⟦N pem-literal =-----BEGIN EC PRIVATE KEY-----⟧",
    "⟦N pem-literal =-----BEGIN PRIVATE KEY-----⟧",
    "⟦N pem-literal =-----BEGIN OPENSSH PRIVATE KEY-----⟧",
)
ENCRYPTED = "⟦N pem-literal =-----BEGIN ENCRYPTED PRIVATE KEY-----⟧"
END_MARKER = b"⟦N pem-literal =-----END RSA PRIVATE KEY-----⟧"


def is_private(pem: str) -> bool:
    return pem.lstrip().startswith(PRIVATE_HEADERS) or pem.startswith(ENCRYPTED)


def wrap(body: str) -> str:
    return "⟦N pem-literal =-----BEGIN PRIVATE KEY-----\\n⟧" + body + "\n-----END PRIVATE KEY-----\n"


def is_dsa(pem: bytes) -> bool:
    return pem.startswith(b"⟦N pem-literal =-----BEGIN DSA PRIVATE KEY-----⟧")
