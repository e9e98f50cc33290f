"""How to talk to registries, as the command line sets it."""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.registry.credentials import Credentials
from auditor.registry.retry import RetryPolicy

DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class RegistryOptions:
    """Login, trust and patience for registry references (`docker://`, `registry:`)."""

    credentials: Credentials | None = None  # --username/--password-stdin; None: the Docker config
    ca_certs: tuple[str, ...] = ()  # --ca-cert FILE (repeatable), trusted besides the defaults
    insecure: bool = False  # --insecure-registry: plain HTTP and unverified TLS allowed
    timeout: float = DEFAULT_TIMEOUT  # seconds to connect, and between bytes of a response
    retry: RetryPolicy = field(default_factory=RetryPolicy)
