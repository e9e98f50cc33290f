"""Where a registry login comes from: `--username`/`--password-stdin` for the one registry it was given
for, else the Docker CLI's config for exactly the registry asked about.

A login typed on the command line (a CI token, say) belongs to one registry: the first image's, or the
one `--registry-login` names. Every other registry the run touches (a second image, a `--skip-base` or
a configuration file's `skip-base`, a base in another registry) gets only what the Docker config holds
for its own host; nothing a repository's files say can send the command-line login elsewhere.

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
    """A username and password, or an identity (refresh) token; the secrets are left out of `repr`.

    `registry` is the auth key (`RegistryRef.auth_key`) of the one registry a command-line login is for;
    `resolve` gives such a login to no other, and one without a registry to none."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    identity_token: str | None = field(default=None, repr=False)
    source: str = "--username"  # where they came from, for messages: "--username", "config.json", a helper
    registry: str | None = None  # the auth key a command-line login was given for

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
    return Credentials(username=username, password=password, identity_token=token or None, source=source,
                       registry=auth_key)


def resolve(auth_key: str, explicit: Credentials | None) -> Credentials | None:
    """The login for the registry stored under `auth_key`: the command line's when it was given for
    exactly this registry, else the Docker config's for it, else anonymous (None)."""
    if explicit is not None and explicit.registry == auth_key:
        return explicit
    return from_docker_config(auth_key)
