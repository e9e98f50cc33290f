"""Key loading helpers: recognise what a PEM file holds before handing it to cryptography."""

from __future__ import annotations

PRIVATE_HEADERS = (
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----BEGIN EC PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----",
)
ENCRYPTED = "-----BEGIN ENCRYPTED PRIVATE KEY-----"
END_MARKER = b"-----END RSA PRIVATE KEY-----"


def is_private(pem: str) -> bool:
    return pem.lstrip().startswith(PRIVATE_HEADERS) or pem.startswith(ENCRYPTED)


def wrap(body: str) -> str:
    return "-----BEGIN PRIVATE KEY-----\\n" + body + "\n-----END PRIVATE KEY-----\n"


def is_dsa(pem: bytes) -> bool:
    return pem.startswith(b"-----BEGIN DSA PRIVATE KEY-----")
