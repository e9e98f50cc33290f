#!/usr/bin/env bash
# Deploy the shop to the production cluster. Run from CI (see .ci/deploy.yml).
set -euo pipefail

export REGISTRY=registry.tallyfin.net
export REGISTRY_PASSWORD=⟦S password-assignment password⟧
export GITHUB_TOKEN=⟦S provider-token github-oauth⟧
export DOCKERHUB_TOKEN=⟦S provider-token dockerhub⟧
export LINEAR_API_KEY=⟦S provider-token linear⟧
export DOPPLER_TOKEN=⟦S provider-token doppler⟧
export DEPLOY_SECRET="⟦S generic-assignment alnum32⟧"
export KUBECONFIG="${HOME}/.kube/config"
export PASSWORD_STORE_DIR=⟦N file-path =/home/ci/.password-store⟧
export API_TOKEN="${API_TOKEN:-⟦N placeholder =dummy⟧}"

echo "⟦S cmdline-password password⟧" | docker login "$REGISTRY" -u ci --password-stdin

# notify the release channel
curl -sS -X POST https://slack.com/api/chat.postMessage \
  -H "Authorization: Bearer ⟦S auth-header slack-bot⟧" \
  -H "Content-Type: application/json" \
  -d '{"channel":"#releases","text":"shop deployed"}'

# warm the CDN
curl -sS -H 'Authorization: Basic ⟦S auth-header basic-cred⟧' https://cdn-admin.internal/api/purge
curl -sS -u "admin:⟦S auth-header password⟧" https://grafana.internal/api/annotations -d @annotation.json
curl -sS -H "X-Api-Key: ⟦S generic-assignment alnum40⟧" https://status.tallyfin.net/api/v1/incidents
curl -sS -H "Authorization: token ⟦S auth-header github-pat⟧" https://api.github.com/repos/tallyfin/shop/deployments
curl -sS -H "Authorization: Bearer $GITHUB_TOKEN" https://api.github.com/user
curl -sS -H "Authorization: Bearer ⟦N placeholder =<token>⟧" https://api.example.com/v1/ping

# database migrations
mysql --host=db.internal --user=migrate --password=⟦S cmdline-password password⟧ shop < migrations/latest.sql
PGPASSWORD=⟦S password-assignment short-password⟧ psql -h pg-primary.internal -U shop_app -d shop -c 'select 1'
sshpass -p ⟦S cmdline-password short-password⟧ ssh -o StrictHostKeyChecking=no deploy@bastion.internal ./release.sh
vault login -method=userpass username=ci password=⟦S cmdline-password password⟧
request_id=⟦N uuid-identifier uuid⟧
echo "deploy ${request_id} done; read the password policy at ⟦N file-path =docs/password-policy.md⟧"
