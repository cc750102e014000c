"""What tests call directly: accounts made through the real signup services (as STYLE.md asks), the one way
to build an API client with a bearer token, and readers for the .eml outbox."""

from __future__ import annotations

import email
import re
import time
from email.message import Message
from pathlib import Path

from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from lte.accounts.models import User
from lte.accounts.services import api_token_create

PASSWORD = "violet-harbour-sunrise-42"
URL = re.compile(r"https?://[^\s<>\"]+")


def clear_cache() -> None:
    """Empties this test process's cache (rate limits included) without touching other workers' keys."""
    if settings.REDIS_URL:
        client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
        for key in client.scan_iter(f"{settings.CACHE_KEY_PREFIX}:*"):
            client.delete(key)
    else:
        cache.clear()


def make_user(email_address: str, *, name: str = "Test User", verified: bool = True, **fields) -> User:
    """An existing seller: past the first-run steps unless `onboarded_at=None` says it is a brand-new one."""
    fields.setdefault("onboarded_at", timezone.now())
    user = User.objects.create_user(email_address, PASSWORD, name=name, **fields)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    return user


def with_two_factor(user: User) -> User:
    """Turns TOTP on for the account, as allauth's setup page does once the first code is right."""
    TOTP.activate(user, generate_totp_secret())
    return user


def totp_code(user: User, *, offset: int = 0) -> str:
    """The account's current TOTP code (`offset` steps of 30 s away), as the phone app shows it."""
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = get_mfa_adapter().decrypt(authenticator.data["secret"])
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


# --- The API as its clients call it -----------------------------------------------------------------------------


def bearer(secret: str) -> dict[str, str]:
    """The request header carrying an API token, for a Client or a single request: `client.get(url, **bearer(t))`."""
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def bearer_client(user, **client_options) -> Client:
    """What the mobile app and scripts use: a fresh API token of `user` as a bearer, no session."""
    _token, secret = api_token_create(owner=user, name="tests")
    return Client(HTTP_AUTHORIZATION=bearer(secret)["HTTP_AUTHORIZATION"], **client_options)


# --- The outbox (the real .eml transport, one file per message) ------------------------------------------------


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
