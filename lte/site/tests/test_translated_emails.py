"""Every email speaks its recipient's language, whatever language the request, the worker or the staff member
that caused it was in: verification, password reset (allauth's, with allauth's own translations), account
deleted, staff access, policy change and the daily digest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.header import decode_header, make_header

import pytest
import time_machine
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from lte.crm.digest import digests_send_due
from lte.crm.services.contacts import contact_create
from lte.crm.services.followups import followup_create
from lte.privacy.documents import send_policy_notice_batch
from lte.privacy.models import PolicyVersion
from lte.privacy.staff import record_staff_action
from lte.testing.helpers import PASSWORD, bearer_client, make_user, message_text, outbox_messages

LANGUAGES = ["en", "es", "pt-BR", "fr", "de"]
# 14:30 UTC on 10 March 2027 is 08:30 in Chicago: the digest's hour has passed there.
MORNING = datetime(2027, 3, 10, 14, 30, tzinfo=UTC)


def in_language(language: str, english: str, **values) -> str:
    with translation.override(language):
        text = gettext(english)
    return text % values if values else text


def only_email_to(address: str):
    (message,) = [m for m in outbox_messages() if address in m["To"]]
    return str(make_header(decode_header(message["Subject"]))), message_text(message)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_verification_email_is_in_the_browsers_language(language, db):
    visitor = Client(HTTP_ACCEPT_LANGUAGE=language)
    visitor.post("/signup", {"name": "Rosa", "email": "rosa@example.com", "password1": "a long passphrase 81",
                             "country": "MX", "adult": "on"})
    _subject, body = only_email_to("rosa@example.com")
    assert in_language(language, "If you did not sign up, ignore this email and nothing will happen.") in body
    with translation.override(language):
        assert gettext("Please Confirm Your Email Address") in _subject


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_password_reset_email_is_in_the_accounts_language_not_the_browsers(language, db):
    make_user("lena@example.com", name="Lena", language=language)
    other = "de" if language != "de" else "es"
    Client(HTTP_ACCEPT_LANGUAGE=other).post("/accounts/password/reset/", {"email": "lena@example.com"})
    subject, _body = only_email_to("lena@example.com")
    with translation.override(language):
        assert gettext("Password Reset Email") in subject


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_account_deleted_email_is_in_the_accounts_language(language, db, django_capture_on_commit_callbacks):
    user = make_user("gone@example.com", name="Gone", language=language)
    with django_capture_on_commit_callbacks(execute=True):
        answer = bearer_client(user).delete("/api/v1/me", {"password": PASSWORD}, content_type="application/json")
    assert answer.status_code == 204
    subject, body = only_email_to("gone@example.com")
    assert in_language(language, "Your account is deleted") in subject
    assert in_language(language, "Thank you for having used LeadTrackEngine.") in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_staff_access_email_is_in_the_accounts_language(language, db, staff,
                                                           django_capture_on_commit_callbacks):
    user = make_user("helped@example.com", name="Helped", language=language)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):  # staff work in English
        record_staff_action(staff=staff, account_id=user.pk, action="view", resource="contacts", basis="reason",
                            reason="Ticket 12: the list looks empty")
    subject, body = only_email_to("helped@example.com")
    assert in_language(language, "Our support team opened your account") in subject
    assert in_language(language, "If you did not ask for help, reply to this email or write to "
                                 "hello@leadtrackengine.com.") in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_policy_change_email_is_in_the_accounts_language(language, db):
    make_user("reader@example.com", name="Reader", language=language)
    version = PolicyVersion.objects.create(kind="privacy", published_on=date(2027, 1, 1), body="New text.",
                                           meaningful=True, summary="Shorter retention.",
                                           effective_on=date(2027, 2, 1))
    with translation.override("en"):  # the worker's
        send_policy_notice_batch.call_local(version.pk, "", 1)
    subject, body = only_email_to("reader@example.com")
    assert in_language(language, "What changes, in short:") in body
    title = in_language(language, "Privacy policy")
    # inside a sentence: lower case, but German keeps its nouns' capital ("Datenschutzerklärung")
    assert (title if language == "de" else title.lower()) in subject


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_daily_digest_is_in_the_sellers_language(language, db):
    seller = make_user("ana@example.com", name="Ana", language=language, timezone="America/Chicago",
                       daily_digest=True)
    contact = contact_create(owner=seller, first_name="Zebulon")
    followup_create(owner=seller, contact_id=contact.pk, title="Call", due_at=MORNING + timedelta(hours=2))
    with time_machine.travel(MORNING, tick=False), translation.override("en"):
        assert digests_send_due() == 1
    subject, body = only_email_to("ana@example.com")
    assert in_language(language, "Here is your day in LeadTrackEngine:") in body
    with translation.override(language):
        assert translation.ngettext("Today: %(count)s follow-up", "Today: %(count)s follow-ups", 1) % {
            "count": 1} in subject
