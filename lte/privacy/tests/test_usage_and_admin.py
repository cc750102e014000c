"""Usage data stays minimal and becomes anonymous; staff's admin holds nothing of anyone's CRM."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib import admin
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lte.privacy import usage
from lte.privacy.models import UsageDailyCount, UsageEvent
from lte.privacy.retention import roll_up_usage
from lte.privacy.usage import flush, record
from lte.testing.helpers import bearer_client, make_user, with_two_factor

pytestmark = pytest.mark.django_db
DAY = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def test_the_daily_job_turns_events_into_anonymous_counts_and_forgets_them_after_90_days(alice, bob):
    with time_machine.travel(DAY, tick=False):
        for user in (alice, alice, bob):
            record(user, "export zip")
        record(bob, "get crm:contact-list")
    assert UsageEvent.objects.count() == 0  # buffered: nothing is written on the request path
    assert flush() == 4
    with time_machine.travel(DAY + timedelta(days=1), tick=False):
        roll_up_usage.call_local()
        roll_up_usage.call_local()  # idempotent
    counts = {(c.name, c.uses, c.accounts) for c in UsageDailyCount.objects.filter(day=DAY.date())}
    assert counts == {("export zip", 3, 2), ("get crm:contact-list", 1, 1)}
    assert [f.name for f in UsageDailyCount._meta.get_fields()] == ["id", "day", "name", "uses", "accounts"]
    assert UsageEvent.objects.count() == 4  # raw events stay up to 90 days
    with time_machine.travel(DAY + timedelta(days=91), tick=False):
        roll_up_usage.call_local()
    assert UsageEvent.objects.count() == 0
    assert UsageDailyCount.objects.filter(day=DAY.date()).count() == 2


def test_staff_see_anonymous_counts_only(staff):
    UsageDailyCount.objects.create(day=DAY.date(), name="export zip", uses=5, accounts=3)
    client = Client()
    client.force_login(staff)
    html = client.get("/staff/usage/").content.decode()
    assert "export zip" in html and "@" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_admin_registers_no_crm_or_key_model():
    registered = {model._meta.label_lower for model in admin.site._registry}
    forbidden = [label for label in registered if label.split(".")[0] in {"crm", "vault"}]
    assert forbidden == []
    assert "privacy.staffaccess" not in registered
    assert "accounts.user" in registered


def test_the_admin_user_page_shows_no_sensitive_field(staff):
    superuser = with_two_factor(make_user("root@example.com", is_staff=True, is_superuser=True))
    client = Client()
    client.force_login(superuser)
    html = client.get(f"/staff/admin/accounts/user/{staff.pk}/change/").content.decode()
    assert 'name="password"' not in html and "adult_confirmed_at" not in html


# --- Off the request path ----------------------------------------------------------------------------------------


def writes_during(fn) -> list[str]:
    """The SQL statements that change something, run while `fn` runs."""
    with CaptureQueriesContext(connection) as queries:
        fn()
    return [q["sql"] for q in queries.captured_queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE"))]


def test_a_signed_in_read_writes_nothing(alice, alice_client):
    alice_client.get("/app/contacts/")  # the first request of a session may note when it was last seen
    assert writes_during(lambda: alice_client.get("/app/contacts/")) == []
    api = bearer_client(alice)
    api.get("/api/v1/contacts")  # and a token its last use, once a minute
    assert writes_during(lambda: api.get("/api/v1/contacts?limit=50")) == []
    assert flush() >= 4  # the uses were noted all the same, and written in one batch
    assert UsageEvent.objects.filter(user=alice, name="get api:contact_list").count() == 2


def test_a_failing_write_of_usage_events_fails_no_request_and_is_logged_without_names(alice, alice_client,
                                                                                        monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(UsageEvent.objects, "bulk_create", broken)
    assert alice_client.get("/app/contacts/").status_code == 200
    assert flush() == 0
    assert "usage: 1 events not written (OperationalError)" in caplog.text
    assert "contact" not in caplog.text.split("not written")[1]


def test_events_of_an_account_deleted_before_the_write_are_dropped(alice, bob):
    record(alice, "get crm:contact-list")
    record(bob, "get crm:contact-list")
    bob.delete()
    assert flush() == 1
    assert list(UsageEvent.objects.values_list("user_id", flat=True)) == [alice.pk]


def test_clearing_the_usage_history_takes_the_unwritten_events_too(alice, alice_client):
    alice_client.get("/app/contacts/")
    assert alice_client.post("/app/your-data/clear/usage").status_code == 302
    flush()
    assert not UsageEvent.objects.filter(user=alice).exclude(name__startswith="post ").exists()


def test_the_buffer_is_written_in_the_background_every_few_seconds(alice, settings, transactional_db):
    settings.USAGE_FLUSH_SECONDS = 1
    usage._buffer.thread = None  # as in a new process
    try:
        record(alice, "export zip")
        assert usage._buffer.thread is not None and usage._buffer.thread.is_alive()
        for _ in range(50):
            if UsageEvent.objects.filter(user=alice).exists():
                break
            time.sleep(0.1)
        assert UsageEvent.objects.filter(user=alice, name="export zip").count() == 1
    finally:
        writer, usage._buffer.thread = usage._buffer.thread, None  # stops it after its next sleep
        if writer is not None:
            writer.join(timeout=3)
