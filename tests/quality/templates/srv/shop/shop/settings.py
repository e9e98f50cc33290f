"""Django settings for the shop (production)."""

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "django-insecure-⟦S generic-assignment alnum40⟧"
DEBUG = False
ALLOWED_HOSTS = ["shop.tallyfin.net"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "USER": "shop_app",
        "PASSWORD": "⟦S password-assignment password⟧",
        "HOST": "pg-primary.internal",
    },
    "analytics": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": "analytics",
        "USER": "reader",
        "PASSWORD": os.environ.get("ANALYTICS_DB_PASSWORD", "⟦N placeholder =changeme⟧"),
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "⟦N identifier =django.contrib.auth.password_validation.UserAttributeSimilarityValidator⟧"},
    {"NAME": "⟦N identifier =django.contrib.auth.password_validation.MinimumLengthValidator⟧"},
]
PASSWORD_HASHERS = ["⟦N identifier =django.contrib.auth.hashers.Argon2PasswordHasher⟧"]
PASSWORD_RESET_TIMEOUT = 3600

EMAIL_HOST = "smtp.mailgun.org"
EMAIL_HOST_USER = "postmaster@mg.tallyfin.net"
EMAIL_HOST_PASSWORD = "⟦S password-assignment password⟧"

AWS_ACCESS_KEY_ID = "⟦S provider-token aws-access-key⟧"
AWS_SECRET_ACCESS_KEY = "⟦S provider-token aws-secret-key⟧"
AWS_SESSION_TOKEN_ENV = "⟦N identifier =AWS_SESSION_TOKEN⟧"

SOCIAL_AUTH_TWITTER_KEY = "⟦S oauth1 oauth-consumer-key⟧"
SOCIAL_AUTH_TWITTER_SECRET = "⟦S oauth1 oauth-consumer-secret⟧"
SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = "⟦S provider-token gcp-oauth-secret⟧"

LANGUAGES = [("en", _("English")), ("de", _("German"))]
PASSWORD_LABEL = _("⟦N natural-language =Password (at least 12 characters)⟧")
STATIC_ROOT = BASE_DIR / "static"
