"""Six realistic images, each with planted secrets and leftovers, audited at the default gate (issue 15).

    python bench/scenario.py [--dir /tmp/la-scenario] [--rebuild] [--only NAME ...] [--json]

Each image is built FROM a debootstrap'ed Debian 12 minbase (`bench/build_image.py` makes it) with real
packages from apt, pip and npm, then the builders' own files: the secrets and leftovers this script plants,
each with the status it must have in the report (visible, deleted or overwritten). The images:

- `pyweb`: a Python web stack (Flask, Django, boto3, requests from pip in a venv);
- `node`: a Node stack (Debian's nodejs and npm, express and the AWS SDK from npm, npm's cache kept);
- `jre`: a headless JRE with a Spring Boot-shaped fat jar;
- `nginx`: nginx with certbot, a Let's Encrypt-shaped key and an htpasswd file;
- `rubygit`: Ruby and git build tools, a CI-style `.gitconfig` and gem credentials;
- `gomulti`: a multi-stage Go build whose final stage only copies the binary: nothing planted survives,
  and the default gate must pass.

For each image it prints: the findings at the default gate (what `audit` shows and fails on), the planted
items found with the right status, the findings beyond the planted ones, the package-file findings the
report hides (when the report counts them) and the exit code. Needs DOCKER_HOST (classic builder),
network access for apt/pip/npm inside the build (`--network host`) and debootstrap for a missing base.
Run by hand, never by the test suite.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import string
import subprocess
import sys
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build_image import BASE_TAG, _base62, ensure_base, image_exists, log, private_key, run  # noqa: E402

DEFAULT_DIR = os.environ.get("LA_SCENARIO_DIR", "/tmp/la-scenario")
SEED = 20261202
ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Planted:
    """One thing the image's builders put there that the audit must report, with its status."""

    path: str  # in-image path (a nested member as outer!/member)
    status: str  # visible, deleted or overwritten
    what: str


@dataclass
class Scenario:
    name: str
    dockerfile: str
    files: dict[str, str | bytes] = field(default_factory=dict)
    planted: list[Planted] = field(default_factory=list)


def _rand(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _aws(rng: random.Random) -> tuple[str, str]:
    return "AKIA" + _rand(rng, 16, string.ascii_uppercase + "234567"), _rand(rng, 40, ALNUM + "+/")


def _github(rng: random.Random) -> str:
    body = _rand(rng, 30)
    return "ghp_" + body + _base62(zlib.crc32(body.encode()), 6)


def _stripe(rng: random.Random) -> str:
    return "sk_live_" + _rand(rng, 99)


def _npm(rng: random.Random) -> str:
    body = _rand(rng, 30)
    return "npm_" + body + _base62(zlib.crc32(body.encode()), 6)


def _fat_jar(props: str) -> bytes:
    """A Spring Boot-shaped jar: the application's classes and config under BOOT-INF/classes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: org.springframework.boot."
                                             "loader.launch.JarLauncher\nStart-Class: com.example.App\n")
        jar.writestr("BOOT-INF/classes/application.properties", props)
        jar.writestr("BOOT-INF/classes/com/example/App.class", b"\xca\xfe\xba\xbe" + bytes(200))
        jar.writestr("BOOT-INF/lib/README.txt", "libraries go here\n")
    return buffer.getvalue()


def scenarios(base: str) -> list[Scenario]:
    rng = random.Random(SEED)
    out: list[Scenario] = []

    key_id, secret = _aws(rng)
    django_key = _rand(rng, 50, ALNUM + "!@#%^&*(-_=+)")
    db_password = _rand(rng, 20)
    out.append(Scenario(
        "pyweb",
        f"""FROM {base}
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv python3-pip ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir flask django requests boto3 gunicorn
COPY app/ /app/
COPY deploy_key /root/.ssh/id_ed25519
RUN chmod 600 /root/.ssh/id_ed25519 && rm /root/.ssh/id_ed25519
WORKDIR /app
CMD ["/opt/venv/bin/gunicorn", "app:app"]
""",
        {
            "app/app.py": "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.get('/')\ndef index():\n"
                          "    return 'ok'\n",
            "app/settings.py": f"import os\n\nDEBUG = False\nSECRET_KEY = '{django_key}'\nALLOWED_HOSTS = ['*']\n"
                               f"DATABASES = {{'default': {{'ENGINE': 'django.db.backends.postgresql', 'NAME': "
                               f"'shop', 'USER': 'shop', 'PASSWORD': '{db_password}', 'HOST': 'db'}}}}\n",
            "app/.env": f"AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret}\nAWS_REGION=eu-west-1\n",
            "deploy_key": private_key(rng),
        },
        [Planted("/app/settings.py", "visible", "Django SECRET_KEY and DB password"),
         Planted("/app/.env", "visible", "AWS key pair"),
         Planted("/root/.ssh/id_ed25519", "deleted", "SSH private key")],
    ))

    npm_token = _npm(rng)
    stripe = _stripe(rng)
    out.append(Scenario(
        "node",
        f"""FROM {base}
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm ca-certificates
WORKDIR /srv
COPY srv/ /srv/
COPY npmrc /root/.npmrc
RUN npm install --omit=dev --no-audit --no-fund && rm /root/.npmrc
CMD ["node", "server.js"]
""",
        {
            "srv/package.json": json.dumps({"name": "shop", "version": "1.0.0", "private": True,
                                            "dependencies": {"express": "^4.19.0", "@aws-sdk/client-s3": "^3.600.0",
                                                             "stripe": "^15.0.0"}}, indent=2) + "\n",
            "srv/server.js": "const express = require('express');\nconst config = require('./config');\n"
                             "const app = express();\napp.get('/', (req, res) => res.send('ok'));\n"
                             "app.listen(config.port);\n",
            "srv/config.js": f"module.exports = {{\n  port: 8080,\n  stripeKey: '{stripe}',\n}};\n",
            "npmrc": f"//registry.npmjs.org/:_authToken={npm_token}\n",
        },
        [Planted("/srv/config.js", "visible", "Stripe live key"),
         Planted("/root/.npmrc", "deleted", "npm token"),
         Planted("/root/.npm/_cacache", "visible", "npm cache left in the image")],
    ))

    jdbc_password = _rand(rng, 18)
    out.append(Scenario(
        "jre",
        f"""FROM {base}
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends default-jre-headless \\
 && rm -rf /var/lib/apt/lists/*
COPY app.jar /opt/app/app.jar
COPY keystore.p12 /opt/app/keystore.p12
CMD ["java", "-jar", "/opt/app/app.jar"]
""",
        {
            "app.jar": _fat_jar("server.port=8080\nspring.datasource.url=jdbc:postgresql://db:5432/orders\n"
                                f"spring.datasource.username=orders\nspring.datasource.password={jdbc_password}\n"),
            "keystore.p12": bytes([0x30, 0x82, 0x0A, 0x0B]) + rng.randbytes(1200),
        },
        [Planted("/opt/app/app.jar!/BOOT-INF/classes/application.properties", "visible", "JDBC password in a fat jar"),
         Planted("/opt/app/keystore.p12", "visible", "PKCS#12 keystore")],
    ))

    htpasswd_password = _rand(rng, 14)
    out.append(Scenario(
        "nginx",
        f"""FROM {base}
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends nginx certbot python3-certbot-nginx apache2-utils
COPY letsencrypt/ /etc/letsencrypt/
COPY site.conf /etc/nginx/conf.d/site.conf
RUN htpasswd -bc /etc/nginx/.htpasswd admin {htpasswd_password}
CMD ["nginx", "-g", "daemon off;"]
""",
        {
            "letsencrypt/live/shop.example.org/privkey.pem": private_key(rng),
            "site.conf": "server {\n  listen 80;\n  server_name shop.example.org;\n  location / {\n"
                         "    auth_basic \"staff\";\n    auth_basic_user_file /etc/nginx/.htpasswd;\n"
                         "    proxy_pass http://app:8080;\n  }\n}\n",
        },
        [Planted("/etc/letsencrypt/live/shop.example.org/privkey.pem", "visible", "TLS private key"),
         Planted("history", "metadata", "htpasswd password on a RUN line"),
         Planted("/var/lib/apt/lists", "visible", "apt lists left in the image")],
    ))

    gh = _github(rng)
    gem_key = "rubygems_" + _rand(rng, 48, "0123456789abcdef")
    out.append(Scenario(
        "rubygit",
        f"""FROM {base}
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends ruby ruby-dev rake git make gcc libc6-dev \\
 && rm -rf /var/lib/apt/lists/*
COPY gitconfig /root/.gitconfig
COPY gem/ /root/.gem/
RUN gem env > /dev/null && git config --global init.defaultBranch main
RUN rm -rf /root/.gem/credentials && git config --global --remove-section url.https://oauth2:{gh}@github.com/
""",
        {
            "gitconfig": f"[user]\n\tname = CI\n\temail = ci@example.org\n"
                         f"[url \"https://oauth2:{gh}@github.com/\"]\n\tinsteadOf = https://github.com/\n",
            "gem/credentials": f"---\n:rubygems_api_key: {gem_key}\n",
        },
        [Planted("/root/.gitconfig", "overwritten", "GitHub token in a .gitconfig url section"),
         Planted("/root/.gem/credentials", "deleted", "RubyGems API key"),
         Planted("history", "metadata", "GitHub token on a RUN line")],
    ))

    build_token = _github(rng)
    out.append(Scenario(
        "gomulti",
        f"""FROM {base} AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends golang-go ca-certificates
WORKDIR /src
COPY src/ /src/
RUN echo "machine github.com login ci password {build_token}" > /root/.netrc \\
 && CGO_ENABLED=0 go build -o /out/hello . && rm /root/.netrc

FROM {base}
COPY --from=build /out/hello /usr/local/bin/hello
USER 65534
CMD ["/usr/local/bin/hello"]
""",
        {
            "src/go.mod": "module example.org/hello\n\ngo 1.19\n",
            "src/main.go": "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hello\")\n}\n",
        },
        [],
    ))
    return out


CLEAN_TAG = "debclean:bookworm"
APT_DEBRIS = ("var/lib/apt/lists/", "var/cache/apt/archives/")


def ensure_clean_base(source: str, tag: str = CLEAN_TAG) -> str:
    """`source` flattened without apt's lists and downloaded packages, as Debian's official images ship
    (debootstrap leaves both behind); one layer, imported as `tag`."""
    if image_exists(tag):
        return tag
    log(f"making {tag} from {source} without apt lists and archives")
    container = subprocess.run(["docker", "create", source, "/bin/true"], capture_output=True, text=True,
                               check=True).stdout.strip()
    try:
        export = subprocess.Popen(["docker", "export", container], stdout=subprocess.PIPE)
        target = subprocess.Popen(["docker", "import", "-", tag], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        assert export.stdout is not None and target.stdin is not None
        with tarfile.open(fileobj=export.stdout, mode="r|") as src, \
                tarfile.open(fileobj=target.stdin, mode="w|") as dst:
            for member in src:
                name = member.name.lstrip("./")
                if name.startswith(APT_DEBRIS) and not member.isdir() and not name.endswith(("/lock", "/partial")):
                    continue
                dst.addfile(member, src.extractfile(member) if member.isreg() else None)
        target.stdin.close()
        if export.wait() != 0 or target.wait() != 0:
            raise SystemExit(f"scenario: could not make {tag}")
    finally:
        subprocess.run(["docker", "rm", container], stdout=subprocess.DEVNULL, check=False)
    return tag


HOST_CA = "/etc/ssl/certs/ca-certificates.crt"
CA_IN_IMAGE = "/usr/local/share/ca-certificates/host-ca.crt"
# Downloads inside the build trust the machine's CA bundle (a proxy here may re-sign TLS): a public
# certificate bundle, as many real images carry, which the audit must not report.
CA_PRELUDE = (f"COPY host-ca.crt {CA_IN_IMAGE}\n"
              f"ENV PIP_CERT={CA_IN_IMAGE} NODE_EXTRA_CA_CERTS={CA_IN_IMAGE} SSL_CERT_FILE={CA_IN_IMAGE} "
              f"GIT_SSL_CAINFO={CA_IN_IMAGE}\n")


def _with_ca(dockerfile: str) -> str:
    """Every stage of `dockerfile` trusts the host's CA bundle from its first instruction on."""
    lines = []
    for line in dockerfile.splitlines(keepends=True):
        lines.append(line)
        if line.startswith("FROM "):
            lines.append(CA_PRELUDE)
    return "".join(lines)


def build(scenario: Scenario, out_dir: str, rebuild: bool) -> str:
    """Build and `docker save` one scenario; the archive's path."""
    tag = f"la-scenario:{scenario.name}"
    archive = os.path.join(out_dir, f"{scenario.name}.docker.tar")
    if os.path.isfile(archive) and not rebuild:
        return archive
    with tempfile.TemporaryDirectory() as context:
        for rel, content in scenario.files.items():
            path = os.path.join(context, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(content.encode() if isinstance(content, str) else content)
        with open(os.path.join(context, "Dockerfile"), "w", encoding="utf-8") as handle:
            handle.write(_with_ca(scenario.dockerfile) if os.path.isfile(HOST_CA) else scenario.dockerfile)
        if os.path.isfile(HOST_CA):
            shutil.copyfile(HOST_CA, os.path.join(context, "host-ca.crt"))
        if rebuild or not image_exists(tag):
            run(["docker", "build", "--network", "host", "-q", "-t", tag, context],
                env={**os.environ, "DOCKER_BUILDKIT": "0"}, stdout=subprocess.DEVNULL)
    run(["docker", "save", "-o", archive + ".partial", tag])
    os.replace(archive + ".partial", archive)
    return archive


def _audit(archive: str, *extra: str) -> tuple[int, dict[str, object]]:
    audit = shutil.which("audit", path=os.path.dirname(sys.executable)) or "audit"
    proc = subprocess.run([audit, archive, "--format", "json", "--no-config", "--no-baseline", *extra],
                          capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"scenario: audit failed on {archive}: {proc.stderr.strip()}")
    return proc.returncode, json.loads(proc.stdout)


def _found(planted: Planted, findings: list[dict[str, object]]) -> bool:
    for f in findings:
        where = str(f.get("path") or f.get("location") or "")
        if planted.path == "history":
            if f.get("status") == "metadata" and where.startswith("history"):
                return True
            continue
        if (where == planted.path or where.startswith(planted.path + "/")) and f.get("status") == planted.status:
            return True
    return False


def _hidden_package_findings(report: dict[str, object]) -> int | None:
    """Findings the report keeps out because they sit in unmodified package content (its summary says)."""
    summary = report.get("summary")
    files = summary.get("package_files") if isinstance(summary, dict) else None
    hidden = files.get("hidden_findings") if isinstance(files, dict) else None
    return hidden if isinstance(hidden, int) else None


def _rejected(report: dict[str, object]) -> int | None:
    summary = report.get("summary")
    value = summary.get("rejected") if isinstance(summary, dict) else None
    return value if isinstance(value, int) else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default=DEFAULT_DIR)
    parser.add_argument("--base", default=BASE_TAG)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    parser.add_argument("--verbose", "-v", action="store_true", help="list each image's shown findings")
    args = parser.parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    ensure_base(args.base, os.path.join(args.dir, "rootfs"))
    base = ensure_clean_base(args.base)
    rows = []
    for scenario in scenarios(base):
        if args.only and scenario.name not in args.only:
            continue
        log(f"building {scenario.name}")
        archive = build(scenario, args.dir, args.rebuild)
        code, report = _audit(archive)
        _, everything = _audit(archive, "--fail-on", "info", "--exit-zero")
        findings = report.get("findings")
        shown = [f for f in findings if isinstance(f, dict)] if isinstance(findings, list) else []
        found = [p for p in scenario.planted if _found(p, shown)]
        missing = [f"{p.path} ({p.status}): {p.what}" for p in scenario.planted if p not in found]
        total = everything.get("findings")
        rows.append({
            "image": scenario.name, "planted": len(scenario.planted), "found": len(found),
            "shown_default": len(shown), "all_findings": len(total) if isinstance(total, list) else None,
            "package_hidden": _hidden_package_findings(report), "rejected": _rejected(report), "exit": code,
            "missing": missing, "shown": [f"{f.get('severity')} {f.get('rule')} {f.get('path') or f.get('location')}"
                                          for f in shown],
        })
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'image':<9} {'planted':>7} {'found':>5} {'shown':>6} {'all':>6} {'pkg-hidden':>10} {'rejected':>8} "
          f"{'exit':>4}")
    for row in rows:
        print(f"{row['image']:<9} {row['planted']:>7} {row['found']:>5} {row['shown_default']:>6} "
              f"{row['all_findings']!s:>6} {row['package_hidden']!s:>10} {row['rejected']!s:>8} {row['exit']:>4}")
        if args.verbose:
            for line in row["shown"]:
                print(f"          shown: {line}")
        for miss in row["missing"]:
            print(f"          missing: {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
