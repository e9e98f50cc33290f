"""The value judge: one pure function every content detector's candidate goes through before it counts.

A detector proposes a value (a regex match, a detect-secrets plugin's secret, an assignment's value);
`judge` names why that value is not a credential (a placeholder, a documentation example, a template
reference, a sentence, a path, an identifier, a hash, a line of a public certificate, ...) or returns
None. Rejections are kept, not dropped: `auditor.checks.scanner.Scanner` stores the reason on the `Hit`,
the audit moves rejected findings to `Report.rejected`, and `audit --explain` lists them with
`REASONS[name]`, so every rejection is named, countable and visible.

Two strictness levels (`Level`), because what a value looks like means different things for different
rules:

- `token`: the rule identifies a live format by prefix or structure (`ghp_…`, `AKIA…`, a provider pack
  rule). Only what no live token can be applies: placeholders and filler (`ghp_` + 36 `x`), documentation
  example keys, braced template references, a match embedded in a longer base64 run, a line of a public
  certificate or key, a PEM header with no key body, a fixture inside an installed package. A
  real-looking `ghp_` token is never an "identifier".
- `generic`: the rule only says "this looks secret" (a keyword, an assignment, entropy). Everything
  applies: also natural language, paths and URLs, identifiers, hashes and checksums, too-short values.
- `off`: the judge is not asked.

A rule picks its level with its `judge:` field; without one, `level_of` uses its kind's default
(`KIND_LEVELS`; detect-secrets' keyword and entropy plugins are `generic`, its prefix plugins `token`;
`metadata` rules that match a secret-sounding name are `generic`, judged with that name as the key, and
those matching a command line are `off`, since they report the whole line).

Every check looks at a bounded window: the value's first `MAX_VALUE` characters and `WINDOW` characters
of the line either side of it, so a 1 MB value or line costs a bounded amount of work.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from auditor.checks import newlines
from auditor.errors import RuleError
from auditor.model import Rule

VERSION = "1"  # bump when a verdict can change: the layer cache and the report memo key on it

Level = Literal["token", "generic", "off"]
LEVELS: tuple[Level, ...] = ("token", "generic", "off")
KIND_LEVELS: dict[str, Level] = {"secret": "token", "regex": "token", "assignment": "generic"}
GENERIC_PLUGINS = frozenset({"KeywordDetector", "Base64HighEntropyString", "HexHighEntropyString"})

MAX_VALUE = 4096  # characters of a value the checks look at
WINDOW = 256  # characters of the line either side of the value
MIN_GENERIC = 6  # a generic rule's value shorter than this is too short to be a credential

REASONS: dict[str, str] = {
    "placeholder": "a stand-in, not a credential: changeme, xxxx…, ****, <token>, your-api-key, dummy, "
                   "secret/password as the value, user:pass, scott:tiger, one repeated character, 123456/abcdef",
    "example-key": "a documentation example: AKIA…EXAMPLE, a value ending in EXAMPLE/EXAMPLEKEY, or a sample "
                   "token a provider publishes in its docs",
    "template": "a reference to a value set elsewhere: ${VAR}, $VAR, {{ .x }}, %(x)s, %s, {0}, "
                "process.env.X, os.environ[...], getenv(...), <%= %>",
    "embedded": "the match is part of a longer run of base64 or hex text (a blob, a hash), not a token",
    "public-block": "a line of a public certificate or public key (BEGIN CERTIFICATE, PUBLIC KEY, ssh-rsa AAAA…)",
    "pem-header": "a private key header mentioned in text or code, with no key body after it",
    "package-fixture": "a test fixture, example or doc inside an installed package (site-packages/…/tests/, "
                       "node_modules/…/test/, /usr/share/doc/): the package's authors put it there, not the image's",
    "natural-language": "words, not a secret: UI text and translations after a password key ('Mot de passe', "
                        "'Enter your password')",
    "path-or-url": "a file path, or a URL that holds no credentials",
    "identifier": "a name in code: snake, camel or kebab case words (password_reset_token, getApiKey, "
                  "PASSWORD_FIELD) or an attribute reference (self.password)",
    "hash": "a hash or checksum: hex of 32-128 digits where the key or line says checksum/sha/integrity, an "
            "SRI sha512-… string, or a password hash ($2b$…, $argon2id$…, $6$…): a hash is not the credential",
    "too-short": f"fewer than {MIN_GENERIC} characters: too short for a keyword, assignment or entropy rule",
    "checksum-mismatch": "the token's built-in checksum or structure does not hold (rules with `checksum:`): a "
                         "look-alike, truncated or made-up value, which the provider never issued",
}

REASONS_BY_LEVEL: dict[Level, tuple[str, ...]] = {
    "token": ("placeholder", "example-key", "template", "embedded", "public-block", "pem-header", "package-fixture"),
    "generic": tuple(r for r in REASONS if r != "checksum-mismatch"),  # that one is the rule's own check
    "off": (),
}


@dataclass(frozen=True)
class Context:
    """Where a value was found: the line holding it (or the metadata text), the assignment key when known,
    the in-image path (None for metadata), the label of the PEM block the line sits in (`CERTIFICATE`,
    `PUBLIC KEY`, ...), a few lines after it (`after`, for a PEM header's body) and before it (`above`, for
    the name of a table of checksums: `my %md5sums = (`)."""

    line: str = ""
    key: str | None = None
    path: str | None = None
    block: str | None = None
    after: str = ""
    above: str = ""


# --- the rule field and the per-kind default ---------------------------------------------------------


def level(value: Any, where: str) -> Level:
    """The `judge:` field of a content rule (the rule loader's checker)."""
    if value not in LEVELS:
        raise RuleError(f"{where}: expected one of {', '.join(LEVELS)}, not {value!r}")
    return value  # type: ignore[no-any-return]


def level_of(rule: Rule) -> Level:
    """The strictness `rule`'s values are judged at: its `judge:` field, else its kind's default (for
    detect-secrets rules, by plugin: keyword and entropy plugins say only "looks secret")."""
    chosen = rule.params.get("judge")
    if chosen in LEVELS:
        return chosen  # type: ignore[no-any-return]
    if rule.kind == "secret":
        return "generic" if rule.params.get("plugin") in GENERIC_PLUGINS else "token"
    if rule.kind == "metadata":  # a value under a secret-sounding name; a command-line match is the whole line
        return "generic" if rule.params.get("name") and not rule.params.get("value") else "off"
    return KIND_LEVELS.get(rule.kind, "token")


# --- vocabulary --------------------------------------------------------------------------------------

# Words a placeholder is made of; a value that is only these (plus filler and a digit or two) is one.
_VOCAB = frozenset("""
    change changeme changeit replace replaceme me my your our the some a an insert enter put add here value
    secret secrets password passwords passwd pass pwd passphrase token tokens key keys api apikey access
    auth credential credentials cred creds private client app db database user username login
    dummy fake mock sample example examples test testing tests demo default placeholder redacted hidden
    none null nil undefined empty blank tbd todo fixme foo bar baz qux quux foobar hello world
    super top very strong s3cret hunter letmein qwerty xyz abc goes new fake bogus invalid notreal
""".split())
_SEQUENCES = ("0123456789012", "9876543210987", "abcdefghijklmnopqrstuvwxyz", "zyxwvutsrqponmlkjihgfedcba",
              "qwertyuiop", "asdfghjkl", "zxcvbnm")
# words that say "stand-in" wherever they sit in a token's body
_MARKERS = frozenset("fake dummy example sample placeholder redacted changeme replaceme notreal invalid bogus "
                     "your here insert xxx".split())
_NOT_ALNUM = re.compile(r"[\W_]+")
_RUN = re.compile(r"(.)\1{3,}")
_PARTS = re.compile(r"[-_.~:/+]+")
_SEQUENCE_PIECES = frozenset(s[i:j] for s in _SEQUENCES for i in range(len(s)) for j in range(i + 3, len(s) + 1))
_PREFIXES = frozenset(w[:k] for w in _VOCAB | _SEQUENCE_PIECES | {"x" * 16} for k in range(2, len(w) + 1))
_LEET = str.maketrans("0@$3147!5", "oaseiatis")
# published doc pairs; a user and password that are the same word (guest:guest) count too
_DOC_PAIRS = frozenset({("scott", "tiger"), ("user", "pass"), ("user", "password"), ("username", "password"),
                        ("foo", "bar"), ("john", "doe"), ("alice", "secret"), ("bob", "secret"),
                        ("admin", "password"), ("root", "password"), ("login", "password")})

# Sample tokens providers publish in their own documentation (beyond the `EXAMPLE` suffix convention).
SAMPLE_TOKENS = frozenset({
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",  # Stripe API reference, the docs' test secret key
    "pk_test_TYooMQauvdEDq54NiTphI7jx",  # Stripe API reference, the docs' test publishable key
    # jwt.io's default token, copied into countless READMEs
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5"
    "MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    # Azurite / Azure Storage Emulator's well-known development account key (Microsoft docs)
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
})

# jwt.io's sample claims ({"sub":"1234567890","name":"John Doe",...}) under any header and signature
_JWT_SAMPLE = re.compile(r"^eyJ[A-Za-z0-9_-]{10,200}\.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lI")
_HASH_WORDS = re.compile(r"(?i)sha|md5|hash|checksum|integrity|digest|etag|commit|revision|\brev\b|\bsum\b|"
                         r"fingerprint|crc|\boid\b|resolved|lock")
_SECRET_WORDS = re.compile(r"(?i)secret|token|passw|pwd|api.?key|private|credential")
_HEX_LENGTHS = frozenset({32, 40, 56, 64, 96, 128})
_HEX = re.compile(r"[0-9a-fA-F]+")
_SRI = re.compile(r"sha(?:256|384|512)-[A-Za-z0-9+/]{40,}={0,2}")
_PASSWORD_HASH = re.compile(r"\$(?:2[abxy]?|1|5|6|y|gy|7|argon2(?:id|i|d))\$[^\s]{8,}|"
                            r"(?:pbkdf2_sha\d+|bcrypt_sha256|scrypt|sha1|md5)\$[^\s$]+\$[^\s]{8,}|"
                            r"\{S?SHA(?:256|512)?\}[A-Za-z0-9+/=]{20,}")
_FILLER_CHARS = re.compile(r"^[xX*#.•_-]+$|^[xX0-9*#._-]*[xX*#]{4,}[xX0-9*#._-]*$")
_ANGLE = re.compile(r"^(?:<[^<>]{1,80}>|\[[^\[\]]{1,80}\]|\([^()]{1,80}\))$")
_YOUR = re.compile(r"^(?:your|my|insert|enter|put|add|replace|paste|some)[-_.]?[a-z0-9_.-]*$|[-_]here$",
                   re.IGNORECASE)
_REDACTED = re.compile(r"(?i)redacted|\*{3,}|\.{3,}|…")
_EXAMPLE = re.compile(r"EXAMPLE(?:KEY)?$")
# template and variable references, as the whole value or braced inside it
_TEMPLATE_WHOLE = re.compile(
    r"^(?:\$[A-Za-z_][A-Za-z0-9_]*|\$\{[^}]{1,200}\}|%\(?[A-Za-z_]*\)?[sdr]|%[sdr]|\{[A-Za-z0-9_.]{0,64}\}|"
    r"%[A-Za-z_][A-Za-z0-9_]*%|\$env:[A-Za-z_][A-Za-z0-9_]*|@[A-Za-z_][A-Za-z0-9_]*@|"
    r"(?:process\.env|import\.meta\.env)[.\[][^\s]{1,200}|"
    r"(?:os\.)?(?:environ|getenv|Getenv|env|ENV|System\.getenv|Environment\.GetEnvironmentVariable)"
    r"\s*[\[(.][^\s]{0,200})$")
_TEMPLATE_INSIDE = re.compile(r"\$\{[^}]{0,200}\}|\{\{[^}]{0,200}\}\}|<%[^%]{0,200}%>|#\{[^}]{0,200}\}|"
                              r"%\([A-Za-z_][A-Za-z0-9_]{0,64}\)[sdr]|\$\([^)]{1,200}\)")
_TEMPLATE_BEFORE = re.compile(r"(?:environ|getenv|Getenv|ENV|env|process\.env|secrets|System\.getenv|"
                              r"GetEnvironmentVariable)\s*[\[(.]\s*[\"']?$|"
                              r"\$\{?\{?\s*(?:secrets|env|vars)\.$")
_BASE64ISH = re.compile(r"[A-Za-z0-9+/]")
_BODY = re.compile(r"[A-Za-z0-9+/=]{40,}")
_PEM_PRIVATE = re.compile(r"BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY")
_PUBLIC_LABELS = ("CERTIFICATE", "PUBLIC KEY", "X509 CRL", "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST",
                  "PGP PUBLIC KEY BLOCK", "DH PARAMETERS", "EC PARAMETERS", "TRUSTED CERTIFICATE",
                  "PKCS7", "CMS")
_SSH_PUBLIC = re.compile(r"(?:^|\s|[\"'])(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com)"
                         r"\s+AAAA")
_USER_BEFORE = re.compile(r"([\w.%-]{1,40})$")
_USERINFO = re.compile(r"://([^:@/\s]{1,80}):([^:@/\s]{1,200})@")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{1,20}://([^/?#\s]*)")
_PATH = re.compile(r"^(?:~|\.{1,2}|[A-Za-z]:|\$[A-Z_]+|%[A-Z_]+%)?[/\\]?(?:[\w@+.-]{1,80}[/\\]){1,40}[\w@+.-]{0,80}$")
_PATH_START = re.compile(r"^(?:~|\.{1,2}|[A-Za-z]:)?[/\\]|^[\w.-]+[/\\]")
_EXTENSION = re.compile(r"\.[a-z][a-z0-9]{0,5}$")
_WORD = re.compile(r"^[^\W\d_]+(?:['’-][^\W\d_]+)*$")
_LANG_PATH = re.compile(r"(?i)/(?:locales?|i18n|l10n|lang|langs|languages|translations?|messages)/|"
                        r"\.(?:po|pot|xliff|xlf|strings|resx|arb)$|messages[_.-][a-z]{2}|/[a-z]{2}(?:[_-][A-Z]{2})?\.(?:json|ya?ml|js|ts|properties)$")
# a package manager's install tree, then a tests/fixtures/examples/docs directory somewhere below it
_FIXTURE_PATH = re.compile(r"/(?:site-packages|dist-packages|node_modules|gems/[^/]+|pkg/mod|vendor)/(?:[^/]+/)*?"
                           r"(?:tests?|testing|testdata|test_data|fixtures?|__tests__|__fixtures__|spec|specs|"
                           r"examples?|samples?|docs?)/|^/usr/share/doc/")
_IDENT_PART = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_CALL = re.compile(r"\(\s*\)$")
_ABBREVIATIONS = frozenset("id db pw pwd url uri api jwt ssh tls ssl rsa dsa aes otp mfa sso oauth http https "
                           "smtp ftp sftp ldap aws gcp k8s env cfg conf config str int num tmp src dst msg btn "
                           "lbl txt pk fk iv ui ux js ts py rb go cli sdk kms iam arn sts sql xml json yaml".split())
_VOWELS = frozenset("aeiouy")
_KEY_BEFORE = re.compile(r"([A-Za-z_][\w.-]{0,80})[\"'\]]?\s*(?:=|:|:=|=>|->)\s*[\"'`]?$|"
                         r"<([A-Za-z_][\w.-]{0,80})>$|([A-Za-z_][\w.-]{0,80})=[\"']$")


# --- the judge ---------------------------------------------------------------------------------------


def judge(value: str, context: Context, strictness: Level) -> str | None:
    """The name of the reason (a key of `REASONS`) why `value` found in `context` is not a credential, or
    None. Pure and deterministic; bounded work whatever the lengths of value and line."""
    if strictness == "off" or not value:
        return None
    value = value[:MAX_VALUE]
    before, after = _around(context.line, value)
    key = context.key if context.key is not None else _key(before)
    checks = _TOKEN_CHECKS if strictness == "token" else _GENERIC_CHECKS
    for name, check in checks:
        if check(value, key, before, after, context):
            return name
    return None


def _around(line: str, value: str) -> tuple[str, str]:
    """Up to `WINDOW` characters of `line` before and after the value's first occurrence ("" if absent)."""
    at = line.find(value[:WINDOW]) if len(line) <= 1 << 16 else line.find(value[:WINDOW], 0, 1 << 16)
    if at < 0:
        return "", ""
    end = at + len(value)
    return line[max(0, at - WINDOW):at], line[end:end + WINDOW]


def _key(before: str) -> str | None:
    """The assignment key right before a value (`password = "`, `"token": "`, `<secret>`, `pass="`)."""
    match = _KEY_BEFORE.search(before[-120:])
    return next((g for g in match.groups() if g), None) if match else None


Check = Callable[[str, "str | None", str, str, Context], bool]


def _placeholder(value: str, key: str | None, before: str, after: str, context: Context) -> bool:
    stripped = value.strip().strip("\"'`")
    if not stripped or _FILLER_CHARS.match(stripped) or _ANGLE.match(stripped) or _REDACTED.search(stripped):
        return True
    if len(stripped) <= 80 and _YOUR.search(stripped):
        return True
    alnum = _NOT_ALNUM.sub("", stripped[:200]).lower()
    words = " " in stripped  # several words are language (`natural-language`), not a placeholder's parts
    if alnum and (_filler(alnum) or not words and (_only_vocab(alnum) or
                                                  _only_vocab(stripped.lower().translate(_LEET)))):
        return True
    if not words and _placeholder_body(stripped):
        return True
    if key and alnum and alnum == "".join(c for c in key.lower() if c.isalnum()):
        return True  # PASSWORD=password, token: token
    return _doc_pair(stripped, context.line)


def _placeholder_body(value: str) -> bool:
    """A token's prefix with a stand-in body: the last part (after `-`, `_`, `.`, `~`, `/`, `:`) or the
    longest is filler or placeholder words (`tskey-api-XXXXXX`, `SG.FAKE.FAKE`, `xoxb-…-fakefakefake`), or
    the value ends in `FAKE`."""
    if value[-4:].lower() == "fake":
        return True
    parts = [p.lower() for p in _PARTS.split(value[:512]) if p]
    if len(parts) < 2:
        return False
    return any(len(p) >= 4 and (_filler(p) or _only_vocab(p, _MARKERS)) for p in (parts[-1], max(parts, key=len)))


def _filler(alnum: str) -> bool:
    """One character repeated over most of it (`xxxx`, `ghp_` + 36 `x`, `0000`), or a short unit repeated
    (`abcabc`, `121212`)."""
    best = max((len(m.group()) for m in _RUN.finditer(alnum)), default=0)
    if len(alnum) >= 4 and best >= max(4, len(alnum) // 2):
        return True
    for period in (1, 2, 3):
        if len(alnum) >= 2 * period + 2 and alnum == (alnum[:period] * (len(alnum) // period + 1))[:len(alnum)]:
            return True
    return False


def _only_vocab(text: str, vocab: frozenset[str] = _VOCAB) -> bool:
    """`text` (letters and digits, lower case; at most 64 of them) is only placeholder words, runs of a
    keyboard or alphabet sequence, `x` filler and at most two other digits: `mysecretpassword`,
    `changeme123`, `password1`, `abc123`, `your_api_key_here`."""
    text = _NOT_ALNUM.sub("", text[:256])
    if not 3 <= len(text) <= 64:
        return False
    reach = [False] * (len(text) + 1)
    reach[0] = True
    for i in range(len(text)):
        if not reach[i]:
            continue
        for j in range(i + 2, min(len(text), i + 16) + 1):
            piece = text[i:j]
            if piece not in _PREFIXES:
                break  # no word or run starts this way: longer pieces cannot either
            if piece in vocab or piece in _SEQUENCE_PIECES or piece == "x" * len(piece):
                reach[j] = True
        if text[i].isdigit() and (i + 1 == len(text) or (i + 2 == len(text) and text[i + 1].isdigit())):
            reach[len(text)] = True  # one or two trailing digits: password1, secret42
    return reach[-1]


def _doc_pair(value: str, line: str) -> bool:
    """`user:pass`, `scott:tiger`, `guest:guest`: the value, or the password after its user in the line."""
    userinfo = _USERINFO.search(value[:512])
    if userinfo:
        return _doc_user(*userinfo.groups())
    if ":" in value:
        return _doc_user(*value.partition(":")[::2])
    needle, at = ":" + value[:200], -1
    for _ in range(8):  # the first few places the value follows a colon: `user:value@`, `-u user:value`
        at = line.find(needle, at + 1, 1 << 16)
        if at < 0:
            return False
        user = _USER_BEFORE.search(line[max(0, at - 40):at])
        if user and line[at + len(needle):at + len(needle) + 1] in ("@", " ", "\t", "\"", "'", ""):
            return _doc_user(user.group(1), value)
    return False


def _doc_user(user: str, password: str) -> bool:
    user, password = user.lower().rsplit("/", 1)[-1], password.lower()
    return (user, password) in _DOC_PAIRS or (bool(user) and user == password) or \
        (_only_vocab(user) and _only_vocab(password))


def _example(value: str, key: str | None, before: str, after: str, context: Context) -> bool:
    return value in SAMPLE_TOKENS or bool(_EXAMPLE.search(value)) or _JWT_SAMPLE.search(value[:200]) is not None


def _template(value: str, key: str | None, before: str, after: str, context: Context) -> bool:
    stripped = value.strip().strip("\"'`")
    if _TEMPLATE_WHOLE.match(stripped) or _TEMPLATE_INSIDE.search(stripped):
        return True
    return bool(_TEMPLATE_BEFORE.search(before[-40:]))


def _embedded(value: str, key: str | None, before: str, after: str, context: Context) -> bool:
    """Flanked on both sides by base64 characters: part of a blob (WebAssembly, an image, a hash)."""
    return bool(before) and bool(after) and bool(_BASE64ISH.match(before[-1])) and bool(_BASE64ISH.match(after[0]))


def _public_block(value: str, key: str | None, before: str, after: str, context: Context) -> bool:
    if context.block is not None and context.block in _PUBLIC_LABELS:
        return True
    line = context.line[:1 << 16]
    return bool(_SSH_PUBLIC.search(line)) or any(f"BEGIN {label}-----" in line for label in _PUBLIC_LABELS) \
        and not _PEM_PRIVATE.search(line)


def _pem_header(value: str, key: str | None, before: str, after: str, context: Context) -> bool:
    """A `BEGIN ... PRIVATE KEY` header (in the value or its line) with no base64 body after it on the line
    (a one-line string with `\\n` escapes holds its body) or in the next lines."""
    line = context.line[:1 << 16]
    header = _PEM_PRIVATE.search(value[:200]) or _PEM_PRIVATE.search(line)
    if header is None:
        return False
    rest = line[header.end():] if _PEM_PRIVATE.search(line) else after
    return not _BODY.search(rest.replace("\\n", "\n")) and not _BODY.search(context.after[:2048]) \
        and not _BODY.search(value)


def _package_fixture(value: str, key: str | None, before: str, after: str, context: Context) -> bool:
    return context.path is not None and bool(_FIXTURE_PATH.search(context.path))


def _natural_language(value: str, key: str | None, before: str, after: str, context: Context) -> bool:
    """Words of letters separated by spaces (`Mot de passe`, `Passwort vergessen?`), or one word that is
    plainly language: with a letter outside ASCII (`Пароль`, `Contraseña`), ending in `?`, `:` or `!`, or
    in a translation file. A password with digits or symbols inside its words (`P@ssw0rd!2024x`,
    `Tr0ub4dor &3`) is not language; a passphrase of plain words is (documented trade-off)."""
    words = value.split()
    bare = [w.strip(".,;:!?¿¡\"'«»()…") for w in words[:64]]
    if len(words) >= 2:
        letters = [w for w in bare if w and _WORD.match(w)]
        return len(letters) >= 2 and len(letters) >= 0.6 * len(words) and all(
            _WORD.match(w) or w.isdigit() or not w or not any(c.isalpha() for c in w) for w in bare)
    if len(bare) != 1 or not bare[0] or not _WORD.match(bare[0]):
        return False
    word = bare[0]
    if not word.isascii():
        return True
    if value.rstrip()[-1:] in "?:!" and len(word) >= 3:
        return True
    return context.path is not None and bool(_LANG_PATH.search(context.path)) and _plain_word(word)


def _plain_word(word: str) -> bool:
    return (word.islower() or word.istitle() or word.isupper()) and any(c in _VOWELS for c in word.lower())


def _path_or_url(value: str, key: str | None, before: str, after: str, context: Context) -> bool:
    url = _URL.match(value)
    if url:
        if ":" in url.group(1).rpartition("@")[0]:
            return False  # a URL with user:password@ holds a credential
        rest = [p for p in re.split(r"[/?&=#;]", value[url.end():url.end() + 1024]) if p]
        return all(len(p) < 16 or _wordy(p) for p in rest)  # a webhook's random path is its credential
    if len(value) > 1024 or not _PATH.match(value) or not _PATH_START.match(value):
        return False
    segments = [s for s in re.split(r"[/\\]", re.sub(r"^[A-Za-z]:", "", value)) if s and s not in (".", "..", "~")]
    if not segments:
        return False
    wordy = all(_wordy(s) for s in segments)
    return wordy and (len(segments) >= 2 or bool(_EXTENSION.search(value)) or value.startswith(("/", "~/", "./")))


def _wordy(segment: str) -> bool:
    """A path segment made of words: `ssl`, `id_rsa.pub`, `db-password.txt`, `v1`, `Program Files`."""
    stem = re.sub(r"(?<=.)\.[A-Za-z0-9]{1,5}$", "", segment)  # an extension need not be a word: .html, .pem
    parts = [p for p in re.split(r"[._@+-]+", stem) if p]
    return bool(parts) and all(_plain_part(p) for p in parts)


def _plain_part(part: str) -> bool:
    if part.isdigit() or part.lower() in _ABBREVIATIONS:
        return len(part) <= 8
    letters = part.rstrip("0123456789")
    if len(part) - len(letters) > 2 or not letters.isalpha() or not (letters.islower() or letters.isupper()
                                                                    or letters.istitle()):
        return False
    return len(letters) <= 3 or any(c in _VOWELS for c in letters.lower())


def _identifier(value: str, key: str | None, before: str, after: str, context: Context) -> bool:
    """Two or more words joined in snake, camel, kebab or dotted case, perhaps a call: `password_reset_token`,
    `getApiKey()`, `PASSWORD_FIELD`, `self.password`, `config.db.password`."""
    text = _CALL.sub("", value.strip())
    if not 3 <= len(text) <= 100 or not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(?:[._:-]{1,2}[A-Za-z0-9]+)*", text):
        return False
    chunks = [c for c in re.split(r"[._:-]+", text) if c]
    parts = [p for chunk in chunks for p in _IDENT_PART.findall(chunk)]
    if len(parts) < 2 or "".join(parts) != "".join(chunks):
        return False
    return all(_ident_word(p) for p in parts)


def _ident_word(part: str) -> bool:
    low = part.lower()
    if part.isdigit():
        return len(part) <= 2
    if low in _ABBREVIATIONS or low in _VOCAB:
        return True
    return len(part) >= 3 and any(c in _VOWELS for c in low) and not _consonant_run(low)


def _consonant_run(word: str) -> bool:
    """Four consonants in a row (`xkcd` passes, `qzrtv` fails): random letters, not a word."""
    run = 0
    for c in word:
        run = 0 if c in _VOWELS else run + 1
        if run >= 5:
            return True
    return False


def _hash(value: str, key: str | None, before: str, after: str, context: Context) -> bool:
    stripped = value.strip().strip("\"'")
    if _SRI.fullmatch(stripped) or _PASSWORD_HASH.match(stripped):
        return True
    hexpart = stripped.split(":", 1)[1] if stripped.lower().startswith(("sha1:", "sha256:", "sha512:", "md5:")) \
        else stripped
    if len(hexpart) not in _HEX_LENGTHS or not _HEX.fullmatch(hexpart):
        return False
    if key is not None:
        return bool(_HASH_WORDS.search(key)) and not _SECRET_WORDS.search(key)
    near = before[-80:] + " " + after[:40]
    if _SECRET_WORDS.search(near):
        return False  # `token: <hex>` on the line: a key named secret keeps it
    name = context.path.rsplit("/", 1)[-1] if context.path else ""
    # a keyless value under a table of checksums (`my %md5sums = (` a few lines up), whatever its entries' names
    return bool(_HASH_WORDS.search(near) or _HASH_WORDS.search(name) or _HASH_WORDS.search(context.above[-4096:]))


def _too_short(value: str, key: str | None, before: str, after: str, context: Context) -> bool:
    return len(value.strip()) < MIN_GENERIC


_TOKEN_CHECKS: tuple[tuple[str, Check], ...] = (
    ("example-key", _example),
    ("template", _template),
    ("placeholder", _placeholder),
    ("public-block", _public_block),
    ("pem-header", _pem_header),
    ("embedded", _embedded),
    ("package-fixture", _package_fixture),
)
_GENERIC_CHECKS: tuple[tuple[str, Check], ...] = (
    *_TOKEN_CHECKS,
    ("hash", _hash),
    ("natural-language", _natural_language),
    ("path-or-url", _path_or_url),
    ("identifier", _identifier),
    ("too-short", _too_short),
)
assert {name for name, _ in _GENERIC_CHECKS} == set(REASONS) - {"checksum-mismatch"}  # checks.checksum's


# --- a file's context, for the scanner ---------------------------------------------------------------


class FileText:
    """One file's bytes, looked at only where a hit needs its context: the line of a hit, the lines around
    it, and the PEM block (BEGIN ... END) it sits in. Lines are found by byte offset, never by splitting
    the file: a hit in a 30 MB index costs a look at its neighbourhood, not a list of a million lines."""

    AFTER = 4  # lines after a hit kept for a PEM header's body
    ABOVE = 20  # lines before a hit kept for the name of a table of checksums
    STRIDE = 1 << 16  # bytes between the newline counts that `_start` starts from

    def __init__(self, path: str | None, data: bytes) -> None:
        self.path = path
        self._data = data
        self._marks: list[int] | None = None  # newlines before each multiple of STRIDE
        self._blocks: list[tuple[int, int, str]] | None = None

    def context(self, line: int | None) -> Context:
        """The context of 1-based line `line` (None: only the path)."""
        start = None if line is None or line < 1 else self._start(line - 1)
        if start is None:
            return Context(path=self.path)
        index = line - 1  # type: ignore[operator]
        data = self._data
        end = _line_end(data, start)
        text = data[start:min(end, start + (1 << 17))].decode("utf-8", "replace")
        first = self._start(max(0, index - self.ABOVE)) or 0
        above = _heads(data, first, min(index, self.ABOVE), 256)
        after = _heads(data, end + 1, self.AFTER, 1024)
        return Context(line=text, path=self.path, block=self._block(index), after=after, above=above)

    def _start(self, index: int) -> int | None:
        """The byte offset of 0-based line `index`, None past the last line (lines as `split(b"\\n")`)."""
        data = self._data
        if self._marks is None:
            counts = newlines.of(data)
            self._marks = [0] + [counts.before(offset + self.STRIDE) for offset in range(0, len(data), self.STRIDE)]
        marks = self._marks
        if index > marks[-1]:
            return None
        if index == 0:
            return 0
        chunk = bisect.bisect_left(marks, index) - 1  # the stride holding the index-th newline
        at, seen = chunk * self.STRIDE, marks[chunk]
        while seen < index:
            at = data.find(b"\n", at) + 1
            seen += 1
        return at

    def _block(self, index: int) -> str | None:
        if self._blocks is None:
            self._blocks = pem_blocks(self._data)
        at = bisect.bisect_right(self._blocks, (index, 1 << 62, "")) - 1
        if at >= 0:
            start, end, label = self._blocks[at]
            if start < index < end:
                return label
        return None


def _line_end(data: bytes, start: int) -> int:
    end = data.find(b"\n", start)
    return len(data) if end < 0 else end


def _heads(data: bytes, at: int, count: int, width: int) -> str:
    """The first `width` bytes of each of up to `count` lines from offset `at`, joined by newlines: never
    a copy of a whole line, however long (a hit amid megabyte lines costs a few KB, not their size)."""
    heads: list[bytes] = []
    while len(heads) < count and at <= len(data):
        stop = _line_end(data, at)
        heads.append(data[at:min(stop, at + width)])
        at = stop + 1
    return b"\n".join(heads).decode("utf-8", "replace")


_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 ]{1,40})-----")


def pem_blocks(data: bytes) -> list[tuple[int, int, str]]:
    """(begin line, end line, label) of each PEM block of `data`, by 0-based line index, in order; an
    unterminated block runs to the end (the line count). Only lines holding `-----` are looked at."""
    blocks: list[tuple[int, int, str]] = []
    if b"-----BEGIN " not in data:
        return blocks
    open_at: tuple[int, str] | None = None
    counts = newlines.of(data)
    index, at = 0, data.find(b"-----")
    while at >= 0:
        start = data.rfind(b"\n", 0, at) + 1
        end = _line_end(data, at)
        index = counts.before(start)
        line = data[start:end]
        begin = _BEGIN.search(line)
        if begin and open_at is None:
            open_at = (index, begin.group(1).decode())
        elif b"-----END " in line and open_at is not None:
            blocks.append((open_at[0], index, open_at[1]))
            open_at = None
        at = data.find(b"-----", end)
    if open_at is not None:
        blocks.append((open_at[0], counts.total() + 1, open_at[1]))
    return blocks
