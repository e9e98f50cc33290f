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


class DeadlineExceeded(AuditorError):
    """The audit ran past `--deadline`. Not a SourceError, so no layer swallows it as "not scanned": it
    ends the run with no report, since an incomplete audit must never pass for a clean one."""

    def __init__(self, seconds: float | None) -> None:
        budget = f" {seconds:g}s" if seconds is not None else ""
        super().__init__(f"the audit did not finish within --deadline{budget}; stopped with nothing reported "
                         "(the audit is incomplete)")


class SweepError(AuditorError):
    """A sweep's layer task failed outright on its executor (not a layer that could not be read, which is
    kept as not scanned): what the sweep stored so far stays, for the next run."""
