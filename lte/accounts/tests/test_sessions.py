"""Time-outs, the session list (device, IP, country, last use) and ending sessions."""

from datetime import timedelta

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.test import Client
from django.utils import timezone

from lte.privacy.models import LoginRecord
from lte.testing.helpers import PASSWORD

pytestmark = pytest.mark.django_db
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36")


def login(ua: str = PHONE_UA, ip: str = "203.0.113.7", **extra) -> Client:
    client = Client(HTTP_USER_AGENT=ua, REMOTE_ADDR=ip, **extra)
    response = client.post("/login", {"login": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_it_ends_a_session_left_idle_too_long(alice, settings):
    settings.SESSION_IDLE_TIMEOUT = 3600
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = login()
        assert client.get("/app/").status_code == 200
        traveller.shift(timedelta(minutes=59))
        assert client.get("/app/").status_code == 200
        traveller.shift(timedelta(minutes=61))
        assert client.get("/app/").status_code == 302


def test_it_ends_a_session_after_the_absolute_limit_even_when_used(alice, settings):
    settings.SESSION_IDLE_TIMEOUT = 3600
    settings.SESSION_ABSOLUTE_TIMEOUT = 4 * 3600
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = login()
        for _ in range(3):
            traveller.shift(timedelta(minutes=50))
            assert client.get("/app/").status_code == 200
        traveller.shift(timedelta(minutes=100))
        assert client.get("/app/").status_code == 302


def test_the_session_key_rotates_at_login_and_dies_at_logout(alice):
    client = Client()
    client.get("/login")
    before = client.cookies.get("lte_session")
    client.post("/login", {"login": "alice@example.com", "password": PASSWORD})
    key = client.cookies["lte_session"].value
    assert before is None or before.value != key
    client.post("/accounts/logout/")
    stale = Client()
    stale.cookies["lte_session"] = key
    assert stale.get("/app/").status_code == 302


def test_the_session_list_shows_device_ip_country_and_last_use(alice, settings):
    settings.LTE_TRUST_COUNTRY_HEADER = True
    client = login(HTTP_CF_IPCOUNTRY="ES")
    html = client.get("/accounts/sessions/").content.decode()
    assert "Chrome Mobile 131 on Android 14" in html
    assert "203.0.113.7" in html
    assert "ES" in html
    assert "this device" in html
    assert UserSession.objects.get(user=alice).data["country"] == "ES"


def test_the_session_lists_last_use_is_written_at_most_once_a_minute_and_follows_a_new_ip(alice):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = login()
        client.get("/app/")
    seen = UserSession.objects.get(user=alice).last_seen_at
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get("/app/", REMOTE_ADDR="198.51.100.9")
    assert UserSession.objects.get(user=alice).last_seen_at == seen  # within the minute: no write
    with time_machine.travel(start + timedelta(seconds=90), tick=False):
        client.get("/app/", REMOTE_ADDR="198.51.100.9")
    session = UserSession.objects.get(user=alice)
    assert session.last_seen_at == start + timedelta(seconds=90)
    assert session.ip == "198.51.100.9"


def test_a_login_from_a_place_no_account_country_names_still_records_where_it_came_from(alice, settings):
    settings.LTE_TRUST_COUNTRY_HEADER = True
    login(HTTP_CF_IPCOUNTRY="XK")  # Kosovo: Cloudflare's code, not an ISO one an account can have
    assert UserSession.objects.get(user=alice).data["country"] == "XK"
    assert LoginRecord.objects.get(user=alice).country == "XK"


def test_it_ignores_the_country_header_unless_told_to_trust_it(alice):
    login(HTTP_CF_IPCOUNTRY="ES")
    assert "country" not in UserSession.objects.get(user=alice).data


def test_a_seller_logs_out_one_other_session(alice):
    phone = login()
    laptop = login(ua="Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", ip="198.51.100.4")
    phone_session = UserSession.objects.get(user=alice, ip="203.0.113.7")
    response = laptop.post(f"/app/settings/sessions/{phone_session.pk}/end")
    assert response.status_code == 302
    assert phone.get("/app/").status_code == 302
    assert laptop.get("/app/").status_code == 200


def test_nobody_ends_another_accounts_session(alice, bob):
    login()
    alices = UserSession.objects.get(user=alice)
    bobs_client = Client()
    bobs_client.force_login(bob)
    assert bobs_client.post(f"/app/settings/sessions/{alices.pk}/end").status_code == 404
    assert UserSession.objects.filter(pk=alices.pk).exists()


def test_ending_a_session_needs_a_post(alice):
    client = login()
    session = UserSession.objects.get(user=alice)
    assert client.get(f"/app/settings/sessions/{session.pk}/end").status_code == 405
