"""detect-secrets' `pragma: allowlist secret` filter, with the same answers in linear time.

detect-secrets 1.5 (`filters/allowlist.py`) searches a line, and the line before it, with expressions
such as `[ \\t]*# *pragma: ?(allow|white)list[ -]secret.*?[ \\t]*$`: tried from every start, the leading
`[ \\t]*` and the trailing `.*?[ \\t]*$` make it quadratic in runs of blanks, and it runs once for every
secret found on the line. 64 KiB of spaces before one AWS key took 100 seconds.

The same question, answered in linear time: search (`re.search`, not anchored unless the expression is)
needs no leading `[ \\t]*`; a match lies within the last piece of the text between newlines (none of
the expressions reads one, and `$` sits at the end or before a final newline); and the rest of the match
after `secret` only asks how that piece ends (`.*?[ \\t]*$`: any way; `.*? *\\*/[ \\t]*$`: with `*/` then
blanks), which holds for a later `pragma` only if it holds for the first. The comment styles and file
types are detect-secrets' own (`_get_comment_tuples`, `_get_file_to_index_dict`); tests/hostile checks
the answers against the library's on generated lines.
"""

from __future__ import annotations

import os
import re
from functools import cache

# (comment start and the blanks before `pragma`, as a regular expression; what must end the line after
# the pragma, literally). detect-secrets writes the last start `<!--[# \t]*?` and puts ` *` after every
# start: `[# \t]*? *` is `[# \t]*`, without a second quantifier over the same blanks.
_COMMENTS = (("# *", ""), ("// *", ""), (r"/\* *", "*/"), ("' *", ""), ("-- *", ""), (r"<!--[# \t]*", "-->"))
_YAML = (0,)  # a .yaml file takes only the first style


@cache
def _heads(nextline: bool) -> tuple[tuple[re.Pattern[str], str], ...]:
    if nextline:
        return tuple((re.compile(rf"[ \t]*{start}pragma: ?allowlist[ -]nextline[ -]secret"), end)
                     for start, end in _COMMENTS)
    return tuple((re.compile(rf"{start}pragma: ?(?:allow|white)list[ -]secret"), end) for start, end in _COMMENTS)


def allowlisted(filename: str, line: str, previous_line: str) -> bool:
    """What `detect_secrets.filters.allowlist.is_line_allowlisted` answers for `line` (as detect-secrets
    passes it: right-stripped) and the raw line before it (`context.previous_line`)."""
    styles = _YAML if os.path.splitext(filename)[1] == ".yaml" else range(len(_COMMENTS))
    return _marked(line, False, styles) or _marked(previous_line, True, styles)


def _marked(text: str, nextline: bool, styles: range | tuple[int, ...]) -> bool:
    if "pragma" not in text:
        return False
    body = text[:-1] if text.endswith("\n") else text  # `$` also matches before a final newline
    if "\n" in body:
        if nextline:
            return False  # anchored at the start, and `.` cannot cross the newline to the end
        body = body[body.rindex("\n") + 1:]
    heads = _heads(nextline)
    for style in styles:
        head, end = heads[style]
        match = head.match(body) if nextline else head.search(body)
        if match is not None and (not end or body[match.end():].rstrip(" \t").endswith(end)):
            return True
    return False
