"""Reporting an account that belongs to a child, and the staff queue that acts on it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from lte.accounts.models import User
from lte.privacy import retention
from lte.privacy.models import ChildReport, StaffAccess
from lte.testing.helpers import make_user, outbox_messages

pytestmark = pytest.mark.django_db

REPORT = {"reported_email": "alice@example.com", "details": "She told me she is 15.", "reporter_email": ""}


def report(client: Client, **fields):
    return client.post("/report-child", {**REPORT, **fields})


def act(client: Client, queued: ChildReport, action: str, **fields):
    return client.post("/staff/child-reports", {"report": str(queued.pk), "action": action, **fields})


@pytest.fixture
def staff_client(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


# --- The public form --------------------------------------------------------------------------------------------


def test_the_form_is_public_and_carries_a_csrf_token(client):
    response = client.get("/report-child")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="reported_email"' in html and 'name="details"' in html and 'name="reporter_email"' in html
    assert "<script>" not in html and " style=" not in html


def test_a_report_creates_one_queued_report(client, alice):
    response = report(client, reporter_email="Parent@Example.com")
    assert response.status_code == 302 and response["Location"] == "/report-child?sent=1"
    saved = ChildReport.objects.get()
    assert saved.reported_email == "alice@example.com"
    assert saved.details == "She told me she is 15."
    assert saved.reporter_email == "parent@example.com"
    assert saved.resolved_at is None
    assert "Thank you for your report" in client.get("/report-child?sent=1").content.decode()


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(alice):
    known = report(Client(REMOTE_ADDR="10.0.0.1"), reported_email="alice@example.com")
    unknown = report(Client(REMOTE_ADDR="10.0.0.2"), reported_email="nobody@example.com")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known.content == unknown.content
    assert sorted(ChildReport.objects.values_list("reported_email", flat=True)) == [
        "alice@example.com", "nobody@example.com"]
    assert outbox_messages() == []  # nobody is emailed: neither the account nor the reporter


def test_an_invalid_report_is_shown_again_and_saves_nothing(client):
    response = report(client, reported_email="not an address", details="")
    assert response.status_code == 200
    assert 'class="errors"' in response.content.decode()
    assert not ChildReport.objects.exists()


def test_the_form_needs_its_csrf_token():
    response = report(Client(enforce_csrf_checks=True))
    assert response.status_code == 403
    assert not ChildReport.objects.exists()


def test_five_reports_an_hour_per_ip_then_429(client):
    for n in range(5):
        assert report(client, reported_email=f"kid{n}@example.com").status_code == 302
    response = report(client, reported_email="kid5@example.com")
    assert response.status_code == 429
    assert "Too many reports" in response.content.decode()
    assert ChildReport.objects.count() == 5

    assert report(Client(REMOTE_ADDR="192.0.2.9")).status_code == 302  # another address has its own budget
    assert ChildReport.objects.count() == 6


def test_the_privacy_policy_links_the_form(client):
    assert 'href="/report-child"' in client.get("/privacy").content.decode()


# --- The staff queue --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/staff/child-reports", "/staff/visitors"])
def test_staff_pages_are_not_found_for_anyone_else(client, alice_client, path):
    assert client.get(path).status_code == 404
    assert alice_client.get(path).status_code == 404


def test_non_staff_cannot_act_on_a_report(alice_client, bob):
    queued = ChildReport.objects.create(reported_email="bob@example.com", details="x")
    assert act(alice_client, queued, "dismiss").status_code == 404
    assert act(alice_client, queued, "delete", reason="r", confirm="on").status_code == 404
    assert act(Client(), queued, "delete", reason="r", confirm="on").status_code == 404
    queued.refresh_from_db()
    assert queued.resolved_at is None
    assert User.objects.filter(pk=bob.pk).exists()


def test_staff_see_open_reports_only(staff_client, alice):
    ChildReport.objects.create(reported_email="alice@example.com", details="Says she is 16.")
    ChildReport.objects.create(reported_email="ghost@example.com", details="Unknown one.")
    ChildReport.objects.create(reported_email="old@example.com", details="Settled.", resolved_at=timezone.now(),
                               resolution="dismissed")
    html = staff_client.get("/staff/child-reports").content.decode()
    assert "alice@example.com" in html and "Says she is 16." in html and "Has an account" in html
    assert "ghost@example.com" in html and "No account with this address" in html
    assert "old@example.com" not in html
    assert "<script>" not in html and " style=" not in html


def test_staff_can_dismiss_a_report(staff_client, alice):
    queued = ChildReport.objects.create(reported_email="alice@example.com", details="A joke.")
    response = act(staff_client, queued, "dismiss")
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.resolution == "dismissed" and queued.resolved_at is not None
    assert User.objects.filter(pk=alice.pk).exists()
    assert "alice@example.com" not in staff_client.get("/staff/child-reports").content.decode()


def test_staff_can_delete_the_reported_account_and_it_is_logged(staff_client, staff, alice):
    queued = ChildReport.objects.create(reported_email="alice@example.com", details="She is 14.")
    twin = ChildReport.objects.create(reported_email="ALICE@example.com", details="Same account, again.")
    alice_id = alice.pk
    response = act(staff_client, queued, "delete", reason="She says she is 14.", confirm="on")
    assert response.status_code == 302
    assert not User.objects.filter(pk=alice_id).exists()
    for settled in (queued, twin):
        settled.refresh_from_db()
        assert settled.resolution == "deleted" and settled.resolved_at is not None
    entry = StaffAccess.objects.get(account_id=alice_id)
    assert (entry.action, entry.basis, entry.resource, entry.staff_id) == ("delete_account", "reason", "account",
                                                                           staff.pk)


def test_deleting_needs_a_reason_and_a_confirmation(staff_client, alice):
    queued = ChildReport.objects.create(reported_email="alice@example.com", details="x")
    act(staff_client, queued, "delete", reason="", confirm="on")
    act(staff_client, queued, "delete", reason="Age")
    assert User.objects.filter(pk=alice.pk).exists()
    queued.refresh_from_db()
    assert queued.resolved_at is None


def test_a_staff_account_cannot_be_deleted_from_the_queue(staff_client):
    other = make_user("admin2@example.com", is_staff=True)
    queued = ChildReport.objects.create(reported_email="admin2@example.com", details="x")
    act(staff_client, queued, "delete", reason="Age", confirm="on")
    assert User.objects.filter(pk=other.pk).exists()
    queued.refresh_from_db()
    assert queued.resolved_at is None


def test_settled_reports_are_forgotten_after_90_days():
    now = timezone.now()
    ChildReport.objects.create(reported_email="a@example.com", resolved_at=now - timedelta(days=91),
                               resolution="dismissed")
    recent = ChildReport.objects.create(reported_email="b@example.com", resolved_at=now - timedelta(days=10),
                                        resolution="dismissed")
    waiting = ChildReport.objects.create(reported_email="c@example.com", created_at=now - timedelta(days=200))
    assert retention.purge_settled_child_reports.call_local() == 1
    assert set(ChildReport.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}


def test_staff_actions_need_an_open_report_and_a_known_action(staff_client):
    queued = ChildReport.objects.create(reported_email="kid@example.com", details="x")
    assert act(staff_client, queued, "explode").status_code == 404
    assert staff_client.post("/staff/child-reports", {"report": "not-a-uuid", "action": "dismiss"}).status_code == 404
    act(staff_client, queued, "dismiss")
    assert act(staff_client, queued, "dismiss").status_code == 404  # already settled
