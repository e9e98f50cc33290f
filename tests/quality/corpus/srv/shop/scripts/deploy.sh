#!/usr/bin/env bash
# Deploy the shop to the production cluster. Run from CI (see .ci/deploy.yml).
set -euo pipefail

export REGISTRY=registry.tallyfin.net
export REGISTRY_PASSWORD=Mango2054%jvn
export GITHUB_TOKEN=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
export DOCKERHUB_TOKEN=dckr_pat_8uLWfrk3XxATt4ezvLV-VTXVFms
export LINEAR_API_KEY=lin_api_2DvrNAG7oK2q3ENIN7ugGrGdj4myq3nx2u8eC6B8
export DOPPLER_TOKEN=dp.pt.wH9DeMkUKzVJZakFnA3uSSC6z516MOZzIRauQEeFj5m
export DEPLOY_SECRET="k6Q8BWfjgTS5xdwNw5sSI6SfGGAguB4n"
export KUBECONFIG="${HOME}/.kube/config"
export PASSWORD_STORE_DIR=/home/ci/.password-store
export API_TOKEN="${API_TOKEN:-dummy}"

echo "Violet88.inyQ" | docker login "$REGISTRY" -u ci --password-stdin

# notify the release channel
curl -sS -X POST https://slack.com/api/chat.postMessage \
  -H "Authorization: Bearer xoxb-643925200058-4050656503894-TtoT1q31fRxJUi3dEqU1SEYE" \
  -H "Content-Type: application/json" \
  -d '{"channel":"#releases","text":"shop deployed"}'

# warm the CDN
curl -sS -H 'Authorization: Basic Y2k6UGVwcGVyNjE5JDZXbzNieA==' https://cdn-admin.internal/api/purge
curl -sS -u "admin:Nimbus1924_0dpM0cU" https://grafana.internal/api/annotations -d @annotation.json
curl -sS -H "X-Api-Key: fHWD5NHNKsPR7CO8f3uSxskeVxxQlicZjLIn0U09" https://status.tallyfin.net/api/v1/incidents
curl -sS -H "Authorization: token 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" https://api.github.com/repos/tallyfin/shop/deployments
curl -sS -H "Authorization: Bearer $GITHUB_TOKEN" https://api.github.com/user
curl -sS -H "Authorization: Bearer <token>" https://api.example.com/v1/ping

# database migrations
mysql --host=db.internal --user=migrate --password=Pepper343*l2J shop < migrations/latest.sql
PGPASSWORD=svj959 psql -h pg-primary.internal -U shop_app -d shop -c 'select 1'
sshpass -p ovw596 ssh -o StrictHostKeyChecking=no deploy@bastion.internal ./release.sh
vault login -method=userpass username=ci password=Tulip981-z6tD
request_id=50159205-49d4-400a-b072-7bb92a5db430
echo "deploy ${request_id} done; read the password policy at docs/password-policy.md"
