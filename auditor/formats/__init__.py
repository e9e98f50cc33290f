"""Report formats. Each renders a list of Reports (one per audited image) to text."""

from __future__ import annotations

from typing import Callable

from auditor.formats import github, json_format, junit, markdown, sarif, text
from auditor.model import Report

Render = Callable[[list[Report], bool, bool], str]  # (reports, show_secrets, color)

FORMATS: dict[str, Render] = {
    "text": text.render_all,
    "json": json_format.render_all,
    "sarif": sarif.render_all,
    "markdown": markdown.render_all,
    "junit": junit.render_all,
    "github": github.render_all,
}
