"""The free plan's 250 contacts while billing is on: adding pauses with a clear message; nothing is hidden,
kept from the export or deleted; an import stops adding at the limit and says so."""

from __future__ import annotations

import io
import zipfile

import pytest

from lte.accounts import plans
from lte.billing.models import Subscription
from lte.crm.models import Contact
from lte.crm.tests.test_import import imported
from lte.testing.helpers import bearer_client


@pytest.fixture
def billing_on(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_limits"  # nothing here calls Stripe
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"


def csv_of(count: int, start: int = 0) -> str:
    return "first_name,last_name,email\n" + "".join(
        f"Person{i},Number{i},person{i}@example.com\n" for i in range(start, start + count))


@pytest.fixture
def at_the_limit(billing_on, alice):
    job = imported(alice, csv_of(plans.FREE_CONTACT_LIMIT + 3))
    return job


def test_an_import_stops_adding_at_the_limit_with_a_report_line(at_the_limit, alice):
    job = at_the_limit
    assert (job.created, job.skipped) == (plans.FREE_CONTACT_LIMIT, 3)
    (line,) = job.errors
    assert "limit of 250 contacts is reached" in line["error"]
    assert "Settings → Billing" in line["error"]
    assert Contact.objects.owned_by(alice).count() == plans.FREE_CONTACT_LIMIT


def test_at_the_limit_the_api_refuses_a_new_contact_with_a_clear_4xx(at_the_limit, api):
    response = api.post("/api/v1/contacts", {"first_name": "One", "last_name": "More"},
                        content_type="application/json")
    assert response.status_code == 400
    assert "adding new contacts is paused" in str(response.json()["detail"])


def test_at_the_limit_the_page_says_adding_is_paused(at_the_limit, alice_client):
    response = alice_client.post("/app/contacts/new", {"first_name": "One", "last_name": "More"})
    assert response.status_code == 400
    assert "adding new contacts is paused" in response.content.decode()


def test_at_the_limit_nothing_is_hidden_exported_less_or_deleted(at_the_limit, api):
    assert api.get("/api/v1/contacts?limit=1").json()["count"] == plans.FREE_CONTACT_LIMIT
    export = api.get("/api/v1/me/export")
    with zipfile.ZipFile(io.BytesIO(b"".join(export.streaming_content))) as archive:
        rows = archive.read("contacts.csv").decode().strip().splitlines()
    assert len(rows) == plans.FREE_CONTACT_LIMIT + 1  # the header and every contact
    first = api.get("/api/v1/contacts?limit=1").json()["items"][0]
    assert api.patch(f"/api/v1/contacts/{first['id']}", {"company": "Still editable"},
                     content_type="application/json").status_code == 200
    assert api.delete(f"/api/v1/contacts/{first['id']}").status_code == 204
    assert api.post("/api/v1/contacts", {"first_name": "Room", "last_name": "Again"},
                    content_type="application/json").status_code == 201  # deleting one made room


def test_a_paying_seller_has_no_limit(at_the_limit, alice, api):
    Subscription.objects.create(user=alice, customer_id="cus_paid", status="active", plan=plans.PRO)
    assert api.post("/api/v1/contacts", {"first_name": "Two", "last_name": "Fifty-one"},
                    content_type="application/json").status_code == 201


def test_the_limit_is_each_accounts_own(at_the_limit, bob):
    assert bearer_client(bob).post("/api/v1/contacts", {"first_name": "Bob's", "last_name": "First"},
                                   content_type="application/json").status_code == 201


def test_with_billing_off_there_is_no_limit(alice):
    assert plans.contact_limit(alice) is None


def test_the_contacts_page_shows_the_limit_and_that_adding_is_paused(at_the_limit, alice_client):
    page = alice_client.get("/app/contacts/").content.decode()
    assert "250 of 250 contacts on the free plan." in page
    assert "Adding is paused" in page


def test_with_billing_off_the_contacts_page_shows_no_limit(alice_client):
    assert b"contact-limit" not in alice_client.get("/app/contacts/").content
