"""Django-style settings with hard-coded (FAKE) credentials."""

import os

DEBUG = False
SECRET_KEY = "fake-django-secret-key-for-tests-only"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "PASSWORD": "fakepassword123",
    },
}
DATABASE_URL = "postgres://appuser:fakedbpass@db.example.com:5432/app"
AWS_ACCESS_KEY_ID = "AKIAFAKEFAKEFAKEFAKE"
aws_secret_access_key = "FAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfake"
SIGNING_SALT = "Zm9yIHRlc3RzIG9ubHkgLSBub3QgYSByZWFsIHNlY3JldCBGQUtF"
CHECKSUM = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
api_key = os.environ["API_KEY"]  # an indirect reference: not a secret
USER_ID = "5f0c6a8e9d7b4c3a2f1e0d9c8b7a6f5e4d3c2b1a"
