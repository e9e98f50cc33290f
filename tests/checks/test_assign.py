"""`assignment` rules (auditor/checks/assign.py) with the default pack, rules/assignments.yaml.

Each format gets a realistic file holding true credentials among look-alikes (code references, type
annotations, UI strings, empty values, password-policy keys, id-named UUIDs); a case lists exactly the
(line, value) pairs the check must report, so a missed credential and a reported look-alike both fail it.
Placeholders are the value judge's business: nothing here asserts what happens to them. Values are
obviously fake (FAKE, repeated letters), never real tokens.
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor.checks import assign
from auditor.checks.assign import AssignmentCheck, file_format, words
from auditor.rules import load_pack
from testing import imagekit as kit
from testing.imagekit import Dir, File, ImageSpec, Whiteout

RULES = load_pack("rules/assignments.yaml")
UUID = "3f2b9c1d-7a4e-4b1f-9c2d-8e7f6a5b4c3d"


@pytest.fixture(scope="module")
def check() -> AssignmentCheck:
    check = AssignmentCheck(RULES)
    check.warm()
    return check


def found(check: AssignmentCheck, path: str, text: str) -> list[tuple[int | None, str | None]]:
    return [(hit.line, hit.secret) for hit in check.scan_file(path, text.encode())]


def case(name: str, path: str, text: str, *expected: tuple[int, str]) -> Any:
    return pytest.param(path, text, list(expected), id=name)


FORMATS = [
    case("yaml-quoted-and-unquoted", "/app/config/application.yml", """\
spring:
  datasource:
    url: jdbc:postgresql://db:5432/shop
    username: shop
    password: Fake-Db-Pa55 # rotated monthly
  mail:
    password: 'FakeMailPw9'
security:
  password_policy: strict
  password-min-length: 12
  token_url: https://auth.example.com/oauth/token
  password:
  secret_name: prod-db-credentials
  api_key: "fakeYamlApiKey01"
  client-secret: |
    ignored-block
""", (5, "Fake-Db-Pa55"), (7, "FakeMailPw9"), (14, "fakeYamlApiKey01")),
    case("json", "/app/config/settings.json", """\
{
  "database": {"host": "db", "password": "FakeJsonPw1"},
  "auth": {"tokenUrl": "https://auth.example.com/token", "clientSecret": "fakeClientSecret01"},
  "ui": {"label": "Password", "name": "password"},
  "password_reset_ttl": 3600,
  "apiKey": null
}
""", (2, "FakeJsonPw1"), (3, "fakeClientSecret01")),
    case("toml", "/app/pyproject-secrets.toml", """\
[tool.deploy]
registry = "registry.example.com"
token = "fakeTomlToken01"
token_ttl = 3600
password = 12345
""", (3, "fakeTomlToken01")),
    case("ini", "/etc/app/app.ini", """\
[database]
host = db.internal
user = app
password = FakeIniPw2
; password = commented-out
password_file = /run/secrets/db
""", (4, "FakeIniPw2")),
    case("properties", "/app/application.properties", """\
spring.datasource.url=jdbc:mysql://db/shop
spring.datasource.password=FakePropsPw3
spring.mail.password FakeSpacedPw4
app.jwt.secret=fakeJwtSecret0001
app.password.min-length=12
""", (2, "FakePropsPw3"), (3, "FakeSpacedPw4"), (4, "fakeJwtSecret0001")),
    case("dotenv", "/app/.env", f"""\
# local settings
# DB_PASSWORD=FakeCommentedPw
export DB_PASSWORD="FakeEnvPw5"
STRIPE_WEBHOOK_SECRET=fakeWebhookSecret01
GITHUB_TOKEN=$(cat /run/secrets/gh)
SESSION_SECRET=${{SESSION_SECRET}}
HEROKU_API_KEY={UUID}
REQUEST_ID={UUID}
MYSQL_ALLOW_EMPTY_PASSWORD=yes
SECRET_KEY=
""", (3, "FakeEnvPw5"), (4, "fakeWebhookSecret01"), (7, UUID)),
    case("shell", "/usr/local/bin/entrypoint.sh", """\
#!/bin/sh
set -e
export PGPASSWORD=FakeShellPw6
API_TOKEN=fakeShellToken01 ./sync.sh
mysql --user=root --password=FakeFlagPw7 shop < schema.sql
TOKEN="$1"
exec "$@"
""", (3, "FakeShellPw6"), (4, "fakeShellToken01"), (5, "FakeFlagPw7")),
    case("script-without-extension", "/usr/local/bin/deploy", """\
#!/bin/bash
apikey_echo "Checking for new signing keys"
export REGISTRY_PASSWORD=FakeScriptPw26
""", (3, "FakeScriptPw26")),
    case("perl-without-extension", "/usr/local/sbin/adduser-wrapper", """\
#!/usr/bin/perl
PASSWD: for (;;) {
    my $password = 'FakePerlPw27';
}
""", (3, "FakePerlPw27")),
    case("dockerfile", "/app/Dockerfile", """\
FROM python:3.12-slim
ENV DB_PASSWORD FakeDockerPw8
ENV APP_ENV=production API_TOKEN=fakeDockerTok01
ARG NPM_TOKEN=fakeNpmArgToken1
ARG GITHUB_TOKEN
RUN pip install -r requirements.txt
""", (2, "FakeDockerPw8"), (3, "fakeDockerTok01"), (4, "fakeNpmArgToken1")),
    case("xml", "/app/WEB-INF/web.config", """\
<configuration>
  <Resource name="jdbc/shop" auth="Container" type="javax.sql.DataSource"/>
  <appSettings>
    <add key="ApiKey" value="fakeXmlApiKey01"/>
    <add key="PageSize" value="50"/>
  </appSettings>
  <connection user="app" password="FakeAttrPw9"/>
  <password>FakeElemPw10</password>
  <input type="password" name="password" placeholder="Password"/>
  <entry key="mail.password">FakeEntryPw25</entry>
</configuration>
""", (4, "fakeXmlApiKey01"), (7, "FakeAttrPw9"), (8, "FakeElemPw10"), (10, "FakeEntryPw25")),
    case("compose", "/app/docker-compose.yml", """\
services:
  db:
    image: postgres:16
    environment:
      - POSTGRES_PASSWORD=FakeComposePw23
      - POSTGRES_USER=app
  cache:
    environment:
      REDIS_PASSWORD: "$REDIS_PASSWORD"
      MYSQL_ROOT_PASSWORD: FakeRootPw24
""", (5, "FakeComposePw23"), (10, "FakeRootPw24")),
    case("npmrc", "/root/.npmrc", f"""\
registry=https://registry.example.com/
//registry.example.com/:_authToken={UUID}
always-auth=true
""", (2, UUID)),
    case("hcl", "/infra/main.tf", """\
resource "aws_db_instance" "main" {
  username = "admin"
  password = "FakeHclPw11"
}
resource "aws_db_instance" "replica" {
  password = var.db_password
}
""", (3, "FakeHclPw11")),
    case("python", "/app/app/settings.py", """\
import os
from flask import request

DB_PASSWORD = 'FakePyPw12'
SECRET_KEY = os.environ["SECRET_KEY"]
client_secret: str = "fakePyClientSecret1"

def login():
    password = request.form['password']
    token = get_token()
    api_key = f"{prefix}-{suffix}"
    conn = connect(host="db", password="FakeKwargPw13")
    if password == "FakeComparedPw":
        pass
    creds = " --username=%s --password=%s" % (user, pw)
    moved = MovedAttribute("HTTPPasswordMgr", "urllib2", "urllib.request")
    _token = r'(?=[%s]|[%s%s])'
    os.environ.setdefault("API_TOKEN", "fakePyDefaultTok1")
    oauth = OAuth1(client_key, resource_owner_key="fakeOwnerKey001", resource_owner_secret=owner_secret)

def sign(private_key: "RSAPrivateKey", data: bytes) -> bytes:
    return private_key.sign(data)
""", (4, "FakePyPw12"), (6, "fakePyClientSecret1"), (12, "FakeKwargPw13"), (18, "fakePyDefaultTok1"),
         (19, "fakeOwnerKey001")),
    case("javascript", "/app/src/config.js", """\
const config = {
  apiKey: "fakeJsApiKey0001",
  stripeKey: 'fakeStripeKey001',
  primaryKey: "order_id_and_line",
  authToken: process.env.AUTH_TOKEN,
  password: "",
  secret: 'fakeJsSecret0001',
};
const headers = { "X-Api-Key": `${apiKey}` };
module.exports = config;
""", (2, "fakeJsApiKey0001"), (3, "fakeStripeKey001"), (7, "fakeJsSecret0001")),
    case("typescript", "/app/src/auth.ts", """\
interface Credentials {
  password?: string;
  token: string;
}
const apiKey: string = "fakeTsApiKey0001";
export function login(password: string): Promise<Token> {
  return post("/login", { password });
}
""", (5, "fakeTsApiKey0001")),
    case("go", "/app/cmd/server/main.go", """\
package main

var dbPassword string = "FakeGoPw14"

func main() {
	apiKey := "fakeGoApiKey0001"
	token := os.Getenv("TOKEN")
	cfg := Config{Password: "FakeGoStructPw15", Timeout: 5}
	run(cfg, apiKey, token)
}
""", (3, "FakeGoPw14"), (6, "fakeGoApiKey0001"), (8, "FakeGoStructPw15")),
    case("java", "/app/src/main/java/App.java", """\
public class App {
    private static final String API_KEY = "fakeJavaApiKey01";
    private String password;
    void configure(DataSource ds, Map<String, String> props) {
        ds.setPassword("FakeJavaSetPw16");
        props.put("password", "FakeJavaPutPw17");
        ds.setPasswordPolicy("strict");
        this.password = readPassword();
    }
}
""", (2, "fakeJavaApiKey01"), (5, "FakeJavaSetPw16"), (6, "FakeJavaPutPw17")),
    case("ruby", "/app/config/initializers/twitter.rb", """\
Twitter::REST::Client.new do |config|
  config.consumer_key        = 'fakeConsumerKey01'
  config.consumer_secret     = 'fakeConsumerSecret01'
  config.access_token        = ENV['TWITTER_ACCESS_TOKEN']
  config.access_token_secret = 'fakeAccessTokenSecret1'
end
SMTP = { :password => "FakeRubyPw18", user_name: "mailer" }
""", (2, "fakeConsumerKey01"), (3, "fakeConsumerSecret01"), (5, "fakeAccessTokenSecret1"), (7, "FakeRubyPw18")),
    case("php", "/var/www/html/config.php", """\
<?php
$config['db_password'] = 'FakePhpPw19';
$settings = ['api_key' => 'fakePhpApiKey001', 'password_hash' => PASSWORD_DEFAULT];
$password = $_POST['password'];
define('DB_PASSWORD', 'FakeWpPw29');
define('DB_HOST', 'localhost');
""", (2, "FakePhpPw19"), (3, "fakePhpApiKey001"), (5, "FakeWpPw29")),
    case("csharp", "/app/Startup.cs", """\
var options = new SmtpOptions {
    Host = "smtp.example.com",
    Password = "FakeCsPw20",
};
string token = Configuration["Token"];
""", (3, "FakeCsPw20")),
    case("kotlin", "/app/src/main/kotlin/Api.kt", """\
object Api {
    const val API_KEY = "fakeKotlinApiKey1"
    val password: String = System.getenv("PASSWORD")
}
""", (2, "fakeKotlinApiKey1")),
]


@pytest.mark.parametrize(("path", "text", "expected"), FORMATS)
def test_each_format_reports_its_credentials_and_nothing_else(check, path, text, expected):
    assert found(check, path, text) == expected


def test_files_distribution_packages_own_and_tests_are_left_out(check):
    text = "# passwords\nDB_PASSWORD=FakeOwnedPw28\n"
    assert found(check, "/usr/share/lintian/overrides/passwd", text) == []
    assert found(check, "/etc/nsswitch.conf", text) == []
    assert found(check, "/srv/shop/tests/auth_cases.py", 'PASSWORD = "FakeTestOnlyPw"\n') == []
    assert found(check, "/srv/app/.env", text) == [(2, "FakeOwnedPw28")]


def test_rules_are_chosen_by_key_family(check):
    text = (f"HEROKU_API_KEY={UUID}\nOAUTH_CONSUMER_SECRET=fakeConsumerSec1\nAPI_KEY=fakeApiKeyValue1\n"
            "DB_PASSWORD=FakePw21\nJWT_SECRET=fakeJwtSecret001\nSLACK_BOT_TOKEN=fakeSlackToken01\n")
    rules = [hit.rule for hit in check.scan_file("/app/.env", text.encode())]
    assert rules == ["uuid-credential", "oauth1-credential", "api-key-assignment", "password-assignment",
                     "secret-assignment", "token-assignment"]


@pytest.mark.parametrize("key", ["user_id", "request_id", "uuid", "guid", "nonce", "salt", "session_id",
                                 "correlation_id", "token_id", "api_key_id", "id"])
def test_id_named_uuids_are_not_credentials(check, key):
    assert found(check, "/app/.env", f"{key.upper()}={UUID}\n") == []
    assert found(check, "/app/app.py", f'{key} = "{UUID}"\n') == []


@pytest.mark.parametrize("key", ["api_key", "HEROKU_API_KEY", "secret", "password", "auth_token", "licenseKey",
                                 "credentials", "vault_secret_id"])
def test_uuids_under_credential_keys_are_reported(check, key):
    assert [hit.rule for hit in check.scan_file("/app/.env", f"{key}={UUID}\n".encode())] == ["uuid-credential"]


def test_every_occurrence_is_its_own_hit():
    check = AssignmentCheck(RULES)
    text = "# a\npassword=FakeRepeatPw\n# b\n\nPASSWORD=FakeRepeatPw\ndb_password=FakeRepeatPw\n"
    assert found(check, "/app/.env", text) == [(2, "FakeRepeatPw"), (5, "FakeRepeatPw"), (6, "FakeRepeatPw")]


@pytest.mark.parametrize(("key", "expected"), [
    ("spring.datasource.password", "spring_datasource_password"), ("DB_PASSWORD", "db_password"),
    ("dbPassword", "db_password"), ("client-secret", "client_secret"), ("APIKey", "api_key"),
    ("$this->password", "this_password"), ("oauthTokenSecret", "oauth_token_secret"),
])
def test_keys_are_split_into_words(key, expected):
    assert words(key) == expected


@pytest.mark.parametrize(("path", "fmt"), [
    ("/app/.env", "shell"), ("/app/.env.production", "shell"), ("/app/Dockerfile", "dockerfile"),
    ("/app/docker/Dockerfile.prod", "dockerfile"), ("/app/a.yml", "config"), ("/etc/my.cnf", "config"),
    ("/app/a.json", "data"), ("/app/main.tf", "data"), ("/app/a.properties", "properties"),
    ("/app/web.config", "xml"), ("/app/a.py", "python"), ("/app/a.pyi", "python"), ("/app/Main.java", "code"),
    ("/bin/run.sh", "shell"),
])
def test_format_comes_from_the_file_name(path, fmt):
    assert file_format(path) == fmt


@pytest.mark.parametrize("line", [
    'password = request.form["password"]', "password = get_password()", 'secret = os.environ["X"]',
    "password: String", "password?: string", "token = self.token", "api_key = settings.API_KEY",
    "password = None", 'password = ""', 'password == "FakeNotAssigned"', "password = password",
])
def test_code_references_and_empty_values_are_not_values(check, line):
    for path in ("/app/a.py", "/app/a.ts", "/app/a.rb"):
        assert found(check, path, line + "\n") == [], path


@pytest.mark.parametrize("line", ["password: password", "API_KEY=API_KEY", "password: null", "token: true",
                                  "password: *default_password", "secret: !vault |", "password: ${DB_PASSWORD}"])
def test_structural_values_and_the_key_itself_are_not_values(check, line):
    assert found(check, "/app/config.yml", line + "\n") == []


# --- the Hyperscan gate ---------------------------------------------------------------------------------


SHIFTS = range(301)
SOME_SHIFTS = [*range(64), *range(64, 301, 9), 300]  # for whole files: every small offset, then a sample


GATE_FORMS = [  # one line per way the gate recognises an assignment (`assign.gate_pattern`)
    ("/app/.env", "DB_PASSWORD=FakeShiftPw1"), ("/app/a.yml", "  apiKey: FakeShiftKey1"),
    ("/app/a.py", 'ds.setPassword("FakeShiftPw2")'), ("/app/a.java", 'props.put("client_secret", "FakeShift01")'),
    ("/app/a.config", '<add key="ApiKey" value="FakeShiftKey2"/>'), ("/app/a.xml", "<password>FakeShiftPw3</password>"),
    ("/app/a.go", 'var authToken string = "FakeShiftTok1"'), ("/app/Dockerfile", "ENV OAUTH_TOKEN_SECRET FakeShift02"),
    ("/app/build.gradle", 'password "FakeShiftPw4"'), ("/app/a.rb", ':password => "FakeShiftPw5"'),
    ("/app/a.properties", "mail.password FakeShiftPw6"), ("/app/.env", f"HEROKU_API_KEY={UUID}"),
]


def test_the_gate_finds_every_form_wherever_it_sits():
    """Each form of assignment is found behind 0..300 bytes of other text, through Hyperscan (not the
    fallback): the bundled Hyperscan has missed some patterns' matches past a text's first bytes."""
    check = AssignmentCheck(RULES)
    check.warm()
    assert check._gate._database is not None, "the gate needs Hyperscan"
    for path, line in GATE_FORMS:
        value = found(check, path, line + "\n")
        assert len(value) == 1, line
        for size in SHIFTS:
            for before in ("x" * size + "\n", "#" * max(0, size - 1) + "\n" if size else ""):
                lines = before.count("\n")
                assert found(check, path, before + line + "\n") == [(1 + lines, value[0][1])], (line, size)


def test_hits_do_not_depend_on_what_precedes_them(check):
    for param in FORMATS:
        path, text, expected = param.values
        if not expected:
            continue
        head, rest = text.split("\n", 1) if text.startswith("#!") else ("", text)  # the #! line stays first
        for size in SOME_SHIFTS:
            shifted = [(line + 1, value) for line, value in expected]
            filler = "#" * size + "\n"
            pushed = f"{head}\n{filler}{rest}" if head else filler + rest
            assert found(check, path, pushed) == shifted, (param.id, size)


def test_a_megabyte_of_keywords_costs_bounded_work(monkeypatch):
    """`password=` repeated over one 1 MB line: one parse per keyword, each reading at most LEFT + RIGHT
    bytes, so the work is linear in the line however the rules' keywords repeat."""
    check = AssignmentCheck(RULES)
    data = b"password=" * (1024 * 1024 // 9)
    calls: list[int] = []
    spans: list[int] = []
    real_parse, real_after = assign.parse, assign._after_key

    def counting_parse(data: bytes, end: int, fmt: str) -> Any:
        calls.append(end)
        return real_parse(data, end, fmt)

    def bounded_after(data: bytes, start: int, stop: int, limit: int, fmt: str) -> Any:
        spans.append(limit - start)
        return real_after(data, start, stop, limit, fmt)

    monkeypatch.setattr(assign, "parse", counting_parse)
    monkeypatch.setattr(assign, "_after_key", bounded_after)
    hits = check.scan_file("/app/huge.min.js", data)
    assert len(calls) == data.count(b"password")
    assert spans and max(spans) <= assign.LEFT + assign.RIGHT
    assert hits == []  # in code, an unquoted `password` is a reference


# --- through an image -----------------------------------------------------------------------------------


def test_a_dotenv_password_deleted_by_a_later_layer_is_reported_deleted(tmp_path, cli):
    dotenv = b"# app settings\nDEBUG=0\nDB_PASSWORD=q9Vx2mT7pLw4\n"
    spec = ImageSpec(layers=[[Dir("/etc"), File("/etc/os-release", b"ID=kit\n")],
                             [Dir("/app"), File("/app/.env", dotenv)],
                             [Dir("/app"), Whiteout("/app/.env")]])
    path = tmp_path / "image.tar"
    kit.write_docker_archive(path, spec)
    result = cli(path, "--format", "json", "--show-secrets")
    findings = [f for f in result.json()["findings"] if f["rule"] == "password-assignment"]
    assert [(f["path"], f["status"], f["line"], f["secret"]) for f in findings] == [
        ("/app/.env", "deleted", 3, "q9Vx2mT7pLw4")]
    assert result.code == 1


def test_a_setting_far_into_a_long_line_is_judged_by_its_own_line_not_the_files_first(
        check: AssignmentCheck) -> None:
    padding = "x" * (assign.LEFT + 50) + " "  # the line starts further back than the key is read from
    text = f"# settings for the app\n{padding}db_password = \"Kq7vLm2pXw9zRt4s\"\n"
    assert found(check, "/app/app.conf", text) == [(2, "Kq7vLm2pXw9zRt4s")]
