#!/usr/bin/env bash
# Render the example image (and the example Dockerfiles) in every format into DIR, to diff before/after a
# refactor that must not change output: `scripts/golden.sh /tmp/before`, change, `scripts/golden.sh
# /tmp/after`, `diff -r /tmp/before /tmp/after`.
set -uo pipefail
out=${1:?usage: golden.sh DIR}
mkdir -p "$out"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export XDG_CACHE_HOME="$out/.cache" NO_COLOR=1
for fmt in text json sarif markdown junit github; do
    audit examples/leaky-app.tar --format "$fmt" --no-cache >"$out/image.$fmt" 2>"$out/image.$fmt.err"; echo "$?" >>"$out/image.$fmt.err"
    audit examples/leaky-app.tar --format "$fmt" >"$out/cached.$fmt" 2>/dev/null  # fills the cache
    audit examples/leaky-app.tar --format "$fmt" >"$out/cached2.$fmt" 2>/dev/null  # from the memo
done
audit files examples/leaky-app.tar >"$out/files.text" 2>&1
audit files examples/leaky-app.tar --format json >"$out/files.json" 2>&1
ctx=$(mktemp -d)
mkdir -p "$ctx/.git"
printf 'NODE_ENV=production\n' >"$ctx/.env"
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM node:20-slim AS base
ARG NPM_TOKEN
COPY id_rsa /root/.ssh/id_rsa
COPY . /app
WORKDIR /app
RUN apt-get update && apt-get install -y curl && curl -o /tmp/x.tgz https://example.com/x.tgz
RUN npm ci --omit=dev
RUN rm /root/.ssh/id_rsa && cp .env.example .env
ENV API_TOKEN=at_5f2b9c8e1d4a7f3b6e0c9d2a8b5f1e7c
DOCKERFILE
printf 'key\n' >"$ctx/id_rsa"
for fmt in text json sarif markdown junit github; do
    (cd "$ctx" && audit dockerfile Dockerfile --format "$fmt") >"$out/dockerfile.$fmt" 2>&1; echo "$?" >>"$out/dockerfile.$fmt"
    audit examples/leaky-app.tar --no-cache --dockerfile "$ctx/Dockerfile" --format "$fmt" 2>/dev/null \
        | sed "s#$ctx#CTX#g" >"$out/mapped.$fmt"
done
rm -rf "$ctx"
audit rules >"$out/rules.text" 2>&1
audit rules --format json >"$out/rules.json" 2>&1
rm -rf "$out/.cache"
