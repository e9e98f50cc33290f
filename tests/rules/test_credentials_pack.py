"""rules/credentials.yaml: credentials that are not `key = value`, each found where it really occurs.

Each rule gets realistic leaks in the context they occur in (a Dockerfile RUN line, a shell script, a CI
file, a Python `requests` call, Java's HttpURLConnection, a .http file, HAR, nginx, a .gitconfig, a
kubeconfig) with the exact secret it must report, and look-alikes that must stay silent (port flags,
prompting flags, `--password-stdin`, shell references, `Basic realm=`, prose). Fake values come from a
seeded generator and j(...) pieces, so no literal in this file looks like a credential.

The cases run through the same `Scanner` as tests/rules/test_rule_cases.py with every default rule loaded.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest

from auditor.checks import of_kind
from auditor.checks.path import PathCheck
from auditor.checks.scanner import Scanner
from auditor.model import Entry, Kind, Status
from auditor.rules import default_pack_paths, load_rules
from testing.tokens import draw, j

RULES = load_rules(default_pack_paths())
BY_ID = {r.id: r for r in RULES}
PACK = {r.id for r in RULES if r.source.endswith("credentials.yaml")}
DECODED_ELSEWHERE = {"kubeconfig-client-key"}  # rules/providers.yaml's, given `decode: base64` with this pack
RNG = random.Random(1405)
A62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
HEX = "0123456789abcdef"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def r(alphabet: str, n: int) -> str:
    return draw(RNG, alphabet, n)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def pem(label: str, size: int = 1200) -> str:
    body = base64.b64encode(RNG.randbytes(size)).decode()
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----\n"


PW = j("Hunter", "2x9", r(A62, 6))  # a password typed on a command line
USERPASS = b64(j("deploy:", "Ba5ic", r(A62, 8)))
OPAQUE = r(A62, 40)
HEX40 = r(HEX, 40)
APIKEY = r(A62, 32)
NTLM3 = j("TlRMTVNTUAAD", "AAAAGAAYAHIAAAAYABgAigAAAAAAAABIAAAACAAIAEgAAAAOAA4AUAAAAAAAAA", r(A62, 48))
NTLM1 = j("TlRMTVNTUAAB", "AAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw==")
DIGEST = r(HEX, 32)
OAUTH_KEY, OAUTH_TOKEN = r(A62, 22), j(r("0123456789", 9), "-", r(A62, 40))
OAUTH_SIG = j(r(A62, 20), "%2F", r(A62, 4), "%3D")
SEED = r(B32, 32)
RSA_B64 = b64(pem("RSA PRIVATE KEY", 300))  # kubeconfig-client-key reports at most 1014 characters
EC_B64 = b64(pem("EC PRIVATE KEY", 120))
CERT_B64 = b64(pem("CERTIFICATE", 600))
GEMKEY = r(HEX, 32)


class Case(NamedTuple):
    rule: str
    path: str
    text: str
    secret: str | None  # what the rule must report; None: the rule must stay silent


CASES: list[Any] = []


def fires(rule: str, path: str, text: str, secret: str, why: str) -> None:
    CASES.append(pytest.param(Case(rule, path, text, secret), id=f"{rule}-fires-{why}"))


def silent(rule: str, path: str, text: str, why: str) -> None:
    CASES.append(pytest.param(Case(rule, path, text, None), id=f"{rule}-silent-{why}"))


DOCKERFILE = "/app/Dockerfile"
SCRIPT = "/app/scripts/deploy.sh"
CI = "/app/.gitlab-ci.yml"

# --- passwords on command lines ---------------------------------------------------------------------------
fires("cli-password", DOCKERFILE, f"FROM eclipse-temurin:21\nRUN keytool -genkeypair -alias app -keyalg RSA "
      f"-keystore /app/ks.jks -storepass {PW} -keypass {PW} -dname \"CN=app\"\n", PW, "keytool-run")
fires("cli-password", SCRIPT, f"#!/bin/sh\nwget -q --user=deploy --password={PW} https://files.example.com/a.tgz\n",
      PW, "wget")
fires("cli-password", SCRIPT, f"wget --http-password='{PW}' https://files.example.com/a.tgz\n", PW, "wget-http")
fires("cli-password", CI, f"deploy:\n  script:\n    - mc alias set s3 https://s3.example.com admin --password {PW}\n",
      PW, "ci-space-form")
fires("cli-password", SCRIPT, "openssl pkcs12 -export -in cert.pem -inkey key.pem -out app.p12 "
      f"-passout pass:{PW}\n", PW, "openssl-passout")
fires("cli-password", SCRIPT, f"openssl rsa -in enc.key -out plain.key -passin 'pass:{PW}'\n", PW, "openssl-passin")
fires("cli-password", SCRIPT, f"openssl enc -aes-256-cbc -salt -in db.sql -out db.sql.enc -k {PW}\n", PW,
      "openssl-enc-k")
fires("cli-password", SCRIPT, f"sshpass -p '{PW}' ssh deploy@10.0.0.5 'systemctl restart app'\n", PW, "sshpass")
fires("cli-password", DOCKERFILE, f"RUN htpasswd -bc /etc/nginx/.htpasswd admin {PW} && nginx -t\n", PW,
      "htpasswd-bc")
fires("cli-password", SCRIPT, f"htpasswd -nbB admin {PW} > /etc/nginx/.htpasswd\n", PW, "htpasswd-nb")
silent("cli-password", SCRIPT, 'echo "$TOKEN" | docker login -u ci --password-stdin registry.example.com\n',
       "password-stdin")
silent("cli-password", SCRIPT, "keytool -genkeypair -keystore ks.jks -storepass:env STOREPASS -keypass:file kp\n",
       "keytool-env-file")
silent("cli-password", SCRIPT, "openssl pkcs12 -in a.p12 -passin env:P12_PASS -passout file:/run/secrets/p12\n",
       "openssl-env-file")
silent("cli-password", SCRIPT, 'mc alias set s3 https://s3 admin --password "$MINIO_PASSWORD"\n'
       "wget --password=${WGET_PASSWORD} https://x.example.com/a\nsshpass -f /run/secrets/pw ssh host\n", "references")
silent("cli-password", SCRIPT, "curl -k -sS https://localhost:8443/health\nhtpasswd -i -c /etc/.htpasswd admin\n",
       "curl-k-htpasswd-stdin")
silent("cli-password", "/app/README.md", "Use --password to set the password, or --password PASSWORD.\n"
       "Credentials can be given with the --username and --password options.\n", "docs")

fires("mysql-password-flag", DOCKERFILE, f'RUN mysql -uroot -p{PW} -e "CREATE DATABASE app"\n', PW, "attached")
fires("mysql-password-flag", SCRIPT, f"mysqldump -h db -u backup -p'{PW}' app > /backup/app.sql\n", PW, "quoted")
silent("mysql-password-flag", SCRIPT, "docker run -d -p 3306:3306 mysql:8.0\nmysql -u root -p appdb < schema.sql\n",
       "port-and-prompt")
silent("mysql-password-flag", SCRIPT, 'mysql -uroot -p"$MYSQL_ROOT_PASSWORD" < /init.sql\n', "reference")

fires("env-password-prefix", SCRIPT, f"PGPASSWORD={PW} psql -h db -U app -c 'select 1'\n", PW, "pgpassword-psql")
fires("env-password-prefix", DOCKERFILE, f"RUN MYSQL_PWD='{PW}' mysql -uroot < /init.sql\n", PW, "mysql-pwd")
silent("env-password-prefix", SCRIPT, 'PGPASSWORD="$DB_PASS" psql -h db -U app\n', "reference")
silent("env-password-prefix", "/app/.env", f"PGPASSWORD={PW}\n", "dotenv-assignment")

fires("curl-user-password", SCRIPT, f"curl -fsSL -u deploy:{PW} https://nexus.example.com/raw/app.tgz -o app.tgz\n",
      PW, "dash-u")
fires("curl-user-password", CI, f"  script:\n    - curl --user \"ci:{PW}\" -X POST https://ci.example.com/hook\n",
      PW, "ci-user")
silent("curl-user-password", SCRIPT, 'curl -u "$NEXUS_USER:$NEXUS_PASS" https://nexus.example.com/a\n'
       "curl -u admin https://x.example.com/\n", "reference-and-prompt")
silent("curl-user-password", DOCKERFILE,
       "RUN curl -fsSL https://x.example.com/i.sh | sh && docker run -u 1000:1000 a\n", "uid-gid")

fires("registry-login-password", SCRIPT, f"docker login -u ci -p {PW} registry.example.com\n", PW, "docker")
fires("registry-login-password", DOCKERFILE, f"RUN skopeo login -u ci -p '{PW}' quay.io && skopeo copy a b\n", PW,
      "skopeo")
silent("registry-login-password", SCRIPT, 'docker login -u ci --password-stdin registry.example.com < pw\n'
       'docker login -u ci -p "$REGISTRY_PASSWORD" registry.example.com\n', "stdin-and-reference")
fires("registry-login-echo-password", CI, f"  before_script:\n    - echo {PW} | docker login -u ci --password-stdin "
      "registry.example.com\n", PW, "echo")
fires("registry-login-echo-password", SCRIPT, f'echo "{PW}" | sudo podman login --password-stdin -u ci quay.io\n', PW,
      "echo-quoted")
silent("registry-login-echo-password", CI, '    - echo "$CI_REGISTRY_PASSWORD" | docker login -u "$CI_REGISTRY_USER" '
       "--password-stdin $CI_REGISTRY\n", "reference")

# --- Authorization and API-key headers --------------------------------------------------------------------
fires("authorization-basic", SCRIPT, f"curl -H 'Authorization: Basic {USERPASS}' https://api.example.com/v1\n",
      USERPASS, "curl")
fires("authorization-basic", "/app/client.py",
      f'resp = requests.get(url, headers={{"Authorization": "Basic {USERPASS}"}}, timeout=5)\n', USERPASS, "requests")
fires("authorization-basic", "/app/src/Client.java",
      f'conn.setRequestProperty("Authorization", "Basic {USERPASS}");\n', USERPASS, "java")
fires("authorization-basic", "/etc/nginx/conf.d/app.conf",
      f'location / {{\n    proxy_set_header Authorization "Basic {USERPASS}";\n}}\n', USERPASS, "nginx")
fires("authorization-basic", "/root/.gitconfig",
      f'[http "https://git.example.com/"]\n\textraheader = AUTHORIZATION: basic {USERPASS}\n', USERPASS, "gitconfig")
fires("authorization-basic", "/app/fixtures/session.har",
      f'{{"headers": [{{"name": "Authorization", "value": "Basic {USERPASS}"}}]}}\n', USERPASS, "har")
silent("authorization-basic", "/app/api.http", 'HTTP/1.1 401\nWWW-Authenticate: Basic realm="app"\n'
       "Authorization: Basic ${BASIC_AUTH}\n", "realm-and-reference")
silent("authorization-basic", "/app/api.http", f"Authorization: Basic {b64('justoneword')}\n", "not-user-pass")
silent("authorization-basic", "/app/README.md", "The Authorization header uses the Basic scheme.\n", "prose")

fires("authorization-bearer", "/app/api.http",
      f"GET https://api.example.com/v1/items\nAuthorization: Bearer {OPAQUE}\n", OPAQUE, "http-file")
fires("authorization-bearer", DOCKERFILE,
      f'RUN curl -fsSL -H "Authorization: Bearer {OPAQUE}" https://api.example.com/a -o a\n', OPAQUE, "curl-run")
fires("authorization-bearer", "/app/web/api.js",
      f"fetch(url, {{ headers: {{ Authorization: 'Bearer {OPAQUE}' }} }})\n", OPAQUE, "fetch")
fires("authorization-bearer", "/app/main.go", f'req.Header.Set("Authorization", "Bearer {OPAQUE}")\n', OPAQUE, "go")
fires("authorization-bearer", "/app/client.py", f'headers = {{"Authorization": "Token {HEX40}"}}\n', HEX40, "drf-token")
silent("authorization-bearer", SCRIPT, 'curl -H "Authorization: Bearer ${TOKEN}" https://a\n'
       'curl -H "Authorization: Bearer $TOKEN" https://a\n', "shell-references")
silent("authorization-bearer", "/app/client.py", 'h = {"Authorization": "Bearer " + token}\n'
       'h = {"Authorization": f"Bearer {token}"}\n', "built-in-code")
silent("authorization-bearer", "/app/README.md", "Authorization: Bearer YOUR_ACCESS_TOKEN_HERE\n"
       "Authorization: Bearer <token>\n", "docs-placeholders")

fires("authorization-ntlm", "/app/capture.http", f"Authorization: NTLM {NTLM3}\n", NTLM3, "type3")
silent("authorization-ntlm", "/app/capture.http", f"Authorization: NTLM {NTLM1}\n", "type1-negotiate")
fires("authorization-digest", "/app/capture.http",
      f'Authorization: Digest username="app", realm="api@example.com", nonce="{r(HEX, 32)}", uri="/v1", '
      f'qop=auth, nc=00000001, cnonce="0a4f113b", response="{DIGEST}", opaque="{r(HEX, 32)}"\n', DIGEST, "header")
silent("authorization-digest", "/app/capture.http",
       f'WWW-Authenticate: Digest realm="api@example.com", qop="auth", nonce="{r(HEX, 32)}"\n', "challenge")

fires("api-key-header", SCRIPT, f"curl -H 'X-Api-Key: {APIKEY}' https://api.example.com/v2/search\n", APIKEY, "curl")
fires("api-key-header", "/app/client.py", f'headers = {{"x-api-key": "{APIKEY}", "Accept": "application/json"}}\n',
      APIKEY, "requests")
fires("api-key-header", "/app/src/Client.java", f'conn.setRequestProperty("X-Auth-Token", "{APIKEY}");\n', APIKEY,
      "java")
silent("api-key-header", "/app/client.py", 'headers = {"X-Api-Key": api_key}\n', "variable")
silent("api-key-header", "/app/api.http", "X-Api-Key: {{apiKey}}\nX-Api-Key: $API_KEY\n", "templates")
silent("api-key-header", "/app/README.md", "Send your key in the X-Api-Key header.\n", "prose")

fires("oauth1-header-credential", "/app/api.http",
      f'Authorization: OAuth oauth_consumer_key="{OAUTH_KEY}", oauth_nonce="{r(A62, 32)}", '
      f'oauth_signature="{OAUTH_SIG}", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1318622958", '
      f'oauth_token="{OAUTH_TOKEN}", oauth_version="1.0"\n', OAUTH_TOKEN, "header")
fires("oauth1-header-credential", "/app/logs/requests.log",
      f"GET /1.1/statuses.json?oauth_consumer_key={OAUTH_KEY}&oauth_signature={OAUTH_SIG}&x=1\n", OAUTH_SIG, "query")
silent("oauth1-header-credential", "/app/client.py", "session = OAuth1Session(key, oauth_token=token, "
       "oauth_token_secret=secret)\n", "keyword-arguments")

# --- git, RubyGems -------------------------------------------------------------------------------------
fires("gitconfig-url-token", "/root/.gitconfig",
      f'[url "https://oauth2:{OPAQUE}@gitlab.example.com/"]\n\tinsteadOf = https://gitlab.example.com/\n', OPAQUE,
      "section-header")
fires("gitconfig-url-token", "/root/.gitconfig",
      f'[url "https://github.com/"]\n\tinsteadOf = https://x-access-token:{OPAQUE}@github.com/\n', OPAQUE,
      "insteadof")
silent("gitconfig-url-token", "/root/.gitconfig", '[url "git@github.com:"]\n\tinsteadOf = https://github.com/\n'
       '[url "https://oauth2:${CI_JOB_TOKEN}@gitlab.example.com/"]\n', "no-token")

fires("gem-credentials", "/root/.gem/credentials", f"---\n:rubygems_api_key: {GEMKEY}\n", GEMKEY, "api-key")
fires("gem-credentials", "/root/.gem/credentials",
      f'---\n"https://rubygems.pkg.github.com/acme": Bearer {OPAQUE}\n', OPAQUE, "per-host")
silent("gem-credentials", "/root/.gem/credentials", "---\n:rubygems_api_key: <your key>\n", "placeholder")

# --- two-factor seeds, embedded private keys ------------------------------------------------------------
fires("otp-seed", "/app/scripts/qr.py",
      f'uri = "otpauth://totp/ACME:alice@example.com?secret={SEED}&issuer=ACME"\n', SEED, "otpauth-uri")
fires("otp-seed", "/app/config/users.yml", f"alice:\n  totp_secret: {SEED}\n", SEED, "yaml")
fires("otp-seed", "/app/.env", f"MFA_SECRET={SEED}\n", SEED, "env")
silent("otp-seed", "/app/scripts/qr.py", 'uri = f"otpauth://totp/ACME:{user}?secret={seed}&issuer=ACME"\n'
       "mfa_secret: generateSecretKey\n", "references")

KUBECONFIG = (f"apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n"
              f"    client-certificate-data: {CERT_B64}\n    client-key-data: {RSA_B64}\n")
fires("kubeconfig-client-key", "/root/.kube/config", KUBECONFIG, RSA_B64.rstrip("="), "rsa")
silent("kubeconfig-client-key", "/root/.kube/config",
       f"users:\n- user:\n    client-key-data: {CERT_B64}\n", "certificate-not-key")
fires("base64-pem-private-key", DOCKERFILE, f"ENV TLS_KEY={EC_B64}\n", EC_B64, "env")
fires("base64-pem-private-key", "/app/k8s/secret.yaml",
      f"kind: Secret\ndata:\n  tls.crt: {CERT_B64}\n  tls.key: {EC_B64}\n", EC_B64, "k8s-secret")
silent("base64-pem-private-key", "/app/k8s/secret.yaml", f"data:\n  tls.crt: {CERT_B64}\n", "certificate")
silent("base64-pem-private-key", "/root/.kube/config", KUBECONFIG, "kubeconfig-is-the-other-rule")


@pytest.fixture(scope="module")
def scanner() -> Iterator[Scanner]:
    scanner = Scanner(RULES)
    with scanner.secrets.session():
        yield scanner


def hits(scanner: Scanner, path: str, text: str) -> set[tuple[str, str | None]]:
    return {(hit.rule, hit.secret) for hit in scanner.scan_file(path, text.encode("utf-8"))}


@pytest.mark.parametrize("case", CASES)
def test_credential_rule(scanner: Scanner, case: Case) -> None:
    found = hits(scanner, case.path, case.text)
    if case.secret is None:
        assert case.rule not in {rule for rule, _ in found}
    else:
        assert (case.rule, case.secret) in found


def test_every_credential_rule_has_a_positive_and_a_negative_case() -> None:
    seen: dict[str, set[bool]] = {}
    for param in CASES:
        seen.setdefault(param.values[0].rule, set()).add(param.values[0].secret is not None)
    content = {rule for rule in PACK if BY_ID[rule].kind == "regex"} | DECODED_ELSEWHERE
    assert sorted(rule for rule in content if seen.get(rule) != {True, False}) == []
    assert sorted(set(seen) - content) == []


def test_credential_rules_are_bounded_and_described() -> None:
    """Every repeat bounded (the rules run on text an attacker may write), with a remediation and keywords."""
    import re

    unbounded = re.compile(r"(?<!\\)[*+]|\{\d+,\}")
    for rule_id in sorted(PACK):
        rule = BY_ID[rule_id]
        assert rule.remediation and rule.description, rule_id
        if rule.kind == "regex":
            assert rule.params.get("keywords"), rule_id
            pattern = re.sub(r"\[[^\]]*\]", "", rule.params["pattern"])
            assert not unbounded.search(pattern), rule_id


def test_history_run_lines_are_scanned_like_files(scanner: Scanner) -> None:
    """Metadata text goes through `scan_text`: each RUN-line leak of a Dockerfile is found there as well."""
    for param in CASES:
        case = param.values[0]
        if case.secret is None or case.path != DOCKERFILE:
            continue
        for line in case.text.splitlines():
            if line.startswith("RUN "):
                found = {(h.rule, h.secret) for h in scanner.scan_text("/bin/sh -c " + line[4:], "history")}
                assert (case.rule, case.secret) in found, param.id


def test_decoded_key_type_is_named_in_the_message(scanner: Scanner) -> None:
    messages = {h.rule: h.message for h in scanner.scan_file("/root/.kube/config", KUBECONFIG.encode())}
    assert messages["kubeconfig-client-key"].endswith("(RSA PRIVATE KEY)")
    env = {h.rule: h.message for h in scanner.scan_file(DOCKERFILE, f"ENV TLS_KEY={EC_B64}\n".encode())}
    assert env["base64-pem-private-key"].endswith("(EC PRIVATE KEY)")


PUSHED_DOWN = [*range(0, 64), *range(64, 301, 7), 300]


def test_leaks_are_found_wherever_they_sit_in_the_file() -> None:
    """Each leak, pushed down by 0..300 bytes of preceding text, gives the same hits: a Hyperscan quirk
    missed some matches past a file's first bytes (tests/rules/test_provider_cases.py)."""
    from auditor.checks.regex import RegexCheck

    check = RegexCheck([BY_ID[rule] for rule in sorted(PACK | DECODED_ELSEWHERE) if BY_ID[rule].kind == "regex"])
    for param in CASES:
        leak = param.values[0]
        if leak.secret is None:
            continue
        want = {(hit.rule, hit.secret) for hit in check.scan_file(leak.path, leak.text.encode())}
        assert (leak.rule, leak.secret) in want, param.id
        for size in PUSHED_DOWN:
            for first in ("#" * size + "\n", " " * size):
                got = {(hit.rule, hit.secret) for hit in check.scan_file(leak.path, (first + leak.text).encode())}
                assert got == want, (param.id, repr(first[:1]), size)


# --- by name ----------------------------------------------------------------------------------------------

def entry(path: str) -> Entry:
    return Entry(path=path, layer=1, kind=Kind.FILE, size=2300, mode=0o600, link=None, status=Status.VISIBLE,
                 hidden_by=None)


@pytest.mark.parametrize(("path", "expected"), [
    ("/app/keys/deployer-sa.json", True), ("/secrets/my-service-account.json", True),
    ("/app/credentials.json", True), ("/app/package.json", False), ("/app/sa.json.example", False),
    ("/usr/lib/node_modules/x/credentials.json", False),
])
def test_gcp_service_account_file_by_name(path: str, expected: bool) -> None:
    rules = {rule.id for rule in PathCheck(of_kind(RULES, "path")).match(entry(path))}
    assert ("gcp-service-account-file" in rules) is expected


# --- end to end: an image with a password on a RUN line and a kubeconfig --------------------------------

STOREPASS = j("hunter", "2x9")
KEYTOOL = (f"/bin/sh -c keytool -genkey -alias app -keyalg RSA -keystore /app/ks.jks -storepass {STOREPASS} "
           "-keypass changeit -dname CN=app")


def test_run_line_password_is_found_and_redacted_on_made_by(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A keytool password on a RUN line is a metadata finding, and the text report's "made by:" line
    shows the instruction with the password redacted (`formats.common.safe_command`)."""
    import json

    from testing import imagekit

    spec = imagekit.ImageSpec(
        layers=[[imagekit.File("/root/.kube/config", KUBECONFIG.encode())],
                [imagekit.File("/app/ks.jks", b"\xfe\xed")]],
        history=[imagekit.History("/bin/sh -c #(nop) COPY file:kubeconfig in /root/.kube/config"),
                 imagekit.History(KEYTOOL)])
    archive = tmp_path / "image.tar"
    imagekit.write_docker_archive(archive, spec)

    doc = json.loads(cli(archive, "--format", "json").out)
    found = {(f["rule"], f["status"]) for f in doc["findings"]}
    assert ("cli-password", "metadata") in found
    keys = [f for f in doc["findings"] if f["rule"] == "kubeconfig-client-key"]
    assert keys and keys[0]["message"].endswith("(RSA PRIVATE KEY)")

    text = cli(archive, "--format", "text")
    assert text.code == 1
    made_by = [line for line in text.out.splitlines() if "made by: RUN keytool" in line]
    assert made_by and all(STOREPASS not in line for line in made_by), made_by
    assert STOREPASS not in text.out
    shown = cli(archive, "--format", "text", "--show-secrets").out
    assert STOREPASS in shown
