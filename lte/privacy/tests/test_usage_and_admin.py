"""Usage data stays minimal and becomes anonymous; staff's admin holds nothing of anyone's CRM."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib import admin
from django.test import Client

from lte.privacy.models import UsageDailyCount, UsageEvent
from lte.privacy.retention import roll_up_usage
from lte.privacy.usage import record
from lte.testing.helpers import make_user

pytestmark = pytest.mark.django_db
DAY = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def test_the_daily_job_turns_events_into_anonymous_counts_and_forgets_them_after_90_days(alice, bob):
    with time_machine.travel(DAY, tick=False):
        for user in (alice, alice, bob):
            record(user, "export zip")
        record(bob, "get crm:contact-list")
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
    superuser = make_user("root@example.com", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(superuser)
    html = client.get(f"/staff/admin/accounts/user/{staff.pk}/change/").content.decode()
    assert 'name="password"' not in html and "adult_confirmed_at" not in html
