"""Failed logins: one budget for every process (the database cache without Redis), counted per (account,
address) so a stranger's wrong passwords don't lock the owner out, with a looser cap for the whole account."""

import pytest
from allauth.account import app_settings as account_settings
from allauth.core.internal.ratelimit import Rate, get_cache_key, parse_rates
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory

from lte.testing.helpers import PASSWORD, make_user

pytestmark = pytest.mark.django_db

def account_cap() -> int:
    return parse_rates(account_settings.RATE_LIMITS.get("login_failed_account", "30/15m/key"))[0].amount


def attempt(address: str, password: str, email: str = "dana@example.com") -> Client:
    client = Client(REMOTE_ADDR=address)
    client.post("/login", {"login": email, "password": password})
    return client


def signed_in(client: Client) -> bool:
    return client.get("/app/").status_code == 200


def test_ten_wrong_passwords_from_someone_else_do_not_lock_the_owner_out():
    make_user("dana@example.com")
    for _ in range(10):
        attempt("203.0.113.66", "wrong-password-123")
    assert not signed_in(attempt("203.0.113.66", PASSWORD))  # the guesser's address cools off
    assert signed_in(attempt("198.51.100.7", PASSWORD))  # the owner's phone signs in


def test_the_account_has_a_cap_across_addresses_too():
    make_user("dana@example.com")
    for n in range(account_cap()):
        attempt(f"10.0.{n // 4}.{n % 4 + 1}", "wrong-password-123")  # four tries per address: under its limit
    assert not signed_in(attempt("198.51.100.7", PASSWORD))


def test_the_api_and_the_page_share_the_per_address_budget():
    make_user("dana@example.com")
    api = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(5):
        api.post("/api/v1/auth/token", {"email": "dana@example.com", "password": "wrong-password-123"},
                 content_type="application/json")
    assert not signed_in(attempt("203.0.113.66", PASSWORD))
    assert signed_in(attempt("198.51.100.7", PASSWORD))


def test_the_counters_live_where_every_worker_reads_them():
    """Without Redis the cache is Django's database cache: each gunicorn worker reads the same rows (a
    process-local cache multiplied every limit by the worker count). With Redis, Redis."""
    make_user("dana@example.com")
    attempt("203.0.113.66", "wrong-password-123")
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.REDIS_URL:
        assert backend == "django.core.cache.backends.redis.RedisCache"
        return
    assert backend == "django.core.cache.backends.db.DatabaseCache"
    table = connection.ops.quote_name(settings.CACHES["default"]["LOCATION"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {table}")
        keys = {row[0] for row in cursor.fetchall()}
    request = RequestFactory(REMOTE_ADDR="203.0.113.66").post("/login")
    per_ip = get_cache_key(request, app="allauth.account", action="login_failed", rate=Rate(10, 60, "ip"))
    assert cache.make_key(per_ip) in keys and len(cache.get(per_ip)) == 1
    assert not any("203.0.113.66" in key for key in keys)  # the table names no IP address
