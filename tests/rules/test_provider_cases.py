"""rules/providers.yaml: every provider rule fires on a realistic leak and stays silent on a look-alike.

Each rule gets a fake value of its provider's published shape, put in a realistic file (an .env line, a YAML
or JSON config value, a JS or Python assignment, or the file the format lives in), and a look-alike: the same
line with the value cut short, a documented placeholder, or the prefix in prose. Values are assembled at import
time from a seeded generator and j(...) pieces, so no literal in this file looks like a token.

The cases run through the same `Scanner` as tests/rules/test_rule_cases.py, with every default rule loaded,
so a value another rule (a detect-secrets plugin, rules/tokens.yaml) already reports shows up as a double
report here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest

from auditor.audit import Scanner
from auditor.rules import default_pack_paths, load_rules
from testing.tokens import draw, j

RULES = load_rules(default_pack_paths())
BY_ID = {r.id: r for r in RULES}
PROVIDER_RULES = {r.id for r in RULES if r.source.endswith("providers.yaml")}
RNG = random.Random(1104)

A62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
LETTERS = A62[:52]
HEX = "0123456789abcdef"
UHEX = "0123456789ABCDEF"
B64U = A62 + "_-"
B64 = A62 + "+/"
UP36 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
LOW36 = "abcdefghijklmnopqrstuvwxyz0123456789"
DIGITS = "0123456789"
BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"


def r(alphabet: str, n: int) -> str:
    return draw(RNG, alphabet, n)


def uuid() -> str:
    return "-".join(r(HEX, n) for n in (8, 4, 4, 4, 12))


def b64json(data: dict[str, str]) -> str:
    return base64.b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


class Case(NamedTuple):
    rule: str
    path: str
    text: str
    fires: bool


CASES: list[Any] = []


def case(rule: str, path: str, text: str, fires: bool, why: str) -> None:
    CASES.append(pytest.param(Case(rule, path, text, fires), id=f"{rule}-{'fires' if fires else 'silent'}-{why}"))


def camel(name: str) -> str:
    first, *rest = name.lower().split("_")
    return first + "".join(p.title() for p in rest)


STYLES = [
    ("env", "/app/.env", lambda n, v: f"# production settings\n{n}={v}\nLOG_LEVEL=info\n"),
    ("yaml", "/app/config/settings.yaml", lambda n, v: f"service:\n  name: api\n  {n.lower()}: {v}\n"),
    ("json", "/app/config/credentials.json", lambda n, v: json.dumps({"region": "eu-west-1", n.lower(): v}, indent=2)),
    ("js", "/app/src/client.js", lambda n, v: f'import {{ Client }} from "sdk";\nconst {camel(n)} = "{v}";\n'),
    ("py", "/app/app/settings.py", lambda n, v: f'import os\n\n{n} = "{v}"\nDEBUG = False\n'),
]


def grafana_sa(secret: str, _drawn: str) -> str:
    """glsa_<secret>_<CRC32-IEEE of glsa_<secret>, little-endian, hex> (the drawn checksum is discarded,
    so the generator's sequence, and every later fake, stays the same)."""
    head = j("gl", "sa_", secret)
    return j(head, "_", binascii.crc32(head.encode()).to_bytes(4, "little").hex())


def age_identity(drawn: str) -> str:
    """A well-formed age identity (Bech32, BIP 173) holding 32 bytes derived from the drawn characters."""
    bits = "".join(f"{b:08b}" for b in hashlib.sha256(drawn.encode()).digest()) + "0000"
    data = [int(bits[i:i + 5], 2) for i in range(0, 260, 5)]
    hrp = "age-secret-key-"
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    check = 1
    for value in [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + data + [0] * 6:
        top, check = check >> 25, (check & 0x1FFFFFF) << 5 ^ value
        for i, g in enumerate(gen):
            check ^= g if top >> i & 1 else 0
    polymod = check ^ 1
    data += [polymod >> 5 * (5 - i) & 31 for i in range(6)]
    return j("AGE-SECRET", "-KEY-1", "".join(BECH32[d] for d in data))


def token(rule: str, name: str, value: str, negative: str | None = None) -> None:
    """A positive in one of the STYLES (rotating), and a negative: `negative`, or the value cut in half."""
    style, path, render = STYLES[len(CASES) // 2 % len(STYLES)]
    case(rule, path, render(name, value), True, style)
    case(rule, path, render(name, negative if negative is not None else value[: len(value) // 2]), False, "look-alike")


def explicit(rule: str, path: str, positive: str, negative: str, npath: str | None = None) -> None:
    case(rule, path, positive, True, path.rsplit("/", 1)[-1])
    case(rule, npath or path, negative, False, "look-alike")


# --- AI and ML platforms -------------------------------------------------------------------------------------
token("anthropic-api-key", "ANTHROPIC_API_KEY", j("sk-ant-", "api03-", r(B64U, 93), "AA"))
token("anthropic-admin-key", "ANTHROPIC_ADMIN_KEY", j("sk-ant-", "admin01-", r(B64U, 93), "AA"),
      j("sk-ant-", "admin01-", r(B64U, 93), "BA"))  # the published shape ends in AA
token("huggingface-access-token", "HF_TOKEN", j("h", "f_", r(LETTERS, 34)), j("h", "f_", "x" * 34))
token("huggingface-org-api-token", "HUGGINGFACE_ORG_TOKEN", j("api_", "org_", r(LETTERS, 34)),
      j("api_", "org_", r(LETTERS, 30), "1234"))  # digits are outside the alphabet
token("groq-api-key", "GROQ_API_KEY", j("gs", "k_", r(A62, 52)))
token("perplexity-api-key", "PERPLEXITY_API_KEY", j("pp", "lx-", r(A62, 48)))
token("xai-api-key", "XAI_API_KEY", j("xa", "i-", r(A62, 80)))
token("replicate-api-token", "REPLICATE_API_TOKEN", j("r8", "_", r(A62, 37)))
token("openrouter-api-key", "OPENROUTER_API_KEY", j("sk-or", "-v1-", r(HEX, 64)))
token("langsmith-api-key", "LANGSMITH_API_KEY", j("lsv2", "_pt_", r(HEX, 32), "_", r(HEX, 10)))
token("langfuse-secret-key", "LANGFUSE_SECRET_KEY", j("sk-", "lf-", uuid()), j("pk-", "lf-", uuid()))  # public key
token("pinecone-api-key", "PINECONE_API_KEY", j("pc", "sk_", r(A62, 5), "_", r(A62, 64)))
token("cohere-api-key", "COHERE_API_KEY", r(A62, 40))
token("mistral-api-key", "MISTRAL_API_KEY", r(A62, 32))
token("deepseek-api-key", "DEEPSEEK_API_KEY", j("sk-", r(HEX, 32)))
token("wandb-api-key", "WANDB_API_KEY", r(HEX, 40))
token("together-api-key", "TOGETHER_API_KEY", j("tgp", "_v1_", r(B64U, 43)))
token("elevenlabs-api-key", "ELEVENLABS_API_KEY", j("sk", "_", r(HEX, 48)))
token("assemblyai-api-key", "ASSEMBLYAI_API_KEY", r(HEX, 32))
token("deepgram-api-key", "DEEPGRAM_API_KEY", r(HEX, 40))
token("fireworks-api-key", "FIREWORKS_API_KEY", j("fw", "_", r(A62, 24)))
token("azure-openai-api-key", "AZURE_OPENAI_API_KEY", r(HEX, 32))
token("stability-api-key", "STABILITY_API_KEY", j("sk", "-", r(A62, 48)))

# --- cloud platforms -----------------------------------------------------------------------------------------
token("aws-bedrock-api-key", "BEDROCK_API_KEY",
      j("ABSK", base64.b64encode(
          j("Bedrock", "APIKey-", r(LOW36, 4), "-at-", r(DIGITS, 12), ":", r(B64, 60)).encode()).decode()))
token("google-api-key", "GOOGLE_MAPS_API_KEY", j("AI", "za", r(B64U, 35)))
token("google-oauth-client-secret", "GOOGLE_CLIENT_SECRET", j("GOCSPX", "-", r(B64U, 28)))
token("google-oauth-refresh-token", "GOOGLE_REFRESH_TOKEN", j("1/", "/0", r(B64U, 100)), j("1/", "/0", r(B64U, 20)))
token("google-oauth-access-token", "GOOGLE_ACCESS_TOKEN", j("ya", "29.", r(B64U, 160)), j("ya", "29.", r(B64U, 30)))
token("firebase-cloud-messaging-server-key", "FCM_SERVER_KEY", j("AAAA", r(B64U, 7), ":APA91b", r(B64U, 134)))
token("azure-devops-pat", "AZURE_DEVOPS_EXT_PAT", r("abcdefghijklmnopqrstuvwxyz234567", 52))
explicit("azure-app-configuration-secret", "/app/appsettings.json",
         json.dumps({"ConnectionStrings": {"AppConfig": j("Endpoint=https://shop-config.azconfig.io;Id=",
                                                         r(A62, 4), "-l0-s0:",
                                                         r(A62, 20), ";Secret=", r(B64, 43), "=")}}),
         json.dumps({"ConnectionStrings": {"AppConfig": "Endpoint=https://shop-config.azconfig.io;Id=<id>;Secret=<secret>"}}))
explicit("azure-signalr-access-key", "/app/appsettings.json",
         json.dumps({"Azure": {"SignalR": {"ConnectionString": j("Endpoint=https://chat.service.signalr.net;AccessKey=",
                                                                 r(B64, 43), "=;Version=1.0;")}}}),
         json.dumps({"Azure": {"SignalR": {"ConnectionString": "Endpoint=https://chat.service.signalr.net;AccessKey=<key>;"}}}))
token("azure-cognitive-services-key", "AZURE_SPEECH_KEY", r(HEX, 32))
token("alibaba-access-key-id", "ALIBABA_CLOUD_ACCESS_KEY_ID", j("LT", "AI", r(A62, 20)))
token("alibaba-access-key-secret", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", r(A62, 30))
token("tencent-cloud-secret-id", "TENCENTCLOUD_SECRET_ID", j("AK", "ID", r(A62, 32)))
token("tencent-cloud-secret-key", "TENCENTCLOUD_SECRET_KEY", r(A62, 32))
token("huawei-cloud-secret-key", "HUAWEICLOUD_SDK_SK", r(A62, 40))
token("digitalocean-personal-access-token", "DIGITALOCEAN_ACCESS_TOKEN", j("dop", "_v1_", r(HEX, 64)))
token("digitalocean-oauth-token", "DO_OAUTH_TOKEN", j("doo", "_v1_", r(HEX, 64)))
token("digitalocean-refresh-token", "DO_REFRESH_TOKEN", j("dor", "_v1_", r(HEX, 64)))
token("digitalocean-spaces-secret-key", "SPACES_SECRET_ACCESS_KEY", r(B64, 43))
token("linode-api-token", "LINODE_TOKEN", r(HEX, 64))
token("vultr-api-key", "VULTR_API_KEY", r(UP36, 36))
token("hetzner-cloud-api-token", "HCLOUD_TOKEN", r(A62, 64))
token("scaleway-secret-key", "SCW_SECRET_KEY", uuid())
token("ovh-application-secret", "OVH_APPLICATION_SECRET", r(A62, 32))
token("yandex-cloud-api-key", "YC_API_KEY", j("AQ", "VN", r(B64U, 36)))
token("yandex-cloud-static-key-id", "AWS_ACCESS_KEY_ID", j("YC", "AJ", r(B64U, 21)))
token("cloudflare-api-token", "CLOUDFLARE_API_TOKEN", r(B64U, 40))
token("cloudflare-global-api-key", "CLOUDFLARE_API_KEY", r(HEX, 37))
token("cloudflare-origin-ca-key", "CF_ORIGIN_CA_KEY", j("v1", ".0-", r(HEX, 24), "-", r(HEX, 146)))
explicit("cloudflare-tunnel-token", "/app/docker-entrypoint.sh",
         j("#!/bin/sh\nexec cloudflared tunnel --no-autoupdate run --token ",
           b64json({"a": r(HEX, 32), "t": uuid(), "s": base64.b64encode(r(A62, 32).encode()).decode()}), "\n"),
         "#!/bin/sh\nexec cloudflared tunnel --no-autoupdate run --token \"$TUNNEL_TOKEN\"\n")
token("fastly-api-token", "FASTLY_API_TOKEN", r(B64U, 32))
token("akamai-edgegrid-token", "client_token", j("ak", "ab-", r(LOW36, 16), "-", r(LOW36, 16)))
token("heroku-api-key", "HEROKU_API_KEY", j("HRKU", "-AA", r(B64U, 58)))
token("heroku-api-key-legacy", "HEROKU_API_KEY", uuid(), "00000000-0000-0000-0000-000000000000")
token("flyio-access-token", "FLY_API_TOKEN", j("fo", "1_", r(B64U, 43)))
explicit("flyio-macaroon-token", "/app/.github/deploy.env", j("FLY_API_TOKEN=Fly", "V1 fm2_", r(B64, 300), "==\n"),
         "FLY_API_TOKEN=FlyV1 fm2_...\n")
token("netlify-access-token", "NETLIFY_AUTH_TOKEN", j("nf", "p_", r(A62, 36)))
token("vercel-access-token", "VERCEL_TOKEN", r(A62, 24))
token("render-api-key", "RENDER_API_KEY", j("rn", "d_", r(A62, 32)))
token("railway-token", "RAILWAY_TOKEN", uuid())
token("supabase-access-token", "SUPABASE_ACCESS_TOKEN", j("sb", "p_", r(HEX, 40)))
token("supabase-secret-key", "SUPABASE_SECRET_KEY", j("sb_", "secret_", r(B64U, 32)),
      j("sb_", "publishable_", r(B64U, 32)))  # the publishable key ships in clients
token("databricks-access-token", "DATABRICKS_TOKEN", j("da", "pi", r(HEX, 32), "-2"))
token("databricks-oauth-secret", "DATABRICKS_CLIENT_SECRET", j("do", "se", r(HEX, 32)))

# --- databases and data services -----------------------------------------------------------------------------
token("planetscale-service-token", "PLANETSCALE_SERVICE_TOKEN", j("pscale", "_tkn_", r(B64U, 43)))
token("planetscale-password", "DATABASE_PASSWORD", j("pscale", "_pw_", r(B64U, 43)))
token("planetscale-oauth-token", "PLANETSCALE_OAUTH_TOKEN", j("pscale", "_oauth_", r(B64U, 40)))
token("neon-api-key", "NEON_API_KEY", j("na", "pi_", r(LOW36, 64)))
token("mongodb-atlas-private-key", "MONGODB_ATLAS_PRIVATE_KEY", uuid())
token("upstash-redis-rest-token", "UPSTASH_REDIS_REST_TOKEN", j("AX", r(B64U, 60)), "********")
token("xata-api-key", "XATA_API_KEY", j("xa", "u_", r(A62, 40)))
token("fauna-secret", "FAUNA_SECRET", j("fn", r(B64U, 38)))
token("algolia-admin-api-key", "ALGOLIA_ADMIN_KEY", r(HEX, 32))
token("confluent-cloud-api-secret", "CONFLUENT_CLOUD_API_SECRET", r(B64, 64))
token("elastic-api-key", "ELASTIC_API_KEY", base64.b64encode(j(r(B64U, 20), ":", r(B64U, 22)).encode()).decode())

# --- connection strings --------------------------------------------------------------------------------------
DB_PW = r(A62, 20)
explicit("redis-uri-password", "/app/.env", f"REDIS_URL=rediss://:{DB_PW}@cache.internal.example.net:6380/0\n",
         "REDIS_URL=redis://:${REDIS_PASSWORD}@cache:6379/0\n")
explicit("redis-requirepass", "/etc/redis/redis.conf", f"bind 0.0.0.0\nport 6379\nrequirepass {DB_PW}\n",
         "bind 127.0.0.1\n# requirepass foobared\nappendonly yes\n")
explicit("jdbc-url-password", "/app/config/application.properties",
         f"spring.datasource.url=jdbc:postgresql://db.internal:5432/shop?user=shop&password={DB_PW}&ssl=true\n",
         "spring.datasource.url=jdbc:postgresql://db.internal:5432/shop?user=shop&password=${DB_PASSWORD}\n")
explicit("jdbc-oracle-thin-password", "/app/config/application.properties",
         f"db.url=jdbc:oracle:thin:shop/{DB_PW}@//ora.internal:1521/ORCLPDB1\n",
         "db.url=jdbc:oracle:thin:@//ora.internal:1521/ORCLPDB1\n")
explicit("connection-string-password", "/app/appsettings.json",
         json.dumps({"ConnectionStrings": {"Default": f"Server=tcp:shop.database.windows.net,1433;Initial Catalog=shop;"
                                                      f"User Id=shop;Password={DB_PW};Encrypt=True;"}}),
         json.dumps({"ConnectionStrings": {"Default": "Server=localhost;Database=shop;"
                                                      "User Id=sa;Password=<password>;"}}))

# --- code hosting, CI/CD and developer tools -----------------------------------------------------------------
token("gitlab-feature-flags-client-token", "UNLEASH_INSTANCE_ID", j("glff", "ct-", r(B64U, 20)))
explicit("gitlab-session-cookie", "/app/scripts/export.sh",
         j("curl -s -b '_gitlab", "_session=", r(HEX, 32), "' https://gitlab.example.com/api/v4/projects\n"),
         "curl -s -b \"_gitlab_session=$SESSION\" https://gitlab.example.com/api/v4/projects\n")
token("github-oauth-client-secret", "GITHUB_CLIENT_SECRET", r(HEX, 40))
token("atlassian-api-token", "JIRA_API_TOKEN", j("ATATT", "3xFfGF0", r(B64U, 170), "=", r(UHEX, 8)))
token("bitbucket-access-token", "BITBUCKET_ACCESS_TOKEN", j("ATCTT", "3xFfGN0", r(B64U, 170), "=", r(UHEX, 8)))
token("bitbucket-app-password", "BITBUCKET_APP_PASSWORD", j("AT", "BB", r(A62, 24), r(UHEX, 8)))
token("bitbucket-datacenter-http-token", "BITBUCKET_TOKEN", j("BB", "DC-", r(B64, 44)))
token("atlassian-datacenter-pat", "JIRA_PAT", r(B64, 44))
token("trello-api-token", "TRELLO_TOKEN", j("AT", "TA", r(HEX, 64), r(UHEX, 8)))
token("sourcegraph-access-token", "SRC_ACCESS_TOKEN", j("sg", "p_", r(HEX, 16), "_", r(HEX, 40)))
token("circleci-personal-token", "CIRCLECI_TOKEN", j("CCIP", "AT_", r(A62, 22), "_", r(HEX, 40)))
token("circleci-project-token", "CIRCLE_PROJECT_TOKEN", j("CCIP", "RJ_", r(A62, 22), "_", r(HEX, 40)))
token("travis-ci-token", "TRAVIS_API_TOKEN", r(B64U, 22))
token("buildkite-api-token", "BUILDKITE_API_TOKEN", j("bk", "ua_", r(HEX, 40)))
token("buildkite-agent-token", "BUILDKITE_AGENT_TOKEN", r(LOW36, 50))
token("codecov-upload-token", "CODECOV_TOKEN", uuid())
token("coveralls-repo-token", "COVERALLS_REPO_TOKEN", r(A62, 33))
token("snyk-api-token", "SNYK_TOKEN", uuid())
token("sonarqube-user-token", "SONAR_TOKEN", j("sq", "u_", r(HEX, 40)))
token("sonarqube-project-analysis-token", "SONAR_TOKEN", j("sq", "p_", r(HEX, 40)))
token("sonarqube-global-analysis-token", "SONAR_TOKEN", j("sq", "a_", r(HEX, 40)))
token("sonarcloud-token", "SONARCLOUD_TOKEN", r(HEX, 40))
token("jfrog-reference-token", "JFROG_ACCESS_TOKEN", j("cmVmdGtu", "OjAxOj", r(A62, 50)))
token("quay-robot-token", "QUAY_ROBOT_TOKEN", r(UP36, 64))
token("postman-api-key", "POSTMAN_API_KEY", j("PM", "AK-", r(HEX, 24), "-", r(HEX, 34)))
token("linear-api-key", "LINEAR_API_KEY", j("lin", "_api_", r(A62, 40)))
token("linear-oauth-token", "LINEAR_OAUTH_TOKEN", j("lin", "_oauth_", r(HEX, 64)))
token("figma-personal-access-token", "FIGMA_TOKEN", j("fi", "gd_", r(B64U, 40)))
token("expo-access-token", "EXPO_TOKEN", r(B64U, 40))
token("infracost-api-key", "INFRACOST_API_KEY", j("ic", "o-", r(A62, 32)))
token("readme-api-key", "README_API_KEY", j("rd", "me_", r(LOW36, 70)))
token("prefect-api-key", "PREFECT_API_KEY", j("pn", "u_", r(A62, 36)))
token("prefect-service-account-key", "PREFECT_API_KEY", j("pn", "b_", r(A62, 36)))
token("scalingo-api-token", "SCALINGO_API_TOKEN", j("tk", "-us-", r(B64U, 48)))
token("frameio-developer-token", "FRAMEIO_TOKEN", j("fio", "-u-", r(B64U, 64)))
token("adafruit-io-key", "ADAFRUIT_IO_KEY", j("ai", "o_", r(A62, 28)))
token("typeform-personal-access-token", "TYPEFORM_TOKEN", j("tf", "p_", r(B64U, 44), "_", r(B64U, 14)))
token("contentful-management-token", "CONTENTFUL_MANAGEMENT_TOKEN", j("CF", "PAT-", r(B64U, 43)))
token("contentful-delivery-token", "CONTENTFUL_DELIVERY_TOKEN", r(B64U, 43))
token("sanity-api-token", "SANITY_API_TOKEN", j("sk", r(A62, 180)), j("sk", r(A62, 40)))
token("hex-api-key", "HEX_API_KEY", r(HEX, 32))
token("gradle-plugin-portal-secret", "GRADLE_PUBLISH_SECRET", r(A62, 32))
token("cloudsmith-api-key", "CLOUDSMITH_API_KEY", r(HEX, 40))

# --- package registries --------------------------------------------------------------------------------------
token("rubygems-api-key", "GEM_HOST_API_KEY", j("ruby", "gems_", r(HEX, 48)))
token("crates-io-api-token", "CARGO_REGISTRY_TOKEN", j("ci", "o", r(A62, 32)))
token("nuget-api-key", "NUGET_API_KEY", j("oy", "2", r(LOW36, 43)))
token("clojars-deploy-token", "CLOJARS_PASSWORD", j("CLOJARS", "_", r(HEX, 60)))

# --- secrets managers, identity and access -------------------------------------------------------------------
token("vault-service-token", "VAULT_TOKEN", j("hv", "s.", r(B64U, 90)), j("hv", "s.", r(B64U, 12)))
token("vault-batch-token", "VAULT_TOKEN", j("hv", "b.", r(B64U, 140)))
token("vault-recovery-token", "VAULT_RECOVERY_TOKEN", j("hv", "r.", r(B64U, 24)))
token("terraform-cloud-token", "TFE_TOKEN", j(r(A62, 14), ".atlas", "v1.", r(B64U, 67)))
token("hcp-client-secret", "HCP_CLIENT_SECRET", r(B64U, 64))
token("pulumi-access-token", "PULUMI_ACCESS_TOKEN", j("pu", "l-", r(HEX, 40)))
token("doppler-personal-token", "DOPPLER_TOKEN", j("dp", ".pt.", r(A62, 40)))
token("doppler-cli-token", "DOPPLER_TOKEN", j("dp", ".ct.", r(A62, 40)))
token("doppler-service-account-token", "DOPPLER_TOKEN", j("dp", ".sa.", r(A62, 40)))
token("doppler-scim-token", "DOPPLER_SCIM_TOKEN", j("dp", ".scim.", r(A62, 40)))
token("doppler-audit-token", "DOPPLER_AUDIT_TOKEN", j("dp", ".audit.", r(A62, 40)))
token("doppler-service-token", "DOPPLER_TOKEN", j("dp", ".st.", "prd.", r(A62, 40)))
token("1password-service-account-token", "OP_SERVICE_ACCOUNT_TOKEN",
      j("op", "s_", b64json({"signInAddress": "my.1password.com", "userAuth": {"method": "SRPg-4096"},  # type: ignore[dict-item]
                              "email": r(LOW36, 12) + "@1passwordserviceaccounts.com", "srpX": r(HEX, 64),
                              "muk": {"alg": "A256GCM", "k": r(B64U, 43)}})),  # type: ignore[dict-item]
      j("op", "s_eyJ", r(B64, 40)))
token("1password-secret-key", "OP_SECRET_KEY",
      "-".join([j("A", "3"), r(UP36, 6), r(UP36, 6), r(UP36, 5), r(UP36, 5), r(UP36, 5), r(UP36, 5)]))
token("bitwarden-access-token", "BWS_ACCESS_TOKEN", j("0", ".", uuid(), ".", r(A62, 30), ":", r(B64, 22), "=="))
token("age-secret-key", "SOPS_AGE_KEY", age_identity(r(BECH32, 58)))
explicit("kubeconfig-client-key", "/root/.kube/config",
         j("users:\n- name: admin\n  user:\n    client-certificate-data: ", r(B64, 80), "\n    client-key-data: ",
           base64.b64encode(j("-----BEGIN RSA ", "PRIVATE KEY-----\n", r(B64, 200)).encode()).decode(), "\n"),
         "users:\n- name: admin\n  user:\n    client-key-data: REDACTED\n")
explicit("kubeadm-bootstrap-token", "/opt/bootstrap/join.sh",
         j("kubeadm join 10.0.0.10:6443 --token ", r(LOW36, 6), ".", r(LOW36, 16),
           " --discovery-token-ca-cert-hash sha256:", r(HEX, 64), "\n"),
         j("kubeadm join 10.0.0.10:6443 --token ", "abcdef.", "0123456789abcdef",
           " --discovery-token-unsafe-skip-ca-verification\n"))
explicit("wireguard-private-key", "/etc/wireguard/wg0.conf",
         j("[Interface]\nAddress = 10.8.0.2/24\nPrivateKey = ", r(B64, 42),
           "A=\n\n[Peer]\nPublicKey = ", r(B64, 42), "E=\n"),
         "[Interface]\nAddress = 10.8.0.2/24\nPrivateKey = <client-private-key>\n")
explicit("okta-api-token", "/app/scripts/users.sh",
         j("curl -H 'Authorization: SSWS ", "00", r(B64U, 40), "' https://acme.okta.com/api/v1/users\n"),
         'curl -H "Authorization: SSWS ${OKTA_API_TOKEN}" https://acme.okta.com/api/v1/users\n')
token("auth0-client-secret", "AUTH0_CLIENT_SECRET", r(B64U, 64))
token("onelogin-client-secret", "ONELOGIN_CLIENT_SECRET", r(HEX, 64))
token("stytch-secret", "STYTCH_SECRET", j("secret", "-live-", r(B64U, 40)), j("secret", "-test-", r(B64U, 40)))
for kind in ("auth", "api", "client", "scim", "webhook"):
    rule_id = {"auth": "tailscale-auth-key", "api": "tailscale-api-access-token",
               "client": "tailscale-oauth-client-secret",
               "scim": "tailscale-scim-key", "webhook": "tailscale-webhook-secret"}[kind]
    token(rule_id, "TS_AUTHKEY", j("tskey", f"-{kind}-", r(A62, 7), "CNTRL-", r(A62, 33)),
          j("tskey", f"-{kind}-", "XXXXXX"))  # as the docs write it
token("ngrok-authtoken", "NGROK_AUTHTOKEN", j(r(A62, 27), "_", r(A62, 22)))

# --- productivity, CRM and content SaaS ----------------------------------------------------------------------
token("notion-integration-token", "NOTION_TOKEN", j("nt", "n_", r(DIGITS, 11), r(A62, 35)))
token("notion-integration-token-legacy", "NOTION_API_KEY", j("sec", "ret_", r(A62, 43)))
token("asana-personal-access-token", "ASANA_ACCESS_TOKEN", j("2/", r(DIGITS, 16), "/", r(DIGITS, 16), ":", r(HEX, 32)))
token("airtable-personal-access-token", "AIRTABLE_TOKEN", j("pa", "t", r(A62, 14), ".", r(HEX, 64)))
token("airtable-api-key-legacy", "AIRTABLE_API_KEY", j("ke", "y", r(A62, 14)))
token("clickup-api-token", "CLICKUP_API_TOKEN", j("pk", "_", r(DIGITS, 8), "_", r(UP36, 32)))
token("todoist-api-token", "TODOIST_API_TOKEN", r(HEX, 40))
token("dropbox-short-lived-token", "DROPBOX_ACCESS_TOKEN", j("s", "l.", r(B64U, 140)))
token("dropbox-long-lived-token", "DROPBOX_ACCESS_TOKEN", j(r(A62, 11), "AAAAAAAAAA", r(B64U, 43)))
token("box-developer-token", "BOX_DEVELOPER_TOKEN", r(A62, 32))
token("zoom-client-secret", "ZOOM_CLIENT_SECRET", r(A62, 32))
token("smartsheet-access-token", "SMARTSHEET_ACCESS_TOKEN", r(A62, 37))
token("hubspot-private-app-token", "HUBSPOT_ACCESS_TOKEN", j("pa", "t-na1-", uuid()))
token("hubspot-api-key-legacy", "HUBSPOT_API_KEY", uuid())
explicit("salesforce-access-token", "/app/scripts/sf.sh",
         j("curl https://acme.my.salesforce.com/services/data/v60.0/ -H 'Authorization: Bearer ",
           "00D", r(A62, 15), "!", r(A62 + "._", 96), "'\n"),
         "curl https://acme.my.salesforce.com/services/data/v60.0/ -H \"Authorization: Bearer $SF_TOKEN\"\n")
token("zendesk-api-token", "ZENDESK_API_TOKEN", r(A62, 40))
token("intercom-access-token", "INTERCOM_ACCESS_TOKEN",
      base64.b64encode(j("tok", ":", uuid(), ":", r(DIGITS, 1), ":", r(DIGITS, 1)).encode()).decode().rstrip("="))
token("segment-public-api-token", "SEGMENT_PUBLIC_API_TOKEN", j("sg", "p_", r(A62, 64)))
token("segment-write-key", "SEGMENT_WRITE_KEY", r(A62, 32))
token("launchdarkly-api-token", "LAUNCHDARKLY_ACCESS_TOKEN", j("ap", "i-", uuid()))
token("launchdarkly-sdk-key", "LAUNCHDARKLY_SDK_KEY", j("sd", "k-", uuid()), j("mo", "b-", uuid()))  # mobile key
token("beamer-api-key", "BEAMER_API_KEY", j("b", "_", r(B64U, 44)))
token("storyblok-access-token", "STORYBLOK_TOKEN", r(A62, 24))

# --- payments and commerce -----------------------------------------------------------------------------------
for rule_id, prefix in (("shopify-access-token", "at"), ("shopify-custom-app-token", "ca"),
                        ("shopify-private-app-token", "pa"), ("shopify-shared-secret", "ss")):
    token(rule_id, "SHOPIFY_ACCESS_TOKEN", j("shp", prefix, "_", r(HEX, 32)))
token("square-access-token", "SQUARE_ACCESS_TOKEN", j("EA", "AA", r(B64U, 60)))
token("square-access-token-legacy", "SQUARE_ACCESS_TOKEN", j("sq0", "atp-", r(B64U, 22)))
token("braintree-access-token", "BRAINTREE_ACCESS_TOKEN",
      j("access_token$", "production$", r(LOW36, 16), "$", r(HEX, 32)),
      j("access_token$", "sandbox$", r(LOW36, 16), "$", r(HEX, 32)))
token("paypal-client-secret", "PAYPAL_CLIENT_SECRET", r(B64U, 80))
token("adyen-api-key", "ADYEN_API_KEY", j("AQE", r(B64, 120)))
token("razorpay-key-id", "RAZORPAY_KEY_ID", j("rzp", "_live_", r(A62, 14)), j("rzp", "_test_", r(A62, 14)))
token("razorpay-key-secret", "RAZORPAY_KEY_SECRET", r(A62, 24))
token("flutterwave-secret-key", "FLW_SECRET_KEY", j("FLW", "SECK-", r(HEX, 32), "-X"),
      j("FLW", "SECK_TEST-", r(HEX, 32), "-X"))
token("mollie-api-key", "MOLLIE_API_KEY", j("li", "ve_", r(A62, 30)), j("te", "st_", r(A62, 30)))
token("lob-api-key", "LOB_API_KEY", j("li", "ve_", r(HEX, 35)))
token("plaid-access-token", "PLAID_ACCESS_TOKEN", j("access", "-production-", uuid()), j("access", "-sandbox-", uuid()))
token("plaid-secret", "PLAID_SECRET", r(HEX, 30))
token("wise-api-token", "WISE_API_TOKEN", uuid())
token("woocommerce-consumer-secret", "WOOCOMMERCE_CONSUMER_SECRET", j("c", "s_", r(HEX, 40)))
token("woocommerce-consumer-key", "WOOCOMMERCE_CONSUMER_KEY", j("c", "k_", r(HEX, 40)))
token("duffel-access-token", "DUFFEL_ACCESS_TOKEN",
      j("duffel", "_live_", r(B64U, 43)), j("duffel", "_test_", r(B64U, 43)))
token("easypost-api-key", "EASYPOST_API_KEY", j("EZ", "AK", r(HEX, 54)), j("EZ", "TK", r(HEX, 54)))
token("shippo-api-token", "SHIPPO_API_TOKEN", j("shippo", "_live_", r(HEX, 40)), j("shippo", "_test_", r(HEX, 40)))

# --- messaging and communication -----------------------------------------------------------------------------
token("twilio-auth-token", "TWILIO_AUTH_TOKEN", r(HEX, 32))
token("twilio-api-key-secret", "TWILIO_API_SECRET", r(A62, 32))
token("vonage-api-secret", "VONAGE_API_SECRET", r(A62, 16))
token("plivo-auth-token", "PLIVO_AUTH_TOKEN", r(A62, 40))
token("messagebird-api-key", "MESSAGEBIRD_API_KEY", r(A62, 25))
token("telnyx-api-key", "TELNYX_API_KEY", j("KE", "Y", r(UHEX, 32), "_", r(A62, 22)))
token("pusher-app-secret", "PUSHER_APP_SECRET", r(HEX, 20))
token("ably-api-key", "ABLY_API_KEY", j(r(B64U, 6), ".", r(B64U, 6), ":", r(B64U, 43)))
token("pubnub-secret-key", "PUBNUB_SECRET_KEY", j("sec", "-c-", r(A62, 48)), j("sub", "-c-", uuid()))
token("stream-api-secret", "STREAM_API_SECRET", r(LOW36, 64))
explicit("discord-webhook-url", "/app/config/alerts.yaml",
         j("alerts:\n  discord: https://discord.com/api/", "webhooks/", r(DIGITS, 19), "/", r(B64U, 68), "\n"),
         "alerts:\n  discord: https://discord.com/api/webhooks/{webhook.id}/{webhook.token}\n")
explicit("teams-incoming-webhook", "/app/config/alerts.yaml",
         j("alerts:\n  teams: https://acme.webhook.office.com/", "webhookb2/", uuid(), "@", uuid(), "/IncomingWebhook/",
           r(HEX, 32), "/", uuid(), "\n"),
         "alerts:\n  teams: https://acme.webhook.office.com/webhookb2/...\n")
token("twitter-bearer-token", "TWITTER_BEARER_TOKEN", j("A" * 21, r(A62, 60), "%3D", r(A62, 40)))
token("twitter-api-secret", "TWITTER_API_SECRET", r(A62, 50))
token("facebook-access-token", "FACEBOOK_ACCESS_TOKEN", j("EA", "AG", r(A62, 180)))
token("facebook-app-secret", "FACEBOOK_APP_SECRET", r(HEX, 32))
token("linkedin-client-secret", "LINKEDIN_CLIENT_SECRET", r(A62, 16))
token("spotify-client-secret", "SPOTIFY_CLIENT_SECRET", r(HEX, 32))
token("twitch-client-secret", "TWITCH_CLIENT_SECRET", r(LOW36, 30))

# --- email delivery ------------------------------------------------------------------------------------------
token("mailgun-api-key-legacy", "MAILGUN_API_KEY", j("ke", "y-", r(HEX, 32)))
token("mailgun-api-key", "MAILGUN_API_KEY", j(r(HEX, 32), "-", r(HEX, 8), "-", r(HEX, 8)))
token("mandrill-api-key", "MANDRILL_API_KEY", j("m", "d-", r(B64U, 22)))
token("postmark-server-token", "POSTMARK_SERVER_TOKEN", uuid())
token("sparkpost-api-key", "SPARKPOST_API_KEY", r(HEX, 40))
token("brevo-api-key", "BREVO_API_KEY", j("xkey", "sib-", r(HEX, 64), "-", r(A62, 16)))
token("brevo-smtp-key", "SMTP_PASSWORD", j("xsmtp", "sib-", r(HEX, 64), "-", r(A62, 16)))
token("mailjet-secret-key", "MAILJET_SECRET_KEY", r(HEX, 32))
token("mailersend-api-token", "MAILERSEND_API_TOKEN", j("ml", "sn.", r(HEX, 64)))
token("resend-api-key", "RESEND_API_KEY", j("r", "e_", r(A62, 8), "_", r(A62, 24)))

# --- observability and incident response ---------------------------------------------------------------------
token("datadog-api-key", "DD_API_KEY", r(HEX, 32), "<DATADOG_API_KEY>")
token("datadog-app-key", "DD_APP_KEY", r(HEX, 40))
token("newrelic-user-api-key", "NEW_RELIC_API_KEY", j("NR", "AK-", r(UP36, 27)))
token("newrelic-admin-key", "NEW_RELIC_ADMIN_KEY", j("NR", "AA-", r(HEX, 27)))
token("newrelic-rest-api-key", "NEW_RELIC_REST_KEY", j("NR", "RA-", r(HEX, 42)))
token("newrelic-insights-insert-key", "NEW_RELIC_INSERT_KEY", j("NR", "II-", r(B64U, 32)))
token("newrelic-insights-query-key", "NEW_RELIC_QUERY_KEY", j("NR", "IQ-", r(B64U, 32)))
token("newrelic-license-key", "NEW_RELIC_LICENSE_KEY", j(r(HEX, 36), "NR", "AL"))
token("dynatrace-api-token", "DT_API_TOKEN", j("dt0", "c01.", r(UP36, 24), ".", r(UP36, 64)))
token("grafana-service-account-token", "GRAFANA_TOKEN", grafana_sa(r(A62, 32), r(HEX, 8)))
token("grafana-cloud-access-policy-token", "GRAFANA_CLOUD_TOKEN",
      j("gl", "c_", b64json({"o": r(DIGITS, 6), "n": "deploy", "k": r(A62, 24), "m": {"r": "prod-eu-west-2"}})),  # type: ignore[dict-item]
      j("gl", "c_", r(B64, 20)))
token("grafana-api-key-legacy", "GRAFANA_API_KEY", b64json({"k": r(A62, 32), "n": "ci", "id": "1"}))
token("sentry-org-auth-token", "SENTRY_AUTH_TOKEN",
      j("sntry", "s_", b64json({"iat": "1700000000", "url": "https://sentry.io", "region_url": "https://us.sentry.io",
                                "org": "acme"}), "_", r(B64, 43)))
token("sentry-user-auth-token", "SENTRY_AUTH_TOKEN", j("sntry", "u_", r(HEX, 64)))
token("honeycomb-api-key", "HONEYCOMB_API_KEY", r(A62, 32))
token("rollbar-access-token", "ROLLBAR_ACCESS_TOKEN", r(HEX, 32))
token("bugsnag-api-key", "BUGSNAG_API_KEY", r(HEX, 32))
token("sumologic-access-key", "SUMO_ACCESS_KEY", r(A62, 64))
token("splunk-hec-token", "SPLUNK_HEC_TOKEN", uuid())
token("pagerduty-api-key", "PAGERDUTY_TOKEN", j("u+", r(B64U, 18)))
token("pagerduty-integration-key", "PAGERDUTY_INTEGRATION_KEY", r(HEX, 32))
token("opsgenie-api-key", "OPSGENIE_API_KEY", uuid())
token("logzio-token", "LOGZIO_TOKEN", r(LETTERS, 32))

# --- look-alikes beyond a short value: placeholders, prose, package fixtures ---------------------------------
case("huggingface-access-token", "/app/README.txt",
     "Create a token (it starts with hf_) at huggingface.co.\n", False, "prose")
case("anthropic-api-key", "/app/.env.example", "ANTHROPIC_API_KEY=sk-ant-api03-...\n", False, "placeholder")
case("datadog-api-key", "/app/.env", "DD_API_KEY=0123456789abcdef0123456789abcdef\n", False, "placeholder")
case("cloudflare-api-token", "/app/.env", f"CLOUDFLARE_API_TOKEN={'x' * 40}\n", False, "placeholder")
case("groq-api-key", "/usr/local/lib/python3.12/site-packages/groq/tests/test_client.py",
     f'api_key = "{j("gs", "k_", r(A62, 52))}"\n', False, "package-fixture")
case("connection-string-password", "/app/appsettings.json",
     '{"Default": "Server=localhost;Database=shop;User Id=sa;Password=changeme;"}\n', False, "changeme")
case("redis-uri-password", "/app/.env", "REDIS_URL=redis://:password@localhost:6379\n", False, "placeholder")

# --- names the bundled Hyperscan once lost past a file's first bytes (drawn last: earlier fakes stay the same) ---
CF_TOKEN = r(B64U, 40)
explicit("cloudflare-api-token", "/app/src/dns.js",
         f'// DNS-01 challenges\nconst cfToken = "{CF_TOKEN}";\n',
         f'// DNS-01 challenges\nconst cfToken = "{CF_TOKEN[:20]}";\n')
case("cloudflare-api-token", "/app/.env", f"# DNS-01 challenges\nCF_DNS_API_TOKEN={r(B64U, 40)}\n", True, "dns-name")


@pytest.fixture(scope="module")
def scanner() -> Iterator[Scanner]:
    scanner = Scanner(RULES)
    with scanner.secrets.session():
        yield scanner


def fired(scanner: Scanner, path: str, text: str) -> set[str]:
    return {hit.rule for hit in scanner.every_hit(path, text.encode("utf-8"))}  # each rule on its own


@pytest.mark.parametrize("case", CASES)
def test_provider_rule(scanner: Scanner, case: Case) -> None:
    assert (case.rule in fired(scanner, case.path, case.text)) is case.fires


# detect-secrets' heuristics may flag any credential-looking value; no specific rule may report it as well.
GENERIC = {"ds-secret-keyword", "ds-high-entropy-base64", "ds-high-entropy-hex"}
GENERIC |= {r.id for r in RULES if r.kind == "assignment"}  # key-named values: any credential, as the keyword plugin


@pytest.mark.parametrize("case", [p for p in CASES if p.values[0].fires])
def test_provider_rules_do_not_double_report(scanner: Scanner, case: Case) -> None:
    assert fired(scanner, case.path, case.text) - GENERIC == {case.rule}


def covered() -> dict[str, set[bool]]:
    """Rule id -> the outcomes its cases expect (used by test_rule_cases.py's coverage test too)."""
    seen: dict[str, set[bool]] = {}
    for param in CASES:
        seen.setdefault(param.values[0].rule, set()).add(param.values[0].fires)
    return seen


def test_every_provider_rule_has_a_positive_and_a_negative_case() -> None:
    seen = covered()
    assert sorted(PROVIDER_RULES - set(seen)) == []
    assert sorted(r for r in PROVIDER_RULES if seen[r] != {True, False}) == []
    assert sorted(set(seen) - PROVIDER_RULES) == []


def test_provider_rules_follow_the_pack_conventions() -> None:
    """Keywords for the prefilter, the fixtures exclusion, a description naming its document, bounded repeats."""
    unbounded = re.compile(r"(?<!\\)[*+]|\{\d+,\}")
    for rule_id in sorted(PROVIDER_RULES):
        rule = BY_ID[rule_id]
        assert rule.kind == "regex" and rule.params.get("keywords"), rule_id
        assert "/usr/share/doc/**" in rule.exclude, rule_id
        assert "(" in rule.description and rule.remediation, rule_id
        pattern = rule.params["pattern"]
        assert not unbounded.search(re.sub(r"\[[^\]]*\]", "", pattern)), (rule_id, pattern)


# A first line of each length up to 48, then a few longer ones (a region edge, a page).
PUSHED_DOWN = [*range(48), 64, 100, 4096]


def test_provider_leaks_are_found_wherever_they_sit_in_the_file() -> None:
    """Each leak, pushed down by a first line of `PUSHED_DOWN` characters, gives the same hits. The Hyperscan
    bundled with hyperscan 0.9.1 (5.4.12) missed `cfToken=...` past a file's first ~15 bytes when a name had
    three optional parts (cloudflare-api-token's DNS names); only some offsets show such a bug."""
    from auditor.checks.regex import RegexCheck

    check = RegexCheck([r for r in RULES if r.kind == "regex"])
    for param in CASES:
        leak = param.values[0]
        if not leak.fires:
            continue
        want = {(hit.rule, hit.secret) for hit in check.scan_file(leak.path, leak.text.encode())}
        assert leak.rule in {rule for rule, _ in want}, param.id
        for size in PUSHED_DOWN:
            for first in ("#" * size + "\n", " " * size):
                got = {(hit.rule, hit.secret) for hit in check.scan_file(leak.path, (first + leak.text).encode())}
                assert got == want, (param.id, repr(first[:1]), size)


def test_provider_rules_stay_linear_on_their_own_characters() -> None:
    """Each rule's prefix and body characters with no terminator: ten times the line, about ten times the
    work (no backtracking blow-up, which would take a hundred)."""
    from auditor.checks.regex import RegexCheck
    from testing.worstcase import growth

    check = RegexCheck([BY_ID[r] for r in sorted(PROVIDER_RULES)])
    chunks = []
    for rule_id in sorted(PROVIDER_RULES):
        keyword = BY_ID[rule_id].params["keywords"][0]
        chunks.append(keyword + "=" + "aZ09" * 20 + " ")
    blob = "".join(chunks)

    def scan(size: int) -> None:
        check.scan_file("/app/static/bundle.min.js", ((blob * (size // len(blob) + 1))[:size] + "\n").encode())
        check.scan_file("/app/static/bundle.min.js", ("Aa0_-+/=" * (size // 8) + "\n").encode())

    assert growth(scan) < 30
