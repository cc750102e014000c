"""Versioned policies: publishing, the 30-day notice email (once, in batches), the banner, acknowledgements,
and the /privacy, /terms and /cookies pages."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from lte.privacy import documents
from lte.privacy.documents import acknowledgements_of, pending_for, policy_publish
from lte.privacy.models import PolicyAcknowledgement, PolicyVersion
from lte.testing.helpers import make_user, message_text, outbox_messages

pytestmark = pytest.mark.django_db

TODAY = date(2027, 1, 10)
NEW_TEXT = (
    "A changed policy, for the tests.\n"
    "What we collect\n"
    "We now also collect the colour of your shoes, which changes your rights.\n"
)
SUMMARY = "We will also collect the colour of your shoes."
BANNER_PROCESSOR = "lte.privacy.context_processors.policy_banner"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2027, 1, 10, 9, 0, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def banner(settings):
    templates = copy.deepcopy(settings.TEMPLATES)
    processors = templates[0]["OPTIONS"]["context_processors"]
    if BANNER_PROCESSOR not in processors:
        processors.append(BANNER_PROCESSOR)
    settings.TEMPLATES = templates


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Runs what publishing queues after its commit (the tests' transaction never commits)."""

    def run(**kwargs) -> PolicyVersion:
        with django_capture_on_commit_callbacks(execute=True):
            return policy_publish(**kwargs)

    return run


def publish_meaningful(run, days: int = 30, **extra) -> PolicyVersion:
    return run(kind="privacy", body=NEW_TEXT, effective_on=TODAY + timedelta(days=days), meaningful=True,
               summary=SUMMARY, **extra)


def recipients() -> list[str]:
    return sorted(m["To"] for m in outbox_messages())


def acknowledge(client: Client, version_id, **extra):
    return client.post("/policy-changes/acknowledge", {"version": version_id, **extra})


def render_banner(user) -> str:
    request = RequestFactory().get("/app/")
    request.user = user
    return render_to_string("privacy/_banner.html", request=request)


# --- Publishing and the notice email ---------------------------------------------------------------------------


def test_a_meaningful_change_emails_each_active_verified_user_once_30_days_ahead(alice, bob, on_commit):
    make_user("gone@example.com", is_active=False)
    make_user("unverified@example.com", verified=False)

    version = publish_meaningful(on_commit)

    assert recipients() == ["alice@example.com", "bob@example.com"]
    message = outbox_messages()[0]
    assert message["Subject"] == "LTE: Our privacy policy changes on February 9, 2027"
    text = message_text(message)
    assert SUMMARY in text
    assert "February 9, 2027" in text
    assert "/privacy?version=2027-01-10" in text
    assert "colour of your shoes, which changes" not in text  # a summary, not the whole text
    version.refresh_from_db()
    assert version.notified_at is not None
    assert version.effective_on - TODAY >= timedelta(days=30)


def test_the_notice_writes_the_date_as_the_recipients_language_does(alice, bob, on_commit):
    alice.language = "es"
    alice.save(update_fields=["language"])
    bob.language = "de"
    bob.save(update_fields=["language"])
    publish_meaningful(on_commit, days=35)  # 14 February 2027
    texts = {m["To"]: f"{m['Subject']}\n{message_text(m)}" for m in outbox_messages()}
    assert "14 de febrero de 2027" in texts["alice@example.com"]
    assert "14. Februar 2027" in texts["bob@example.com"]
    assert "February 14, 2027" not in texts["alice@example.com"] + texts["bob@example.com"]


def test_running_the_notice_again_emails_nobody_twice(alice, bob, on_commit):
    version = publish_meaningful(on_commit)
    assert len(outbox_messages()) == 2

    assert documents.notify_policy_change.call_local(version.pk) is False
    documents.notify_policy_change(version.pk)
    assert documents.notify_pending_policy_changes.call_local() == 0
    assert len(outbox_messages()) == 2


def test_the_notice_goes_out_in_batches_and_reaches_everyone(settings, on_commit):
    settings.POLICY_NOTICE_BATCH = 2
    for n in range(5):
        make_user(f"seller{n}@example.com")
    publish_meaningful(on_commit)
    assert recipients() == [f"seller{n}@example.com" for n in range(5)]


def test_a_failed_send_resumes_after_the_last_address_that_went_out(settings, alice, bob, monkeypatch):
    settings.POLICY_NOTICE_BATCH = 10
    version = PolicyVersion.objects.create(kind="privacy", published_on=TODAY, effective_on=TODAY + timedelta(30),
                                           meaningful=True, summary=SUMMARY, body=NEW_TEXT)
    first, second = sorted([alice, bob], key=lambda u: str(u.pk))
    real = documents._message

    def flaky(user, context, connection):
        if user.pk == second.pk:
            raise OSError("the mail server is down")
        return real(user, context, connection)

    monkeypatch.setattr(documents, "_message", flaky)
    assert documents.notify_policy_change.call_local(version.pk) is True
    assert recipients() == [first.email]

    monkeypatch.setattr(documents, "_message", real)
    documents.send_policy_notice_batch.call_local(version.pk, str(first.pk), 2)  # what the scheduled retry runs
    assert recipients() == sorted([first.email, second.email])


def test_the_safety_net_sends_a_notice_whose_job_was_lost(alice):
    PolicyVersion.objects.create(kind="terms", published_on=TODAY, effective_on=TODAY + timedelta(30),
                                 meaningful=True, summary="New terms.", body="Terms.\nHeading\nText here.")
    assert documents.notify_pending_policy_changes.call_local() == 1
    assert recipients() == ["alice@example.com"]
    assert documents.notify_pending_policy_changes.call_local() == 0
    assert len(outbox_messages()) == 1


def test_a_meaningful_change_sooner_than_the_notice_period_is_refused_unless_forced(alice, on_commit):
    with pytest.raises(ValidationError) as exc:
        publish_meaningful(on_commit, days=29)
    assert "effective_on" in exc.value.message_dict
    assert not PolicyVersion.objects.filter(meaningful=True).exists()
    assert outbox_messages() == []

    publish_meaningful(on_commit, days=1, force=True)
    assert recipients() == ["alice@example.com"]


def test_the_notice_period_comes_from_the_setting(settings, alice, on_commit):
    settings.POLICY_NOTICE_DAYS = 45
    with pytest.raises(ValidationError):
        publish_meaningful(on_commit, days=30)
    assert publish_meaningful(on_commit, days=45).effective_on == TODAY + timedelta(days=45)


def test_a_meaningful_change_needs_a_summary(alice, on_commit):
    with pytest.raises(ValidationError) as exc:
        on_commit(kind="privacy", body=NEW_TEXT, effective_on=TODAY + timedelta(days=30), meaningful=True)
    assert "summary" in exc.value.message_dict


def test_a_small_fix_notifies_no_one_and_shows_no_banner(alice, on_commit, banner):
    version = on_commit(kind="privacy", body=NEW_TEXT)
    assert version.effective_on == TODAY and version.meaningful is False
    assert outbox_messages() == []
    assert pending_for(alice) == []
    assert render_banner(alice).strip() == ""
    assert version.notified_at is None


def test_the_first_publication_records_the_file_shown_until_then(on_commit):
    publish_meaningful(on_commit)
    dates = list(PolicyVersion.objects.filter(kind="privacy").order_by("published_on")
                 .values_list("published_on", "meaningful"))
    assert dates == [(date(2026, 11, 26), False), (TODAY, True)]


def test_two_versions_on_the_same_day_are_refused(on_commit):
    on_commit(kind="privacy", body=NEW_TEXT)
    with pytest.raises(ValidationError):
        on_commit(kind="privacy", body=NEW_TEXT + "Another line, also changed.\n")


# --- The command ------------------------------------------------------------------------------------------


def test_the_command_publishes_a_file_and_refuses_a_short_notice(tmp_path, alice, django_capture_on_commit_callbacks,
                                                                  capsys):
    text = Path(tmp_path / "terms-2027-01-10.txt")
    text.write_text("Terms, version two.\nUsing LTE\nBe kind to each other, always.\n", encoding="utf-8")

    with pytest.raises(CommandError, match="30 days"):
        call_command("publish_policy", "terms", "--file", str(text), "--effective", "2027-01-20", "--meaningful",
                     "--summary", "Be kind.")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("publish_policy", "terms", "--file", str(text), "--effective", "2027-02-15", "--meaningful",
                     "--summary", "Be kind.")
    version = PolicyVersion.objects.get(kind="terms", published_on=TODAY)
    assert version.meaningful and version.effective_on == date(2027, 2, 15)
    assert "Be kind to each other" in version.body
    assert recipients() == ["alice@example.com"]
    assert "emailing 1 accounts" in capsys.readouterr().out


def test_the_command_records_a_small_fix_without_telling_anyone(tmp_path, alice):
    text = tmp_path / "cookies.txt"
    text.write_text("Cookies, typo fixed.\nIn the app\nOne cookie keeps you logged in.\n", encoding="utf-8")
    call_command("publish_policy", "cookies", "--file", str(text))
    assert PolicyVersion.objects.get(kind="cookies", published_on=TODAY).effective_on == TODAY
    assert outbox_messages() == []


# --- Banner and acknowledgements -----------------------------------------------------------------------------


def test_signed_in_users_see_the_banner_until_they_acknowledge_it(alice, alice_client, on_commit, banner):
    version = publish_meaningful(on_commit)
    html = render_banner(alice)
    assert "changes on February 9, 2027" in html
    assert SUMMARY in html
    assert 'action="/policy-changes/acknowledge"' in html and f'name="version" value="{version.pk}"' in html
    assert "<script" not in html and "style=" not in html

    response = acknowledge(alice_client, version.pk, next="/app/")
    assert response.status_code == 302 and response["Location"] == "/app/"
    assert PolicyAcknowledgement.objects.filter(user=alice, version=version).count() == 1
    assert render_banner(alice).strip() == ""

    acknowledge(alice_client, version.pk)  # twice is still one acknowledgement
    assert PolicyAcknowledgement.objects.filter(user=alice, version=version).count() == 1


def test_the_banner_appears_on_app_pages(alice_client, on_commit, banner):
    publish_meaningful(on_commit)
    assert "changes on February 9, 2027" in alice_client.get("/app/").content.decode()


def test_the_banner_is_not_shown_to_accounts_made_after_the_change_was_announced(on_commit, banner):
    publish_meaningful(on_commit)
    with time_machine.travel(datetime(2027, 1, 12, tzinfo=UTC), tick=False):
        newcomer = make_user("new@example.com")
        assert pending_for(newcomer) == []


def test_acknowledgements_are_listed_for_the_user(alice, bob, alice_client, on_commit):
    version = publish_meaningful(on_commit)
    acknowledge(alice_client, version.pk)
    [ack] = acknowledgements_of(alice)
    assert ack["kind"] == "privacy" and ack["title"] == "Privacy policy"
    assert ack["published_on"] == TODAY and ack["effective_on"] == TODAY + timedelta(days=30)
    assert ack["summary"] == SUMMARY and ack["acknowledged_at"] is not None
    assert ack["url"] == "/privacy?version=2027-01-10"
    assert acknowledgements_of(bob) == []


def test_only_a_meaningful_published_version_can_be_acknowledged(alice_client, on_commit):
    minor = on_commit(kind="terms", body="Terms.\nUsing LTE\nFixed a typo here.\n")
    assert acknowledge(alice_client, minor.pk).status_code == 404
    assert acknowledge(alice_client, 999999).status_code == 404
    assert acknowledge(alice_client, "x").status_code == 404
    assert acknowledge(Client(), minor.pk)["Location"].startswith("/login")
    assert not PolicyAcknowledgement.objects.exists()


def test_acknowledging_never_redirects_to_another_site(alice_client, on_commit):
    version = publish_meaningful(on_commit)
    response = acknowledge(alice_client, version.pk, next="https://evil.example/")
    assert response["Location"] == "/app/"


# --- The pages -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path,title", [("/privacy", "Privacy policy"), ("/terms", "Terms of service"),
                                        ("/cookies", "Cookie notice")])
def test_each_document_shows_last_updated_first(client, path, title):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'Last updated: <time datetime="2026-11-26">November 26, 2026</time>' in html
    assert html.index("Last updated") < html.index(f"<h1>{title}</h1>")
    assert "<script>" not in html and " style=" not in html


def test_the_cookie_notice_names_every_cookie(client):
    html = client.get("/cookies").content.decode()
    for name in ("lte_session", "lte_prefs", "lte_seen", "Sec-GPC: 1", "DNT: 1"):
        assert name in html


def test_the_privacy_page_links_the_child_report_form_from_its_children_section(client):
    html = client.get("/privacy").content.decode()
    children = html.index('id="children"')
    assert children < html.index('href="/report-child"') < html.index('id="changes-to-this-policy"')
    assert "We will never give your contacts to your upline" in html


def test_an_upcoming_meaningful_version_is_linked_and_takes_over_on_its_date(client, on_commit):
    publish_meaningful(on_commit)
    html = client.get("/privacy").content.decode()
    assert 'datetime="2026-11-26"' in html  # still the version in effect
    assert "This privacy policy changes on February 9, 2027." in html
    assert 'href="/privacy?version=2027-01-10"' in html

    upcoming = client.get("/privacy?version=2027-01-10").content.decode()
    assert "not in effect yet" in upcoming and "colour of your shoes" in upcoming

    with time_machine.travel(datetime(2027, 2, 9, 0, 1, tzinfo=UTC), tick=False):
        html = client.get("/privacy").content.decode()
        assert 'Last updated: <time datetime="2027-01-10">' in html
        assert "In effect since" in html and "colour of your shoes" in html
        earlier = client.get("/privacy?version=2026-11-26").content.decode()
        assert "earlier version" in earlier and "We will never give your contacts to your upline" in earlier


def test_a_small_fix_shows_at_once_without_an_announcement(client, on_commit):
    on_commit(kind="terms", body="Terms, fixed.\nUsing LTE\nA typo is fixed here, nothing else.\n")
    html = client.get("/terms").content.decode()
    assert 'Last updated: <time datetime="2027-01-10">' in html
    assert "changes on" not in html


def test_unknown_versions_are_not_found(client):
    assert client.get("/privacy?version=2020-01-01").status_code == 404
    assert client.get("/terms?version=2099-01-01").status_code == 404  # not published yet
    assert client.get("/privacy?version=2026-13-45").status_code == 404
    assert client.get("/cookies?version=").status_code == 404
    assert client.get("/privacy?version=2026-11-26").status_code == 200  # the file, before anything is recorded
