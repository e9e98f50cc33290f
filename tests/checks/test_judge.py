"""The value judge: each reason with real-world-shaped values it names and real credentials it must not."""

from __future__ import annotations

import random
import time
import tracemalloc

import pytest

from auditor.checks.judge import REASONS, REASONS_BY_LEVEL, Context, FileText, judge, level_of, pem_blocks
from auditor.errors import RuleError
from auditor.model import Rule, RuleId, Severity
from auditor.rules import parse_rule

# Real-shaped credentials (random, made for these tests): no level may reject them.
REAL = [
    "kR8vN2pQ7sT4wX9zB3cF6hJ1mL5oA0eDyU7iWq2E",  # a random 40-character secret
    "ghp_R8vXq2LmT4nYw7KpZ3sB9dF6hJ1cV5gN0aQe",  # GitHub classic token shape
    "AKIAZ3MHJQ4V2XKB7NPL",  # AWS access key id shape
    "xoxb-2048193847-4810293847561-Zq8vR3mK9pL2wX7nB4cT6yHd",  # Slack bot token shape
    "sk_live_51Hq8ZkLm2Nv9Xc4Rt7Yb3Wp",  # Stripe live key shape
    "glpat-Xk29vLm3Qp8RtZ7wNb4c",  # GitLab token shape
    "P@ssw0rd!2024x",  # a password with symbols and digits
    "Tr0ub4dor&3-Zq",
    "s3cr3t-Pa55w0rd!",
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",  # 64 hex, named a key below
]


def generic(value: str, line: str = "", **context: str | None) -> str | None:
    return judge(value, Context(line=line, **context), "generic")  # type: ignore[arg-type]


def token(value: str, line: str = "", **context: str | None) -> str | None:
    return judge(value, Context(line=line, **context), "token")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", REAL)
@pytest.mark.parametrize("line", ["password = \"{}\"", "api_key: {}", "export SECRET_TOKEN={}",
                                  "<secret>{}</secret>", "{}"])
def test_real_credentials_are_never_rejected(value, line):
    text = line.format(value)
    assert generic(value, text) is None
    assert token(value, text) is None


@pytest.mark.parametrize(("value", "line"), [
    ("changeme", "password: changeme"),
    ("changeit", "keytool -storepass changeit"),
    ("CHANGE_ME", "DB_PASSWORD=CHANGE_ME"),
    ("xxxxxxxxxxxxxxxx", "api_key = 'xxxxxxxxxxxxxxxx'"),
    ("********", "password: ********"),
    ("<token>", "Authorization: Bearer <token>"),
    ("your-api-key", "apiKey: 'your-api-key'"),
    ("YOUR_SECRET_HERE", "SECRET=YOUR_SECRET_HERE"),
    ("replace_me", "client_secret = \"replace_me\""),
    ("dummy", "token = 'dummy'"),
    ("TODO", "password: TODO"),
    ("secret", "secret: secret"),
    ("password", "password = 'password'"),
    ("password1", "password = 'password1'"),
    ("mysecretpassword", "POSTGRES_PASSWORD=mysecretpassword"),
    ("supersecret", "JWT_SECRET=supersecret"),
    ("foobar", "api_key = 'foobar'"),
    ("test", "token: test"),
    ("aaaaaaaa", "password: aaaaaaaa"),
    ("123456", "password: 123456"),
    ("abcdef", "secret = 'abcdef'"),
    ("abc123", "password = 'abc123'"),
    ("qwerty123", "password = 'qwerty123'"),
    ("tiger", "jdbc:oracle:thin:scott/tiger@db  url=oracle://scott:tiger@db:1521/orcl"),
    ("guest", "amqp://guest:guest@rabbitmq:5672/"),
    ("pass", "https://user:pass@example.org/"),
    ("user:pass", "curl -u user:pass https://api"),
    ("[REDACTED]", "password: [REDACTED]"),
])
def test_placeholders(value, line):
    assert generic(value, line) == "placeholder"


@pytest.mark.parametrize("value", [
    "ghp_" + "x" * 36,
    "AKIAXXXXXXXXXXXXXXXX",
    "sk_live_" + "0" * 24,
    "xoxb-xxxxxxxxxxx-xxxxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx",
])
def test_filler_tokens_are_placeholders_even_at_token_level(value):
    assert token(value, f"TOKEN={value}") == "placeholder"


@pytest.mark.parametrize("value", ["Password2024", "hunter2024X", "correcthorse9Z", "tiger"])
def test_close_to_a_placeholder_is_not_one(value):
    assert generic(value, f"password = '{value}'") != "placeholder"


@pytest.mark.parametrize("value", [
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AKIAI44QH8DHBEXAMPLE",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
])
def test_documentation_examples_at_both_levels(value):
    assert token(value, f"key = {value}") == "example-key"
    assert generic(value, f"key = {value}") == "example-key"


def test_example_inside_a_value_is_not_the_documentation_convention():
    assert token("AKIAJ7Q3EXAMPLE4XYZQ", "AWS_ACCESS_KEY_ID=AKIAJ7Q3EXAMPLE4XYZQ") is None


@pytest.mark.parametrize(("value", "line"), [
    ("${DB_PASSWORD}", "password: ${DB_PASSWORD}"),
    ("$DB_PASSWORD", "PGPASSWORD=$DB_PASSWORD"),
    ("{{ .Values.password }}", "password: {{ .Values.password }}"),
    ("%(password)s", "password = %(password)s"),
    ("%s", "password=%s"),
    ("{0}", "token = \"{0}\""),
    ("process.env.API_KEY", "apiKey: process.env.API_KEY"),
    ("os.environ['SECRET_KEY']", "SECRET_KEY = os.environ['SECRET_KEY']"),
    ("ENV['STRIPE_KEY']", "Stripe.api_key = ENV['STRIPE_KEY']"),
    ("os.getenv(\"TOKEN\")", "token = os.getenv(\"TOKEN\")"),
    ("<%= ENV['DB_PASS'] %>", "password: <%= ENV['DB_PASS'] %>"),
    ("${{ secrets.NPM_TOKEN }}", "NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}"),
    ("DB_PASSWORD", "password = os.environ[\"DB_PASSWORD\"]"),
    ("postgres://app:${PGPASSWORD}@db/app", "DATABASE_URL=postgres://app:${PGPASSWORD}@db/app"),
])
def test_template_references(value, line):
    assert generic(value, line) == "template"


def test_template_inside_a_token_rule_match():
    assert token("postgres://app:${PGPASSWORD}@db/app", "") == "template"


@pytest.mark.parametrize(("value", "path"), [
    ("Mot de passe", "/app/locales/fr.json"),
    ("Passwort vergessen?", "/app/i18n/de.yml"),
    ("Enter your password", "/app/src/login.js"),
    ("keyboard cat", "/app/server.js"),
    ("Password must be at least 8 characters", "/app/messages.py"),
    ("Пароль", "/app/src/ru.js"),
    ("Contraseña", "/app/src/es.js"),
    ("Kennwort", "/usr/share/app/locale/de/messages.po"),
    ("Passwort:", "/app/cli.py"),
])
def test_natural_language_after_a_password_key(value, path):
    assert generic(value, f"password: \"{value}\"", path=path) == "natural-language"


@pytest.mark.parametrize("value", ["P@ssw0rd!2024x", "Tr0ub4dor &3", "Kennwort", "hunter22x9"])
def test_passwords_are_not_language(value):
    assert generic(value, f"password: \"{value}\"", path="/app/config.yml") != "natural-language"


def test_language_is_generic_only():
    assert token("Mot de passe", "password: Mot de passe") is None


@pytest.mark.parametrize("value", [
    "/etc/ssl/private/server.key",
    "/run/secrets/db_password",
    "./secrets/token.txt",
    "~/.aws/credentials",
    "C:\\Users\\app\\secrets.json",
    "config/master.key",
    "https://vault.internal/v1/secret/data/app",
    "http://localhost:8080/oauth/token",
])
def test_paths_and_urls(value):
    assert generic(value, f"secret_file = \"{value}\"") == "path-or-url"


@pytest.mark.parametrize("value", [
    "https://admin:Zq8vR3mK9pL2wX7n@db.internal/",  # a URL holding a password
    "https://hooks.slack.com/services/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",  # the path is the secret
    "/Zq8vR3mK9pL/2wX7nB4cT6yHd+aQ",  # base64 with slashes
])
def test_credential_urls_and_base64_are_not_paths(value):
    assert generic(value, f"secret = \"{value}\"") != "path-or-url"


@pytest.mark.parametrize("value", [
    "password_reset_token", "getApiKey", "getApiKey()", "PASSWORD_FIELD", "api-key-header", "self.password",
    "config.db.password", "SecretKeyRef", "passwordConfirmation", "OAUTH_CLIENT_SECRET_ENV",
])
def test_identifiers(value):
    assert generic(value, f"password = {value}") == "identifier"


@pytest.mark.parametrize("value", ["Zq8vR3mK9pL2wX7nB4cT", "aB3dE5fG7hJ9kL2m", "xKqPzMwRtBvNcLsD",
                                   "ghp_R8vXq2LmT4nYw7K"])
def test_random_strings_are_not_identifiers(value):
    assert generic(value, f"token = {value}") != "identifier"


def test_identifier_is_generic_only():
    assert token("password_reset_token", "") is None


SRI = "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="


@pytest.mark.parametrize(("value", "line"), [
    ("d41d8cd98f00b204e9800998ecf8427e", "md5sum = d41d8cd98f00b204e9800998ecf8427e"),
    ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "\"commit\": \"da39a3ee5e6b4b0d3255bfef95601890afd80709\""),
    ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "checksum: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (SRI, f"\"integrity\": \"{SRI}\","),
    ("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", "admin:$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgB"),
    ("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG", "hash: x"),
    ("$6$rounds=5000$saltsalt$Ojw5h1rjQdPDRQ8JDJ6xU3vOcYT2DT9vgT9", "root:$6$rounds=5000$saltsalt$Ojw5h1"),
    ("pbkdf2_sha256$260000$Zq8vR3mK9pL2$kR8vN2pQ7sT4wX9zB3cF6hJ1mL5oA0eDyU7iWq2E=", "password = 'x'"),
])
def test_hashes_and_checksums(value, line):
    assert generic(value, line) == "hash"


@pytest.mark.parametrize("line", [
    "api_key = \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"",
    "secret: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
])
def test_hex_named_a_key_or_without_context_is_kept(line):
    assert generic("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", line) is None


CERT = b"""-----BEGIN CERTIFICATE-----
MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ
RTESMBAGA1UEChMJQmFsdGltb3JlMRMwEQYDVQQLEwpDeWJlclRydXN0MSIwIAYD
-----END CERTIFICATE-----
-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEA7bq98zAb12Ab12Ab12Ab12Ab12Ab12Ab12Ab12Ab12Ab12Ab
-----END RSA PRIVATE KEY-----
"""


def test_lines_of_a_public_certificate_at_both_levels():
    text = FileText("/etc/ssl/certs/ca.pem", CERT)
    value = "RTESMBAGA1UEChMJQmFsdGltb3JlMRMwEQYDVQQLEwpDeWJlclRydXN0MSIwIAYD"
    assert judge(value, text.context(3), "generic") == "public-block"
    assert judge(value[10:30], text.context(3), "token") == "public-block"
    private = "MIIEowIBAAKCAQEA7bq98zAb12Ab12Ab12Ab12Ab12Ab12Ab12Ab12Ab12Ab12Ab"
    assert judge(private, text.context(6), "generic") is None


def test_ssh_public_keys_are_public():
    line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKq8vR3mK9pL2wX7nB4cT6yHdZq8vR3mK9pL2wX7nB4c deploy@ci"
    assert token("AAAAC3NzaC1lZDI1NTE5AAAAIKq8vR3mK9pL2wX7nB4cT6yHdZq8vR3mK9pL2wX7nB4c", line) == "public-block"


def test_pem_blocks_are_found_by_line():
    assert pem_blocks(CERT) == [(0, 3, "CERTIFICATE"), (4, 6, "RSA PRIVATE KEY")]


@pytest.mark.parametrize(("line", "after"), [
    ("PEM_HEADER = \"-----BEGIN RSA PRIVATE KEY-----\"", "def load(text):\n    return text"),
    ("if line.startswith('-----BEGIN OPENSSH PRIVATE KEY-----'):", "    kind = 'openssh'"),
    ("The file starts with `-----BEGIN PRIVATE KEY-----` and ends with", "the matching END line."),
])
def test_pem_headers_without_a_key_body(line, after):
    assert token("BEGIN RSA PRIVATE KEY", line, after=after) == "pem-header" or \
        token("BEGIN PRIVATE KEY", line, after=after) == "pem-header"


@pytest.mark.parametrize(("line", "after"), [
    ("-----BEGIN RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA7bq98zAb12Ab12Ab12Ab12Ab12Ab12Ab12Ab12Ab12Ab12Ab"),
    ("-----BEGIN RSA PRIVATE KEY-----", "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F17F5316E2BAC89\n\n"
                                        "MIIEowIBAAKCAQEA7bq98zAb12Ab12Ab12Ab12Ab12Ab12Ab12Ab12Ab12Ab12Ab"),
    ("\"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC7\\n\"", ""),
])
def test_pem_headers_with_a_body_are_kept(line, after):
    assert token("BEGIN RSA PRIVATE KEY", line, after=after) is None


def test_a_match_inside_a_base64_blob_is_embedded():
    blob = "AGFzbQEAAAABBgFgAX8BfwMCAQAHBwEDZm9vAAAKBgEEACAACw" + "AKIAQWERTYUIOPASDFGH" + "Zq8vR3mK9pL2wX7n"
    assert token("AKIAQWERTYUIOPASDFGH", blob) == "embedded"
    assert token("AKIAQWERTYUIOPASDFGH", "aws_access_key_id=AKIAQWERTYUIOPASDFGH") is None


@pytest.mark.parametrize("value", ["abc", "pw", "x1y2"])
def test_too_short_for_generic_rules(value):
    assert generic(value, f"password={value}") in ("too-short", "placeholder")
    assert generic("q7Z!k", "password=q7Z!k") == "too-short"


def test_short_is_not_a_reason_at_token_level():
    assert token("q7Z!k", "password=q7Z!k") is None


def test_every_reason_is_described_and_reached_by_the_generic_level():
    assert set(REASONS_BY_LEVEL["generic"]) == set(REASONS) - {"checksum-mismatch"}  # a rule's own check
    assert set(REASONS_BY_LEVEL["token"]) < set(REASONS)
    assert all(REASONS.values())


def test_judge_is_deterministic():
    cases = [(v, f"password = '{v}'") for v in REAL + ["changeme", "Mot de passe", "${X}", "getApiKey"]]
    first = [generic(v, line) for v, line in cases]
    assert first == [generic(v, line) for v, line in cases]


@pytest.mark.parametrize("value", ["a" * (1 << 20), "Zq8vR3mK9pL2wX7n" * (1 << 16), "word " * (1 << 18),
                                   "/seg" * (1 << 18), "x_" * (1 << 19)])
def test_work_is_bounded_on_a_megabyte_value(value):
    line = "password = \"" + value + "\"" + " tail" * 1000
    started = time.process_time()
    generic(value, line)
    token(value, line)
    assert time.process_time() - started < 2.0  # bounded windows: milliseconds, not a quadratic scan


def rule(kind: str, **params: object) -> Rule:
    return Rule(RuleId("r"), kind, Severity.HIGH, "d", "r", params=params)


def test_level_by_kind_plugin_and_field():
    assert level_of(rule("regex", pattern="x")) == "token"
    assert level_of(rule("secret", plugin="KeywordDetector")) == "generic"
    assert level_of(rule("secret", plugin="Base64HighEntropyString")) == "generic"
    assert level_of(rule("secret", plugin="GitHubTokenDetector")) == "token"
    assert level_of(rule("assignment")) == "generic"
    assert level_of(rule("regex", pattern="x", judge="generic")) == "generic"
    assert level_of(rule("regex", pattern="x", judge="off")) == "off"


def test_the_rule_loader_checks_the_judge_field():
    raw = {"id": "r", "kind": "regex", "severity": "high", "description": "d", "remediation": "r", "pattern": "x"}
    assert parse_rule({**raw, "judge": "generic"}, "pack.yaml").params["judge"] == "generic"
    with pytest.raises(RuleError, match="judge"):
        parse_rule({**raw, "judge": "loose"}, "pack.yaml")


def test_off_rejects_nothing():
    assert judge("changeme", Context(line="password=changeme"), "off") is None


@pytest.mark.parametrize("path", [
    "/usr/lib/python3/dist-packages/certbot/tests/testdata/rsa2048_key.pem",
    "/usr/local/lib/python3.12/site-packages/groq/tests/test_client.py",
    "/app/node_modules/jsonwebtoken/test/keys/priv.pem",
    "/usr/lib/node_modules/npm/node_modules/@sigstore/docs/example.md",
    "/usr/share/doc/openssl/examples/key.pem",
    "/root/go/pkg/mod/github.com/aws/aws-sdk-go@v1.44.0/example/service/s3/main.go",
])
def test_fixtures_inside_installed_packages_at_both_levels(path):
    value = "ghp_R8vXq2LmT4nYw7KpZ3sB9dF6hJ1cV5gN0aQe"
    assert token(value, f"token = '{value}'", path=path) == "package-fixture"


@pytest.mark.parametrize("path", ["/app/tests/test_api.py", "/app/src/examples.py", "/srv/docs/setup.md",
                                  "/usr/local/lib/python3.12/site-packages/myapp/settings.py",
                                  "/app/node_modules/.cache/token.json"])
def test_the_images_own_tests_and_package_code_are_not_fixtures(path):
    value = "ghp_R8vXq2LmT4nYw7KpZ3sB9dF6hJ1cV5gN0aQe"
    assert token(value, f"token = '{value}'", path=path) is None


PAM = b"""my $priority = 'high';
my %md5sums = (
\t'auth' => ['8d4fe17e66ba25de16a117035d1396aa'],
\t'password' => [
\t        '4d5c92d595a46b69cd61f18feb4c0574',
\t],
);
my %tokens = (
\t'api' => '4d5c92d595a46b69cd61f18feb4c0574',
);
"""


def test_hex_in_a_table_of_checksums_named_lines_above_is_a_hash():
    text = FileText("/usr/sbin/pam-auth-update", PAM)
    assert judge("8d4fe17e66ba25de16a117035d1396aa", text.context(3), "generic") == "hash"
    assert judge("4d5c92d595a46b69cd61f18feb4c0574", text.context(5), "generic") == "hash"


def test_a_key_on_the_line_decides_over_the_lines_above():
    text = FileText("/app/keys.pl", PAM)
    assert judge("4d5c92d595a46b69cd61f18feb4c0574", text.context(9), "generic") is None


def test_a_template_path_with_a_snake_case_name_and_an_extension():
    assert generic("emails/password_reset.html", "password_reset_template: emails/password_reset.html") == \
        "path-or-url"


def test_jwt_io_sample_claims_are_an_example_under_any_signature():
    sample = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
              ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWV9"
              ".TJVA95OrM7E2cBab30RMHrHDcEfxjoYZgeFONFh7HgQ")
    own = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0ZjFjMmEiLCJyb2xlIjoic3ZjIiwiaWF0IjoxNzMzMTAwMDAwfQ"
           ".Zq8vR3mK9pL2wX7nB4cT6yHd0aQeR8vXq2LmT4nY")
    assert token(sample, f"Authorization: Bearer {sample}") == "example-key"
    assert token(own, f"Authorization: Bearer {own}") is None


def _context_by_split(data: bytes, line: int) -> tuple[str, str, str] | None:
    """What a hit's context is, from the file split into lines (the reference FileText must equal)."""
    lines = data.split(b"\n")
    if not 1 <= line <= len(lines):
        return None
    index = line - 1
    return (lines[index][: 1 << 17].decode("utf-8", "replace"),
            b"\n".join(x[:1024] for x in lines[index + 1:index + 1 + FileText.AFTER]).decode("utf-8", "replace"),
            b"\n".join(x[:256] for x in lines[max(0, index - FileText.ABOVE):index]).decode("utf-8", "replace"))


@pytest.mark.parametrize("seed", range(6))
def test_a_hit_s_context_is_its_line_and_neighbours_wherever_the_strides_fall(seed, monkeypatch):
    monkeypatch.setattr(FileText, "STRIDE", 7)  # many strides, lines across their edges
    rng = random.Random(seed)
    data = b"\n".join(bytes(rng.choice(b"ab \n-") for _ in range(rng.randrange(0, 30)))
                      for _ in range(rng.randrange(1, 60)))
    text = FileText("/f", data)
    for line in [0, *range(1, data.count(b"\n") + 3)]:
        got = text.context(line)
        want = _context_by_split(data, line)
        assert (got == Context(path="/f")) if want is None else ((got.line, got.after, got.above) == want), line


def test_pem_blocks_by_offset_agree_with_a_line_by_line_reading():
    body = (b"x\n-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n--- rule ---\n"
            b"-----BEGIN EC PRIVATE KEY-----\nB")
    assert pem_blocks(body) == [(1, 3, "CERTIFICATE"), (5, 7, "EC PRIVATE KEY")]
    assert pem_blocks(b"no blocks ----- here") == []


def test_a_hit_s_context_amid_megabyte_lines_costs_kilobytes_not_their_size() -> None:
    """An attacker's file of long lines with a hit on each: the context keeps a few KB of each neighbour,
    and must never copy the neighbours whole (20 lines above a hit, each a MB, for every hit)."""
    data = b"\n".join(b"k" * (1 << 20) for _ in range(30))
    text = FileText("/app/min.js", data)
    text.context(25)  # the newline counts, made once
    tracemalloc.start()
    try:
        for line in range(21, 31):
            text.context(line)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 512 << 10, peak
