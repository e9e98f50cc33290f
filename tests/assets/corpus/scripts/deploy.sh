#!/bin/sh
# Deploy script with FAKE credentials
set -eu
TELEGRAM_BOT_TOKEN="123456789:FAKEfakeFAKEfakeFAKEfakeFAKEfakeFAK"
softlayer_api_key="fakefakefakefakefakefakefakefakefakefakefakefakefakefakefakefake"
curl -s "https://fakeaccount:fa4efa4efa4efa4efa4efa4efa4efa4efa4efa4efa4efa4efa4efa4efa4efa4e@fakeaccount.cloudant.com/db"
password="fake-shell-password"
echo "deployed to 198.51.100.42"
