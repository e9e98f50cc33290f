"""Django settings for the shop (production)."""

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "django-insecure-cJii7PG5XVg8UspvGpXyr7oSb3twysgNhmVsNK84"
DEBUG = False
ALLOWED_HOSTS = ["shop.tallyfin.net"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "USER": "shop_app",
        "PASSWORD": "Violet71$03Qjht5",
        "HOST": "pg-primary.internal",
    },
    "analytics": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": "analytics",
        "USER": "reader",
        "PASSWORD": os.environ.get("ANALYTICS_DB_PASSWORD", "changeme"),
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
PASSWORD_RESET_TIMEOUT = 3600

EMAIL_HOST = "smtp.mailgun.org"
EMAIL_HOST_USER = "postmaster@mg.tallyfin.net"
EMAIL_HOST_PASSWORD = "Falcon00!fCVA9fO"

AWS_ACCESS_KEY_ID = "AKIAOG6FRR6NKSUTMIDI"
AWS_SECRET_ACCESS_KEY = "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"
AWS_SESSION_TOKEN_ENV = "AWS_SESSION_TOKEN"

SOCIAL_AUTH_TWITTER_KEY = "Dn57Qt8L0YkUZw99UBN7xFo3A"
SOCIAL_AUTH_TWITTER_SECRET = "Av0bYdNMPf7CnT4KEHeJtqmKaCdhD5kzX2QqKV6kf9dMYFjCVX"
SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = "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"

LANGUAGES = [("en", _("English")), ("de", _("German"))]
PASSWORD_LABEL = _("Password (at least 12 characters)")
STATIC_ROOT = BASE_DIR / "static"
