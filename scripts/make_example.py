"""Write examples/leaky-app.tar: `docker save | gzip` (legacy layout) of a small, leaky Node.js app image.

Gzip keeps it at a few KB (about 48 KB as a plain tar); `audit` and `docker load` read either.

What it hides, and where:
- layer 1 COPYs an SSH private key to /root/.ssh/id_rsa; layer 4 deletes it (a whiteout);
- layer 2 COPYs /app/.env with a database password and an AWS key pair; layer 4 overwrites it;
- layer 2 also COPYs /app/config.yaml with a GitHub token, still visible;
- the config sets ENV API_TOKEN, and the classic builder records the NPM_TOKEN build argument in the
  history of every RUN after `ARG NPM_TOKEN`.

Every credential is fake: made up for this example, valid for nothing. Usage:
    python scripts/make_example.py [OUTPUT]
"""

from __future__ import annotations

import base64
import hashlib
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testing.imagekit import Dir, Entry, File, History, ImageSpec, Whiteout, write_docker_archive  # noqa: E402

AWS_KEY_ID = "AKIAQ7LXW3HNZEXAMPLE"  # AWS's documented example style, not a real key id
AWS_SECRET = "q8Vt3nR2xLm9KpW4sYz7bC1dF6gH0jE5aEXAMPLE"
DB_PASSWORD = "Tr0ub4dor&3-prod"
GITHUB_TOKEN = "ghp_Kx9mQ2vL7pR4tW8zN3bC6dF1hJ5sG0aYeUiO"
NPM_TOKEN = "npm_Vb4nM8qX2wE6rT0yU3iO7pA1sD5fG9hJkLzC"
API_TOKEN = "at_5f2b9c8e1d4a7f3b6e0c9d2a8b5f1e7c"


def fake_ssh_key() -> bytes:
    """An OpenSSH private key block: the real "openssh-key-v1" header, then deterministic filler."""
    body = b"openssh-key-v1\0\0\0\0\x04none\0\0\0\x04none\0\0\0\0\0\0\0\x01\0\0\0\x33\0\0\0\x0bssh-ed25519"
    seed = b"layer-auditor example key"
    while len(body) < 390:
        seed = hashlib.sha256(seed).digest()
        body += seed
    lines = textwrap.wrap(base64.b64encode(body[:390]).decode(), 70)
    return "\n".join(["-----BEGIN OPENSSH PRIVATE KEY-----", *lines, "-----END OPENSSH PRIVATE KEY-----", ""]).encode()


OS_RELEASE = b'''PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
ID=debian
HOME_URL="https://www.debian.org/"
'''
DOTENV = f'''NODE_ENV=production
PORT=3000
DATABASE_URL=postgres://app@db.internal:5432/app
DATABASE_PASSWORD="{DB_PASSWORD}"
AWS_ACCESS_KEY_ID={AWS_KEY_ID}
AWS_SECRET_ACCESS_KEY="{AWS_SECRET}"
'''.encode()
DOTENV_EXAMPLE = b"NODE_ENV=production\nPORT=3000\n# Credentials come from the orchestrator at run time.\n"
CONFIG_YAML = f'''server:
  port: 3000
github:
  org: example-org
  token: {GITHUB_TOKEN}
'''.encode()
PACKAGE_JSON = (b'{"name": "leaky-app", "version": "1.0.0", "main": "server.js", '
                b'"dependencies": {"express": "^4.19.2"}}\n')
SERVER_JS = b"const app = require('express')();\napp.get('/', (req, res) => res.send('ok'));\napp.listen(3000);\n"

BASE: list[Entry] = [
    Dir("/bin"),
    File("/bin/sh", b"\x7fELF\x02\x01\x01\0" + b"\0" * 56, 0o755),  # a placeholder, not a real binary
    Dir("/etc"),
    File("/etc/os-release", OS_RELEASE),
    File("/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n"),
    Dir("/root", 0o700),
    Dir("/tmp", 0o1777),
    Dir("/usr"),
    Dir("/usr/share"),
    Dir("/usr/share/doc"),
    Dir("/usr/share/doc/base-files"),
    File("/usr/share/doc/base-files/README", b"This is the base system of the example image.\n"),
]
SSH_KEY: list[Entry] = [Dir("/root"), Dir("/root/.ssh", 0o700), File("/root/.ssh/id_rsa", fake_ssh_key(), 0o600)]
APP: list[Entry] = [
    Dir("/app"),
    File("/app/.env", DOTENV),
    File("/app/.env.example", DOTENV_EXAMPLE),
    File("/app/config.yaml", CONFIG_YAML),
    File("/app/package.json", PACKAGE_JSON),
    File("/app/server.js", SERVER_JS),
]
NPM_CI: list[Entry] = [
    Dir("/app"),
    Dir("/app/node_modules"),
    Dir("/app/node_modules/express"),
    File("/app/node_modules/express/package.json", b'{"name": "express", "version": "4.19.2"}\n'),
]
CLEANUP: list[Entry] = [Dir("/root"), Dir("/root/.ssh"), Whiteout("/root/.ssh/id_rsa"), Dir("/app"),
                        File("/app/.env", DOTENV_EXAMPLE)]

NOP = "/bin/sh -c #(nop) "
HISTORY = [
    History(f"{NOP}ADD file:7c3e1f0a9b2d4e6f8a1c3b5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f in / "),
    History(f'{NOP} CMD ["bash"]', empty_layer=True),
    History(f"{NOP} ENV API_TOKEN={API_TOKEN}", empty_layer=True),
    History(f"{NOP} WORKDIR /app", empty_layer=True),
    History(f"{NOP}COPY file:2d8f4a6c1e3b5d7f9a0c2e4b6d8f1a3c5e7b9d0f2a4c6e8b1d3f5a7c9e0b2d4f in /root/.ssh/id_rsa "),
    History(f"{NOP}COPY dir:9e1b3d5f7a0c2e4b6d8f1a3c5e7b9d0f2a4c6e8b1d3f5a7c9e0b2d4f6a8c1e3b in /app "),
    History(f"{NOP} ARG NPM_TOKEN", empty_layer=True),
    History(f"|1 NPM_TOKEN={NPM_TOKEN} /bin/sh -c npm ci --omit=dev"),
    History(f"|1 NPM_TOKEN={NPM_TOKEN} /bin/sh -c rm /root/.ssh/id_rsa && cp .env.example .env"),
    History(f"{NOP} EXPOSE 3000", empty_layer=True),
    History(f'{NOP} CMD ["node" "server.js"]', empty_layer=True),
]

IMAGE = ImageSpec(
    layers=[BASE, SSH_KEY, APP, NPM_CI, CLEANUP],
    history=HISTORY,
    env=["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", f"API_TOKEN={API_TOKEN}"],
    labels={"org.opencontainers.image.title": "leaky-app", "org.opencontainers.image.version": "1.0.0"},
    cmd=["node", "server.js"],
    repo_tags=["example/leaky-app:1.0"],
)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    target = Path(args[0]) if args else ROOT / "examples" / "leaky-app.tar"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_docker_archive(target, IMAGE, layout="legacy", gzip=True)
    print(f"wrote {target} ({target.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
