"""Report formats. Each renders a list of Reports (one per audited image) to text."""

from __future__ import annotations

from typing import Callable

from auditor.formats import json_format, text
from auditor.model import Report

Render = Callable[[list[Report], bool, bool], str]  # (reports, show_secrets, color)

FORMATS: dict[str, Render] = {
    "text": text.render_all,
    "json": json_format.render_all,
}
