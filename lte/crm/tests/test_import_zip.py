"""Our own export's ZIP imports back whole — contacts, notes, messages, follow-ups (open and done), orders, pipeline
history, templates, stages and tags, with their times — and export → import → export gives the same data.
A ZIP that isn't ours, or is damaged, is refused with a clear 4xx and changes nothing."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lte.crm.models import Contact, FollowUp, Message, MessageTemplate, Note, Stage, StageChange
from lte.crm.services.contacts import contact_create, contact_set_stage
from lte.crm.services.followups import followup_create, followup_update
from lte.crm.services.messages import message_log
from lte.crm.services.notes import note_create
from lte.crm.services.orders import order_create
from lte.crm.services.stages import stage_rename
from lte.crm.services.tags import tags_for
from lte.crm.services.templates import template_save
from lte.crm.tests.test_import import imported, start
from lte.privacy.exports import zip_stream
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db

ID_COLUMNS = {"id", "contact_id"}
COMPARED = ("contacts.csv", "notes.csv", "messages.csv", "followups.csv", "orders.csv", "stage_changes.csv",
            "templates.csv", "stages.csv", "tags.csv")


def export(owner) -> bytes:
    return b"".join(zip_stream(owner))


def tables(owner) -> dict[str, list[dict]]:
    """The export's files as rows, with every id replaced by the contact's name (ids differ between accounts)."""
    archive = zipfile.ZipFile(io.BytesIO(export(owner)))
    read = {name: list(csv.DictReader(io.TextIOWrapper(archive.open(name), encoding="utf-8-sig")))
            for name in COMPARED}
    names = {row["id"]: f"{row['first_name']}|{row['last_name']}|{row['emails']}|{row['phones']}"
             for row in read["contacts.csv"]}
    out = {}
    for name, rows in read.items():
        cleaned = []
        for row in rows:
            row = dict(row)
            row.pop("id", None)
            if "contact_id" in row:
                row["contact_id"] = names.get(row["contact_id"], "?")
            cleaned.append(row)
        out[name] = sorted(cleaned, key=lambda r: sorted(r.items()))
    return out


def seller_data(owner) -> None:
    with acting_for(owner.pk):
        _seller_data(owner)


def _seller_data(owner) -> None:
    stage_rename(owner=owner, slug="customer", name="Client")
    zoe = contact_create(
        owner=owner, first_name="Zoë", last_name="O’Brien", company="Acme, Inc.", job_title="Buyer",
        emails=["zoe@example.com", "Z.OBrien@Example.org"], email_labels=["home", "work"],
        phones=["+34612345678", "+14155550100"], phone_labels=["mobile", ""],
        addresses=[{"label": "home", "value": "Calle Mayor 1\n28013 Madrid"}, {"label": "work", "value": "Gran Vía 2"}],
        urls=[{"label": "instagram", "value": "https://instagram.com/zoe"}], birthday=date(1985, 3, 14),
        source="referral", stage="customer", tags=["VIP", "Friends"], customer_since=date(2024, 1, 2),
        reorder_every_days=30, social={"instagram": "@zoe"})
    household = contact_create(owner=owner, first_name="Carlos", last_name="O’Brien",
                                        phones=["+34612345678"], birthday="--07-19")  # shares Zoë's number
    contact_create(owner=owner, first_name="=SUM(A1:A9)", last_name="+cmd|' /C calc'!A0",
                            phones=["+447700900123"], tags=["@home", "-minus", "=x"], source="-")
    contact_create(owner=owner, first_name="🌟 Lucía", last_name="مريم", tags=["💄"],
                            address="שדרות רוטשילד 1, תל אביב")
    note_create(owner=owner, contact=zoe, body="Met at the fair, likes tea.\n“Call after 6”, she said")
    note_create(owner=owner, contact=household, body="=1+1")
    order_create(owner=owner, contact_id=zoe.pk, ordered_on=date(2026, 11, 10), products="Tea set\n=2 boxes",
                 amount="49.90", currency="EUR")
    order_create(owner=owner, contact_id=zoe.pk, ordered_on=date(2026, 10, 1))
    message_log(owner=owner, contact_id=zoe.pk, channel="whatsapp", body="Hola 👋, ¿qué tal?",
                         sent_at=datetime(2026, 11, 1, 10, 0, tzinfo=UTC))
    message_log(owner=owner, contact_id=household.pk, channel="call", direction="in", body="")
    followup_create(owner=owner, contact_id=zoe.pk, title="Send the catalogue",
                             due_at=datetime(2026, 12, 24, 9, 0, tzinfo=UTC))
    done = followup_create(owner=owner, contact_id=household.pk, title="Ask about the party",
                                    due_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    followup_update(owner=owner, followup_id=done.pk, done=True)
    contact_set_stage(owner=owner, contact_id=household.pk, stage="presented")
    template_save(owner=owner, name="Hello, again", body="Hi {first_name}, “how are you?”", channel="sms")
    template_save(owner=owner, name="Email", body="Dear {full_name},\n\nThanks!", channel="email",
                           subject="Thanks")
    Stage.objects.create(owner=owner, slug="vip-club", name="VIP club", position=9)
    tags_for(owner, ["unused tag"])


def test_our_zip_comes_back_whole_into_another_account(alice, bob):
    seller_data(alice)
    job = imported(bob, export(alice), name="lte-export.zip")
    assert job.status == "done" and job.file_format == "zip", job.errors
    assert job.errors == [] and job.skipped == 0
    assert tables(bob) == tables(alice)
    with acting_for(bob.pk):
        zoe = Contact.objects.owned_by(bob).get(first_name="Zoë")
        assert zoe.created_at == Contact.objects.owned_by(alice).get(first_name="Zoë").created_at
        assert [a["label"] for a in zoe.addresses] == ["home", "work"] and zoe.job_title == "Buyer"
        assert FollowUp.objects.owned_by(bob).filter(done_at__isnull=False).count() == 1
        assert FollowUp.objects.owned_by(bob).filter(kind=FollowUp.Kind.REORDER).count() == 1  # not two
        assert StageChange.objects.owned_by(bob).count() == StageChange.objects.owned_by(alice).count()
    assert Stage.objects.owned_by(bob).get(slug="customer").name == "Client"
    assert MessageTemplate.objects.owned_by(bob).count() == 2


def test_the_same_zip_twice_adds_nothing_the_second_time(alice, bob):
    seller_data(alice)
    data = export(alice)
    first = imported(bob, data, name="export.zip")
    before = tables(bob)
    second = imported(bob, data, name="export.zip")
    assert (first.created > 0, second.created, second.status) == (True, 0, "done"), second.errors
    assert tables(bob) == before
    assert Note.objects.owned_by(bob).count() == 2 and Message.objects.owned_by(bob).count() == 2


def test_an_account_reimporting_its_own_zip_changes_nothing(alice):
    seller_data(alice)
    before = tables(alice)
    contacts = Contact.objects.owned_by(alice).count()
    job = imported(alice, export(alice), name="export.zip")
    assert (job.status, job.created) == ("done", 0), job.errors
    assert Contact.objects.owned_by(alice).count() == contacts
    assert tables(alice) == before


def test_contacts_csv_alone_comes_back_and_keeps_labels_and_times(alice, bob):
    seller_data(alice)
    archive = zipfile.ZipFile(io.BytesIO(export(alice)))
    job = imported(bob, archive.read("contacts.csv"))
    assert (job.created, job.skipped) == (4, 0), job.errors
    assert tables(bob)["contacts.csv"] == tables(alice)["contacts.csv"]


def test_the_csv_export_opens_right_in_spreadsheets(alice):
    seller_data(alice)
    archive = zipfile.ZipFile(io.BytesIO(export(alice)))
    raw = archive.read("contacts.csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark, so Excel reads accents right
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    zoe = next(r for r in rows if r["first_name"] == "Zoë")
    assert zoe["phones"] == "+34612345678 | +14155550100"  # E.164 as it is, no apostrophe
    assert zoe["company"] == "Acme, Inc." and zoe["phone_labels"] == "mobile | "
    formula = next(r for r in rows if r["first_name"].startswith("'"))
    assert formula["first_name"] == "'=SUM(A1:A9)"  # a real formula is still neutralised
    carlos = next(r for r in rows if r["first_name"] == "Carlos")
    assert carlos["birthday"] == "'--07-19"  # Excel would compute --07-19; our import reads it back


def bad_zip(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize("data, message", [
    (bad_zip({"contacts.csv": "first_name,last_name,emails,phones\nAna,,,\n"}), "not a LeadTrackEngine export"),
    (bad_zip({"README.txt": "LeadTrackEngine export", "notes.csv": "id,contact_id,body\n"}),
     "not a LeadTrackEngine export"),
    (bad_zip({"README.txt": "Some other product", "contacts.csv": "first_name,last_name,emails,phones\n"}),
     "not a LeadTrackEngine export"),
    (bad_zip({"README.txt": "LeadTrackEngine export", "contacts.csv": "Name,Phone\nAna,1\n"}),
     "not a LeadTrackEngine export"),
    (bad_zip({f"f{i}.txt": "" for i in range(1001)}), "not a LeadTrackEngine export"),
    (b"PK\x03\x04" + b"\x00" * 100, "damaged"),
], ids=["no-readme", "no-contacts", "another-product", "not-our-columns", "too-many-entries", "garbage"])
def test_a_zip_that_is_not_ours_is_refused_and_nothing_is_kept(alice, data, message):
    with pytest.raises(ValidationError) as refused:
        start(alice, data, name="x.zip")
    assert message in str(refused.value)
    assert not Contact.objects.owned_by(alice).exists()


def test_a_truncated_export_is_refused(alice):
    contact_create(owner=alice, first_name="Ana")
    data = export(alice)
    with pytest.raises(ValidationError, match="damaged"):
        start(alice, data[: len(data) // 2], name="x.zip")


def test_paths_outside_the_zip_are_never_read_or_written(alice, bob, tmp_path):
    contact_create(owner=alice, first_name="Ana", emails=["ana@example.com"])
    archive = zipfile.ZipFile(io.BytesIO(export(alice)))
    files = {name: archive.read(name) for name in archive.namelist()}
    files["../evil.csv"] = b"first_name\nEvil\n"
    files["sub/contacts.csv"] = b"first_name,last_name,emails,phones\nNested,,,\n"
    job = imported(bob, bad_zip(files), name="x.zip")
    assert job.status == "done" and job.created == 1
    assert list(Contact.objects.owned_by(bob).values_list("first_name", flat=True)) == ["Ana"]


def test_a_zip_from_another_account_makes_new_contacts_and_never_touches_the_others(alice, bob):
    ana = contact_create(owner=alice, first_name="Ana", emails=["ana@example.com"])
    data = export(alice)
    job = imported(bob, data, name="x.zip")
    assert job.created == 1
    copy = Contact.objects.owned_by(bob).get()
    assert copy.pk != ana.pk and Contact.objects.owned_by(alice).get().pk == ana.pk


# --- Round trip with generated data ---------------------------------------------------------------------

tricky = st.text(alphabet=st.sampled_from(list("aZ09 ,;\"'=+-@|:\r\n\tñÑ€😀שׁمرحبا‮")), min_size=1, max_size=20)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(people=st.lists(st.tuples(tricky, tricky, st.sampled_from(["+34612345678", "+14155550100", None]), tricky),
                       min_size=1, max_size=4))
def test_export_import_export_gives_the_same_data(alice, bob, people):
    Contact.objects.owned_by(alice).delete()
    Contact.objects.owned_by(bob).delete()
    with acting_for(alice.pk):
        make_people(alice, people)
    job = imported(bob, export(alice), name="export.zip")
    assert job.status == "done" and job.skipped == 0, job.errors
    assert tables(bob)["contacts.csv"] == tables(alice)["contacts.csv"]
    assert tables(bob)["notes.csv"] == tables(alice)["notes.csv"]
    assert tables(bob)["messages.csv"] == tables(alice)["messages.csv"]


def make_people(alice, people) -> None:
    for first, last, phone, note in people:
        contact = contact_create(owner=alice, first_name=first.strip()[:100] or "x", last_name=last.strip(),
                                          phones=[phone] if phone else [], company=note.strip()[:100])
        if note.strip():
            note_create(owner=alice, contact=contact, body=note)
        message_log(owner=alice, contact_id=contact.pk, channel="sms", body=note,
                             sent_at=datetime.now(UTC) - timedelta(days=1))


def test_the_vcard_export_reimports_to_the_same_contacts(alice, bob):
    from lte.privacy.exports import vcard_stream

    seller_data(alice)
    cards = b"".join(vcard_stream(alice))
    job = imported(bob, cards, name="contacts.vcf")
    assert (job.status, job.created, job.skipped) == ("done", 4, 0), job.errors

    def card_view(owner):
        with acting_for(owner.pk):
            return sorted(
                (c.first_name, c.last_name, c.company, c.job_title, tuple(c.emails), tuple(c.email_labels),
                 tuple(c.phones), tuple(c.phone_labels), tuple((a["label"], a["value"]) for a in c.addresses),
                 tuple((u["label"], u["value"]) for u in c.urls), c.birthday,
                 tuple(sorted(t.name for t in c.tags.all())),
                 tuple(sorted(n.body for n in Note.objects.owned_by(owner).filter(contact=c))))
                for c in Contact.objects.owned_by(owner).prefetch_related("tags"))

    assert card_view(bob) == card_view(alice)
