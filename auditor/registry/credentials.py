"""Where a registry login comes from: `--username`/`--password-stdin`, else the Docker CLI's config.

The config is `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`), read by `docker.auth`
as the Docker CLI reads it: `credHelpers` for the registry, else `credsStore`, through the
`docker-credential-*` helper programs, else the `auths` entry. Secrets never reach a message: a
`Credentials` prints as its username only, and a helper's own output is never repeated.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field

from auditor.errors import SourceError


@dataclass(frozen=True)
class Credentials:
    """A username and password, or an identity (refresh) token; the secrets are left out of `repr`."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    identity_token: str | None = field(default=None, repr=False)
    source: str = "--username"  # where they came from, for messages: "--username", "config.json", a helper

    @property
    def basic(self) -> tuple[str, str] | None:
        """(username, password) for HTTP Basic, when there is a password."""
        if self.username is not None and self.password is not None:
            return self.username, self.password
        return None


def from_docker_config(auth_key: str) -> Credentials | None:
    """The login the Docker CLI would use for the registry stored under `auth_key`, if any."""
    import docker.auth
    import docker.errors

    folder = os.environ.get("DOCKER_CONFIG")
    path = os.path.join(folder, "config.json") if folder else None
    if path is not None and not os.path.isfile(path):
        return None  # DOCKER_CONFIG replaces ~/.docker, as for the Docker CLI (docker-py would fall back)
    config = docker.auth.load_config(path)  # an unreadable file counts as empty
    store = config.get_credential_store(auth_key) if (config.creds_store or config.cred_helpers) else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # docker-py warns of a missing helper; we say it in the error
            entry = config.resolve_authconfig(auth_key)
    except docker.errors.DockerException as exc:
        missing = "not installed" in str(exc)
        why = "is not installed or not on PATH" if missing else "failed"
        raise SourceError(f"credential helper docker-credential-{store} {why} (for {auth_key})") from None
    if not entry:
        return None
    source = f"docker-credential-{store}" if store else "config.json"
    token = entry.get("IdentityToken") or entry.get("identitytoken")
    username = entry.get("Username") or entry.get("username")
    password = entry.get("Password") or entry.get("password")
    if not (token or (username and password)):
        return None
    return Credentials(username=username, password=password, identity_token=token or None, source=source)


def resolve(auth_key: str, explicit: Credentials | None) -> Credentials | None:
    """`--username` wins; else the Docker config; else anonymous (None)."""
    return explicit if explicit is not None else from_docker_config(auth_key)
