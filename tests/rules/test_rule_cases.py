"""Every default rule, at the level of its check: at least one case where it fires and one where it must not.

Three tables, one per check:
- CONTENT: (rule, in-image path, file bytes, fires) run through `Scanner` (detect-secrets and regex rules);
- PATHS: (rule, Entry, fires) run through `PathCheck`;
- METADATA: (rule, image config, fires) run through `MetadataCheck` over `items(config)`.
`test_every_default_rule_has_cases` fails when a default rule (waste rules aside) lacks a case of either kind.

Credential-shaped values are assembled at import time from obviously fake pieces (FAKE, repeated letters),
so no literal in this file looks like a token to a scanner, yet each has the shape its rule looks for.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest

from auditor.checks import of_kind
from auditor.checks.metadata import MetadataCheck, items
from auditor.checks.path import PathCheck
from auditor.checks.scanner import Scanner
from auditor.checks.verify import base62
from auditor.model import Entry, Kind, Rule, Severity, Status
from auditor.rules import default_pack_paths, load_rules
from testing.tokens import j

RULES = load_rules(default_pack_paths())
BY_ID = {r.id: r for r in RULES}
MiB = 1024 * 1024


def _b64url(data: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


# Fake credentials, one per format.
AWS_ID = j("AKIA", "FAKE" * 4)
GH_CLASSIC = j("gh", "p_", "FAKE" * 9)
GH_FINE = j("github", "_pat_", "1" * 22, "_", "F" * 59)
GITLAB = j("gl", "pat-", "FAKEfake" * 2, "FAKE")
SLACK_BOT = j("xo", "xb-", "0" * 12, "-", "0" * 13, "-", "fake" * 6)
SLACK_HOOK = j("https://hooks.slack.com/", "services/T00000000/B00000000/", "FAKE" * 6)
SLACK_APP = j("xa", "pp-1-A0FAKE0FAKE-", "1" * 13, "-", "0" * 64)
SLACK_REFRESH = j("xo", "xe-1-", "FAKE" * 15)
SLACK_WORKFLOW = j("https://hooks.slack.com/", "workflows/T00000000/A00000000/", "0" * 18, "/", "FAKE" * 6)
STRIPE = j("sk", "_live_", "FAKEfake" * 3)
STRIPE_WEBHOOK = j("wh", "sec_", "FAKE" * 8)
NPM = j("np", "m_", "FAKE" * 7, "FA", base62(binascii.crc32(b"FAKE" * 7 + b"FA"), 6))  # its CRC32 checks out
PYPI = j("py", "pi-AgEIcHlwaS5vcmc", "FAKE" * 18)
DOCKERHUB = j("dc", "kr_pat_", "F" * 27)
OPENAI = j("sk", "-", "FAKEfake" * 2, "FAKE", "T3Blbk", "FJ", "FAKEfake" * 2, "FAKE")
SENDGRID = j("S", "G.", "FAKEfake" * 2, "FAKEfa", ".", "FAKEfake" * 5, "FAK")
DISCORD = j("M", "FAKE" * 6, ".", "FAKEfk", ".", "FAKE" * 6, "FAK")
SQUARE = j("sq0", "csp-", "FAKEfake" * 5, "FAK")
TELEGRAM = j("123456789", ":", "FAKEfake" * 4, "FAK")
TWILIO = j("A", "C", "fake" * 8)
MAILCHIMP = j("fake" * 8, "-us", "1")
AZURE_ACCOUNT_KEY = j("Account", "Key=", "FAKE" * 22)
AZURE_CLIENT_SECRET = j("abc8", "Q~", "F" * 34)
AZURE_SHARED_KEY = j("SharedAccess", "Key=", "F" * 43, "=")
AZURE_SAS = j("https://fake.blob.core.windows.net/c?sv=2022-11-02&ss=b&sp=r&se=2030-01-01&spr=https&", "sig=",
              "F" * 43, "%3D")
JWT = j(_b64url({"alg": "none"}), ".", _b64url({"sub": "fake"}), ".")
HEX40 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"  # sha1 of nothing: high entropy, no secret
BASE64_HIGH = "Zm9yIHRlc3RzIG9ubHkgLSBub3QgYSByZWFsIHNlY3JldCBGQUtF"  # "for tests only - not a real secret FAKE"
PEM_BODY = "RkFLRSBLRVkgRk9SIFRFU1RTIE9OTFkgLSBOT1QgQSBSRUFMIEtFWQ=="  # "FAKE KEY FOR TESTS ONLY - NOT A REAL KEY"
PEM_RSA = j("-----BEGIN RSA ", f"PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA ", "PRIVATE KEY-----\n")
PEM_ENCRYPTED = j("-----BEGIN ENCRYPTED ", f"PRIVATE KEY-----\n{PEM_BODY}\n-----END ENCRYPTED ", "PRIVATE KEY-----\n")
GCP_KEY = json.dumps({
    "type": "service_account", "project_id": "fake-project", "private_key_id": "0" * 40,
    "private_key": PEM_RSA.replace("RSA ", ""), "client_email": "fake@fake-project.iam.gserviceaccount.com",
}, indent=2)
FIXTURE_PY = "/usr/local/lib/python3.12/site-packages/fakepkg/tests/test_fake.py"


class Content(NamedTuple):
    rule: str
    path: str
    text: str
    fires: bool


def c(rule: str, path: str, text: str, fires: bool = True, *marks: Any) -> Any:
    return pytest.param(Content(rule, path, text, fires), marks=marks,
                        id=f"{rule}-{'fires' if fires else 'silent'}-{path.rsplit('/', 1)[-1]}")


IP_FILTERED = pytest.mark.xfail(
    strict=True,
    reason="detect-secrets' default filter is_not_alphanumeric_string drops every IPv4 address (no letter), "
    "so IPPublicDetector never reports; the CLI behaves the same",
)

CONTENT = [
    # rules/secrets.yaml: one detect-secrets plugin each
    c("ds-aws-access-key", "/app/settings.py", f'AWS_ACCESS_KEY_ID = "{AWS_ID}"\n'),
    c("ds-aws-access-key", "/app/settings.py", 'AWS_ACCESS_KEY_ID = "AKIAFAKE"\n', False),
    c("ds-artifactory-credentials", "/app/artifactory.cfg", "api_token: AKCfakeFAKEfakeFAKE\n"),
    c("ds-artifactory-credentials", "/app/artifactory.cfg", "api_token: AKCfake\n", False),
    c("ds-azure-storage-key", "/app/.env", f"AZURE=DefaultEndpointsProtocol=https;AccountName=f;{AZURE_ACCOUNT_KEY}\n"),
    c("ds-azure-storage-key", "/app/.env", "AZURE=DefaultEndpointsProtocol=https;AccountName=f;AccountKey=FAKE\n",
      False),
    c("ds-high-entropy-base64", "/app/settings.py", f'SALT = "{BASE64_HIGH}"\n'),
    c("ds-high-entropy-base64", "/app/settings.py", f'SALT = "{"a" * 40}"\n', False),
    c("ds-basic-auth-url", "/app/settings.py", 'DB = "postgres://app:fakedbpass@db.example.com/app"\n'),
    c("ds-basic-auth-url", "/app/settings.py", 'DB = "postgres://db.example.com/app"\n', False),
    c("ds-cloudant-credentials", "/app/deploy.sh", f"curl https://fake:{'fa4e' * 16}@fake.cloudant.com/db\n"),
    c("ds-cloudant-credentials", "/app/deploy.sh", "curl https://fake.cloudant.com/db\n", False),
    c("ds-discord-bot-token", "/app/bot.js", f'const token = "{DISCORD}";\n'),
    c("ds-discord-bot-token", "/app/bot.js", 'const token = "MFAKE.FAKEfk.FAKE";\n', False),
    c("ds-github-token", "/app/.env", f"GITHUB_TOKEN={GH_CLASSIC}\n"),
    c("ds-github-token", "/app/.env", "GITHUB_TOKEN=ghp_FAKE\n", False),
    c("ds-gitlab-token", "/app/.env", f"GITLAB_TOKEN={GITLAB}\n"),
    c("ds-gitlab-token", "/app/.env", "GITLAB_TOKEN=glpat-FAKE\n", False),
    c("ds-high-entropy-hex", "/app/settings.py", f'CHECKSUM = "{HEX40}"\n'),
    c("ds-high-entropy-hex", "/app/settings.py", 'CHECKSUM = "0123456789abcdefabcd"\n', False),  # sequential
    c("ds-public-ip", "/app/notes.txt", "the API answers on 8.8.4.4\n", True, IP_FILTERED),
    c("ds-public-ip", "/app/notes.txt", "the API answers on 10.1.2.3\n", False),
    c("ds-ibm-cloud-iam-key", "/app/app.properties", f"ibm.cloud.iam.api.key={'FAKEfake' * 5}FAKE\n"),
    c("ds-ibm-cloud-iam-key", "/app/app.properties", "ibm.cloud.iam.api.key=FAKEfake\n", False),
    c("ds-ibm-cos-hmac", "/app/app.properties", f'cos_hmac_secret_access_key = "{"fa4e" * 12}"\n'),
    c("ds-ibm-cos-hmac", "/app/app.properties", 'cos_hmac_secret_access_key = "fa4e"\n', False),
    c("ds-jwt", "/app/config.json", f'{{"session": "{JWT}"}}\n'),
    c("ds-jwt", "/app/config.json", '{"session": "eyJub3QganNvbg.eyJub3QganNvbg."}\n', False),
    c("ds-secret-keyword", "/app/settings.py", 'PASSWORD = "fake-password-1"\n'),
    c("ds-secret-keyword", "/app/settings.py", 'PASSWORD = os.environ["PASSWORD"]\n', False),
    c("ds-mailchimp-key", "/app/mail.py", f'KEY = "{MAILCHIMP}"\n'),
    c("ds-mailchimp-key", "/app/mail.py", f'KEY = "{"fake" * 8}-eu1"\n', False),
    c("ds-npm-token", "/root/.npmrc", f"//registry.npmjs.org/:_authToken={NPM}\n"),
    c("ds-npm-token", "/root/.npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n", False),
    c("ds-openai-key", "/app/client.js", f'const key = "{OPENAI}";\n'),
    c("ds-openai-key", "/app/client.js", 'const key = "sk-FAKEfakeFAKEfakeFAKEfakeFAKEfake";\n', False),
    c("ds-private-key", "/app/server.pem", PEM_RSA),
    c("ds-private-key", "/app/server.crt", "-----BEGIN CERTIFICATE-----\nRkFLRQ==\n-----END CERTIFICATE-----\n", False),
    c("ds-pypi-token", "/root/.pypirc", f"[pypi]\nusername = __token__\npassword = {PYPI}\n"),
    c("ds-pypi-token", "/root/.pypirc", "[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmcFAKE\n", False),
    c("ds-sendgrid-key", "/app/mail.json", f'{{"api_key": "{SENDGRID}"}}\n'),
    c("ds-sendgrid-key", "/app/mail.json", '{"api_key": "SG.FAKE.FAKE"}\n', False),
    c("ds-slack-token", "/app/config.yaml", f"slack:\n  token: {SLACK_BOT}\n  webhook: {SLACK_HOOK}\n"),
    c("ds-slack-token", "/app/config.yaml", "slack:\n  token: xoxb-fake-token\n", False),
    c("ds-softlayer-credentials", "/app/deploy.sh", f'softlayer_api_key="{"fake" * 16}"\n'),
    c("ds-softlayer-credentials", "/app/deploy.sh", 'softlayer_api_key="fake"\n', False),
    c("ds-square-oauth-secret", "/app/pay.js", f'const s = "{SQUARE}";\n'),
    c("ds-square-oauth-secret", "/app/pay.js", 'const s = "sq0csp-FAKE";\n', False),
    c("ds-stripe-key", "/app/pay.py", f'STRIPE = "{STRIPE}"\n'),
    c("ds-stripe-key", "/app/pay.py", f'STRIPE = "{j("sk", "_test_", "FAKEfake" * 3)}"\n', False),
    c("ds-telegram-bot-token", "/app/bot.sh", f'TOKEN="{TELEGRAM}"\n'),
    c("ds-telegram-bot-token", "/app/bot.sh", 'TOKEN="1234:FAKE"\n', False),
    c("ds-twilio-key", "/app/sms.json", f'{{"sid": "{TWILIO}"}}\n'),
    c("ds-twilio-key", "/app/sms.json", '{"sid": "ACfake"}\n', False),
    # rules/tokens.yaml: what the plugins miss
    c("github-fine-grained-token", "/app/.env", f"GH_TOKEN={GH_FINE}\n"),
    c("github-fine-grained-token", "/app/.env", "GH_TOKEN=github_pat_FAKE\n", False),
    c("github-fine-grained-token", FIXTURE_PY, f'TOKEN = "{GH_FINE}"\n', False),  # a package's test fixture
    c("slack-app-token", "/app/.env", f"SLACK_APP_TOKEN={SLACK_APP}\nSLACK_REFRESH={SLACK_REFRESH}\n"),
    c("slack-app-token", "/app/.env", f"SLACK_ROTATED=xoxe.{SLACK_BOT}\n", False),  # SlackDetector's
    c("slack-workflow-webhook", "/app/notify.js", f'const hook = "{SLACK_WORKFLOW}";\n'),
    c("slack-workflow-webhook", "/app/notify.js", f'const hook = "{SLACK_HOOK}";\n', False),  # SlackDetector's
    c("stripe-webhook-secret", "/app/.env", f"STRIPE_WEBHOOK_SECRET={STRIPE_WEBHOOK}\n"),
    c("stripe-webhook-secret", "/app/.env", "STRIPE_WEBHOOK_SECRET=whsec_FAKE\n", False),
    c("npm-access-token", "/app/.env", f"NPM_TOKEN={NPM}\n"),
    c("npm-access-token", "/root/.npmrc", f"_authToken={NPM}\n"),  # unscoped: NpmDetector misses it
    c("npm-access-token", "/root/.npmrc", f"//registry.npmjs.org/:_authToken={NPM}\n", False),  # NpmDetector's
    c("npmrc-auth", "/root/.npmrc", "//registry.npmjs.org/:_authToken=00000000-0000-0000-0000-000000000000\n"),
    c("npmrc-auth", "/app/.npmrc", "registry=https://npm.example.com/\n_auth=ZmFrZTpmYWtl\nalways-auth=true\n"),
    c("npmrc-auth", "/app/.yarnrc.yml", 'npmRegistries:\n  "//npm.example.com":\n    npmAuthToken: "fake-0000"\n'),
    c("npmrc-auth", "/app/.npmrc", "//npm.example.com/:_authToken=${NPM_TOKEN}\nalways-auth=true\n", False),
    c("npmrc-auth", "/app/.npmrc", f"//registry.npmjs.org/:_authToken={NPM}\n", False),  # NpmDetector's
    c("npmrc-auth", "/app/notes.txt", "_auth=ZmFrZTpmYWtl\n", False),  # not an npm/yarn config
    c("docker-registry-auth", "/root/.docker/config.json",
      '{"auths": {"https://index.docker.io/v1/": {"auth": "ZmFrZTpmYWtlZmFrZQ=="}}}\n'),
    c("docker-registry-auth", "/root/.docker/config.json",
      '{"auths": {"https://index.docker.io/v1/": {}}, "credsStore": "desktop"}\n', False),
    c("dockerhub-token", "/app/.env", f"DOCKERHUB_TOKEN={DOCKERHUB}\n"),
    c("dockerhub-token", "/app/.env", "DOCKERHUB_TOKEN=dckr_pat_FAKE\n", False),
    c("gcp-service-account-key", "/app/sa.json", GCP_KEY + "\n"),
    c("gcp-service-account-key", "/app/key.json", json.dumps({"private_key": PEM_RSA}) + "\n", False),
    c("gcp-service-account-key", "/app/gdch.py",  # a docstring sample of another key type, no key material
      '"""{"type": "gdch_service_account", "private_key": "-----BEGIN EC PRIVATE KEY-----\\n<key bytes>\\n"}"""\n',
      False),
    c("azure-client-secret", "/app/.env", f"AZURE_CLIENT_SECRET={AZURE_CLIENT_SECRET}\n"),
    c("azure-client-secret", "/app/.env", "AZURE_CLIENT_SECRET=abc8Q~FAKE\n", False),
    c("azure-shared-access-key", "/app/.env",
      f"SB=Endpoint=sb://f.servicebus.windows.net/;SharedAccessKeyName=Root;{AZURE_SHARED_KEY}\n"),
    c("azure-shared-access-key", "/app/.env", "SB=Endpoint=sb://f.servicebus.windows.net/;SharedAccessKeyName=Root\n",
      False),
    c("azure-sas-token", "/app/.env", f"BLOB_URL={AZURE_SAS}\n"),
    c("azure-sas-token", "/app/.env", "BLOB_URL=https://fake.blob.core.windows.net/c?sig=unsigned\n", False),
    c("azure-sas-token", "/app/index.html", f'<a href="{AZURE_SAS.replace("&", "&amp;")}">blob</a>\n'),
    c("private-key-block", "/app/server.key", PEM_ENCRYPTED),
    c("private-key-block", "/app/id.ppk", "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n"),
    c("private-key-block", "/etc/openvpn/ta.key",
      j("#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN ", "Static key V1-----\n", "0f" * 16, "\n")),
    c("private-key-block", "/app/server.pem", PEM_RSA, False),  # PrivateKeyDetector's
    c("private-key-block", "/app/pem.py",  # code that names the format holds no key
      'MARKERS = ("-----BEGIN ENCRYPTED PRIVATE KEY-----", "-----END ENCRYPTED PRIVATE KEY-----")\n', False),
    c("azure-sas-token", "/usr/local/lib/python3.12/site-packages/botocore/data/datasync/2018-11-09/service-2.json",
      f'{{"documentation": "<code>{AZURE_SAS}</code>"}}\n', False),  # an SDK's API documentation
    # rules/assignments.yaml: values assigned to credential-named keys (tests/checks/test_assign.py has more)
    c("uuid-credential", "/app/.env", "HEROKU_API_KEY=3f2b1c4d-1234-4abc-9def-0123456789ab\n"),
    c("uuid-credential", "/app/.env", "REQUEST_ID=3f2b1c4d-1234-4abc-9def-0123456789ab\n", False),
    c("oauth1-credential", "/app/twitter.rb", "config.consumer_secret = 'fakeConsumerSecret01'\n"),
    c("oauth1-credential", "/app/twitter.rb", "config.consumer_secret = ENV['CONSUMER_SECRET']\n", False),
    c("api-key-assignment", "/app/src/client.js", 'const apiKey = "fakeApiKeyValue01";\n'),
    c("api-key-assignment", "/app/src/client.js", "const apiKey = process.env.API_KEY;\n", False),
    c("password-assignment", "/app/config/application.yml", "spring:\n  datasource:\n    password: fakePass01\n"),
    c("password-assignment", "/app/config/application.yml", "security:\n  password_policy: strict-fake\n", False),
    c("secret-assignment", "/app/settings.py", 'JWT_SECRET = "fakeJwtSecret01"\n'),
    c("secret-assignment", "/app/settings.py", 'JWT_SECRET = os.environ["JWT_SECRET"]\n', False),
    c("token-assignment", "/app/bot.go", 'botToken := "fakeBotToken01"\n'),
    c("token-assignment", "/app/tokenizer_config.json", '{"pad_token": "<fake-pad-token>"}\n', False),
]


@pytest.fixture(scope="module")
def scanner() -> Iterator[Scanner]:
    scanner = Scanner(RULES)
    with scanner.secrets.session():
        yield scanner


def fired(scanner: Scanner, path: str, text: str) -> set[str]:
    return {hit.rule for hit in scanner.every_hit(path, text.encode("utf-8"))}  # each rule on its own


@pytest.mark.parametrize("case", CONTENT)
def test_content_rule(scanner: Scanner, case: Content) -> None:
    assert (case.rule in fired(scanner, case.path, case.text)) is case.fires


# Generic heuristics may flag any credential-looking value; a specific rule must not share one with another
# specific rule, except where noted.
GENERIC = {"ds-secret-keyword", "ds-high-entropy-base64", "ds-high-entropy-hex"}
GENERIC |= {r.id for r in RULES if r.kind == "assignment"}  # key-named values: any credential, as the keyword plugin
KNOWN_OVERLAP = {
    # The key file's PEM block is also PrivateKeyDetector's; the GCP rule says which key to delete.
    "gcp-service-account-key": {"ds-private-key"},
}
TOKEN_RULES = {r.id for r in RULES if r.source.endswith("tokens.yaml")}


@pytest.mark.parametrize("case", [p for p in CONTENT if p.values[0].fires and p.values[0].rule in TOKEN_RULES
                                  and not p.marks])
def test_token_rules_do_not_double_report(scanner: Scanner, case: Content) -> None:
    specific = fired(scanner, case.path, case.text) - GENERIC
    assert specific == {case.rule} | KNOWN_OVERLAP.get(case.rule, set())


class PathCase(NamedTuple):
    rule: str
    entry: Entry
    fires: bool


def e(path: str, kind: str = "file", size: int = 100, status: str = "visible") -> Entry:
    hidden_by = None if status == "visible" else 3
    return Entry(path=path, layer=1, kind=Kind(kind), size=size, mode=0o644, link=None, status=Status(status),
                 hidden_by=hidden_by)


def p(rule: str, entry: Entry, fires: bool = True) -> Any:
    plain = entry.kind is Kind.FILE and entry.status is Status.VISIBLE
    extra = "" if plain else f"-{entry.kind.value}-{entry.status.value}"
    return pytest.param(PathCase(rule, entry, fires), id=f"{rule}-{'fires' if fires else 'silent'}-{entry.path}{extra}")


PATHS = [
    p("private-key-file", e("/root/.ssh/id_rsa")),
    p("private-key-file", e("/home/app/.ssh/id_ed25519", status="deleted")),
    p("private-key-file", e("/app/certs/server.key")),
    p("private-key-file", e("/root/.gnupg/private-keys-v1.d/0123456789ABCDEF.key")),
    p("private-key-file", e("/root/.ssh/id_rsa.pub"), False),
    p("private-key-file", e("/usr/share/doc/openssl/demo.key"), False),
    p("private-key-file", e("/usr/local/lib/python3.12/site-packages/paramiko/tests/test_rsa.key"), False),
    p("private-key-file", e("/etc/apt/keyrings/nodesource.key"), False),  # a public apt signing key
    p("private-key-file", e("/app/auth/private_key.py"), False),
    p("private-key-file", e("/etc/ssl/private/ssl-cert-snakeoil.key"), False),  # build-generated-key's
    p("build-generated-key", e("/etc/ssh/ssh_host_ed25519_key")),
    p("build-generated-key", e("/etc/ssl/private/ssl-cert-snakeoil.key")),
    p("build-generated-key", e("/etc/ssh/ssh_host_ed25519_key.pub"), False),
    p("keystore-file", e("/app/keystore.p12")),
    p("keystore-file", e("/opt/app/conf/server.jks", status="overwritten")),
    p("keystore-file", e("/opt/app/conf/truststore.jks"), False),
    p("keystore-file", e("/usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts"), False),
    p("dotenv-file", e("/app/.env")),
    p("dotenv-file", e("/app/.env.production", status="deleted")),
    p("dotenv-file", e("/srv/prod.env")),
    p("dotenv-file", e("/usr/src/app/.env")),  # the WORKDIR of many Node and Python images
    p("dotenv-file", e("/app/.env.example"), False),
    p("dotenv-file", e("/app/node_modules/fake-pkg/.env"), False),
    p("dotenv-file", e("/app/.env", kind="dir"), False),  # a virtualenv called .env
    p("cloud-credentials-file", e("/root/.aws/credentials")),
    p("cloud-credentials-file", e("/root/.config/gcloud/application_default_credentials.json")),
    p("cloud-credentials-file", e("/root/.azure/msal_token_cache.json")),
    p("cloud-credentials-file", e("/root/.aws/config"), False),
    p("netrc-file", e("/root/.netrc")),
    p("netrc-file", e("/usr/share/doc/curl/examples/.netrc"), False),
    p("git-credentials-file", e("/root/.git-credentials", status="deleted")),
    p("git-credentials-file", e("/root/.gitconfig"), False),
    p("pypirc-file", e("/root/.pypirc")),
    p("pypirc-file", e("/usr/local/lib/python3.12/site-packages/twine/.pypirc"), False),
    p("kubeconfig-file", e("/root/.kube/config")),
    p("kubeconfig-file", e("/etc/kubernetes/admin.conf")),
    p("kubeconfig-file", e("/root/.kube/cache/discovery/api.json"), False),
    p("terraform-state-file", e("/app/infra/terraform.tfstate")),
    p("terraform-state-file", e("/app/infra/terraform.tfstate.backup")),
    p("terraform-state-file", e("/app/infra/main.tf"), False),
    p("cli-credentials-file", e("/root/.vault-token")),
    p("cli-credentials-file", e("/root/.config/gh/hosts.yml")),
    p("cli-credentials-file", e("/root/.config/gh/config.yml"), False),
    p("shell-history", e("/root/.bash_history", size=120)),
    p("shell-history", e("/home/app/.python_history", status="deleted")),
    p("shell-history", e("/root/.psql_history")),
    p("shell-history", e("/root/.bash_history", size=0), False),
    p("shell-history", e("/root/.bashrc"), False),
    p("vcs-directory", e("/app/.git", kind="dir")),
    p("vcs-directory", e("/app/.git", kind="file"), False),  # a submodule's gitdir pointer
    p("vcs-directory", e("/app/.git/objects", kind="dir"), False),  # one finding per repository
    p("vcs-directory", e("/app/.gitignore"), False),
    p("editor-leftover", e("/app/.settings.py.swp")),
    p("editor-leftover", e("/app/settings.py~")),
    p("editor-leftover", e("/usr/share/vim/vim90/doc/tags~"), False),
    p("editor-leftover", e("/app/swap.md"), False),
    p("core-dump", e("/app/core", size=MiB)),
    p("core-dump", e("/core.1234", size=MiB, status="deleted")),
    p("core-dump", e("/usr/src/app/core", size=MiB)),
    p("core-dump", e("/app/core", size=100), False),
    p("core-dump", e("/app/core", kind="dir"), False),
    p("core-dump", e("/usr/lib/python3/dist-packages/fake/core", size=MiB), False),
    p("apt-lists", e("/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", size=151 * 1024)),
    p("apt-lists", e("/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", status="deleted")),
    p("apt-lists", e("/var/lib/apt/lists/lock", size=0), False),
    p("apt-lists", e("/var/lib/apt/lists/partial", kind="dir"), False),
    p("apt-lists", e("/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4")),
    p("apt-lists", e("/var/lib/apt/lists/auxfiles", kind="dir"), False),
    p("apt-lists", e("/var/lib/apt/lists/partial/deb.debian.org_debian_dists_bookworm_InRelease"), False),
    p("apt-archives", e("/var/cache/apt/archives/curl_7.88.1-10_amd64.deb")),
    p("apt-archives", e("/var/cache/apt/archives/lock", size=0), False),
    p("apt-archives", e("/var/cache/apt/archives/partial", kind="dir"), False),
    p("apk-cache", e("/var/cache/apk/APKINDEX.5022a8a2.tar.gz")),
    p("apk-cache", e("/var/cache/apk/curl-8.5.0-r0.6fe0b6bc.apk")),
    p("apk-cache", e("/var/cache/apk", kind="dir"), False),
    p("pip-cache", e("/root/.cache/pip", kind="dir")),
    p("pip-cache", e("/root/.cache/pip/http-v2/a/b/c/0123456789abcdef"), False),
    p("pip-cache", e("/root/.cache", kind="dir"), False),
    p("npm-cache", e("/root/.npm/_cacache", kind="dir")),
    p("npm-cache", e("/root/.npm/_logs", kind="dir"), False),
    p("yarn-cache", e("/usr/local/share/.cache/yarn", kind="dir")),
    p("yarn-cache", e("/home/node/.yarn/berry/cache", kind="dir")),
    p("yarn-cache", e("/app/.yarn/cache", kind="dir"), False),  # a project's committed offline cache
    p("go-cache", e("/root/.cache/go-build", kind="dir")),
    p("go-cache", e("/go/pkg/mod/cache", kind="dir")),
    p("go-cache", e("/go/pkg/mod/github.com", kind="dir"), False),
    p("maven-cache", e("/root/.m2/repository", kind="dir")),
    p("maven-cache", e("/root/.m2/settings.xml"), False),
    p("gradle-cache", e("/home/gradle/.gradle/caches", kind="dir")),
    p("gradle-cache", e("/home/gradle/.gradle/wrapper", kind="dir"), False),
    p("cargo-registry-cache", e("/usr/local/cargo/registry", kind="dir")),
    p("cargo-registry-cache", e("/usr/local/cargo/bin", kind="dir"), False),
    p("hidden-archive", e("/tmp/node-v20.11.0-linux-x64.tar.xz", size=25 * MiB, status="deleted")),
    p("hidden-archive", e("/opt/app/release.zip", status="overwritten")),
    p("hidden-archive", e("/tmp/node-v20.11.0-linux-x64.tar.xz", size=25 * MiB), False),  # visible: kept on purpose
    p("hidden-archive", e("/var/cache/apt/archives/curl_7.88.1-10_amd64.deb", status="deleted"), False),
    p("hidden-installer", e("/tmp/Miniconda3-latest-Linux-x86_64.sh", size=100 * MiB, status="deleted")),
    p("hidden-installer", e("/tmp/get-pip.py", size=2 * MiB, status="deleted")),
    p("hidden-installer", e("/usr/src/Anaconda3-2024.02-1-Linux-x86_64.sh", size=900 * MiB, status="deleted")),
    p("hidden-installer", e("/tmp/Miniconda3-latest-Linux-x86_64.sh", size=100 * MiB), False),
    p("hidden-installer", e("/tmp/install.sh", size=8 * 1024, status="deleted"), False),
]


@pytest.fixture(scope="module")
def path_check() -> PathCheck:
    return PathCheck(of_kind(RULES, "path"))


@pytest.mark.parametrize("case", PATHS)
def test_path_rule(path_check: PathCheck, case: PathCase) -> None:
    assert (case.rule in {r.id for r in path_check.match(case.entry)}) is case.fires


class MetaCase(NamedTuple):
    rule: str
    config: dict[str, Any]
    fires: bool


def m(rule: str, name: str, fires: bool = True, *, env: list[str] | None = None, labels: dict[str, str] | None = None,
      history: list[str] | None = None, cmd: list[str] | None = None, marks: Any = ()) -> Any:
    inner: dict[str, Any] = {}
    if env is not None:
        inner["Env"] = env
    if labels is not None:
        inner["Labels"] = labels
    if cmd is not None:
        inner["Cmd"] = cmd
    config: dict[str, Any] = {"config": inner, "history": [{"created_by": h} for h in history or []]}
    return pytest.param(MetaCase(rule, config, fires), marks=marks,
                        id=f"{rule}-{'fires' if fires else 'silent'}-{name}")


OFFICIAL_IMAGE_ENV = [
    "PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
    "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D", "PYTHON_VERSION=3.12.4", "PYTHON_SHA256=" + "f" * 64,
    "NODE_VERSION=20.11.0", "YARN_VERSION=1.22.19", "TOKENIZERS_PARALLELISM=false", "PASSENGER_APP_ENV=production",
    "AUTHOR=Jane Doe", "OAUTHLIB_INSECURE_TRANSPORT=0", "MYSQL_ALLOW_EMPTY_PASSWORD=yes",
    "POSTGRES_PASSWORD_FILE=/run/secrets/db", "API_KEY=${API_KEY}", "TOKEN_TTL=3600", "SECRET_KEY=",
]

METADATA = [
    m("secret-in-env", "db-password", env=["DB_PASSWORD=fake-db-pass"]),
    m("secret-in-env", "app-key", env=["APP_KEY=base64:RkFLRUZBS0VGQUtF"]),
    m("secret-in-env", "auth-token", env=["NODE_AUTH_TOKEN=fake-node-auth"]),
    m("secret-in-env", "official-images", False, env=OFFICIAL_IMAGE_ENV),
    m("secret-in-label", "api-token", labels={"com.example.api-token": "fake-label-token"}),
    m("secret-in-label", "oci-authors", False,
      labels={"org.opencontainers.image.authors": "Jane Doe <jane@example.com>", "maintainer": "Jane"}),
    m("secret-in-build-arg", "classic-builder", history=["|1 NPM_TOKEN=fake-npm-token /bin/sh -c npm ci"]),
    m("secret-in-build-arg", "buildkit", history=["RUN |1 NPM_TOKEN=fake-npm-token /bin/sh -c npm ci # buildkit"]),
    m("secret-in-build-arg", "harmless-args", False,
      history=["|2 NODE_ENV=production APP_VERSION=1.2.3 /bin/sh -c npm ci", "/bin/sh -c #(nop)  ARG NPM_TOKEN"]),
    m("secret-in-command", "curl-user", history=["/bin/sh -c curl -fsSL -u deploy:fakepass123 https://x.example.com/a"]),
    m("secret-in-command", "password-flag",
      history=["RUN /bin/sh -c mc alias set s3 https://s3 admin --password=FAKEfake0 # buildkit"]),
    m("secret-in-command", "bearer-cmd", cmd=["curl", "-H", "Authorization: Bearer fakefakefake", "https://api"]),
    m("secret-in-command", "references-and-stdin", False, history=[
        '/bin/sh -c curl -fsSL -u "$USER:$PASS" https://x.example.com/a',
        "/bin/sh -c echo \"$TOKEN\" | docker login --password-stdin -u ci registry.example.com",
        '/bin/sh -c curl -H "Authorization: Bearer $(cat /run/secrets/token)" https://api',
        "/bin/sh -c useradd -u 1000 -m app && mkdir -p /app",
    ], cmd=["python", "-m", "app", "--port", "8000"]),
]


@pytest.fixture(scope="module")
def metadata_check() -> MetadataCheck:
    return MetadataCheck(of_kind(RULES, "metadata"))


@pytest.mark.parametrize("case", METADATA)
def test_metadata_rule(metadata_check: MetadataCheck, case: MetaCase) -> None:
    matched = {rule.id for item in items(case.config) for rule in metadata_check.match(item)}
    assert (case.rule in matched) is case.fires


def _covered() -> dict[str, set[bool]]:
    seen: dict[str, set[bool]] = {}
    for table in (CONTENT, PATHS, METADATA):
        for param in table:
            case = param.values[0]
            seen.setdefault(case.rule, set()).add(case.fires)
    return seen


# Waste rules and `audit dockerfile` rules have their own checks and tests (tests/test_walk.py, tests/dockerfile).
NOT_HERE = {"waste", "dockerfile"}


def test_every_default_rule_has_cases() -> None:
    seen = _covered()
    wanted = {r.id for r in RULES if r.kind not in NOT_HERE
              and not r.source.endswith(("providers.yaml", "credentials.yaml"))}  # their own test files
    assert sorted(wanted - set(seen)) == [], "default rules without any test case"
    assert sorted(r for r in wanted if seen[r] != {True, False}) == [], "rules lacking a positive or a negative case"
    assert sorted(set(seen) - set(BY_ID)) == [], "cases for rules that do not exist"


def test_cases_use_the_right_check() -> None:
    kinds = {"content": {"secret", "regex", "assignment"}, "path": {"path"}, "metadata": {"metadata"}}
    for name, table in (("content", CONTENT), ("path", PATHS), ("metadata", METADATA)):
        for param in table:
            assert BY_ID[param.values[0].rule].kind in kinds[name], param.id


# --- false positives of real images --------------------------------------------------------------------------------

def _entries(paths: str, kind: str = "file") -> list[Entry]:
    return [e(line.strip(), kind=kind) for line in paths.strip().splitlines()]


# Entries of stock debian, ubuntu, alpine, python, node, golang and eclipse-temurin images.
CLEAN_IMAGE = _entries("""
    /etc/ssl/certs/ca-certificates.crt
    /etc/ssl/certs/ISRG_Root_X1.pem
    /etc/ssl/cert.pem
    /etc/ssl/certs/java/cacerts
    /usr/lib/ssl/cert.pem
    /usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt
    /usr/local/share/ca-certificates/corp-root.crt
    /etc/apt/trusted.gpg.d/debian-archive-bookworm-stable.asc
    /etc/apt/trusted.gpg.d/ubuntu-keyring-2018-archive.gpg
    /usr/share/keyrings/debian-archive-keyring.gpg
    /etc/apk/keys/alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub
    /var/lib/apt/lists/lock
    /var/cache/apt/archives/lock
    /var/cache/debconf/config.dat-old
    /etc/passwd-
    /etc/shadow-
    /root/.bashrc
    /root/.profile
    /etc/skel/.bash_logout
    /etc/ssh/ssh_config
    /etc/ssh/ssh_host_rsa_key.pub
    /usr/local/lib/python3.12/site-packages/certifi/cacert.pem
    /usr/local/lib/python3.12/site-packages/pip/_vendor/certifi/cacert.pem
    /usr/local/lib/python3.12/ensurepip/_bundled/pip-24.0-py3-none-any.whl
    /usr/local/lib/python3.12/test/certdata/keycert.pem
    /usr/local/lib/python3.12/test/certdata/ssl_key.pem
    /usr/lib/python3/dist-packages/cryptography/hazmat/primitives/asymmetric/rsa.py
    /usr/local/lib/node_modules/npm/node_modules/agent-base/test/ssl-cert-snakeoil.key
    /usr/local/lib/node_modules/npm/node_modules/@npmcli/config/lib/env-replace.js
    /usr/local/include/node/openssl/pem.h
    /usr/local/go/src/crypto/tls/testdata/example-key.pem
    /usr/local/go/src/crypto/x509/x509_test.go
    /opt/java/openjdk/lib/security/cacerts
    /usr/lib/jvm/java-17-openjdk-amd64/lib/security/blocked.certs
    /usr/share/doc/git/contrib/credential/netrc/test.netrc
    /usr/bin/core_perl
""") + _entries("""
    /var/lib/apt/lists/partial
    /var/lib/apt/lists/auxfiles
    /var/cache/apt/archives/partial
    /var/cache/apk
    /root/.cache
    /root/.npm
    /usr/local/lib/python3.12/site-packages/pip/_internal/vcs
    /usr/lib/git-core
""", kind="dir")


def test_clean_images_have_no_path_findings(path_check: PathCheck) -> None:
    found = {(entry.path, rule.id) for entry in CLEAN_IMAGE for rule in path_check.match(entry)}
    assert found == set()


def test_a_cache_is_one_finding_per_directory(path_check: PathCheck) -> None:
    """pip writes thousands of files; the layer lists /root/.cache/pip once, and that is the one finding."""
    layer = _entries("/root/.cache\n/root/.cache/pip\n/root/.cache/pip/http-v2\n/root/.cache/pip/wheels", kind="dir")
    layer += [e(f"/root/.cache/pip/http-v2/{i % 16:x}/{i:040x}") for i in range(3000)]
    layer += [e(f"/root/.cache/pip/wheels/{i:02x}/fake-{i}-py3-none-any.whl", status="deleted") for i in range(200)]
    found = [rule.id for entry in layer for rule in path_check.match(entry)]
    assert found == ["pip-cache"]


def test_caches_read_as_one_finding_per_layer(tmp_path: Any) -> None:
    """What a user reads for a layer that ran `apt-get update && apt-get install` and `pip install` without
    cleaning up, and a later layer that removes the lists: one finding per cache and layer, not one per file."""
    from auditor.audit import audit
    from auditor.sources import open_image
    from testing import imagekit as kit

    lists, debs = "/var/lib/apt/lists", "/var/cache/apt/archives"
    base = [kit.Dir("/var"), kit.Dir("/var/lib"), kit.Dir("/var/lib/apt"), kit.Dir(lists), kit.Dir(f"{lists}/partial"),
            kit.File(f"{lists}/lock"), kit.Dir("/var/cache"), kit.Dir("/var/cache/apt"), kit.Dir(debs),
            kit.Dir(f"{debs}/partial"), kit.File(f"{debs}/lock"), kit.Dir("/root")]
    index = [f"{lists}/deb.debian.org_debian_dists_bookworm{suite}_{name}"
             for suite in ("", "-updates") for name in ("InRelease", "main_binary-amd64_Packages.lz4")]
    install = [kit.Dir(lists), kit.Dir(debs), kit.Dir("/root/.cache"), kit.Dir("/root/.cache/pip"),
               kit.Dir("/root/.cache/pip/http-v2")]
    install += [kit.File(path, b"x" * 1000) for path in index]
    install += [kit.File(f"{debs}/pkg{i}_1.0_amd64.deb", b"d" * 100) for i in range(40)]
    install += [kit.File(f"/root/.cache/pip/http-v2/{i:040x}", b"p") for i in range(300)]
    cleanup = [kit.Dir(lists), *[kit.Whiteout(path) for path in index]]
    archive = tmp_path / "image.tar"
    kit.write_docker_archive(archive, kit.ImageSpec(layers=[base, install, cleanup]))
    with open_image(str(archive)) as image:
        report, _ = audit(image, RULES)
    caches = {"apt-lists", "apt-archives", "pip-cache"}
    found = sorted((f.rule, f.layer, f.status.value, f.path) for f in report.findings if f.rule in caches)
    assert found == [
        ("apt-archives", 1, "visible", debs),
        ("apt-lists", 1, "deleted", lists),
        ("pip-cache", 1, "visible", "/root/.cache/pip"),
    ]
    lists_finding = next(f for f in report.findings if f.rule == "apt-lists")
    assert "4 file(s), 4000 bytes" in lists_finding.message


# Text that packages and tools put in every image: hashes, UUIDs, checksums, certificates, lock files.
CLEAN_CONTENT = {
    "/var/lib/dpkg/info/libssl3.md5sums": "".join(f"{i:032x}  usr/lib/x86_64-linux-gnu/lib{i}.so\n" for i in range(20)),
    "/usr/local/lib/python3.12/site-packages/pip-24.0.dist-info/RECORD":
        "pip/__init__.py,sha256=" + "Aa0_" * 10 + "xyz,357\npip/__main__.py,sha256=" + "Bb1-" * 10 + "abc,854\n",
    "/etc/machine-id": "0123456789abcdef0123456789abcdef\n",
    "/app/package-lock.json": json.dumps({"packages": {"node_modules/x": {
        "resolved": "https://registry.npmjs.org/x/-/x-1.0.0.tgz",
        "integrity": "sha512-" + "Zm9yIHRlc3RzIG9ubHk" * 4}}}, indent=2),
    "/app/requirements.txt": "flask==3.0.0 --hash=sha256:" + "ab" * 32 + "\n",
    "/etc/ssl/certs/ca-certificates.crt":
        "-----BEGIN CERTIFICATE-----\nMIIFazCCA1OgAwIBAgIR\n-----END CERTIFICATE-----\n",
    "/etc/ssh/ssh_host_ed25519_key.pub":
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKEFAKEFAKEFAKEFAKEFAKE root@buildkitsandbox\n",
    "/app/uuids.json": json.dumps({"id": "123e4567-e89b-12d3-a456-426614174000", "request_id": "9b2f" * 8}),
    "/etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nHOME_URL="https://www.debian.org/"\n',
}


@pytest.mark.parametrize("path", sorted(CLEAN_CONTENT))
def test_clean_content_has_no_findings_above_info(scanner: Scanner, path: str) -> None:
    hits = scanner.scan_file(path, CLEAN_CONTENT[path].encode("utf-8"))
    assert [(h.rule, h.line) for h in hits if BY_ID[h.rule].severity is not Severity.INFO] == []


def _packs() -> dict[str, list[Rule]]:
    out: dict[str, list[Rule]] = {}
    for rule in RULES:
        out.setdefault(rule.source.rsplit("/", 1)[-1], []).append(rule)
    return out


def test_generic_heuristics_never_fail_a_build() -> None:
    """High-entropy strings and public IPs are leads to check, not findings: they stay at info."""
    for rule_id in ("ds-high-entropy-base64", "ds-high-entropy-hex", "ds-public-ip"):
        assert BY_ID[rule_id].severity is Severity.INFO
    assert {r.severity for r in RULES if r.kind == "waste"} == {Severity.LOW}


def test_each_pack_is_valid_on_its_own() -> None:
    for name, rules in _packs().items():
        assert rules, name
        assert load_rules([rules[0].source]) == rules


def test_regex_rules_stay_linear_on_minified_lines() -> None:
    """A minified bundle with thousands of URLs, keys and separators: ten times the line, about ten times
    the work (a quadratic pattern would take a hundred). (A line-wide lookahead in npm-access-token once
    took minutes on a 1 MB line.)"""
    from auditor.checks.regex import RegexCheck
    from testing.worstcase import growth

    chunk = ('u="https://cdn.example.com/a/b?sv=2020-01-01&x=1";k={"private_key":"x"};t="npm_x Q~ xapp- xoxe- '
             'dckr_ github_pat_ whsec_ SharedAccessKey= sig= _authToken=";')
    check = RegexCheck(of_kind(RULES, "regex"))

    def scan(size: int) -> None:
        line = (chunk * (size // len(chunk) + 1))[:size] + "\n"
        check.scan_file("/app/static/bundle.min.js", line.encode())
        check.scan_file("/root/.npmrc", line.encode())

    assert growth(scan) < 30
