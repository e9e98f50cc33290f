"""Fake credentials and look-alikes in their providers' published shapes, for the quality corpus.

Every value is drawn from a seeded `random.Random`, so the corpus is the same on every machine and no
value was ever issued by a provider. Shapes follow the providers' documented prefixes, lengths and
alphabets; where a format carries a checksum (GitHub and npm: CRC32 in base62, Grafana: CRC32 in hex,
PyPI: a macaroon, age: bech32) the value is built to pass it, and the `bad-*` kinds build the same shape
with a failing checksum.
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
import zlib
from collections.abc import Callable

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"
B32 = string.ascii_uppercase + "234567"
BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"


def pick(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n: int, width: int = 6) -> str:
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def crc_token(rng: random.Random, prefix: str, good: bool = True) -> str:
    """GitHub/npm style: prefix + 30 base62 + base62(CRC32 of the 30) on 6 chars."""
    body = pick(rng, ALNUM, 30)
    crc = zlib.crc32(body.encode())
    return prefix + body + base62(crc if good else (crc ^ 0x5A5A) & 0xFFFFFFFF)


def grafana_sa(rng: random.Random) -> str:
    """Grafana service account token: glsa_ + 32 alnum + _ + CRC32 of the part before, hex, little-endian."""
    head = "glsa_" + pick(rng, ALNUM, 32)
    return head + "_" + zlib.crc32(head.encode()).to_bytes(4, "little").hex()


def macaroon(rng: random.Random) -> str:
    """A PyPI token: `pypi-` + base64url (no padding) of a well-formed v2 macaroon for pypi.org."""
    def field(kind: int, data: bytes) -> bytes:
        return bytes([kind, len(data)]) + data
    ident = json.dumps({"version": 1, "nonce": pick(rng, HEX, 32)}).encode()[:120]
    caveat = json.dumps([1, [pick(rng, HEX, 32)]]).encode()[:120]
    raw = (b"\x02" + field(1, b"pypi.org") + field(2, ident) + b"\x00"
           + field(2, caveat) + b"\x00" + b"\x00" + field(6, rng.randbytes(32)))
    return "pypi-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def jwt(rng: random.Random) -> str:
    def b64(doc: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode().rstrip("=")
    head = b64({"alg": "HS256", "typ": "JWT"})
    body = b64({"sub": str(rng.randrange(10**6, 10**7)), "iss": rng.choice(["auth.shopco.io", "api.tallyfin.net"]),
                "iat": 1718000000 + rng.randrange(10**6), "scope": "read write"})
    return f"{head}.{body}.{base64.urlsafe_b64encode(rng.randbytes(32)).decode().rstrip('=')}"


def pem_body(rng: random.Random, lines: int = 6) -> list[str]:
    return [base64.b64encode(rng.randbytes(48)).decode() for _ in range(lines)] + [
        base64.b64encode(rng.randbytes(rng.randrange(10, 40))).decode()]


def pem(rng: random.Random, kind: str = "RSA PRIVATE KEY", lines: int = 6) -> str:
    return "\n".join([f"-----BEGIN {kind}-----", *pem_body(rng, lines), f"-----END {kind}-----"])


def openssh_key(rng: random.Random) -> str:
    blob = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none" + rng.randbytes(300)
    b = base64.b64encode(blob).decode()
    return "\n".join(["-----BEGIN OPENSSH PRIVATE KEY-----", *[b[i:i + 70] for i in range(0, len(b), 70)],
                      "-----END OPENSSH PRIVATE KEY-----"])


def putty_key(rng: random.Random) -> str:
    """A PuTTY v3 key file, unencrypted: the private lines are the secret, the header names the file."""
    public = base64.b64encode(b"\x00\x00\x00\x07ssh-rsa" + rng.randbytes(270)).decode()
    private = base64.b64encode(rng.randbytes(660)).decode()
    def lines(b: str) -> list[str]:
        return [b[i:i + 64] for i in range(0, len(b), 64)]
    return "\n".join(["PuTTY-User-Key-File-3: ssh-rsa", "Encryption: none", "Comment: legacy-backup",
                      f"Public-Lines: {len(lines(public))}", *lines(public), f"Private-Lines: {len(lines(private))}",
                      *lines(private), "Private-MAC: " + pick(rng, HEX, 64)])


def uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def password(rng: random.Random) -> str:
    words = ["Tulip", "Orbit", "Cedar", "Falcon", "Mango", "Quartz", "Harbor", "Nimbus", "Pepper", "Violet"]
    return rng.choice(words) + pick(rng, string.digits, rng.randrange(2, 5)) + rng.choice("!#$%*-_.") + pick(
        rng, ALNUM, rng.randrange(3, 8))


def short_password(rng: random.Random) -> str:
    return pick(rng, string.ascii_lowercase, 3) + pick(rng, string.digits, 3)


def sentry_org(rng: random.Random) -> str:
    doc = {"iat": 1718000000 + rng.randrange(10**6), "url": "https://sentry.io", "region_url": "https://us.sentry.io",
           "org": rng.choice(["shopco", "tallyfin", "acme-labs"])}
    b = base64.b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"sntrys_{b}_{pick(rng, ALNUM, 43)}"


def sas(rng: random.Random) -> str:
    sig = base64.b64encode(rng.randbytes(32)).decode().replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    return f"sv=2022-11-02&ss=b&srt=sco&sp=rwdlac&se=2026-12-31T23:59:59Z&st=2024-01-01T00:00:00Z&spr=https&sig={sig}"


def _polymod(values: list[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def age_key(rng: random.Random) -> str:
    """An age X25519 identity: bech32 (BIP 173) of 32 random bytes, hrp `age-secret-key-`, upper case."""
    hrp, data = "age-secret-key-", []
    acc = bits = 0
    for byte in rng.randbytes(32):
        acc, bits = (acc << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = _polymod(expanded + data + [0] * 6) ^ 1
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    charset = BECH32.lower()
    return (hrp + "1" + "".join(charset[d] for d in data + checksum)).upper()


def otp_seed(rng: random.Random) -> str:
    return pick(rng, B32, 32)


# name -> generator; the kind is recorded in the labels so a miss can be traced to a provider.
KINDS: dict[str, Callable[[random.Random], str]] = {
    "aws-access-key": lambda r: "AKIA" + pick(r, B32, 16),
    "aws-session-key": lambda r: "ASIA" + pick(r, B32, 16),
    "aws-secret-key": lambda r: pick(r, B64, 40),
    "gcp-api-key": lambda r: "AIza" + pick(r, URLSAFE, 35),
    "gcp-oauth-secret": lambda r: "GOCSPX-" + pick(r, URLSAFE, 28),
    "azure-storage-key": lambda r: base64.b64encode(r.randbytes(64)).decode(),
    "azure-sas": sas,
    "github-pat": lambda r: crc_token(r, "ghp_"),
    "github-oauth": lambda r: crc_token(r, "gho_"),
    "github-user-server": lambda r: crc_token(r, "ghu_"),
    "github-server": lambda r: crc_token(r, "ghs_"),
    "github-refresh": lambda r: crc_token(r, "ghr_"),
    "github-fine-grained": lambda r: "github_pat_11" + pick(r, B32 + "0", 20) + "_" + pick(r, ALNUM, 59),
    "bad-github-checksum": lambda r: crc_token(r, "ghp_", good=False),
    "bad-npm-checksum": lambda r: crc_token(r, "npm_", good=False),
    "gitlab-pat": lambda r: "glpat-" + pick(r, URLSAFE, 20),
    "gitlab-runner": lambda r: "glrt-" + pick(r, URLSAFE, 20),
    "slack-bot": lambda r: f"xoxb-{pick(r, string.digits, 12)}-{pick(r, string.digits, 13)}-{pick(r, ALNUM, 24)}",
    "slack-user": lambda r: (f"xoxp-{pick(r, string.digits, 12)}-{pick(r, string.digits, 12)}-"
                             f"{pick(r, string.digits, 13)}-{pick(r, HEX, 32)}"),
    "slack-webhook": lambda r: (f"https://hooks.slack.com/services/T{pick(r, B32[:26] + '0123456789', 10)}/"
                                f"B{pick(r, B32[:26] + '0123456789', 10)}/{pick(r, ALNUM, 24)}"),
    "stripe-secret": lambda r: "sk_live_51" + pick(r, ALNUM, 97),
    "stripe-restricted": lambda r: "rk_live_51" + pick(r, ALNUM, 97),
    "twilio-auth-token": lambda r: pick(r, HEX, 32),
    "twilio-api-key": lambda r: "SK" + pick(r, HEX, 32),
    "sendgrid": lambda r: "SG." + pick(r, URLSAFE, 22) + "." + pick(r, URLSAFE, 43),
    "openai-legacy": lambda r: "sk-" + pick(r, ALNUM, 20) + "T3BlbkFJ" + pick(r, ALNUM, 20),
    "openai-project": lambda r: "sk-proj-" + pick(r, URLSAFE, 74) + "T3BlbkFJ" + pick(r, URLSAFE, 74),
    "anthropic": lambda r: "sk-ant-api03-" + pick(r, URLSAFE, 93) + "AA",
    "huggingface": lambda r: "hf_" + pick(r, string.ascii_letters, 34),
    "npm": lambda r: crc_token(r, "npm_"),
    "pypi": macaroon,
    "dockerhub": lambda r: "dckr_pat_" + pick(r, URLSAFE, 27),
    "shopify-access": lambda r: "shpat_" + pick(r, HEX, 32),
    "shopify-shared-secret": lambda r: "shpss_" + pick(r, HEX, 32),
    "datadog-api-key": lambda r: pick(r, HEX, 32),
    "datadog-app-key": lambda r: pick(r, HEX, 40),
    "sentry-org": sentry_org,
    "sentry-user": lambda r: "sntryu_" + pick(r, HEX, 64),
    "mailgun": lambda r: "key-" + pick(r, HEX, 32),
    "vault": lambda r: "hvs." + pick(r, ALNUM + "_-", 90),
    "terraform-cloud": lambda r: pick(r, ALNUM, 14) + ".atlasv1." + pick(r, ALNUM, 67),
    "doppler": lambda r: "dp.pt." + pick(r, ALNUM, 43),
    "pulumi": lambda r: "pul-" + pick(r, HEX, 40),
    "linear": lambda r: "lin_api_" + pick(r, ALNUM, 40),
    "postman": lambda r: f"PMAK-{pick(r, HEX, 24)}-{pick(r, HEX, 34)}",
    "grafana-sa": grafana_sa,
    "newrelic": lambda r: "NRAK-" + pick(r, string.ascii_uppercase + string.digits, 27),
    "rubygems": lambda r: "rubygems_" + pick(r, HEX, 48),
    "nuget": lambda r: "oy2" + pick(r, string.ascii_lowercase + string.digits, 43),
    "digitalocean": lambda r: "dop_v1_" + pick(r, HEX, 64),
    "databricks": lambda r: "dapi" + pick(r, HEX, 32),
    "age": age_key,
    "telegram-bot": lambda r: f"{r.randrange(10**9, 10**10)}:AA{pick(r, URLSAFE, 33)}",
    "oauth-consumer-key": lambda r: pick(r, ALNUM, 25),
    "oauth-consumer-secret": lambda r: pick(r, ALNUM, 50),
    "oauth-token": lambda r: f"{r.randrange(10**17, 10**18)}-{pick(r, ALNUM, 40)}",
    "oauth-token-secret": lambda r: pick(r, ALNUM, 45),
    "oauth-signature": lambda r: base64.b64encode(r.randbytes(20)).decode().replace("+", "%2B").replace(
        "/", "%2F").replace("=", "%3D"),
    "basic-cred": lambda r: base64.b64encode(f"{r.choice(['deploy', 'ci'])}:{password(r)}".encode()).decode(),
    "jwt": jwt,
    "otp-seed": otp_seed,
    "uuid": uid,
    "password": password,
    "short-password": short_password,
    "hex16": lambda r: pick(r, HEX, 16),
    "hex32": lambda r: pick(r, HEX, 32),
    "hex40": lambda r: pick(r, HEX, 40),
    "sha256": lambda r: pick(r, HEX, 64),
    "b64-32": lambda r: base64.b64encode(r.randbytes(32)).decode(),
    "b64-24": lambda r: base64.b64encode(r.randbytes(24)).decode(),
    "sri": lambda r: "sha512-" + base64.b64encode(r.randbytes(64)).decode(),
    "alnum24": lambda r: pick(r, ALNUM, 24),
    "alnum32": lambda r: pick(r, ALNUM, 32),
    "alnum40": lambda r: pick(r, ALNUM, 40),
    "urlsafe43": lambda r: pick(r, URLSAFE, 43),
    "rsa-key": lambda r: pem(r),
    "ec-key": lambda r: pem(r, "EC PRIVATE KEY", 3),
    "pkcs8-key": lambda r: pem(r, "PRIVATE KEY"),
    "openssh-key": openssh_key,
    "putty-key": putty_key,
    "rsa-key-b64": lambda r: base64.b64encode((pem(r) + "\n").encode()).decode(),
    "pkcs8-key-json": lambda r: pem(r, "PRIVATE KEY").replace("\n", "\\n") + "\\n",
    "cert-line": lambda r: base64.b64encode(r.randbytes(48)).decode(),
    "ssh-ed25519-pub": lambda r: "AAAAC3NzaC1lZDI1NTE5AAAAI" + base64.b64encode(r.randbytes(32)).decode()[:43],
    "ssh-rsa-pub": lambda r: "AAAAB3NzaC1yc2EAAAADAQABAAABgQ" + base64.b64encode(r.randbytes(300)).decode()[:370],
}
