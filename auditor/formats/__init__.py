"""Report formats. Each takes only a Report (and whether to show secrets) and returns text."""

from __future__ import annotations

from auditor.formats import json_format, text

FORMATS = {
    "text": text.render,
    "json": json_format.render,
}
