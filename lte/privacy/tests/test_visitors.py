"""Anonymous visitor counts of the public pages: one `lte_seen` cookie holding no identifier, never with
GPC or DNT, never for signed-in people, never on the app."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client

from lte.privacy.models import VisitorDay
from lte.privacy.visitors import PUBLIC_PATHS, last_days

pytestmark = pytest.mark.django_db

NOON = datetime(2027, 3, 14, 12, 0, tzinfo=UTC)
DAY = date(2027, 3, 14)


@pytest.fixture(autouse=True)
def _noon():
    with time_machine.travel(NOON, tick=False):
        yield


def counts(day: date = DAY) -> tuple[int, int]:
    row = VisitorDay.objects.filter(day=day).first()
    return (row.visitors, row.views) if row else (0, 0)


@pytest.mark.parametrize("path", sorted(PUBLIC_PATHS))
def test_a_first_view_of_a_public_page_counts_a_visitor_and_sets_the_cookie(path):
    response = Client().get(path)
    assert response.status_code == 200
    cookie = response.cookies["lte_seen"]
    assert cookie.value == "1"
    assert counts() == (1, 1)


def test_the_cookie_is_httponly_lax_and_expires_at_the_next_utc_midnight():
    cookie = Client().get("/").cookies["lte_seen"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert not cookie["secure"]  # development profile: plain http
    assert cookie["expires"] == "Mon, 15 Mar 2027 00:00:00 GMT"
    assert int(cookie["max-age"]) == 12 * 3600


def test_the_cookie_is_secure_when_the_session_cookie_is(settings):
    settings.SESSION_COOKIE_SECURE = True
    assert Client().get("/pricing").cookies["lte_seen"]["secure"] is True


def test_the_cookie_carries_no_identifier():
    values = {Client().get("/").cookies["lte_seen"].value for _ in range(3)}
    assert values == {"1"}  # the same for every browser
    assert counts() == (3, 3)


def test_a_browser_is_counted_once_a_day_and_every_view_is_counted():
    browser = Client()
    browser.get("/")
    second = browser.get("/pricing")
    third = browser.get("/privacy")
    assert "lte_seen" not in second.cookies and "lte_seen" not in third.cookies  # set once
    assert counts() == (1, 3)


def test_the_next_day_the_same_browser_is_counted_again():
    browser = Client()
    browser.get("/")
    with time_machine.travel(datetime(2027, 3, 15, 8, 0, tzinfo=UTC), tick=False):
        browser.cookies.pop("lte_seen")  # the browser dropped it at midnight UTC, as its expiry says
        assert browser.get("/").cookies["lte_seen"].value == "1"
    assert counts() == (1, 1)
    assert counts(date(2027, 3, 15)) == (1, 1)


@pytest.mark.parametrize("header", [{"HTTP_SEC_GPC": "1"}, {"HTTP_DNT": "1"}])
def test_gpc_or_dnt_means_no_count_and_no_cookie(header):
    response = Client(**header).get("/")
    assert response.status_code == 200
    assert "lte_seen" not in response.cookies
    assert not VisitorDay.objects.exists()


def test_a_gpc_browser_with_an_old_cookie_is_not_counted_either():
    browser = Client(HTTP_SEC_GPC="1")
    browser.cookies["lte_seen"] = "1"
    browser.get("/pricing")
    assert not VisitorDay.objects.exists()


def test_dnt_zero_is_not_an_opt_out():
    assert Client(HTTP_DNT="0").get("/").cookies["lte_seen"].value == "1"


@pytest.mark.parametrize("path", ["/app/", "/login", "/signup", "/report-child", "/accounts/login/",
                                  "/accounts/password/reset/",
                                  "/api/v1/openapi.json", "/healthz", "/static/css/lte.css", "/staff/visitors",
                                  "/staff/child-reports", "/no-such-page"])
def test_other_pages_are_never_counted(path):
    response = Client().get(path)
    assert "lte_seen" not in response.cookies
    assert not VisitorDay.objects.exists()


def test_signed_in_people_are_never_counted(alice_client):
    for path in ["/pricing", "/privacy", "/terms", "/cookies", "/report-child"]:
        response = alice_client.get(path)
        assert response.status_code == 200
        assert "lte_seen" not in response.cookies
    assert not VisitorDay.objects.exists()


def test_only_get_is_counted(client):
    client.post("/report-child", {"reported_email": "kid@example.com", "details": "x"})
    client.head("/")
    assert not VisitorDay.objects.exists()


def test_a_count_row_holds_only_the_day_and_two_numbers():
    Client(HTTP_USER_AGENT="Test/1.0", REMOTE_ADDR="203.0.113.7").get("/")
    assert {f.name for f in VisitorDay._meta.get_fields()} == {"id", "day", "visitors", "views"}


def test_staff_see_the_last_30_days(staff):
    Client().get("/")
    Client().get("/pricing")
    VisitorDay.objects.create(day=date(2027, 2, 1), visitors=7, views=9)  # 41 days ago: not shown
    staff_client = Client()
    staff_client.force_login(staff)
    response = staff_client.get("/staff/visitors")
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 visitors, 2 page views." in html
    assert html.count("<tr>") == 31  # the header and 30 days
    assert 'datetime="2027-03-14"' in html and 'datetime="2027-02-13"' in html
    assert 'datetime="2027-02-12"' not in html
    assert "<script>" not in html and " style=" not in html
    assert "lte_seen" not in response.cookies  # staff are signed in: not counted


def test_last_days_fills_the_gaps_with_zeros():
    VisitorDay.objects.create(day=DAY, visitors=2, views=5)
    days = last_days(3, today=DAY)
    assert days == [{"day": DAY, "visitors": 2, "views": 5},
                    {"day": date(2027, 3, 13), "visitors": 0, "views": 0},
                    {"day": date(2027, 3, 12), "visitors": 0, "views": 0}]
