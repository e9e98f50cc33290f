"""JSON documents from untrusted bytes (manifests, indexes, configs, token answers), for every source and
the registry client alike: never trusted to be well-formed, shallow or of the shape the specs give."""

from __future__ import annotations

import json
from typing import Any

from auditor.errors import SourceError


def parse(data: bytes, name: str) -> Any:
    """A JSON document from untrusted bytes; SourceError when malformed or nested too deeply."""
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"{name}: malformed JSON ({exc})") from None
    except RecursionError:
        raise SourceError(f"{name}: JSON nested too deeply") from None


def mapping(value: Any) -> dict[str, Any]:
    """`value` when a JSON document put an object there, else an empty one."""
    return value if isinstance(value, dict) else {}


def text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
