"""Every `audit dockerfile` check, table-driven through the real CLI entry point (`auditor.cli.main`).

Each case writes a Dockerfile and its build context to a temporary directory and compares the
`df-*` findings exactly, as `(rule, line, related_line, path)`; `also` lists findings of the image rules
(private-key-file, dotenv-file, ...) that must be among the others, and `never` rules that must not
appear at all. Placeholders `@KEY@`, `@GITHUB_TOKEN@`, `@AWS_KEY_ID@` and `@PASSWORD@` are replaced
by values generated for this run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.dockerfile.conftest import Fake, Key, Project

HIDDEN_SECRET = "df-hidden-secret"
HIDDEN_FILE = "df-hidden-file"
DOWNLOAD = "df-download-left"
CACHE = "df-package-cache"
ARG_HISTORY = "df-arg-in-history"


@dataclass(frozen=True)
class Case:
    id: str
    dockerfile: str
    files: dict[str, str] = field(default_factory=dict)
    df: frozenset[Key] = frozenset()  # exactly the df-* findings
    also: frozenset[Key] = frozenset()  # image-rule findings that must be present
    never: frozenset[str] = frozenset()  # rules that must not be reported
    args: tuple[str, ...] = ()


def fill(text: str, fake: Fake) -> str:
    for name, value in {"@KEY@": fake.key, "@GITHUB_TOKEN@": fake.github_token, "@AWS_KEY_ID@": fake.aws_key_id,
                        "@PASSWORD@": fake.password}.items():
        text = text.replace(name, value)
    return text


def check(project: Project, fake: Fake, case: Case) -> None:
    project.write(fill(case.dockerfile, fake), {k: fill(v, fake) for k, v in case.files.items()})
    result = project.audit(*case.args)
    assert result.code in (0, 1), result.err
    assert result.err == ""
    assert result.keys("df-") == set(case.df), result.out
    assert set(case.also) <= result.keys(""), result.out
    assert not (set(case.never) & result.rules()), result.out
    assert result.code == (1 if result.findings else 0)


def cases(*items: Case) -> list[object]:
    return [pytest.param(c, id=c.id) for c in items]


KEY = {"id_rsa": "@KEY@"}
ENV = {".env": "DATABASE_URL=postgres://app@db/app\nSECRET_KEY=@PASSWORD@\n"}

# --- a file added by one instruction and removed (or overwritten) by a later one ----------------------

HIDDEN = cases(
    Case("copy-then-rm",
         "FROM alpine\nCOPY id_rsa /root/.ssh/id_rsa\nRUN rm /root/.ssh/id_rsa\n", KEY,
         df=frozenset({(HIDDEN_SECRET, 2, 3, "/root/.ssh/id_rsa")}),
         also=frozenset({("private-key-file", 2, None, "/root/.ssh/id_rsa")})),
    Case("rm-rf-parent-dir",
         "FROM alpine\nCOPY id_rsa /root/.ssh/id_rsa\nRUN git clone git@example.com:x.git && rm -rf /root/.ssh\n", KEY,
         df=frozenset({(HIDDEN_SECRET, 2, 3, "/root/.ssh/id_rsa")})),
    Case("rm-glob",
         "FROM alpine\nCOPY id_rsa /root/.ssh/id_rsa\nRUN rm -f /root/.ssh/id_*\n", KEY,
         df=frozenset({(HIDDEN_SECRET, 2, 3, "/root/.ssh/id_rsa")})),
    Case("rm-glob-does-not-match-dotfiles",  # the shell's `*` skips names starting with a dot
         "FROM alpine\nCOPY .env /app/.env\nCOPY id_rsa /app/id_rsa\nRUN rm -rf /app/*\n", {**KEY, **ENV},
         df=frozenset({(HIDDEN_SECRET, 3, 4, "/app/id_rsa")})),
    Case("relative-to-workdir",
         "FROM alpine\nWORKDIR /app\nCOPY id_rsa .\nRUN ./deploy.sh && rm id_rsa\n", KEY,
         df=frozenset({(HIDDEN_SECRET, 3, 4, "/app/id_rsa")}),
         also=frozenset({("private-key-file", 3, None, "/app/id_rsa")})),
    Case("relative-after-cd",
         "FROM alpine\nCOPY id_rsa /srv/keys/\nRUN cd /srv/keys && rm id_rsa\n", KEY,
         df=frozenset({(HIDDEN_SECRET, 2, 3, "/srv/keys/id_rsa")})),
    Case("nested-workdirs",
         "FROM alpine\nWORKDIR /app\nWORKDIR conf\nCOPY id_rsa ./\nRUN rm ../conf/id_rsa\n", KEY,
         df=frozenset({(HIDDEN_SECRET, 4, 5, "/app/conf/id_rsa")})),
    Case("tilde",
         "FROM alpine\nCOPY id_rsa /root/.ssh/id_rsa\nRUN rm ~/.ssh/id_rsa\n", KEY,
         df=frozenset({(HIDDEN_SECRET, 2, 3, "/root/.ssh/id_rsa")})),
    Case("home-variable",
         'FROM alpine\nCOPY id_rsa /root/.ssh/id_rsa\nRUN rm "$HOME/.ssh/id_rsa"\n', KEY,
         df=frozenset({(HIDDEN_SECRET, 2, 3, "/root/.ssh/id_rsa")})),
    Case("env-variable-in-paths",
         "FROM alpine\nENV KEYS=/etc/keys\nCOPY id_rsa ${KEYS}/\nRUN rm $KEYS/id_rsa\n", KEY,
         df=frozenset({(HIDDEN_SECRET, 3, 4, "/etc/keys/id_rsa")})),
    Case("arg-default-in-paths",
         "FROM alpine\nARG DIR=/opt/keys\nCOPY id_rsa $DIR/id_rsa\nRUN rm ${DIR}/id_rsa\n", KEY,
         df=frozenset({(HIDDEN_SECRET, 3, 4, "/opt/keys/id_rsa")})),
    Case("copy-into-existing-dir",  # /root/.ssh has no trailing slash, but /root/.ssh/x was added before
         "FROM alpine\nCOPY known_hosts /root/.ssh/known_hosts\nCOPY id_rsa /root/.ssh\nRUN rm /root/.ssh/id_rsa\n",
         {**KEY, "known_hosts": "example.com ssh-ed25519 AAAA\n"},
         df=frozenset({(HIDDEN_SECRET, 3, 4, "/root/.ssh/id_rsa")})),
    Case("moved-away",
         "FROM alpine\nCOPY id_rsa /tmp/id_rsa\nRUN mv /tmp/id_rsa /root/.ssh/\nRUN rm /root/.ssh/id_rsa\n", KEY,
         df=frozenset({(HIDDEN_SECRET, 2, 3, "/tmp/id_rsa"), (HIDDEN_SECRET, 3, 4, "/root/.ssh/id_rsa")})),
    Case("overwritten-by-later-copy",
         "FROM alpine\nCOPY leaky.yml /app/config.yml\nCOPY clean.yml /app/config.yml\n",
         {"leaky.yml": "github:\n  token: @GITHUB_TOKEN@\n", "clean.yml": "github: {}\n"},
         df=frozenset({(HIDDEN_SECRET, 2, 3, "/app/config.yml")}),
         also=frozenset({("ds-github-token", 2, None, "/app/config.yml")})),
    Case("overwriting-an-unflagged-file-is-fine",  # the usual layer-caching pattern
         "FROM node\nWORKDIR /app\nCOPY package.json .\nRUN npm ci && npm cache clean --force\nCOPY . .\n",
         {"package.json": "{}\n", "index.js": "console.log(1)\n"}),
    Case("unflagged-file-removed",
         "FROM alpine\nCOPY notes.txt /tmp/notes.txt\nRUN cat /tmp/notes.txt && rm /tmp/notes.txt\n",
         {"notes.txt": "hello\n"},
         df=frozenset({(HIDDEN_FILE, 2, 3, "/tmp/notes.txt")})),
    Case("part-of-a-copied-tree-removed",
         "FROM alpine\nCOPY . /app\nRUN rm -rf /app/docs\n", {"docs/guide.md": "x\n", "main.py": "print(1)\n"},
         df=frozenset({(HIDDEN_FILE, 2, 3, "/app/docs")})),
    Case("flagged-file-of-a-tree-removed-with-the-tree",
         "FROM alpine\nCOPY secrets/ /app/secrets/\nRUN rm -rf /app/secrets && mkdir /app/secrets\n",
         {"secrets/server.key": "@KEY@", "secrets/notes.txt": "rotate\n"},
         df=frozenset({(HIDDEN_SECRET, 2, 3, "/app/secrets/server.key")})),
    Case("rm-of-a-path-the-tree-does-not-have",
         "FROM alpine\nCOPY . /app\nRUN rm -rf /app/node_modules\n", {"main.py": "print(1)\n"}),
    Case("kept-key-is-not-hidden",
         "FROM alpine\nCOPY id_rsa /root/.ssh/id_rsa\nRUN chmod 600 /root/.ssh/id_rsa\n", KEY,
         also=frozenset({("private-key-file", 2, None, "/root/.ssh/id_rsa")})),
    Case("rm-in-the-same-run-that-creates",
         "FROM alpine\nRUN echo x > /tmp/k && rm /tmp/k\n"),
)

# --- downloads and archives --------------------------------------------------------------------------

DOWNLOADS = cases(
    Case("download-removed-in-same-run",
         "FROM alpine\nRUN curl -fsSLo /tmp/app.tar.gz https://example.com/app.tar.gz && tar -xzf /tmp/app.tar.gz "
         "-C /opt && rm /tmp/app.tar.gz\n"),
    Case("download-removed-by-later-run",
         "FROM alpine\nRUN curl -fsSLo /tmp/app.tar.gz https://example.com/app.tar.gz\n"
         "RUN tar -xzf /tmp/app.tar.gz -C /opt && rm /tmp/app.tar.gz\n",
         df=frozenset({(DOWNLOAD, 2, None, "/tmp/app.tar.gz"), (HIDDEN_FILE, 2, 3, "/tmp/app.tar.gz")})),
    Case("wget-left",
         "FROM alpine\nWORKDIR /opt\nRUN wget https://example.com/tool-1.0.zip && unzip tool-1.0.zip\n",
         df=frozenset({(DOWNLOAD, 3, None, "/opt/tool-1.0.zip")})),
    Case("wget-O-left",
         "FROM alpine\nRUN wget -qO /tmp/x https://example.com/x\n",
         df=frozenset({(DOWNLOAD, 2, None, "/tmp/x")})),
    Case("curl-remote-name-left",
         "FROM alpine\nWORKDIR /src\nRUN curl -fsSLO https://example.com/pkg.tgz\n",
         df=frozenset({(DOWNLOAD, 3, None, "/src/pkg.tgz")})),
    Case("curl-of-a-program-into-bin-is-not-a-leftover",
         "FROM alpine\nRUN curl -fsSLo /usr/local/bin/kubectl https://example.com/kubectl "
         "&& chmod +x /usr/local/bin/kubectl\n"),
    Case("tar-create-left-then-removed",
         "FROM alpine\nRUN tar -czf /tmp/bundle.tar.gz /etc\nRUN rm /tmp/bundle.tar.gz\n",
         df=frozenset({(DOWNLOAD, 2, None, "/tmp/bundle.tar.gz"), (HIDDEN_FILE, 2, 3, "/tmp/bundle.tar.gz")})),
    Case("zip-left",
         "FROM alpine\nRUN zip -r /out/site.zip /var/www\n",
         df=frozenset({(DOWNLOAD, 2, None, "/out/site.zip")})),
    Case("add-url-archive",
         "FROM alpine\nADD https://example.com/app.tar.gz /tmp/\n",
         df=frozenset({(DOWNLOAD, 2, None, "/tmp/app.tar.gz")})),
    Case("add-url-archive-removed-later",
         "FROM alpine\nADD https://example.com/app.tar.gz /tmp/app.tar.gz\n"
         "RUN tar -xzf /tmp/app.tar.gz -C /opt && rm /tmp/app.tar.gz\n",
         df=frozenset({(DOWNLOAD, 2, None, "/tmp/app.tar.gz"), (HIDDEN_FILE, 2, 3, "/tmp/app.tar.gz")})),
    Case("add-url-of-a-program-kept",
         "FROM alpine\nADD https://example.com/tini /tini\nRUN chmod +x /tini\n"),
    Case("add-local-archive-is-unpacked",
         "FROM alpine\nADD rootfs.tar.gz /\n", {"rootfs.tar.gz": "not really a tarball\n"}),
)

# --- package caches ------------------------------------------------------------------------------------


def cache_case(id: str, run: str, path: str | None) -> Case:
    df = frozenset({(CACHE, 2, None, path)}) if path else frozenset()
    return Case(id, f"FROM base\n{run}\n", df=df)


CACHES = cases(
    cache_case("apt-left", "RUN apt-get update && apt-get install -y curl", "/var/lib/apt/lists"),
    cache_case("apt-clean-only-keeps-lists", "RUN apt-get update && apt-get install -y curl && apt-get clean",
               "/var/lib/apt/lists"),
    cache_case("apt-cleaned", "RUN apt-get update && apt-get install -y --no-install-recommends curl \\\n"
               " && rm -rf /var/lib/apt/lists/*", None),
    cache_case("apt-cache-mount", "RUN --mount=type=cache,target=/var/cache/apt --mount=type=cache,target=/var/lib/apt "
               "apt-get update && apt-get install -y curl", None),
    cache_case("apt-bind-mount-is-not-a-cache", "RUN --mount=type=cache,target=/var/cache/apt "
               "--mount=type=bind,target=/var/lib/apt/lists apt-get update && apt-get install -y curl",
               "/var/lib/apt/lists"),
    cache_case("apk-left", "RUN apk add curl", "/var/cache/apk"),
    cache_case("apk-no-cache", "RUN apk add --no-cache curl", None),
    cache_case("apk-cleaned", "RUN apk update && apk add curl && rm -rf /var/cache/apk/*", None),
    cache_case("pip-left", "RUN pip install requests", "/root/.cache/pip"),
    cache_case("python-m-pip-left", "RUN python3 -m pip install requests", "/root/.cache/pip"),
    cache_case("pip-no-cache-dir", "RUN pip install --no-cache-dir requests", None),
    cache_case("pip-no-cache-dir-inline-env", "RUN PIP_NO_CACHE_DIR=1 pip install requests", None),
    cache_case("pip-cache-purge", "RUN pip install requests && pip cache purge", None),
    cache_case("pip-cache-mount", "RUN --mount=type=cache,target=/root/.cache/pip pip install requests", None),
    cache_case("npm-left", "RUN npm ci", "/root/.npm"),
    cache_case("npm-cleaned", "RUN npm ci && npm cache clean --force", None),
    cache_case("npm-cache-mount", "RUN --mount=type=cache,target=/root/.npm npm ci", None),
    cache_case("yarn-left", "RUN yarn install --frozen-lockfile", "/usr/local/share/.cache/yarn"),
    cache_case("yarn-cleaned", "RUN yarn install --frozen-lockfile && yarn cache clean", None),
    cache_case("dnf-left", "RUN dnf install -y git", "/var/cache/dnf"),
    cache_case("dnf-cleaned", "RUN dnf install -y git && dnf clean all", None),
    cache_case("yum-left", "RUN yum install -y git", "/var/cache/yum"),
    cache_case("yum-cleaned", "RUN yum install -y git && yum clean all", None),
    cache_case("cleaned-in-a-later-run-is-too-late", "RUN apk add curl\nRUN rm -rf /var/cache/apk/*",
               "/var/cache/apk"),
    Case("pip-no-cache-dir-env-instruction", "FROM python\nENV PIP_NO_CACHE_DIR=1\nRUN pip install requests\n"),
    Case("pip-no-cache-dir-inherited-from-parent-stage",
         "FROM python AS base\nENV PIP_NO_CACHE_DIR=off\nFROM base\nRUN pip install requests\n"),
)

# --- secrets in ARG, ENV and LABEL ---------------------------------------------------------------------------

SECRETS = cases(
    Case("env-by-name", "FROM alpine\nENV DB_PASSWORD=@PASSWORD@\n",
         also=frozenset({("secret-in-env", 2, None, None)})),
    Case("env-legacy-form-by-name", "FROM alpine\nENV DB_PASSWORD @PASSWORD@\n",
         also=frozenset({("secret-in-env", 2, None, None)})),
    Case("env-by-value", "FROM alpine\nENV CONFIG_URL=x SOMETHING=@GITHUB_TOKEN@\n",
         also=frozenset({("ds-github-token", 2, None, None)})),
    Case("env-reference-is-not-a-secret", "FROM alpine\nARG DB_PASSWORD\nENV DB_PASSWORD=${DB_PASSWORD}\n",
         never=frozenset({"secret-in-env"})),
    Case("env-path-is-not-a-secret", "FROM alpine\nENV API_TOKEN_FILE=/run/secrets/token\n",
         never=frozenset({"secret-in-env"})),
    Case("label-by-name", "FROM alpine\nLABEL auth_token=@PASSWORD@\n",
         also=frozenset({("secret-in-label", 2, None, None)})),
    Case("label-by-value", "FROM alpine\nLABEL maintainer=@AWS_KEY_ID@\n",
         also=frozenset({("ds-aws-access-key", 2, None, None)})),
    Case("arg-default-by-name", "FROM alpine\nARG API_TOKEN=@PASSWORD@\n",
         also=frozenset({("secret-in-build-arg", 2, None, None)})),
    Case("arg-default-by-value", "FROM alpine\nARG SOMETHING=@GITHUB_TOKEN@\n",
         also=frozenset({("ds-github-token", 2, None, None)})),
    Case("arg-consumed-by-run", "FROM node\nARG NPM_TOKEN\nRUN echo building\n",
         df=frozenset({(ARG_HISTORY, 2, 3, None)})),
    Case("arg-recorded-even-with-a-secret-mount",  # BuildKit and the classic builder both record it
         "FROM node\nARG NPM_TOKEN\nRUN --mount=type=secret,id=npm echo building\n",
         df=frozenset({(ARG_HISTORY, 2, 3, None)})),
    Case("arg-without-a-run-after-it", "FROM node\nARG NPM_TOKEN\nCMD [\"node\"]\n"),
    Case("arg-not-secret", "FROM node\nARG VERSION=1.2.3\nRUN echo $VERSION\n"),
    Case("arg-reported-once", "FROM node\nARG NPM_TOKEN\nRUN echo a\nRUN echo b\n",
         df=frozenset({(ARG_HISTORY, 2, 3, None)})),
    Case("global-arg-not-redeclared-is-not-in-scope", "ARG NPM_TOKEN\nFROM node\nRUN echo a\n"),
    Case("args-do-not-carry-into-a-child-stage", "FROM node AS base\nARG NPM_TOKEN\nFROM base\nRUN echo a\n"),
)

# --- the build context and .dockerignore -----------------------------------------------------------------------

CONTEXT_FILES = {**ENV, "id_rsa": "@KEY@", "app.py": "print(1)\n", ".git/HEAD": "ref: refs/heads/main\n",
                 ".git/config": "[core]\n"}

CONTEXT = cases(
    Case("copy-dot-without-dockerignore", "FROM python\nWORKDIR /app\nCOPY . .\n", CONTEXT_FILES,
         also=frozenset({("dotenv-file", 3, None, "/app/.env"), ("private-key-file", 3, None, "/app/id_rsa"),
                         ("vcs-directory", 3, None, "/app/.git")})),
    Case("copy-dot-with-dockerignore", "FROM python\nWORKDIR /app\nCOPY . .\n",
         {**CONTEXT_FILES, ".dockerignore": ".env\nid_rsa\n.git\n"},
         never=frozenset({"dotenv-file", "private-key-file", "vcs-directory"})),
    Case("add-dot", "FROM python\nADD . /srv/\n", CONTEXT_FILES,
         also=frozenset({("dotenv-file", 2, None, "/srv/.env")})),
    Case("dockerignore-double-star", "FROM python\nCOPY . /app\n",
         {"a/.env": "X=1\n", "a/b/.env": "X=1\n", ".dockerignore": "**/.env\n"},
         never=frozenset({"dotenv-file"})),
    Case("dockerignore-exception", "FROM python\nCOPY . /app\n",
         {"a/.env": "X=1\n", "c/.env": "X=1\n", ".dockerignore": "**/.env\n!c/.env\n"},
         also=frozenset({("dotenv-file", 2, None, "/app/c/.env")})),
    Case("dockerignore-star-is-root-only", "FROM python\nCOPY . /app\n",  # as in Docker: *.key is not **/*.key
         {"top.key": "@KEY@", "keys/deploy.key": "@KEY@", ".dockerignore": "*.key\n"},
         also=frozenset({("private-key-file", 2, None, "/app/keys/deploy.key")})),
    Case("dockerignore-allow-list", "FROM python\nCOPY . /app\n",
         {**CONTEXT_FILES, "src/main.py": "print(1)\n", ".dockerignore": "*\n!src\n"},
         never=frozenset({"dotenv-file", "private-key-file", "vcs-directory"})),
    Case("dockerfile-specific-dockerignore-wins", "FROM python\nCOPY . /app\n",
         {**ENV, "Dockerfile.dockerignore": ".env\n", ".dockerignore": "# nothing\n"},
         never=frozenset({"dotenv-file"})),
    Case("git-directory", "FROM python\nCOPY . /src\n", {".git/HEAD": "ref\n", "main.go": "package main\n"},
         also=frozenset({("vcs-directory", 2, None, "/src/.git")})),
    Case("copy-of-a-subdirectory", "FROM python\nCOPY config/ /srv/app/\n", {"config/.env": "X=1\n"},
         also=frozenset({("dotenv-file", 2, None, "/srv/app/.env")})),
    Case("copy-glob-matches-one-level", "FROM python\nCOPY *.env /app/\n",
         {"prod.env": "X=1\n", "sub/dev.env": "X=1\n"},
         also=frozenset({("dotenv-file", 2, None, "/app/prod.env")}),
         never=frozenset({"df-hidden-secret"})),
    Case("content-of-a-context-file", "FROM python\nCOPY . /app\n", {"settings.ini": "aws_key = @AWS_KEY_ID@\n"},
         also=frozenset({("ds-aws-access-key", 2, None, "/app/settings.ini")})),
    Case("context-leak-then-rm", "FROM python\nWORKDIR /app\nCOPY . .\nRUN rm -f .env\n", {**ENV, "app.py": ""},
         df=frozenset({(HIDDEN_SECRET, 3, 4, "/app/.env")}),
         also=frozenset({("dotenv-file", 3, None, "/app/.env")})),
)

# --- multi-stage builds ----------------------------------------------------------------------------------------

BUILDER = """\
FROM golang AS builder
ARG NPM_TOKEN
ENV GITHUB_TOKEN=@GITHUB_TOKEN@
COPY id_rsa /root/.ssh/id_rsa
COPY .env /src/.env
RUN git clone git@example.com:x.git /src/x && rm /root/.ssh/id_rsa
RUN apt-get update && apt-get install -y gcc
RUN mkdir -p /src/dist && go build -o /src/dist/app ./...

FROM gcr.io/distroless/static
COPY --from=builder /src/dist/ /app/
"""

MULTISTAGE = cases(
    Case("builder-secrets-do-not-ship", BUILDER, {**KEY, **ENV},
         never=frozenset({"secret-in-env", "ds-github-token", "private-key-file", "dotenv-file", HIDDEN_SECRET,
                          ARG_HISTORY, CACHE})),
    Case("copy-from-builder-of-a-flagged-file", BUILDER + "COPY --from=builder /src/.env /app/.env\n", {**KEY, **ENV},
         also=frozenset({("dotenv-file", 12, 5, "/app/.env")})),
    Case("copy-from-builder-of-a-directory-holding-one", BUILDER + "COPY --from=builder /src /opt/src\n",
         {**KEY, **ENV}, also=frozenset({("dotenv-file", 12, 5, "/opt/src/.env")})),
    Case("copy-from-stage-index", BUILDER + "COPY --from=0 /src/.env /app/\n", {**KEY, **ENV},
         also=frozenset({("dotenv-file", 12, 5, "/app/.env")})),
    Case("copy-from-of-a-removed-file-copies-nothing", BUILDER + "COPY --from=builder /root/.ssh/ /keys/\n",
         {**KEY, **ENV}, never=frozenset({"private-key-file"})),
    Case("target-builder-reports-the-builder", BUILDER, {**KEY, **ENV}, args=("--target", "builder"),
         df=frozenset({(ARG_HISTORY, 2, 6, None), (HIDDEN_SECRET, 4, 6, "/root/.ssh/id_rsa"),
                       (CACHE, 7, None, "/var/lib/apt/lists")}),
         also=frozenset({("secret-in-env", 3, None, None), ("dotenv-file", 5, None, "/src/.env")})),
    Case("a-stage-built-from-another-ships-its-layers",
         "FROM alpine AS base\nCOPY id_rsa /k/id_rsa\nFROM base\nRUN rm /k/id_rsa\n", KEY,
         df=frozenset({(HIDDEN_SECRET, 2, 4, "/k/id_rsa")})),
    Case("workdir-and-env-inherited-through-stages",
         "FROM python AS base\nWORKDIR /srv\nENV KEYS=/srv/keys\nFROM base AS deps\nRUN true\nFROM deps\n"
         "COPY . .\nCOPY id_rsa $KEYS/\nRUN rm keys/id_rsa\n", {**ENV, **KEY},
         df=frozenset({(HIDDEN_SECRET, 8, 9, "/srv/keys/id_rsa")}),
         also=frozenset({("dotenv-file", 7, None, "/srv/.env")})),
    Case("target-picks-the-chain",
         "FROM alpine AS base\nENV DB_PASSWORD=@PASSWORD@\nFROM base AS app\nRUN true\nFROM alpine AS other\n"
         "ENV API_TOKEN=@PASSWORD@\n",
         args=("--target", "app"), also=frozenset({("secret-in-env", 2, None, None)}),
         never=frozenset({"ds-github-token"})),
)

# --- parsing: continuations, heredocs, JSON form, escape directive ---------------------------------------------

PARSING = cases(
    Case("line-continuations",
         "FROM alpine\nCOPY id_rsa /root/.ssh/id_rsa\nRUN git clone git@example.com:x.git \\\n    && rm \\\n"
         "       /root/.ssh/id_rsa\n", KEY,
         df=frozenset({(HIDDEN_SECRET, 2, 3, "/root/.ssh/id_rsa")})),
    Case("continuation-with-comment-line",
         "FROM alpine\nCOPY id_rsa /root/.ssh/id_rsa\nRUN echo a \\\n# a comment inside\n  && rm /root/.ssh/id_rsa\n",
         KEY, df=frozenset({(HIDDEN_SECRET, 2, 3, "/root/.ssh/id_rsa")})),
    Case("escape-backtick",
         "# escape=`\nFROM alpine\nCOPY id_rsa /root/.ssh/id_rsa\nRUN echo a `\n  && rm /root/.ssh/id_rsa\n"
         "RUN apt-get update `\n  && apt-get install -y curl\n", KEY,
         df=frozenset({(HIDDEN_SECRET, 3, 4, "/root/.ssh/id_rsa"), (CACHE, 6, None, "/var/lib/apt/lists")})),
    Case("heredoc-run",
         "# syntax=docker/dockerfile:1\nFROM alpine\nCOPY id_rsa /root/.ssh/id_rsa\nRUN <<EOF\nset -e\n"
         "git clone git@example.com:x.git\nrm /root/.ssh/id_rsa\nEOF\nRUN <<EOF\napt-get update\n"
         "apt-get install -y curl\nEOF\n", KEY,
         df=frozenset({(HIDDEN_SECRET, 3, 4, "/root/.ssh/id_rsa"), (CACHE, 9, None, "/var/lib/apt/lists")})),
    Case("heredoc-to-a-shell",
         "# syntax=docker/dockerfile:1\nFROM alpine\nCOPY id_rsa /root/.ssh/id_rsa\nRUN bash <<EOF\n"
         "rm /root/.ssh/id_rsa\nEOF\n", KEY,
         df=frozenset({(HIDDEN_SECRET, 3, 4, "/root/.ssh/id_rsa")})),
    Case("heredoc-copy",
         "# syntax=docker/dockerfile:1\nFROM alpine\nCOPY <<EOF /root/.netrc\nmachine example.com login ci "
         "password @PASSWORD@\nEOF\nRUN rm /root/.netrc\n",
         df=frozenset({(HIDDEN_SECRET, 3, 6, "/root/.netrc")})),
    Case("json-form-run",
         'FROM alpine\nCOPY id_rsa /root/.ssh/id_rsa\nRUN ["rm", "-f", "/root/.ssh/id_rsa"]\n', KEY,
         df=frozenset({(HIDDEN_SECRET, 2, 3, "/root/.ssh/id_rsa")})),
    Case("json-form-shell",
         'FROM alpine\nCOPY id_rsa /root/.ssh/id_rsa\nRUN ["/bin/sh", "-c", "git pull && rm /root/.ssh/id_rsa"]\n',
         KEY, df=frozenset({(HIDDEN_SECRET, 2, 3, "/root/.ssh/id_rsa")})),
    Case("json-form-copy",
         'FROM alpine\nCOPY ["id_rsa", "/root/.ssh/id_rsa"]\nRUN rm /root/.ssh/id_rsa\n', KEY,
         df=frozenset({(HIDDEN_SECRET, 2, 3, "/root/.ssh/id_rsa")})),
    Case("lower-case-instructions",
         "from alpine\ncopy id_rsa /root/.ssh/id_rsa\nrun rm /root/.ssh/id_rsa\n", KEY,
         df=frozenset({(HIDDEN_SECRET, 2, 3, "/root/.ssh/id_rsa")})),
    Case("quoted-operands",
         "FROM alpine\nCOPY id_rsa /root/.ssh/id_rsa\nRUN rm -f -- '/root/.ssh/id_rsa'\n", KEY,
         df=frozenset({(HIDDEN_SECRET, 2, 3, "/root/.ssh/id_rsa")})),
)


@pytest.mark.parametrize("case", HIDDEN)
def test_hidden(project: Project, fake: Fake, case: Case) -> None:
    check(project, fake, case)


@pytest.mark.parametrize("case", DOWNLOADS)
def test_downloads(project: Project, fake: Fake, case: Case) -> None:
    check(project, fake, case)


@pytest.mark.parametrize("case", CACHES)
def test_package_caches(project: Project, fake: Fake, case: Case) -> None:
    check(project, fake, case)


@pytest.mark.parametrize("case", SECRETS)
def test_secrets_in_metadata(project: Project, fake: Fake, case: Case) -> None:
    check(project, fake, case)


@pytest.mark.parametrize("case", CONTEXT)
def test_build_context(project: Project, fake: Fake, case: Case) -> None:
    check(project, fake, case)


@pytest.mark.parametrize("case", MULTISTAGE)
def test_multistage(project: Project, fake: Fake, case: Case) -> None:
    check(project, fake, case)


@pytest.mark.parametrize("case", PARSING)
def test_parsing(project: Project, fake: Fake, case: Case) -> None:
    check(project, fake, case)
