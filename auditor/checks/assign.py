"""`assignment` rules: a value assigned to a key whose name says it is a credential, parsed by the file's format.

A rule names its keys by a pattern over the key's *words*: a key is split at `_`, `-`, `.`, `$` and
camelCase humps and lower-cased, so `spring.datasource.password`, `DB_PASSWORD`, `dbPassword` and
`client-secret` become `spring_datasource_password`, `db_password`, `db_password` and `client_secret`;
the rule's `keys` pattern must match there between non-letters (`token` matches `auth_token`, not
`tokenizer`), and none of its `exclude_keys` may (`password_policy`, `token_url`).

Only the places where Hyperscan finds one of the rules' `keywords` in a key followed by an operator or
a value are ever visited (`gate_pattern`, `KeyGate`). From each such place, the key around it is read
and the assignment after it parsed by the file's format (`file_format`):
what counts as a value, and what is a reference, depends on it. A quoted literal is a value everywhere;
an unquoted word is a value in configuration files (YAML, INI, properties, .env, shell, Dockerfile ENV)
and never in code or JSON/TOML/HCL, where it is an identifier, a call or a type (`password =
request.form['password']`, `password: String`). All work per place is bounded (`LEFT`, `RIGHT`,
`MAX_VALUE` bytes), so a file costs time linear in its size whatever it holds.

Each assignment is reported once, by the first rule (in rule order) that takes it, and every occurrence
is its own `Hit` with its own line, even when a value repeats. Deciding whether a value is a placeholder,
prose or a hash is left to the shared value judge; this module rejects only what needs the parse: code
references, type annotations, excluded keys, empty or structural values, and values that repeat the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from re import Pattern

from auditor.checks.gate import Gate
from auditor.checks.interface import ContentCheck, Scoped
from auditor.checks.window import LineCounter
from auditor.model import Hit, Rule

LEFT = 128  # bytes of key read before a keyword's end
RIGHT = 1024  # bytes of the line read after it: the operator and value must lie within
MAX_VALUE = 512  # longest value taken

# How a file's values are written (`file_format`):
# - code: only quoted literals are values (python: the same, and an unquoted `key: ...` is an annotation);
# - data: the same (JSON, TOML, HCL);
# - shell: unquoted words up to whitespace too (.env, scripts, Dockerfiles);
# - config: unquoted to the end of the line too, when the key starts it (YAML, INI, properties, unknown);
# - xml: attributes and <key>value</key> elements.
PYTHON_EXTS = frozenset(("py", "pyi", "pyw"))
CODE_EXTS = frozenset(
    "rb js jsx mjs cjs ts tsx mts cts vue svelte go java kt kts scala groovy gradle cs vb php swift rs "
    "c h cc cpp hpp m mm dart lua pl pm r ex exs erl clj jl cr nim".split())
DATA_EXTS = frozenset("json json5 jsonc toml tf tfvars hcl nomad".split())
SHELL_EXTS = frozenset("sh bash zsh ksh fish env envrc ps1 bat cmd".split())
XML_EXTS = frozenset("xml config xaml plist csproj props targets xsd jsp aspx html htm".split())
SHELL_NAMES = frozenset(
    ".env .envrc .npmrc .yarnrc .profile .bashrc .bash_profile .zshrc .zprofile .kshrc environment".split())
SPACED_EXTS = frozenset(("properties",))  # key value, without an operator, at a line's start

_SEPARATORS = b" \t=:>(,\"'`]?"  # between a key and what the gate matched after it
_KEYCHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.$@-"
_CAMEL = re.compile(r"([a-z0-9])([A-Z])|([A-Z]+)([A-Z][a-z])")
_WORDS = re.compile(r"[^A-Za-z0-9]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SPACE = re.compile(rb"[ \t]{0,8}")
# after a key: an optional `?`, then (in code) a type, then the operator
_OP = re.compile(rb"\??[ \t]{0,8}(?::=|=>|\|\|=|\?\?=|=(?![=~])|:(?![:=]))[ \t]{0,8}")
_TYPED = re.compile(  # `apiKey: string =`, `password: str =`, `var apiKey string =`, `String API_KEY =`
    rb"\??(?:[ \t]{0,4}:[ \t]{0,4}[A-Za-z_][\w.<>\[\]|?]{0,40}|[ \t]{1,4}[A-Za-z_][\w.\[\]*]{0,30})"
    rb"[ \t]{0,4}(?:=(?![=~>])|:=)[ \t]{0,8}")
_QUOTED = re.compile(
    rb"(?P<prefix>[rRbBuUfF]{1,2}|@|\$)?(?:\"(?P<dq>(?:[^\"\\\n]|\\.){0,512})\"|'(?P<sq>(?:[^'\\\n]|\\.){0,512})'"
    rb"|`(?P<bq>[^`\n]{0,512})`)")
_SHELL_WORD = re.compile(rb"[^\s\"'`;|&<>()]{1,512}")
_LINE_REST = re.compile(rb"[^\n]{1,512}")
_XML_TEXT = re.compile(rb">[ \t]{0,8}([^<\n]{1,512})</")
_PAIR_VALUE = re.compile(rb"[ \t]{1,8}value[ \t]{0,4}=[ \t]{0,4}(?:\"([^\"\n]{0,512})\"|'([^'\n]{0,512})')")
_ARG = re.compile(rb"[ \t]{0,4},[ \t]{0,4}")
_CALL = re.compile(rb"\([ \t]{0,4}")
_EXPRESSION = re.compile(rb"[ \t]{0,4}(?:[%+*.\[]|\?\?|\|\|)")
_CALL_END = re.compile(rb"[ \t]{0,4}[),]")
_LINE_START = re.compile(rb"[ \t]*(?:-[ \t]+)?(?:(?:export|set|setenv|declare|readonly|local|ENV|ARG)[ \t]+)?")
_PAIR_KEY = re.compile(rb"(?:key|name)[ \t]{0,4}=[ \t]{0,4}\Z", re.IGNORECASE)
_COMMENT = re.compile(r"[ \t]+[#;].*\Z")
CODE_LIKE = frozenset(("python", "code", "data"))
COMMENTED = frozenset(("config", "properties", "shell", "dockerfile"))  # where `#`/`;` starts a comment line
SETTERS = frozenset("put set setenv putenv property set_property header set_header add_header add append setdefault "
                    "get getenv fetch env setitem option param config setattr with put_string update define".split())
_VARIABLE = re.compile(r"\$(?:\(|\{|[A-Za-z_]\w*\Z)")  # $(cmd), ${VAR}, $VAR: a reference, quoted or not
STRUCTURAL = frozenset(
    "null none nil true false undefined yes no on off enabled disabled required optional ~ | > |- >- |+ >+ [] {} ()"
    .split())


def file_format(path: str) -> str:
    """How values are written in the file at `path`: `python`, `code`, `data`, `shell`, `config`, `xml`, `dockerfile`
    or `properties`."""
    name = path.rsplit("/", 1)[-1]
    lower = name.lower()
    if lower == "dockerfile" or lower.startswith("dockerfile.") or lower.endswith(".dockerfile") \
            or lower == "containerfile":
        return "dockerfile"
    if lower in SHELL_NAMES or lower.startswith(".env."):
        return "shell"
    ext = lower.rsplit(".", 1)[-1] if "." in lower.lstrip(".") else ""
    if ext in PYTHON_EXTS:
        return "python"
    if ext in CODE_EXTS:
        return "code"
    if ext in DATA_EXTS:
        return "data"
    if ext in SHELL_EXTS:
        return "shell"
    if ext in XML_EXTS:
        return "xml"
    if ext in SPACED_EXTS:
        return "properties"
    return "config"


def words(key: str) -> str:
    """A key's words, lower-cased and joined by `_`: `spring.datasource.password` and `dbPassword` give
    `spring_datasource_password` and `db_password`."""
    return "_".join(w for w in _WORDS.split(_CAMEL.sub(r"\1\3_\2\4", key).lower()) if w)


@dataclass(frozen=True)
class Assignment:
    """One parsed assignment: the key as written, its value (without quotes) and where the value starts."""

    key: str
    value: str
    offset: int  # byte offset of the value in the text
    quoted: bool


def gate_pattern(keywords: list[str]) -> str:
    """What Hyperscan looks for, for one rule: one of its keywords inside a key that an operator or value
    follows (`=`, `:`, `=>`, `>` of an element, `("` or `, "` of a call, a quote, a `value=` attribute, a
    typed declaration), or that starts a line followed by a space and a value (`ENV KEY value`, `key value`).
    A keyword in prose or in a reference (`get_token()`, `Token.Name`) costs no Python work."""
    kws = "|".join(re.escape(k) for k in keywords)
    key = r"[A-Za-z0-9_.$@-]{0,48}"
    assigned = (rf"(?:{kws}){key}(?:[\"'`\]?]{{1,3}})?[ \t]{{0,8}}(?:[=:>]|[(,][ \t]{{0,4}}[\"'`]"
                rf"|value[ \t]{{0,4}}=|[A-Za-z_][A-Za-z0-9_.\[\]*]{{0,30}}[ \t]{{0,4}}=)"
                rf"|(?:{kws}){key}[ \t]{{1,8}}[\"'`]")
    spaced = rf"^[ \t]{{0,16}}(?:(?:ENV|ARG|export)[ \t]{{1,4}})?{key}(?:{kws}){key}[ \t]{{1,8}}[^ \t\r\n=:]"
    return f"{assigned}|{spaced}"


GATE_FLAGS = re.IGNORECASE | re.MULTILINE | re.ASCII  # ASCII: no Kelvin sign for k, and 3x faster scans
GATE_CHUNK = 12  # keywords per Hyperscan expression


class KeyGate(Gate):
    """The rules' `gate_pattern`s, scanned in one Hyperscan pass: every offset where one may end."""

    def ends(self, data: bytes, fallback: Pattern[bytes]) -> list[int]:
        """Sorted offsets where a gate pattern may end in `data` (`fallback`, Python's `re`, without Hyperscan)."""
        database = self._database if self._compiled else self._compile()
        if database is None:
            return sorted({m.end() for m in fallback.finditer(data)})
        found: set[int] = set()
        database.scan(data, match_event_handler=lambda _i, _s, end, *_: found.add(end))
        return sorted(found)


def _key_span(data: bytes, end: int) -> tuple[int, int]:
    """The key token around a keyword that ends at `end`: bytes of `_KEYCHARS`, at most LEFT each way."""
    lo = max(0, end - LEFT)
    before = data[lo:end]
    start = end - (len(before) - len(before.rstrip(_KEYCHARS)))
    after = data[end:end + LEFT]
    stop = end + len(after) - len(after.lstrip(_KEYCHARS))
    while start < stop and data[start] in b"-$@.":
        start += 1
    while stop > start and data[stop - 1] in b"-.":
        stop -= 1
    return start, stop


def _line_start(data: bytes, start: int) -> int | None:
    """The offset where the line holding `start` begins, if it lies within LEFT bytes before it (None:
    further back, out of view)."""
    lo = max(0, start - LEFT)
    newline = data.rfind(b"\n", lo, start)
    return None if newline < 0 and lo > 0 else newline + 1


def _at_line_start(data: bytes, start: int) -> bool:
    """Whether only indentation, a list dash or `export`/`ENV`/`ARG`... precede `start` on its line."""
    line = _line_start(data, start)
    match = _LINE_START.match(data, line, start) if line is not None else None
    return match is not None and match.end() == start


def parse(data: bytes, end: int, fmt: str) -> Assignment | None:
    """The assignment whose key holds the keyword ending at `end`, parsed as `fmt` writes it, or None when
    there is none or its value is a reference rather than a literal."""
    start, stop = _key_span(data, end)
    if start >= stop:
        return None
    limit = data.find(b"\n", stop, stop + RIGHT)
    limit = min(len(data), stop + RIGHT) if limit < 0 else limit
    key = data[start:stop].decode("ascii")
    before = data[start - 1:start] if start else b""
    found: tuple[int, str, bool] | None = None
    if before in (b'"', b"'"):  # a quoted key: "password": ..., ['password'] = ..., put("password", ...)
        if data[stop:stop + 1] != before:
            return None
        found = _after_quoted_key(data, start - 1, stop + 1, limit, fmt)
    elif before == b"<" and fmt in ("xml", "config"):  # <password>value</password>
        match = _XML_TEXT.match(data, stop, limit)
        if match is None or data[match.end():match.end() + len(key)] != data[start:stop]:
            return None
        found = (match.start(1), _strip(match.group(1).decode("utf-8", "replace")), False)
    else:
        call = _CALL.match(data, stop, limit)
        if call is not None:  # setPassword("..."), .password("...")
            callee = words(key.rsplit(".", 1)[-1])
            head, _, rest = callee.partition("_")
            if head in ("set", "with"):
                callee = rest
            elif rest:
                return None
            key = callee
            found = _literal(data, call.end(), limit, closed=True)
        else:
            found = _after_key(data, start, stop, limit, fmt)
    if found is None:
        return None
    offset, value, quoted = found
    return Assignment(key, value, offset, quoted)


def _after_quoted_key(data: bytes, open_quote: int, p: int, limit: int, fmt: str) -> tuple[int, str, bool] | None:
    """The value after a quoted key (`p` is past its closing quote)."""
    lo = max(0, open_quote - 16)
    head = data[lo:open_quote].rstrip(b" \t")
    if _PAIR_KEY.search(head):  # <add key="ApiKey" value="..."/>, <property name="password" value="..."/>
        match = _PAIR_VALUE.match(data, p, limit)
        if match is None:  # <entry key="password">...</entry>
            text = _XML_TEXT.match(data, p, limit)
            return None if text is None else (text.start(1), _strip(text.group(1).decode("utf-8", "replace")), False)
        group = 1 if match.group(1) is not None else 2
        return match.start(group), match.group(group).decode("utf-8", "replace"), True
    if head.endswith((b"=", b":")) and not head.endswith(b"::"):
        return None  # the quoted text is itself a value: type="password", label: "Token"
    if head.endswith(b"["):  # ['password'] = ... (or the first item of ['api_key' => '...'])
        space = _SPACE.match(data, p, limit)
        if space is not None and data[space.end():space.end() + 1] == b"]":
            p = space.end() + 1
    op = _OP.match(data, p, limit)
    if op is not None:
        return _literal(data, op.end(), limit, closed=False, code=fmt in CODE_LIKE)
    if head.endswith(b"(") and _setter(data, open_quote - (len(data[lo:open_quote]) - len(head))):
        arg = _ARG.match(data, p, limit)  # put("password", "..."), setenv("API_KEY", "...")
        if arg is not None:
            return _literal(data, arg.end(), limit, closed=False)
    return None


def _setter(data: bytes, paren: int) -> bool:
    """Whether the call whose `(` ends at `paren` stores its second argument under its first (`put`,
    `setenv`, `setProperty`, `getenv` with a default), rather than taking two values (`Moved("a", "b")`)."""
    word = data[max(0, paren - 1 - LEFT):paren - 1]
    callee = word[len(word.rstrip(_KEYCHARS)):].decode("ascii").rsplit(".", 1)[-1]
    return words(callee) in SETTERS


def _after_key(data: bytes, start: int, stop: int, limit: int, fmt: str) -> tuple[int, str, bool] | None:
    """The value after an unquoted key, by the file's format."""
    op = _TYPED.match(data, stop, limit) if fmt in CODE_LIKE else None
    op = op or _OP.match(data, stop, limit)
    if op is not None and fmt in ("python", "shell", "dockerfile") and b"=" not in op.group(0):
        return None  # `private_key: "RSAPrivateKey"` annotates (a dict's keys are quoted); `PASSWD:` in shell
    if fmt in COMMENTED and _commented(data, start):
        return None
    if op is None:
        line_start = _at_line_start(data, start)
        spaced = line_start and data[stop:stop + 1] in (b" ", b"\t")
        if not spaced:
            return None
        space = _SPACE.match(data, stop, limit)
        p = space.end() if space else stop
        literal = _literal(data, p, limit, closed=False) if fmt not in ("shell", "dockerfile") else None
        if literal is not None:  # `password "..."` (Gradle, Ruby DSLs); in shell that is a command's argument
            return literal
        if fmt == "properties" or (fmt == "dockerfile" and _dockerfile_env(data, start)):
            return _bare(data, p, limit, "config")
        return None
    if data[op.end():op.end() + 1] in (b'"', b"'", b"`") or _QUOTED.match(data, op.end(), limit):
        literal = _literal(data, op.end(), limit, closed=False, code=fmt in CODE_LIKE)
        if literal is not None:
            return literal
    if fmt in CODE_LIKE or fmt == "xml":
        return None  # an identifier, call or type: a reference, not a value
    if fmt == "config":
        if not _at_line_start(data, start):
            return None
        return _bare(data, op.end(), limit, "config")
    return _bare(data, op.end(), limit, "shell")


def _commented(data: bytes, start: int) -> bool:
    """Whether the key at `start` is on a comment line (`# password = ...`, `;token=...`): in configuration
    files those are documentation of a setting, not the setting."""
    line = _line_start(data, start)  # None: not a comment line we can see
    return line is not None and data[line:start].lstrip(b" \t").startswith((b"#", b";", b"<!--"))


def _dockerfile_env(data: bytes, start: int) -> bool:
    """Whether the key at `start` is the first of a Dockerfile `ENV KEY value` line."""
    lo = max(0, start - LEFT)
    newline = data.rfind(b"\n", lo, start)
    return re.match(rb"[ \t]*(?:ENV|ARG)[ \t]+\Z", data[newline + 1:start], re.IGNORECASE) is not None


def _literal(data: bytes, p: int, limit: int, closed: bool, code: bool = False) -> tuple[int, str, bool] | None:
    """A quoted string literal at `p` (its content, unescaped as written); `closed`: a call's argument, which
    must be followed by `)` or `,`. Interpolated strings (f"{x}", `${x}`) are references, not values, and in
    `code` so is a literal that an operator or method call follows (`" --password=%s" % pw`, `"x" + y`)."""
    match = _QUOTED.match(data, p, limit)
    if match is None:
        return None
    group = next(g for g in ("dq", "sq", "bq") if match.group(g) is not None)
    raw = match.group(group)
    prefix = (match.group("prefix") or b"").lower()
    if (b"f" in prefix or prefix == b"$" or group == "bq") and b"{" in raw:
        return None
    if b"r" in prefix:
        return None  # a raw string: a pattern (r"(?=\^?[%s])"), not a credential
    if closed and _CALL_END.match(data, match.end(), limit) is None:
        return None
    if code and _EXPRESSION.match(data, match.end(), limit) is not None:
        return None
    return match.start(group), raw.decode("utf-8", "replace"), True


def _bare(data: bytes, p: int, limit: int, style: str) -> tuple[int, str, bool] | None:
    """An unquoted value at `p`: a shell word, or (config) the rest of the line less a trailing comment."""
    match = (_SHELL_WORD if style == "shell" else _LINE_REST).match(data, p, limit)
    if match is None:
        return None
    value = match.group(0).decode("utf-8", "replace")
    if style == "config":
        value = _strip(_COMMENT.sub("", value))
    if value.startswith(("$", "*", "&", "!", "#", "%", "{", "[", "(", "<")):
        return None  # a reference ($VAR, *alias, !tag), a comment, or a structure
    return p, value, False


def _strip(value: str) -> str:
    return value.strip().rstrip(",;")


class _Compiled(Scoped):
    """One rule's key patterns and path globs, compiled on first use."""

    def __init__(self, rule: Rule) -> None:
        super().__init__(rule)
        self.min_length: int = rule.params.get("min_length", 1)
        self.shape: str = rule.params.get("shape", "any")

    @cached_property
    def keys(self) -> Pattern[str]:
        return re.compile(f"(?<![a-z])(?:{self.rule.params['keys']})(?![a-z])", re.IGNORECASE)

    @cached_property
    def excluded(self) -> Pattern[str] | None:
        patterns = self.rule.params.get("exclude_keys") or ()
        joined = "|".join(f"(?:{p})" for p in patterns)
        return re.compile(f"(?<![a-z])(?:{joined})(?![a-z])", re.IGNORECASE) if patterns else None

    def compile(self) -> None:
        _ = (self.keys, self.excluded, self.include, self.exclude)

    def takes(self, key: str, value: str) -> bool:
        """Whether this rule reports `value` assigned to `key` (already split into words)."""
        if len(value) < self.min_length:
            return False
        if self.shape != "any" and (_UUID.fullmatch(value) is not None) != (self.shape == "uuid"):
            return False
        if self.keys.search(key) is None:
            return False
        return self.excluded is None or self.excluded.search(key) is None


def judged_out(key: str, value: str) -> bool:
    """Values the parse alone rules out: empty, structural (`null`, `true`, `|`), a variable (`"$(cat f)"`,
    `"$PASSWORD"`), or the key's own name (`password: password`, `API_KEY=API_KEY`)."""
    if not value or value.lower() in STRUCTURAL:
        return True
    if not any(c.isalnum() for c in value) or _VARIABLE.match(value):
        return True
    said = words(value)
    return said == key or said in key.split("_") or key.endswith("_" + said)  # CHALLENGE_PASSWORD: "challengePassword"


class AssignmentCheck(ContentCheck):
    """Runs every `assignment` rule: parse the assignments around the rules' keywords, report each value
    once per occurrence, by the first rule that takes it."""

    def __init__(self, rules: list[Rule]) -> None:
        self._compiled = [_Compiled(rule) for rule in rules]
        keywords = [tuple(k.lower() for k in rule.params["keywords"]) for rule in rules]
        every = sorted({k for kws in keywords for k in kws})
        # a few keywords per expression: Hyperscan refuses one expression that is too long
        self._patterns = [gate_pattern(every[i:i + GATE_CHUNK]) for i in range(0, len(every), GATE_CHUNK)]
        self._gate = KeyGate([(p, GATE_FLAGS) for p in self._patterns], every=True)
        # without Hyperscan, every keyword's end (a superset of the gate's places, found in linear time)
        self._keyword = re.compile("|".join(re.escape(k) for k in every).encode())  # over lower-cased keys
        self._fallback = re.compile(self._keyword.pattern, re.IGNORECASE) if every else None

    def warm(self) -> None:
        self._gate.matches(b"")
        for c in self._compiled:
            c.compile()

    def scan_file(self, path: str, data: bytes) -> list[Hit]:
        return self._scan(data, path)

    def scan_text(self, text: str, name: str) -> list[Hit]:
        """None: metadata is already judged by key name (`metadata` rules: secret-in-env, secret-in-build-arg,
        secret-in-command), so reading `KEY=value` items again would report each value twice."""
        return []

    def _scan(self, data: bytes, path: str) -> list[Hit]:
        wanted: dict[tuple[tuple[str, ...], tuple[str, ...]], bool] = {}  # rules share their path lists
        rules = []
        for c in self._compiled:
            globs = (c.rule.paths, c.rule.exclude)
            if globs not in wanted:
                wanted[globs] = c.wants(path)
            if wanted[globs]:
                rules.append(c)
        if not rules or self._fallback is None:
            return []
        fmt = file_format(path)
        if fmt == "config" and data.startswith(b"#!"):  # a script without an extension (/usr/sbin/adduser)
            fmt = "shell" if re.match(rb"#![^\n]{0,64}\b(?:ba|da|k|z)?sh\b", data) else "code"
        lines = LineCounter(data)
        hits: list[Hit] = []
        seen: set[int] = set()
        parsed: set[int] = set()
        for end in self._gate.ends(data, self._fallback):
            keyword = self._key_before(data, end)
            if keyword is None or keyword in parsed:
                continue
            parsed.add(keyword)
            found = parse(data, keyword, fmt)
            if found is None or found.offset in seen:
                continue
            seen.add(found.offset)
            hit = self._judge(rules, found, lines)
            if hit is not None:
                hits.append(hit)
        return hits

    def _key_before(self, data: bytes, end: int) -> int | None:
        """The end of the key that a gate match ending at `end` found: the nearest of the (at most three) words
        before `end` that holds a keyword (the others are a `value=` attribute, a declared type or the start
        of a value)."""
        p = end
        for _ in range(3):
            gap = data[max(0, p - 16):p]
            p -= len(gap) - len(gap.rstrip(_SEPARATORS))
            word = data[max(0, p - LEFT):p]
            start = p - (len(word) - len(word.rstrip(_KEYCHARS)))
            if start == p:
                return None
            if self._keyword.search(data[start:p].lower()) is not None:
                return p
            p = start
        return None

    def _judge(self, rules: list[_Compiled], found: Assignment, lines: LineCounter) -> Hit | None:
        key = words(found.key)
        value = found.value if found.quoted else found.value.strip()
        if judged_out(key, value):
            return None
        for c in rules:
            if c.takes(key, value):
                return Hit(c.rule.id, lines.line_at(found.offset), value, c.rule.headline)
        return None

