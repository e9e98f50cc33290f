"""The content checks of every content kind, behind the one `ContentCheck` a layer reader calls."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from auditor.checks import content_checks
from auditor.checks.interface import ContentCheck
from auditor.model import Hit, Rule


class Scanner(ContentCheck):
    """Each content kind's check (`KINDS`, family "content"), built from the rules of its kind among
    `rules`; hits come in registry order (detect-secrets plugins first, then `regex` rules)."""

    def __init__(self, rules: list[Rule]) -> None:
        self.checks = content_checks(rules)

    @property
    def secrets(self) -> ContentCheck:
        """The `secret` kind's check, whose `session()` holds detect-secrets' global settings for a run."""
        return self.checks["secret"]

    def scan_file(self, path: str, data: bytes) -> list[Hit]:
        return [hit for check in self.checks.values() for hit in check.scan_file(path, data)]

    def scan_text(self, text: str, name: str) -> list[Hit]:
        return [hit for check in self.checks.values() for hit in check.scan_text(text, name)]

    def warm(self) -> None:
        for check in self.checks.values():
            check.warm()

    @contextlib.contextmanager
    def session(self) -> Iterator[Scanner]:
        with contextlib.ExitStack() as stack:
            for check in self.checks.values():
                stack.enter_context(check.session())
            yield self
