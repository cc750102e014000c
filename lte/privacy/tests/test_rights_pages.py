"""The rights, one tap from inside the app: Your data, export, delete, correct, support access."""

import io
import zipfile

import pytest
from django.test import Client

from lte.accounts.models import ApiToken, User
from lte.accounts.services import api_token_create
from lte.crm.models import Contact, Note
from lte.crm.services.contacts import contact_create
from lte.crm.services.notes import note_create
from lte.privacy import usage
from lte.privacy.models import LoginRecord, StaffAccess, SupportGrant, UsageEvent
from lte.testing.helpers import PASSWORD, bearer, make_user, outbox_messages
from lte.vault.context import acting_for
from lte.vault.models import AccountKey, Tombstone

pytestmark = pytest.mark.django_db


def logged_in(email="alice@example.com") -> Client:
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1")
    assert client.post("/login", {"login": email, "password": PASSWORD}).status_code == 302
    return client


def test_your_data_shows_every_section_in_plain_words(alice):
    client = logged_in()
    client.get("/app/")
    html = client.get("/app/your-data/").content.decode()
    for words in ("Export everything", "Your account", "How many records we hold", "Logins and devices",
                  "Usage data", "Staff access", "Policies you acknowledged", "Delete your account", "90 days"):
        assert words in html
    assert LoginRecord.objects.filter(user=alice).count() == 1


def test_me_data_has_the_contract_sections(alice):
    _, token = api_token_create(owner=alice, name="phone")
    data = Client(**bearer(token)).get("/api/v1/me/data").json()
    assert {"account", "preferences", "logins_and_devices", "usage_events", "billing", "policy_acknowledgements",
            "staff_access_log", "counts", "api_tokens"} <= set(data)
    assert data["api_tokens"][0]["name"] == "phone" and "token" not in data["api_tokens"][0]
    assert data["counts"]["Contacts"] == 0


def test_the_page_export_is_one_tap(alice):
    client = logged_in()
    response = client.get("/app/your-data/export")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "contacts.csv" in archive.namelist()


def test_usage_events_name_routes_never_urls_ids_or_search_terms(alice):
    with acting_for(alice.pk):
        contact = contact_create(owner=alice, first_name="Quentin")
    client = logged_in()
    _, token = api_token_create(owner=alice, name="t")
    Client(**bearer(token)).get(f"/api/v1/contacts/{contact.pk}")
    Client(**bearer(token)).get("/api/v1/contacts?q=Quentin")
    client.get("/app/your-data/")
    usage.flush()  # events are written off the request path, in batches
    names = list(UsageEvent.objects.filter(user=alice).values_list("name", flat=True))
    assert "login" in names and any("your-data" in n for n in names)
    joined = " ".join(names)
    assert str(contact.pk) not in joined and "Quentin" not in joined and "?" not in joined


def test_a_seller_deletes_their_login_history_and_usage(alice):
    client = logged_in()
    client.post("/app/your-data/clear/logins")
    client.post("/app/your-data/clear/usage")
    assert not LoginRecord.objects.filter(user=alice).exists()
    assert UsageEvent.objects.filter(user=alice).count() <= 1  # at most the redirect's own page view


def test_the_support_toggle_grants_24_hours_and_revokes(alice):
    client = logged_in()
    client.post("/app/your-data/support-access", {"allow": "yes"})
    grant = SupportGrant.objects.get(user=alice)
    assert grant.active and 23 * 3600 < (grant.expires_at - grant.created_at).total_seconds() <= 24 * 3600
    client.post("/app/your-data/support-access", {"allow": "no"})
    grant.refresh_from_db()
    assert not grant.active


def test_deleting_the_account_needs_the_password_then_removes_everything(alice, bob,
                                                                        django_capture_on_commit_callbacks):
    with acting_for(alice.pk):
        contact = contact_create(owner=alice, first_name="Gone", emails=["gone@example.com"])
        note_create(owner=alice, contact=contact, body="bye")
    with acting_for(bob.pk):
        contact_create(owner=bob, first_name="Stays")
    _, token = api_token_create(owner=alice, name="t")
    client = logged_in()
    refused = client.post("/app/delete-account/", {"password": "not-my-password"})
    assert refused.status_code == 403 and User.objects.filter(pk=alice.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/app/delete-account/", {"password": PASSWORD})
    assert done.status_code == 200 and "deleted" in done.content.decode()
    assert not User.objects.filter(pk=alice.pk).exists()
    for model in (Contact, Note, ApiToken):
        field = "owner_id"
        assert not model.objects.filter(**{field: alice.pk}).exists(), model
    assert not AccountKey.objects.filter(owner_id=alice.pk).exists()
    assert Tombstone.objects.filter(owner_id=alice.pk).exists()
    assert client.get("/app/").status_code == 302
    assert Client(**bearer(token)).get("/api/v1/me").status_code == 401
    assert Contact.objects.filter(owner=bob).count() == 1
    messages = [m for m in outbox_messages() if m["To"] == "alice@example.com"]
    assert [m["Subject"] for m in messages] == ["LTE: Your account is deleted"]


def test_the_api_delete_refuses_a_wrong_password_and_deletes_nothing(alice):
    _, token = api_token_create(owner=alice, name="t")
    client = Client(**bearer(token))
    response = client.delete("/api/v1/me", {"password": "wrong-password-1"}, content_type="application/json")
    assert response.status_code == 403 and "detail" in response.json()
    assert User.objects.filter(pk=alice.pk).exists()
    assert client.delete("/api/v1/me", {"password": PASSWORD}, content_type="application/json").status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_staff_pages_are_invisible_to_everyone_else(alice, bob):
    client = Client()
    client.force_login(bob)
    assert client.get(f"/staff/accounts/{alice.pk}/").status_code == 404
    assert client.get("/staff/usage/").status_code == 404


def test_the_staff_console_needs_a_reason_and_logs_it(alice, staff):
    with acting_for(alice.pk):
        contact_create(owner=alice, first_name="Visible", emails=["visible@example.com"])
    client = Client()
    client.force_login(staff)
    page = client.get(f"/staff/accounts/{alice.pk}/").content.decode()
    assert "visible@example.com" not in page
    refused = client.post(f"/staff/accounts/{alice.pk}/", {"reason": "hmm"})
    assert refused.status_code == 400 and not StaffAccess.objects.exists()
    shown = client.post(f"/staff/accounts/{alice.pk}/", {"reason": "Ticket 77: contact list is empty"})
    assert "visible@example.com" in shown.content.decode()
    assert StaffAccess.objects.get().basis == "reason"


def test_correct_anything_the_country_and_preferences(alice):
    client = logged_in()
    client.post("/app/settings/preferences", {"language": "pt-br", "currency": "BRL", "timezone": "America/Sao_Paulo",
                                              "theme": "auto"})
    alice.refresh_from_db()
    assert (alice.language, alice.currency, alice.timezone) == ("pt-BR", "BRL", "America/Sao_Paulo")


def test_an_account_with_two_factor_can_delete_with_a_code(alice):
    import time

    from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

    secret = "JBSWY3DPEHPK3PXPJBSWY3DP"
    TOTP.activate(alice, secret)
    other = make_user("other@example.com")
    client = Client()
    client.force_login(alice)
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    assert client.post("/app/delete-account/", {"code": code}).status_code == 200
    assert not User.objects.filter(pk=alice.pk).exists() and User.objects.filter(pk=other.pk).exists()
