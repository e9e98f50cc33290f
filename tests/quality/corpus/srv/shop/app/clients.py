"""HTTP clients for the partner APIs the shop calls."""

from __future__ import annotations

import hashlib
import hmac
import os

import requests
from requests_oauthlib import OAuth1

PARTNER_BASE = "https://api.partner-hub.net/v2"
API_KEY = "hl4PrvobuD6dFqLSpP0us9K29Y8vAkDX"
CLIENT_SECRET = "_XL1Cmmwb_lAmDIHv3bHOS2L1QQEnOv0DzT7l6Oavay"
client_secret = os.environ.get("CLIENT_SECRET", "your-client-secret")
PASSWORD_FIELD = "password_confirmation"
TOKEN_URL = "/oauth2/v1/token"

# Twitter-style OAuth 1.0a for the marketplace feed
MARKET_CONSUMER_KEY = "9nAUmG7xLAntP1CPu3UT23yWw"
MARKET_CONSUMER_SECRET = "rxljvnMMjG0W5XY5HtBuFWACY3qgJqdSMpgRQT3F8HQFBxVC3O"
MARKET_ACCESS_TOKEN = "636487704045539292-HP7Q0QIaGwzroK11vzcXC1lJMuinWUrM3DKrZS4s"
MARKET_ACCESS_TOKEN_SECRET = "126OkUcbZDf0SfSr1MvZcQ2Ts4b5JCz9LgX3c2gFpAlZM"

GEO_HEADERS = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI5NjQ0NzM2IiwiaXNzIjoiYXV0aC5zaG9wY28uaW8iLCJpYXQiOjE3MTgxNjg0NzYsInNjb3BlIjoicmVhZCB3cml0ZSJ9.7jjglOeoHtuFbv9RqNyh0XpKHd9WIIhYisEQnC5Zhq8", "Accept": "application/json"}
SALT = "27f14153-5fba-468f-b15b-73a0c0154fcf"


def market_session() -> requests.Session:
    session = requests.Session()
    session.auth = OAuth1(MARKET_CONSUMER_KEY, MARKET_CONSUMER_SECRET, MARKET_ACCESS_TOKEN, MARKET_ACCESS_TOKEN_SECRET)
    return session


def ledger_client() -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = "Basic Y2k6VmlvbGV0NzcxI0dxeXNOUjc="
    session.headers["X-Request-Id"] = "8ae2a265-f808-4721-a4c2-f3968fde3d56"
    return session


def partner_client(token: str | None = None) -> requests.Session:
    session = requests.Session()
    session.headers["x-api-key"] = token or "740958c0-e3fd-432c-af93-32eddf850819"
    return session


def sign(body: bytes) -> str:
    key = b"hKqZDtjA6Y5vCabAo3ilMw92"
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def legacy_auth():
    return ("reports", "Cedar024#M6C")


TOTP_SEED = "FIABKZVT6Q4QP46JSPD6D4ZN5EYN4CRX"
password = input("Please enter your password: ")
token = get_token(scope="orders:write")  # noqa: F821
