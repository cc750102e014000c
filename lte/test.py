"""Shared test scaffolding: alice (an owner), bob (another account), staff; helpers for the outbox.

Accounts are made through the real signup services and flows, as STYLE.md asks.
"""

from __future__ import annotations

import email
import re
from email.message import Message
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from lte.accounts.models import User
from lte.accounts.services import api_token_create

PASSWORD = "violet-harbour-sunrise-42"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
URL = re.compile(r"https?://[^\s<>\"]+")


def pytest_collection_modifyitems(items) -> None:
    """Every database test may use the key store too (the vault's second database)."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None and not {"db", "transactional_db"} & set(item.fixturenames):
            continue
        kwargs = dict(marker.kwargs) if marker is not None else {}
        if "transactional_db" in item.fixturenames:
            kwargs.setdefault("transaction", True)
        kwargs.setdefault("databases", "__all__")
        item.add_marker(pytest.mark.django_db(*(marker.args if marker else ()), **kwargs))


def clear_cache() -> None:
    """Empties this test process's cache (rate limits included) without touching other workers' keys."""
    if settings.REDIS_URL:
        client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
        for key in client.scan_iter(f"{settings.CACHE_KEY_PREFIX}:*"):
            client.delete(key)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _isolation(request, settings, tmp_path):
    """Fast password hashing (unless a test is marked real_hasher), a fresh .eml outbox, an empty cache."""
    if request.node.get_closest_marker("real_hasher") is None:
        settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.OUTBOX_DIR = tmp_path / "outbox"
    settings.EMAIL_BACKEND = "lte.lib.mail.OutboxBackend"  # the real transport, not Django's test one
    clear_cache()
    yield
    clear_cache()


def make_user(email_address: str, *, name: str = "Test User", verified: bool = True, **fields) -> User:
    user = User.objects.create_user(email_address, PASSWORD, name=name, **fields)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    return user


@pytest.fixture
def alice(db) -> User:
    return make_user("alice@example.com", name="Alice Owner")


@pytest.fixture
def bob(db) -> User:
    return make_user("bob@example.com", name="Bob Other")


@pytest.fixture
def staff(db) -> User:
    return make_user("staff@example.com", name="Sam Staff", is_staff=True)


@pytest.fixture
def alice_client(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def outbox_messages() -> list[Message]:
    outbox = Path(settings.OUTBOX_DIR)
    if not outbox.exists():
        return []
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]


def message_text(message: Message) -> str:
    parts = message.walk() if message.is_multipart() else [message]
    text = []
    for part in parts:
        payload = part.get_payload(decode=True)  # the bytes of a leaf part such as text/plain
        if part.get_content_type() == "text/plain" and isinstance(payload, bytes):
            text.append(payload.decode(part.get_content_charset() or "utf-8"))
    return "".join(text)


def links_in(message: Message) -> list[str]:
    return URL.findall(message_text(message))


def bearer_client(user, **client_options) -> Client:
    """What the mobile app and scripts use: a fresh API token of `user` as a bearer, no session."""
    _token, secret = api_token_create(owner=user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", **client_options)
