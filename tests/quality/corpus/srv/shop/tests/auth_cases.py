"""Login tests: the fixtures below are test values, never deployed."""

import pytest

from shop.auth import check_password, hash_password, make_token

USERS = [
    {"username": "alice", "password": "correct horse battery"},
    {"username": "bob", "password": "hunter2"},
    {"username": "carol", "password": "test-password"},
]


@pytest.fixture
def user(db):
    return db.create_user("dave", password="dummy-pass-123")


def test_hash_roundtrip():
    hashed = hash_password("s3cret-for-tests")
    assert check_password("s3cret-for-tests", hashed)


def test_rejects_wrong_password(user):
    assert not check_password("wrong-password", user.password_hash)


def test_token_shape(settings):
    settings.SECRET_KEY = "test-secret-key-not-for-production"
    assert make_token(user_id=1).count(".") == 2


def test_api_key_header(client):
    response = client.get("/api/orders", HTTP_X_API_KEY="test-api-key")
    assert response.status_code == 200
