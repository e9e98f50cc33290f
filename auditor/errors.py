"""Our own exception types. The CLI turns every AuditorError into one line on stderr and exit 2."""

from __future__ import annotations


class AuditorError(Exception):
    """Root of every error the CLI reports as a clean one-line failure."""


class SourceError(AuditorError):
    """An image could not be found, opened or read."""


class DigestError(SourceError):
    """A blob's bytes do not match its digest."""


class RuleError(AuditorError):
    """A rule pack or configuration file is invalid."""


class UsageError(AuditorError):
    """The command line asks for something that cannot be done."""
