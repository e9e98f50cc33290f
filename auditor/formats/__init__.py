"""Report formats. Each renders a list of Reports (one per audited image) to text.

A format's module is imported when it is first asked for: the formats' own imports cost start-up
time that a cached run of a JSON gate should not pay.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping

from auditor.model import Report

Render = Callable[[list[Report], bool, bool], str]  # (reports, show_secrets, color)

_MODULES = {"text": "text", "json": "json_format", "sarif": "sarif", "markdown": "markdown", "junit": "junit",
            "github": "github", "gitlab": "gitlab"}


class _Formats(Mapping[str, Render]):
    """Format name -> its `render_all`, imported on first use."""

    def __getitem__(self, name: str) -> Render:
        module = importlib.import_module(f"auditor.formats.{_MODULES[name]}")
        return module.render_all  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


FORMATS: Mapping[str, Render] = _Formats()
