"""The database cache's keys (without Redis): allauth's rate-limit keys name the client's IP address, and the
cache table lives on disk, so each key is stored as an HMAC under SECRET_KEY: a row says nothing about whom it
counts, and an IP can't be found by hashing all four billion of them."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def hashed_key(key: str, key_prefix: str, version: int) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), key.encode(), hashlib.sha256).hexdigest()
    return f"{key_prefix}:{version}:{digest}"
