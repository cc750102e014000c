"""Export everything: the ZIP's contents, formula neutralisation, and a lossless round trip."""

import csv
import io
import uuid
import zipfile
from datetime import date

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lte.accounts.services import api_token_create
from lte.crm.models import Contact, FollowUp, Message, Note
from lte.crm.services.contacts import contact_create
from lte.crm.services.followups import followup_create
from lte.crm.services.messages import message_log
from lte.crm.services.notes import note_create
from lte.crm.tests.test_import import imported
from lte.lib.spreadsheet import neutralise, unneutralise
from lte.privacy.exports import zip_stream
from lte.testing.helpers import bearer, make_user
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db


def export_of(user) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(zip_stream(user))))


def rows(archive, name):
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))


def test_the_api_export_is_a_zip_attachment_with_the_contract_files(alice):
    _, token = api_token_create(owner=alice, name="t")
    response = Client(**bearer(token)).get("/api/v1/me/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert {"contacts.csv", "notes.csv", "messages.csv", "followups.csv", "account.csv", "README.txt"} <= set(
        archive.namelist())
    [account] = rows(archive, "account.csv")
    assert account["email"] == "alice@example.com"
    assert archive.testzip() is None


def test_cells_that_look_like_formulas_are_neutralised():
    for value in ("=SUM(A1)", "+1 555", "-2", "@cmd", "\tx", "\rx", "'quoted"):
        assert neutralise(value).startswith("'")
        assert unneutralise(neutralise(value)) == value
    assert neutralise("plain") == "plain"


def test_bob_exports_only_bobs_data(alice, bob):
    with acting_for(alice.pk):
        contact_create(owner=alice, first_name="Secret", emails=["secret@example.com"])
    archive = export_of(bob)
    assert rows(archive, "contacts.csv") == []
    assert b"Secret" not in b"".join(archive.read(n) for n in archive.namelist())


def test_vcard_and_json_variants(alice):
    with acting_for(alice.pk):
        contact_create(owner=alice, first_name="Vera", emails=["vera@example.com"], phones=["+14155550100"])
    _, token = api_token_create(owner=alice, name="t")
    client = Client(**bearer(token))
    vcard = b"".join(client.get("/api/v1/me/export?format=vcard").streaming_content).decode()
    assert "BEGIN:VCARD" in vcard and "vera@example.com" in vcard and "+14155550100" in vcard
    import json

    data = json.loads(b"".join(client.get("/api/v1/me/export?format=json").streaming_content))
    assert data["contacts"][0]["first_name"] == "Vera"
    assert client.get("/api/v1/me/export?format=exe").status_code == 422


text = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="|\x00"), max_size=40).map(
    str.strip)
risky = st.sampled_from(["=SUM(A1:A9)", "+44 20", "-1", "@here", "'apostrophe", "مرحبا بالعالم", "שלום", "🎉🔥",
                         "<script>alert(1)</script>", "a, \"quoted\"\nnewline"])
name = st.one_of(text, risky).filter(lambda s: 0 < len(s) <= 100)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=name, last=st.one_of(text, risky).filter(lambda s: len(s) <= 100),
       note=st.one_of(text, risky).filter(bool), address=st.one_of(st.none(), risky),
       tag=st.one_of(risky, text).filter(lambda s: 0 < len(s) <= 40))
@example(first="Ana", last="", note="x", address=None, tag=";")  # a tag that is another format's separator
@example(first="Ana", last="", note="x", address=None, tag="a, b")
def test_the_export_reimports_into_an_empty_account_to_the_same_data(first, last, note, address, tag):
    source = make_user(f"src-{uuid.uuid4().hex}@example.com")  # examples share one test's database
    target = make_user(f"dst-{uuid.uuid4().hex}@example.com")
    with acting_for(source.pk):
        contact = contact_create(owner=source, first_name=first, last_name=last, emails=["a.b@example.com"],
                                 phones=["+34612345678"], address=address, birthday=date(1990, 5, 17),
                                 source="event", tags=[tag], stage="presented")
        note_create(owner=source, contact=contact, body=note)
        message_log(owner=source, contact_id=contact.pk, channel="whatsapp", body=note)
        followup_create(owner=source, contact_id=contact.pk, title=note[:200],
                        due_at=contact.created_at)
    job = imported(target, b"".join(zip_stream(source)), name="export.zip")  # the import a seller would use
    assert job.errors == [] and (job.status, job.skipped) == ("done", 0)

    def snapshot(user):
        with acting_for(user.pk):
            c = Contact.objects.owned_by(user).select_related("stage").prefetch_related("tags").get()
            return {
                "contact": (c.first_name, c.last_name, c.emails, c.phones, c.address, c.birthday, c.source,
                            c.stage.slug, sorted(t.name for t in c.tags.all()), c.created_at),
                "notes": [n.body for n in Note.objects.owned_by(user)],
                "messages": [(m.channel, m.direction, m.body, m.sent_at) for m in Message.objects.owned_by(user)],
                "followups": [(f.title, f.kind, f.due_at, f.done_at) for f in FollowUp.objects.owned_by(user)],
            }

    assert snapshot(target) == snapshot(source)


def test_the_fast_contact_rows_are_the_declared_columns(alice):
    """contacts.csv has a fast path (tuples, not model instances) next to its declaration in the registry:
    both give the same cells for every column, so neither can drift."""
    from lte.crm.models import Contact
    from lte.lib.spreadsheet import neutralise as cell
    from lte.privacy import registry
    from lte.privacy.exports import entry_rows

    with acting_for(alice.pk):
        full = contact_create(owner=alice, first_name="Zoë", last_name="O’Brien", company="Acme", job_title="Buyer",
                              emails=["zoe@example.com", "z@example.org"], email_labels=["home", ""],
                              phones=["+34612345678"], phone_labels=["mobile"], birthday="--07-19",
                              addresses=[{"label": "home", "value": "Calle 1"}, {"label": "work", "value": "Vía 2"}],
                              urls=["https://zoe.example"], source="event", tags=["VIP", "Yoga"], stage="customer",
                              reorder_every_days=30, social={"instagram": "@zoe"})
        contact_create(owner=alice, first_name="Bare")
        message_log(owner=alice, contact_id=full.pk, channel="sms", body="hi")
        entry = registry.entry_for(Contact)
        declared = [[cell(get(c)) for _, get in entry.columns] for c in registry.queryset(Contact, entry, alice.pk)]
        fast = [[cell(v) for v in row] for row in entry_rows(Contact, entry, alice.pk)]
    assert fast == declared and len(fast) == 2
    assert len(fast[0]) == len(entry.columns)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_it_logs_an_export_cut_before_its_end_and_one_sent_whole(alice, alice_client, caplog):
    """A download the client leaves or a stop cuts is in the log (its size, never its contents)."""
    for i in range(30):
        contact_create(owner=alice, first_name=f"Person{i}", last_name="Cutoff", emails=[f"p{i}@example.com"])
    caplog.set_level("INFO", logger="lte.privacy.exports")
    cut = alice_client.get("/app/your-data/export")
    assert cut.status_code == 200
    next(iter(cut.streaming_content))
    cut.close()  # what the WSGI server does when the connection goes away mid-download (and a request's end
    # closes the database connection, as in production: hence real commits for this test)
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert warning.getMessage().startswith("export zip cut after ")
    whole = alice_client.get("/app/your-data/export?format=vcard")
    body = b"".join(whole.streaming_content)
    whole.close()
    assert f"export vcard sent: {len(body)} bytes" in caplog.text
    assert "Cutoff" not in caplog.text and "example.com" not in caplog.text
