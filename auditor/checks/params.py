"""Checks of the kind-specific fields of a rule (`auditor.checks.KINDS` says which field takes which).

Like `auditor.fields`, each takes `(value, where)` and returns the converted value or raises `RuleError`.
"""

from __future__ import annotations

import contextvars
import functools
import re
from typing import Any

from auditor.checks.interface import WHERE
from auditor.errors import RuleError
from auditor.fields import mapping, str_list, string

DOCKERFILE_CHECKS = ("hidden-secret", "hidden-file", "download-left", "package-cache", "arg-in-history")


# Set while the packs this installation ships are loaded: their patterns passed the backtracking check in
# the test suite (tests/rules/test_shipped_patterns.py), so a first run does not spend a second on it again.
SHIPPED = contextvars.ContextVar("shipped", default=False)


def regex(value: Any, where: str) -> str:
    """A pattern `re` compiles and cannot backtrack exponentially (`checks.backtrack`): rules run on
    image content an attacker may have written, where `(x+x+)+y` would never finish. A shipped pack's
    patterns (`SHIPPED`) are not checked again; every other pack's are."""
    string(value, where)
    if SHIPPED.get():
        return str(value)
    problem = _refusal(value)
    if problem is not None:
        raise RuleError(f"{where}: {problem}")
    return str(value)


@functools.lru_cache(maxsize=1024)
def _refusal(pattern: str) -> str | None:
    """Why `pattern` is refused, or None. Kept per pattern: packs repeat the same `allow` patterns rule
    after rule (rules/providers.yaml: 8 distinct among 1264), and the backtracking check is not free."""
    from auditor.checks.backtrack import PatternTooComplex, exponential

    try:
        re.compile(pattern)
    except re.error as exc:
        return f"bad regular expression ({exc})"
    try:
        problem = exponential(pattern)
    except PatternTooComplex as exc:
        return str(exc)
    if problem is not None:
        return (f"catastrophic regular expression: {problem}; write it so that each part of "
                "a text can be matched in only one way (e.g. x{2,} for (x+x+)+)")
    return None


def regex_list(value: Any, where: str) -> tuple[str, ...]:
    return tuple(regex(v, where) for v in str_list(value, where))


def checksum(value: Any, where: str) -> str:
    """The offline verifier (`checks.verify.CHECKS`) that judges a `regex` or `secret` rule's matches
    (what it does to them: `checks.checksum`)."""
    from auditor.checks.verify import CHECKS

    name = string(value, where)
    if name not in CHECKS:
        raise RuleError(f"{where}: unknown checksum {name!r} (one of {', '.join(sorted(CHECKS))})")
    return name


DECODINGS = ("base64",)


def decoding(value: Any, where: str) -> str:
    """How a `regex` rule decodes its secret before `decoded` judges it (`checks.regex.decode`)."""
    if value not in DECODINGS:
        raise RuleError(f"{where}: unknown decoding {value!r} (one of {', '.join(DECODINGS)})")
    return str(value)


def group(value: Any, where: str) -> int | str:
    """A capture group, by number or name."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise RuleError(f"{where}: expected a group number or name")
    return value


# detect-secrets 1.5's plugins by class name (tests/rules/test_detect_secrets_parity.py holds this to the
# library): a rule naming one is taken without importing detect-secrets, 0.3 s with the `requests` it
# imports, which would otherwise come before the first compile can start (`auditor.audit`).
KNOWN_PLUGINS = frozenset({
    "AWSKeyDetector", "ArtifactoryDetector", "AzureStorageKeyDetector", "Base64HighEntropyString",
    "BasicAuthDetector", "CloudantDetector", "DiscordBotTokenDetector", "GitHubTokenDetector",
    "GitLabTokenDetector", "HexHighEntropyString", "IPPublicDetector", "IbmCloudIamDetector",
    "IbmCosHmacDetector", "JwtTokenDetector", "KeywordDetector", "MailchimpDetector", "NpmDetector",
    "OpenAIDetector", "PrivateKeyDetector", "PypiTokenDetector", "SendGridDetector", "SlackDetector",
    "SoftlayerDetector", "SquareOAuthDetector", "StripeDetector", "TelegramBotTokenDetector", "TwilioKeyDetector",
})


def plugin(value: Any, where: str) -> str:
    """The class name of a detect-secrets plugin (one not in KNOWN_PLUGINS is looked up in the library)."""
    name = string(value, where)
    if name in KNOWN_PLUGINS:
        return name
    from auditor.checks.secrets import plugin_names  # detect-secrets stays inside checks/secrets.py

    if name not in plugin_names():
        raise RuleError(f"{where}: unknown detect-secrets plugin {name!r}")
    return name


def plugin_options(value: Any, where: str) -> dict[str, Any]:
    """A plugin's options; KeywordDetector's `keyword_exclude` is a pattern it runs on every line."""
    options = mapping(value, where)
    if "keyword_exclude" in options:
        regex(options["keyword_exclude"], f"{where} keyword_exclude")
    return options


def places(value: Any, where: str) -> tuple[str, ...]:
    """Where in the metadata a rule looks (`interface.WHERE`)."""
    items = str_list(value, where)
    for item in items:
        if item not in WHERE:
            raise RuleError(f"{where}: unknown place {item!r} (one of {', '.join(WHERE)})")
    return items


def group_by(value: Any, where: str) -> str:
    if value != "directory":
        raise RuleError(f"{where}: expected 'directory' (one finding per directory, layer and status)")
    return str(value)


def dockerfile_check(value: Any, where: str) -> str:
    if value not in DOCKERFILE_CHECKS:
        raise RuleError(f"{where}: unknown Dockerfile check {value!r} (one of {', '.join(DOCKERFILE_CHECKS)})")
    return str(value)


def keywords(value: Any, where: str) -> tuple[str, ...]:
    """Literal ASCII words, lower-cased, one of which each key a rule matches holds (`assignment` rules'
    Hyperscan gate looks for these, case-insensitively, and nothing else)."""
    items = str_list(value, where)
    for item in items:
        if not item.isascii() or not item.strip() or item != item.strip():
            raise RuleError(f"{where}: keyword {item!r} is not a literal ASCII word")
    return tuple(item.lower() for item in items)


def key_pattern(value: Any, where: str) -> str:
    """A pattern over a key's words (`checks.assign.words`), wrapped in letter boundaries; it must match
    no key of no words (`.*`, `a?`), or every assignment would pass."""
    pattern = regex(value, where)
    if re.fullmatch(f"(?:{pattern})", "", re.IGNORECASE):
        raise RuleError(f"{where}: pattern matches the empty key")
    return pattern


def value_shape(value: Any, where: str) -> str:
    """What an `assignment` rule's values look like: `any`, `uuid` (only UUIDs) or `text` (anything but a UUID,
    for rules that leave UUIDs to a rule of their own)."""
    if value not in ("any", "uuid", "text"):
        raise RuleError(f"{where}: expected 'any', 'uuid' or 'text' (the shape a value must have)")
    return str(value)
