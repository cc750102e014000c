"""GET /today and /templates, the contract's v1.1 lines for the seller's day: shapes exactly as CONTRACT.md writes
them, the seller's own timezone, birthdays with and without a year (29 February in a year without one), and
never another account's rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from lte.crm.birthdays import yearless
from lte.crm.models import MessageTemplate
from lte.crm.queries import birthday_falls_on
from lte.testing.helpers import make_user

API = "/api/v1"
TEMPLATE_FIELDS = {"id", "name", "channel", "subject", "body"}


def send(client: Client, method: str, path: str, data=None):
    return getattr(client, method)(API + path, data=data, content_type="application/json")


def created(client: Client, path: str, data) -> dict:
    response = send(client, "post", path, data)
    assert response.status_code == 201, (response.status_code, response.content[:500])
    return response.json()


@pytest.fixture
def alice(db):  # the shared cast's alice, in Chicago: "today" starts at 06:00 UTC there
    return make_user("alice@example.com", name="Alice", timezone="America/Chicago")


@pytest.fixture
def alice_api(api) -> Client:
    return api  # the shared fixture's bearer client, for the alice above


# --- /templates ---------------------------------------------------------------------------------------------

def test_it_creates_lists_updates_and_deletes_a_template(alice_api):
    made = created(alice_api, "/templates", {"name": "Invite", "channel": "whatsapp",
                                             "body": "Hi {first_name}, coffee this week?"})
    assert set(made) >= TEMPLATE_FIELDS
    assert (made["name"], made["channel"], made["subject"]) == ("Invite", "whatsapp", "")
    listed = send(alice_api, "get", "/templates").json()
    assert made["id"] in [t["id"] for t in listed]

    changed = send(alice_api, "patch", f"/templates/{made['id']}", {"subject": "Coffee?"})
    assert changed.status_code == 200
    assert (changed.json()["subject"], changed.json()["body"]) == ("Coffee?", "Hi {first_name}, coffee this week?")

    assert send(alice_api, "delete", f"/templates/{made['id']}").status_code == 204
    assert send(alice_api, "get", f"/templates/{made['id']}").status_code == 404
    assert not MessageTemplate.objects.filter(pk=made["id"]).exists()


@pytest.mark.parametrize("body", [
    {"name": "Invite", "channel": "pigeon", "body": "Hi"},
    {"name": "", "body": "Hi"},
    {"name": "Invite", "body": "   "},
    {"name": "Invite"},
    {"name": "x" * 81, "body": "Hi"},
    {"name": "Invite", "body": "Hi", "colour": "red"},
])
def test_it_refuses_a_bad_template_and_stores_nothing(alice_api, body):
    response = send(alice_api, "post", "/templates", body)
    assert response.status_code in (400, 422)
    assert "detail" in response.json()
    assert not MessageTemplate.objects.filter(name="Invite").exists()


def test_it_refuses_a_null_in_a_template_patch(alice_api):
    made = created(alice_api, "/templates", {"name": "Invite", "body": "Hi"})
    assert send(alice_api, "patch", f"/templates/{made['id']}", {"body": None}).status_code == 400
    assert send(alice_api, "get", f"/templates/{made['id']}").json()["body"] == "Hi"


def test_it_hides_alices_templates_from_bob(alice_api, bob_api):
    made = created(alice_api, "/templates", {"name": "Invite", "body": "Alice's script"})
    assert made["id"] not in [t["id"] for t in send(bob_api, "get", "/templates").json()]
    for method, data in (("get", None), ("patch", {"body": "Bob was here"}), ("delete", None)):
        assert send(bob_api, method, f"/templates/{made['id']}", data).status_code == 404
    assert send(alice_api, "get", f"/templates/{made['id']}").json()["body"] == "Alice's script"


# --- /today -------------------------------------------------------------------------------------------------

def ids(rows: list[dict]) -> list[str]:
    return [row["id"] for row in rows]


@time_machine.travel(datetime(2027, 3, 10, 15, 0, tzinfo=UTC), tick=False)  # 09:00 in Chicago
def test_it_lists_what_is_due_today_in_the_sellers_timezone(alice_api, bob_api):
    contact = created(alice_api, "/contacts", {"first_name": "Maria"})
    def followup(due_at: str, title: str) -> str:
        return created(alice_api, "/followups", {"contact_id": contact["id"], "due_at": due_at, "title": title})["id"]
    late_tonight = followup("2027-03-11T04:30:00Z", "call back")    # 22:30 on the 10th in Chicago: today
    yesterday = followup("2027-03-10T05:00:00Z", "send samples")     # 23:00 on the 9th in Chicago: overdue
    tomorrow = followup("2027-03-11T07:00:00Z", "presentation")      # 01:00 on the 11th: neither
    done = created(alice_api, "/followups", {"contact_id": contact["id"], "due_at": "2027-03-10T18:00:00Z",
                                             "title": "done already", "done": True})["id"]

    answer = send(alice_api, "get", "/today")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) >= {"due", "overdue", "birthdays", "reorders"}
    assert ids(body["due"]) == [late_tonight]
    assert ids(body["overdue"]) == [yesterday]
    assert tomorrow not in ids(body["due"]) + ids(body["overdue"]) and done not in ids(body["due"])
    assert body["due"][0]["contact_id"] == contact["id"] and body["due"][0]["title"] == "call back"
    assert send(bob_api, "get", "/today").json() == {"due": [], "overdue": [], "birthdays": [], "reorders": []}


@time_machine.travel(datetime(2027, 7, 19, 14, 0, tzinfo=UTC), tick=False)
def test_it_lists_todays_birthdays_with_and_without_a_year(alice_api, bob_api):
    with_year = created(alice_api, "/contacts", {"first_name": "Ana", "birthday": "1980-07-19"})
    no_year = created(alice_api, "/contacts", {"first_name": "Bea", "birthday": "--07-19"})
    created(alice_api, "/contacts", {"first_name": "Cruz", "birthday": "1980-07-20"})
    created(alice_api, "/contacts", {"first_name": "Dee"})
    created(bob_api, "/contacts", {"first_name": "Bob's friend", "birthday": "1990-07-19"})

    birthdays = send(alice_api, "get", "/today").json()["birthdays"]
    assert ids(birthdays) == [with_year["id"], no_year["id"]]
    assert [b["birthday"] for b in birthdays] == ["1980-07-19", "--07-19"]


@pytest.mark.parametrize(("birthday", "day", "celebrated"), [
    (yearless(2, 29), datetime(2027, 2, 28).date(), True),   # no 29 February in 2027: kept on the 28th
    (yearless(2, 29), datetime(2027, 3, 1).date(), False),
    (yearless(2, 29), datetime(2028, 2, 28).date(), False),  # 2028 has its 29th
    (yearless(2, 29), datetime(2028, 2, 29).date(), True),
    (datetime(1984, 2, 29).date(), datetime(2026, 2, 28).date(), True),
    (datetime(1984, 2, 28).date(), datetime(2026, 2, 28).date(), True),
    (datetime(1984, 7, 19).date(), datetime(2026, 7, 20).date(), False),
])
def test_it_keeps_29_february_on_28_february_in_other_years(birthday, day, celebrated):
    assert birthday_falls_on(birthday, day) is celebrated


@time_machine.travel(datetime(2027, 2, 28, 18, 0, tzinfo=UTC), tick=False)
def test_it_reminds_a_leap_day_birthday_on_28_february(alice_api):
    leap = created(alice_api, "/contacts", {"first_name": "Leap", "birthday": "--02-29"})
    assert ids(send(alice_api, "get", "/today").json()["birthdays"]) == [leap["id"]]


@time_machine.travel(datetime(2027, 3, 10, 15, 0, tzinfo=UTC), tick=False)
def test_it_lists_reorders_due_apart_from_the_other_followups(alice, alice_api):
    customer = created(alice_api, "/contacts", {"first_name": "Carla", "stage": "customer",
                                                "customer_since": "2027-02-01", "reorder_every_days": 30})
    body = send(alice_api, "get", "/today").json()
    reorders = body["reorders"]
    assert [r["contact_id"] for r in reorders] == [customer["id"]]
    assert reorders[0]["kind"] == "reorder"
    assert customer["id"] not in [f["contact_id"] for f in body["due"] + body["overdue"]]


def test_it_needs_a_signed_in_caller(db):
    assert Client().get(API + "/today").status_code == 401
    assert Client().get(API + "/templates").status_code == 401


@time_machine.travel(datetime(2027, 7, 19, 14, 0, tzinfo=UTC), tick=False)
def test_the_home_screen_shows_todays_birthdays(alice, alice_api):
    ana = created(alice_api, "/contacts", {"first_name": "Ana", "last_name": "Birthday", "birthday": "--07-19"})
    created(alice_api, "/contacts", {"first_name": "Cruz", "last_name": "Tomorrow", "birthday": "1980-07-20"})
    web = Client()
    web.force_login(alice)
    page = web.get("/app/").content.decode()
    assert "Birthdays today" in page and f"/app/contacts/{ana['id']}/" in page
    assert "Ana Birthday" in page and "Cruz Tomorrow" not in page
