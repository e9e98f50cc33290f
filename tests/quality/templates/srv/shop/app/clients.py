"""HTTP clients for the partner APIs the shop calls."""

from __future__ import annotations

import hashlib
import hmac
import os

import requests
from requests_oauthlib import OAuth1

PARTNER_BASE = "https://api.partner-hub.net/v2"
API_KEY = "⟦S generic-assignment alnum32⟧"
CLIENT_SECRET = "⟦S generic-assignment urlsafe43⟧"
client_secret = os.environ.get("CLIENT_SECRET", "⟦N placeholder =your-client-secret⟧")
PASSWORD_FIELD = "⟦N identifier =password_confirmation⟧"
TOKEN_URL = "⟦N file-path =/oauth2/v1/token⟧"

# Twitter-style OAuth 1.0a for the marketplace feed
MARKET_CONSUMER_KEY = "⟦S oauth1 oauth-consumer-key⟧"
MARKET_CONSUMER_SECRET = "⟦S oauth1 oauth-consumer-secret⟧"
MARKET_ACCESS_TOKEN = "⟦S oauth1 oauth-token⟧"
MARKET_ACCESS_TOKEN_SECRET = "⟦S oauth1 oauth-token-secret⟧"

GEO_HEADERS = {"Authorization": "Bearer ⟦S auth-header jwt⟧", "Accept": "application/json"}
SALT = "⟦N uuid-identifier uuid⟧"


def market_session() -> requests.Session:
    session = requests.Session()
    session.auth = OAuth1(MARKET_CONSUMER_KEY, MARKET_CONSUMER_SECRET, MARKET_ACCESS_TOKEN, MARKET_ACCESS_TOKEN_SECRET)
    return session


def ledger_client() -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = "Basic ⟦S auth-header basic-cred⟧"
    session.headers["X-Request-Id"] = "⟦N uuid-identifier uuid⟧"
    return session


def partner_client(token: str | None = None) -> requests.Session:
    session = requests.Session()
    session.headers["x-api-key"] = token or "⟦S uuid-key uuid⟧"
    return session


def sign(body: bytes) -> str:
    key = b"⟦S generic-assignment alnum24⟧"
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def legacy_auth():
    return ("reports", "⟦S password-assignment password⟧")


TOTP_SEED = "⟦S otp-seed otp-seed⟧"
password = input("⟦N natural-language =Please enter your password: ⟧")
token = get_token(scope="orders:write")  # noqa: F821
