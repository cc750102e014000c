"""Contact import (lte.crm.imports): the formats, every row's fate, de-duplication, and the promises around
them — an imported contact is the same as one made by hand, a retried job never doubles a contact, the
upload never sits on disk in plaintext, and nothing about contacts reaches the logs.

The API is tested in test_import_api.py, the pages in test_import_pages.py."""

from __future__ import annotations

import codecs
import io
import logging
import os
import threading
import zipfile
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from huey.consumer import Worker
from huey.contrib.djhuey import HUEY

from lte.crm import imports, queries, tasks
from lte.crm.imports import jobs, limits, sniff, writer
from lte.crm.models import Contact, ContactLookup, ContactToken, FollowUp, ImportJob, Note, Tag
from lte.crm.services.contacts import contact_create, contact_delete
from lte.crm.services.duplicates import find_duplicates
from lte.crm.services.index import e164_national_digits, national_digits
from lte.testing.helpers import make_user
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db

HEADER = "first_name,last_name,emails,phones,address,birthday,source,stage,tags\n"
CANARY = "Quetzalcoatl-Canary-7731"


# --- Helpers (also used by test_import_api.py and test_import_pages.py) ---------------------------------


def start(owner, data: bytes | str, name: str = "contacts.csv", **kwargs) -> ImportJob:
    if isinstance(data, str):
        data = data.encode()
    return imports.import_start(owner=owner, upload=SimpleUploadedFile(name, data), **kwargs)


def run(job: ImportJob) -> ImportJob:
    tasks.import_contacts(str(job.pk))
    return reread(job)


def reread(job: ImportJob) -> ImportJob:
    """The job as stored, its sealed report opened as its owner would (refresh_from_db() would open file_key)."""
    job = ImportJob.objects.get(pk=job.pk)
    with acting_for(job.owner_id):
        job.errors
    return job


def imported(owner, data: bytes | str, **kwargs) -> ImportJob:
    return run(start(owner, data, **kwargs))


def view(contact: Contact) -> dict:
    return {"first_name": contact.first_name, "last_name": contact.last_name, "emails": contact.emails,
            "phones": contact.phones, "address": contact.address, "birthday": contact.birthday,
            "source": contact.source, "stage": contact.stage.slug if contact.stage else None,
            "tags": sorted(t.name for t in contact.tags.all()), "customer_since": contact.customer_since,
            "reorder_every_days": contact.reorder_every_days, "social": contact.social}


def contacts_of(owner) -> list[dict]:
    with acting_for(owner.pk):
        query = (Contact.objects.owned_by(owner).select_related("stage").prefetch_related("tags")
                 .order_by("sort_name", "id"))
        return [view(c) for c in query]


def one(owner, **lookup) -> dict:
    with acting_for(owner.pk):
        return view(Contact.objects.owned_by(owner).get(**lookup))


def problems(job: ImportJob) -> dict:
    found: dict = {}
    for entry in job.errors or []:
        found.setdefault(entry["row"], []).append(entry["error"])
    return {row: " ".join(messages) for row, messages in found.items()}


def notes_of(owner) -> list[str]:
    with acting_for(owner.pk):
        return sorted(n.body for n in Note.objects.owned_by(owner))


def files_in_imports_dir() -> list:
    return sorted(imports.imports_dir().iterdir())


def assert_counts(job: ImportJob, *, created: int, updated: int = 0, skipped: int = 0) -> None:
    assert job.status == ImportJob.Status.DONE, job.errors
    assert (job.created, job.updated, job.skipped) == (created, updated, skipped), job.errors
    assert job.processed == job.total == created + updated + skipped


@pytest.fixture(autouse=True)
def _empty_imports_dir():
    for path in files_in_imports_dir():
        path.unlink()
    yield


# --- Our own export --------------------------------------------------------------------------------------


def test_it_reimports_our_own_export_losslessly(alice, bob):
    from lte.privacy.exports import zip_stream

    contact_create(
        owner=alice, first_name="Zoë", last_name="O’Brien", emails=["zoe@example.com", "Z.OBrien@Example.org"],
        phones=["+34612345678", "+14155550100"], address="Calle Mayor 1\n28013 Madrid", birthday=date(1985, 3, 14),
        source="referral", stage="customer", tags=["VIP", "Friends"], customer_since=date(2024, 1, 2),
        reorder_every_days=30, social={"instagram": "@zoe"})
    contact_create(owner=alice, first_name="=SUM(A1:A9)", last_name="+cmd|' /C calc'!A0",
                            phones=["+447700900123"], tags=["@home", "-minus", "=x"], source="-")
    contact_create(owner=alice, first_name="'Tis", last_name="O'Neil", emails=["tis@example.com"])
    contact_create(owner=alice, first_name="🌟 Lucía", last_name="مريم", tags=["💄"],
                            address="שדרות רוטשילד 1, תל אביב")
    contact_create(owner=alice, emails=["only@example.com"], stage="not-now")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(zip_stream(alice))))
    exported = archive.read("contacts.csv")

    job = imported(bob, exported)

    assert_counts(job, created=5)
    assert not job.errors
    assert contacts_of(bob) == contacts_of(alice)
    assert FollowUp.objects.owned_by(bob).filter(kind=FollowUp.Kind.REORDER).count() == 1  # as contact_create


def test_it_reads_the_export_with_semicolons_and_formula_apostrophes(alice):
    data = HEADER + ("'=HYPERLINK(\"x\"),'+1,a@example.com;b@example.com,'+34612345678;'+34698765432,,"
                     "1990-02-03,event,presented,'@vip | friends; family\n")
    job = imported(alice, data)
    assert_counts(job, created=1)
    contact = one(alice, last_name="+1")
    assert contact["first_name"] == '=HYPERLINK("x")'
    # Emails and phones can't hold a semicolon, so one typed between them separates them; a tag can, and
    # our export separates tags with " | " alone, so "friends; family" comes back as the one tag it was.
    assert contact["emails"] == ["a@example.com", "b@example.com"]
    assert contact["phones"] == ["+34612345678", "+34698765432"]
    assert contact["tags"] == ["@vip", "friends; family"] and contact["stage"] == "presented"


def test_a_stage_may_be_given_by_its_name(alice):
    job = imported(alice, HEADER + "Ana,,,,,,,Following up,\n")
    assert_counts(job, created=1)
    assert one(alice, first_name="Ana")["stage"] == "following-up"


# --- Google Contacts -------------------------------------------------------------------------------------

GOOGLE_HEADER = ("First Name,Middle Name,Last Name,Phonetic First Name,Nickname,File As,Birthday,Notes,Labels,"
                 "E-mail 1 - Label,E-mail 1 - Value,E-mail 2 - Label,E-mail 2 - Value,Phone 1 - Label,"
                 "Phone 1 - Value,Phone 2 - Label,Phone 2 - Value,Address 1 - Label,Address 1 - Formatted,"
                 "Address 1 - Street,Address 1 - City,Address 1 - Postal Code,Address 1 - Country,"
                 "Organization Name\n")


def test_it_reads_a_google_contacts_csv(alice):
    alice.country = "ES"
    alice.save(update_fields=["country"])
    data = GOOGLE_HEADER + (
        'María,José,García,,,,1990-05-17,"Met at the fair\nLikes tea",Friends ::: * myContacts ::: * starred,'
        "Home,maria@example.com ::: maria@work.example,Work,,Mobile,612 34 56 78,Work,+1 415 555 0100,Home,"
        '"Calle Mayor 1\n28013 Madrid\nSpain",Calle Mayor 1,Madrid,28013,Spain,\n'
        ",,,,,,--05-17,,,,,,,Work,+34 698 765 432,,,Work,,Gran Vía 2,Madrid,28013,Spain,Acme Ltd\n")

    job = imported(alice, data)

    assert_counts(job, created=2)
    maria = one(alice, last_name="García")
    assert maria["first_name"] == "María José"
    assert maria["emails"] == ["maria@example.com", "maria@work.example"]
    assert maria["phones"] == ["+34612345678", "+14155550100"]
    assert maria["address"] == "Calle Mayor 1, 28013 Madrid, Spain"
    assert maria["birthday"] == date(1990, 5, 17)
    assert maria["tags"] == ["Friends"]
    assert notes_of(alice) == ["Met at the fair\nLikes tea"]
    with acting_for(alice.pk):
        acme = Contact.objects.owned_by(alice).get(company="Acme Ltd")
        assert acme.address == "Gran Vía 2, 28013 Madrid, Spain" and acme.phones == ["+34698765432"]
        assert acme.birthday == date(1604, 5, 17) and acme.birthday_without_year  # a birthday without its year
        assert acme.phone_labels == ["work"] and acme.addresses[0]["label"] == "work"
    assert job.errors == []


def test_it_reads_the_older_google_csv(alice):
    data = ("Name,Given Name,Additional Name,Family Name,Birthday,Notes,Group Membership,E-mail 1 - Type,"
            "E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value\n"
            "Ana Silva,Ana,,Silva,1988-11-02,,* myContacts ::: Customers,* Home,ana@example.com,Mobile,"
            "+351 912 345 678\n"
            "Solo Name,,,,,,,,solo@example.com,,\n")
    job = imported(alice, data)
    assert_counts(job, created=2)
    assert one(alice, last_name="Silva")["tags"] == ["Customers"]
    assert one(alice, last_name="Silva")["phones"] == ["+351912345678"]
    assert one(alice, first_name="Solo")["last_name"] == "Name"


# --- Any CSV, with a mapping ---------------------------------------------------------------------------


def test_it_imports_any_csv_with_the_sellers_mapping(alice):
    alice.country = "DE"
    alice.save(update_fields=["country"])
    data = ("Vorname;Nachname;Handy;E-Mail;Notizen;Geburtstag;Firma\n"
            "Jürgen;Müller;0151 23456789;juergen@example.de;Kunde seit 2020;14.03.1985;ACME\n")
    mapping = {"first_name": "Vorname", "last_name": "Nachname", "phones": ["Handy"], "emails": "E-Mail",
               "notes": 4, "birthday": "Geburtstag"}

    job = imported(alice, data, mapping=mapping)

    assert_counts(job, created=1)
    contact = one(alice, last_name="Müller")
    assert contact["phones"] == ["+4915123456789"] and contact["emails"] == ["juergen@example.de"]
    assert contact["birthday"] == date(1985, 3, 14)
    assert notes_of(alice) == ["Kunde seit 2020"]
    assert "ACME" not in str(contacts_of(alice))  # a column nobody mapped is not imported


def test_a_mapping_by_position_for_a_file_without_a_header_row(alice):
    data = "Ana Silva,ana@example.com,vip|gold,Calle 1,Madrid\nLuis Pérez,luis@example.com,,,\n"
    mapping = {"name": 0, "emails": [1], "tags": 2, "address": [3, 4], "header": False}
    job = imported(alice, data, mapping=mapping)
    assert_counts(job, created=2)
    ana = one(alice, first_name="Ana")
    assert ana["last_name"] == "Silva" and ana["tags"] == ["gold", "vip"] and ana["address"] == "Calle 1, Madrid"


def test_without_a_mapping_the_columns_are_guessed_from_the_header(alice):
    data = ("Full Name,E-mail Address,Mobile Phone,Tags,Date of Birth,Comments\n"
            "Ana Silva,ana@example.com,+34612345678,vip,1990-01-02,hello\n")
    job = imported(alice, data)
    assert_counts(job, created=1)
    ana = one(alice, first_name="Ana")
    assert (ana["last_name"], ana["emails"], ana["phones"], ana["tags"], ana["birthday"]) == (
        "Silva", ["ana@example.com"], ["+34612345678"], ["vip"], date(1990, 1, 2))
    assert notes_of(alice) == ["hello"]


def test_a_csv_nobody_can_make_sense_of_needs_a_mapping(alice):
    with pytest.raises(ValidationError, match="could not tell which column"):
        start(alice, "foo,bar\n1,2\n")
    assert not ImportJob.objects.exists() and not files_in_imports_dir()


@pytest.mark.parametrize(("mapping", "message"), [
    ({"emails": "Nope"}, "no column “Nope”"),
    ({"emails": 7}, "no column 7"),
    ({"favourite_colour": "Name"}, "knows only"),
    ({"tags": "Name"}, "at least one column for a name"),
    ({"first_name": {"x": 1}}, "column names or 0-based positions"),
])
def test_a_bad_mapping_is_refused_and_nothing_is_kept(alice, mapping, message):
    with pytest.raises(ValidationError, match=message):
        start(alice, "Name,Mail\nAna,ana@example.com\n", mapping=imports.parse_mapping(mapping))
    assert not ImportJob.objects.exists() and not files_in_imports_dir()


def test_a_mapping_that_is_not_json_is_refused():
    with pytest.raises(ValidationError, match="not JSON"):
        imports.parse_mapping("{first_name: Name")


# --- vCard -------------------------------------------------------------------------------------------

VCARD3 = """BEGIN:VCARD\r
VERSION:3.0\r
N:García;María José;;;\r
FN:María José García\r
EMAIL;TYPE=INTERNET,HOME:maria@example.com\r
EMAIL;TYPE=INTERNET,WORK:maria@work.example\r
TEL;TYPE=CELL:+34 612 345 678\r
ADR;TYPE=HOME:;;Calle Mayor 1;Madrid;;28013;Spain\r
BDAY:1985-03-14\r
NOTE:Met at the fair\\, likes tea\\nCall after 6\r
CATEGORIES:Friends,Customers\r
PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4\r
 nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIy\r
 MjIyMjIyMjIyMjIyMjIyMjL/wAARCAABAAEDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAw\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:3.0\r
FN:Luis Pérez\r
TEL;TYPE=WORK:+1 415 555 0100\r
TEL;TYPE=HOME:+1 415 555 0101\r
END:VCARD\r
"""

VCARD4 = """BEGIN:VCARD
VERSION:4.0
FN:Jane Doe
N:Doe;Jane;;;
EMAIL;TYPE=work:jane@example.com
TEL;VALUE=uri;TYPE="voice,cell":tel:+1-555-555-0100
ADR;TYPE=home;LABEL="1 Main St":;;1 Main St;Springfield;IL;62701;USA
BDAY:19800704
NOTE:Four point oh
CATEGORIES:a,b
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Acme Plumbing Ltd
ORG:Acme Plumbing Ltd
TEL;VALUE=uri:tel:+1-555-555-0199;ext=12
BDAY:--0314
END:VCARD
"""


def test_it_reads_vcard_3_with_several_cards(alice):
    job = imported(alice, VCARD3, name="contacts.vcf")
    assert job.file_format == "vcard"
    assert_counts(job, created=2)
    maria = one(alice, last_name="García")
    assert maria["first_name"] == "María José"
    assert maria["emails"] == ["maria@example.com", "maria@work.example"]
    assert maria["phones"] == ["+34612345678"] and maria["birthday"] == date(1985, 3, 14)
    assert maria["address"] == "Calle Mayor 1, 28013 Madrid, Spain"
    assert maria["tags"] == ["Customers", "Friends"]
    assert notes_of(alice) == ["Met at the fair, likes tea\nCall after 6"]
    assert one(alice, first_name="Luis")["phones"] == ["+14155550100", "+14155550101"]


def test_it_reads_vcard_4(alice):
    job = imported(alice, VCARD4, name="contacts.vcf")
    assert_counts(job, created=2)
    jane = one(alice, first_name="Jane")
    assert jane["phones"] == ["+15555550100"] and jane["birthday"] == date(1980, 7, 4)
    assert jane["address"] == "1 Main St, 62701 Springfield, IL, USA" and jane["tags"] == ["a", "b"]
    with acting_for(alice.pk):  # a company's card: its name is the company, not split into a person's
        acme = Contact.objects.owned_by(alice).get(company="Acme Plumbing Ltd")
        assert (acme.first_name, acme.last_name, acme.phones) == ("", "", ["+15555550199"])
        assert acme.phone_labels == ["ext. 12"]  # the extension is kept with the number
        assert acme.birthday == date(1604, 3, 14) and acme.birthday_without_year
    assert job.errors == []


def test_a_vcard_with_broken_lines_keeps_what_it_can_and_says_what_it_left_out(alice):
    data = ("BEGIN:VCARD\nVERSION:3.0\nFN:Ana Silva\nthis line is broken\nTEL:+34612345678\nEND:VCARD\n"
            "some stray text between cards\n"
            "BEGIN:VCARD\nVERSION:3.0\nN:Bad;Card\nEMAIL:not-an-email\nEND:VCARD\n"
            "BEGIN:VCARD\nVERSION:3.0\nFN:Cut Short\nEMAIL:cut@example.com\n")
    job = imported(alice, data, name="broken.vcf")

    assert job.status == ImportJob.Status.DONE
    assert (job.created, job.skipped) == (3, 1)  # the stray text; the card with a bad email comes in all the same
    found = problems(job)
    assert "1 unreadable line of the card was left out" in found[1]
    assert "text outside BEGIN:VCARD" in found[1]
    assert "Card Bad: email “not-an-email” could not be read; it is kept in a note" in found[2]
    assert "From the import: email “not-an-email” could not be read." in notes_of(alice)
    assert "no END:VCARD" in found[3]
    assert one(alice, first_name="Ana")["phones"] == ["+34612345678"]
    assert one(alice, first_name="Cut")["emails"] == ["cut@example.com"]


def test_a_garbled_card_is_reported_and_the_next_one_imported(alice):
    data = (b"BEGIN:VCARD\nVERSION:3.0\nFN:\x00\x01\x02\x03\xff\xfe\x80\x81\nEND:VCARD\n"
            + b"BEGIN:VCARD\nVERSION:3.0\nFN:Next One\nEND:VCARD\n" * 5)
    job = imported(alice, data, name="x.vcf")
    assert (job.status, job.created, job.updated, job.skipped) == ("done", 1, 0, 5)  # 4 repeats of "Next One"
    assert "unreadable characters" in problems(job)[1] or "could not be read" in problems(job)[1]


# --- Encodings ---------------------------------------------------------------------------------------

TEXT = HEADER + "José,Müller-Łukasz,jose@example.com,,Straße 5,,,,€uro\n"


@pytest.mark.parametrize("encoded", [
    TEXT.encode("utf-8"),
    codecs.BOM_UTF8 + TEXT.encode("utf-8"),
    TEXT.encode("utf-16"),  # with its BOM
    codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
    TEXT.encode("utf-16-le"),  # no BOM: the zero bytes give it away
], ids=["utf-8", "utf-8-bom", "utf-16", "utf-16-be", "utf-16-le-no-bom"])
def test_it_reads_unicode_files(alice, encoded):
    job = imported(alice, encoded)
    assert_counts(job, created=1)
    contact = one(alice, first_name="José")
    assert contact["last_name"] == "Müller-Łukasz" and contact["address"] == "Straße 5"
    assert contact["tags"] == ["€uro"]


def test_it_falls_back_to_windows_1252_and_latin_1(alice, bob):
    cp1252 = (HEADER + "José,Muñoz,,,,,,,€uro\n").encode("cp1252")
    assert_counts(imported(alice, cp1252), created=1)
    assert one(alice, first_name="José")["tags"] == ["€uro"]
    latin1 = (HEADER.rstrip("\n") + ",extra\n").encode() + "Mañana,Ávila,,,,,,,x,".encode("latin-1") + b"\x81\n"
    job = imported(bob, latin1)
    assert job.mapping["encoding"] == "latin-1"
    assert one(bob, first_name="Mañana")["last_name"] == "Ávila"


def test_it_reads_a_cyrillic_or_greek_code_page_and_keeps_short_western_files_western(alice, bob):
    cyrillic = (HEADER + "Иван,Петров,,,Москва,,,,друзья\nМария,Сидорова,,,Санкт-Петербург,,,,\n").encode("cp1251")
    job = imported(alice, cyrillic)
    assert job.mapping["encoding"] == "cp1251"
    assert one(alice, first_name="Мария")["address"] == "Санкт-Петербург"
    greek = (HEADER + "Γιώργος,Παπαδόπουλος,,,Αθήνα,,,,φίλοι\n").encode("cp1253")
    assert imported(bob, greek).mapping["encoding"] == "cp1253"
    assert one(bob, first_name="Γιώργος")["tags"] == ["φίλοι"]
    # charset-normalizer alone would read these in Windows-1250, and "Muñoz" as "Muńoz"
    for text in ("José,Muñoz,,,,,,,€uro\n", "Jos\xe9,Smith,,,,,,,\n"):
        assert sniff._code_page(text.encode("cp1252"), cp1252_ok=True) == "cp1252"
    # ... and this one in Hebrew's code page
    euros = "".join(f"Иван{i},Петров,,,Москва {i},,,,€uro\n" for i in range(300)).encode("cp1251")
    assert sniff._code_page(euros, cp1252_ok=True) == "cp1251"


def test_it_finds_a_pipe_or_tab_delimiter(alice):
    for delimiter in ("|", "\t"):
        data = f"First Name{delimiter}Last Name{delimiter}Email\nAna{delimiter}Pipe{delimiter}a@example.com\n"
        job = imported(alice, data.replace("Pipe", f"Row{ord(delimiter)}"))
        assert job.mapping["delimiter"] == delimiter
        assert one(alice, last_name=f"Row{ord(delimiter)}")["emails"] == ["a@example.com"]


def test_the_encoding_is_judged_on_the_whole_file_not_its_start(alice):
    data = (HEADER + "".join(f"Person,Number{i},,,,,,,\n" for i in range(5000))).encode() + \
        "Último,Peña,,,,,,,\n".encode("cp1252")
    assert len(data) > sniff.SAMPLE
    assert_counts(imported(alice, data), created=5001)
    assert one(alice, first_name="Último")["last_name"] == "Peña"


# --- Awkward files -------------------------------------------------------------------------------------


def test_ragged_rows_short_ones_are_read_long_ones_reported(alice):
    data = HEADER + ("Short,Row,short@example.com\n"
                     "Trailing,Commas,t@example.com,,,,,,,,,\n"
                     "Too,Long,l@example.com,,,,,,,unexpected,cells\n")
    job = imported(alice, data)
    assert (job.created, job.skipped) == (2, 1)
    assert "has 11 cells but the header has 9" in problems(job)[4]


def test_a_file_with_ten_thousand_columns(alice):
    header = [f"col{i}" for i in range(10_000)]
    header[0], header[5000], header[9999] = "Name", "Email", "Phone"
    row = [""] * 10_000
    row[0], row[5000], row[9999], row[1234] = "Wide Person", "wide@example.com", "+34612345678", "noise"
    data = ",".join(header) + "\n" + ",".join(row) + "\n"
    job = imported(alice, data, mapping={"name": "Name", "emails": "Email", "phones": 9999})
    assert_counts(job, created=1)
    assert one(alice, first_name="Wide")["phones"] == ["+34612345678"]


def test_a_binary_file_is_refused_with_a_clear_message(alice):
    garbage = bytes((i * 7919 + 13) % 256 for i in range(20_000))
    for data, message in [(garbage, "not text"), (b"\x89PNG\r\n\x1a\n" + garbage, "image"),
                          (b"PK\x03\x04" + garbage, "damaged"), (b"", "empty")]:
        with pytest.raises(ValidationError, match=message):
            start(alice, data)
    assert not ImportJob.objects.exists() and not files_in_imports_dir()


def test_binary_garbage_inside_a_csv_spoils_only_its_own_rows(alice):
    garbage = bytes(b for b in range(256) if b not in b'\r\n,"') * 2
    filler = "".join(f"Filler,Person{i},,,,,,,\n" for i in range(100))
    data = (HEADER + filler + "José,Antes,,,,,,,\n").encode() + b"Bad," + garbage + b",,,,,,,\n" + \
        "Ana,Después,,,,,,,\n".encode()
    job = imported(alice, data)
    assert (job.created, job.skipped) == (102, 1)
    assert "unreadable characters" in problems(job)[103]
    assert one(alice, last_name="Antes")["first_name"] == "José"  # still UTF-8, not mojibake


def test_a_row_with_an_unclosed_quote_is_reported(alice):
    data = HEADER + 'Ana,Silva,,,,,,,\n"Unclosed,Quote,,,,,,,\nLuis,Pérez,,,,,,,\n'
    job = imported(alice, data)
    assert "quote opened in this row is never closed" in problems(job)[3]
    assert one(alice, first_name="Ana")["last_name"] == "Silva"


def test_a_huge_cell_or_line_is_reported_not_read(alice, monkeypatch):
    data = HEADER + "Ana,Silva,,,,,,,\n" + "Big," + "x" * 200_000 + ",,,,,,,\n" + "Luis,Pérez,,,,,,,\n"
    job = imported(alice, data)
    assert (job.created, job.skipped) == (2, 1)
    assert "a cell is longer than 131,072 characters" in problems(job)[3]
    monkeypatch.setattr(limits, "MAX_LINE", 5000)
    data = HEADER + "Ana,Silva,,,,,,,\n" + "Big," + ",".join(["y" * 100] * 100) + "\n" + "Luis,Pérez,,,,,,,\n"
    job = imported(alice, data)
    assert "the row is longer than 5,000 characters" in problems(job)[3]


def test_blank_lines_are_ignored_and_row_numbers_match_the_spreadsheet(alice):
    data = HEADER + 'Ana,,bad-email,,,,,,\n\n,,,,,,,,\n"Multi\nLine",X,also-bad,,,,,,\nLuis,,worse,,,,,,\n'
    job = imported(alice, data)
    assert sorted(problems(job)) == [2, 5, 6]
    assert job.total == job.processed == 3


# --- Values stored exactly as typed --------------------------------------------------------------------


def test_formula_looking_values_are_stored_as_typed(alice):
    data = ("Name,Email,Tags,Source,Notes\n"
            '"=HYPERLINK(""http://evil.example"")",f@example.com,@vip;-minus;+plus,-5,=1+2\n'
            "+Plus Sign,p@example.com,,@source,\n")
    job = imported(alice, data)
    assert_counts(job, created=2)
    evil = one(alice, sort_name__startswith="=hyperlink")
    assert evil["first_name"] == '=HYPERLINK("http://evil.example")'
    assert evil["tags"] == ["+plus", "-minus", "@vip"] and evil["source"] == "-5"
    assert notes_of(alice) == ["=1+2"]
    assert one(alice, sort_name__startswith="+plus")["source"] == "@source"
    assert one(alice, sort_name__startswith="+plus")["last_name"] == "Sign"


def test_emoji_and_right_to_left_text_arrive_intact(alice):
    data = ("Name,Email,Tags,Notes\n"
            "محمد العلي,m@example.com,💄;عميل,ملاحظة 📝\n"
            "שרה כהן,s@example.com,לקוחה,\n"
            "😀 Ana 👩‍👩‍👧,a@example.com,🏳️‍🌈,\n")
    assert_counts(imported(alice, data), created=3)
    assert one(alice, last_name="العلي")["first_name"] == "محمد"
    assert one(alice, last_name="العلي")["tags"] == ["عميل", "💄"]
    assert one(alice, first_name="שרה")["last_name"] == "כהן"
    assert one(alice, last_name="👩‍👩‍👧")["first_name"] == "😀 Ana"
    assert one(alice, last_name="👩‍👩‍👧")["tags"] == ["🏳️‍🌈"]
    assert notes_of(alice) == ["ملاحظة 📝"]
    assert [c.first_name for c in queries.page(alice, q="محمد").items] == ["محمد"]


# --- De-duplication ------------------------------------------------------------------------------------


def test_a_row_with_the_same_name_and_an_email_or_phone_fills_the_contact_in(alice):
    alice.country = "ES"
    alice.save(update_fields=["country"])
    existing = contact_create(owner=alice, first_name="Ana", last_name="Silva", emails=["ana@example.com"],
                                       phones=["+34612345678"], tags=["vip"], address="Calle 0")
    data = ("Name,Email,Phone,Address,Tags,Notes\n"
            "Ana Silva,ANA@EXAMPLE.COM,+34698765432,Calle 1,new,first note\n"  # same email (domain case differs)
            "ÁNA  silva,,612 34 56 78,Calle 1,,\n")  # same phone typed the local way; the name folded the same

    job = imported(alice, data)

    assert_counts(job, created=0, updated=1, skipped=1)  # the second row holds nothing new
    contact = one(alice, pk=existing.pk)
    assert contact["emails"] == ["ana@example.com"]
    assert contact["phones"] == ["+34612345678", "+34698765432"]
    assert contact["address"] == "Calle 0" and contact["tags"] == ["new", "vip"]
    with acting_for(alice.pk):  # the incoming address is kept as a second one, not dropped
        assert [a["value"] for a in Contact.objects.get(pk=existing.pk).addresses] == ["Calle 0", "Calle 1"]
    assert notes_of(alice) == ["first note"]
    # …and the new phone number finds the contact, as if it had been typed in by hand
    assert [c.pk for c in queries.page(alice, q="698 765 432").items] == [existing.pk]


def test_people_who_share_a_phone_or_an_email_stay_two(alice):
    alice.country = "US"
    alice.save(update_fields=["country"])
    maria = contact_create(owner=alice, first_name="Maria", last_name="Lopez", phones=["(312) 555-0100"],
                                    address="1 Elm St")
    data = HEADER + ("Carlos,Lopez,,(312) 555-0100,2 Oak Ave,,,,\n"  # the household's landline
                     "Team,Inbox,maria@example.com,,,,,,\n"
                     "Maria,Ruiz,maria@example.com,,,,,,\n")  # a shared address, another name

    job = imported(alice, data)

    assert_counts(job, created=3)
    assert one(alice, pk=maria.pk)["address"] == "1 Elm St"  # Maria is untouched
    carlos = one(alice, first_name="Carlos")
    assert carlos["phones"] == ["+13125550100"] and carlos["address"] == "2 Oak Ave"
    twins = find_duplicates(owner=alice, phones=["+13125550100"])
    assert {c.first_name for c in twins} == {"Maria", "Carlos"}  # listed as possible duplicates, not merged


def test_reimporting_the_same_file_creates_nothing_and_changes_nothing(alice):
    data = HEADER + ("Ana,Silva,ana@example.com,+34612345678,,,,,vip\nLuis,,luis@example.com,,,,,,\n"
                     "Name,Only,,,,,,,\n,,,,Just an address,,,,\n")
    assert_counts(imported(alice, data), created=4)
    before = contacts_of(alice)
    job = imported(alice, data)
    assert_counts(job, created=0, skipped=4)
    assert contacts_of(alice) == before
    assert Tag.objects.owned_by(alice).count() == 1


def test_identical_and_overlapping_rows_in_one_file(alice, monkeypatch):
    monkeypatch.setattr(limits, "BATCH", 3)  # so that duplicates meet across batches too
    ana = "Ana,Silva,ana@example.com,,,,,,vip\n"
    data = HEADER + "".join([
        ana, ana, "Name,Only,,,,,,,\n",  # batch 1: Ana, the same again (skipped), a name-only contact
        "Luis,,luis@example.com,,,,,,\n", ana, "Name,Only,,,,,,,\n",  # batch 2: Luis, then two repeats
        "Ana,,,+34612345678,,,,,gold\n",  # batch 3: an Ana with another name: another person
        "ana,SILVA,ANA@example.com,+34612345678,,,,,\n",  # …and a row that brings Ana Silva her phone number
    ])
    job = imported(alice, data)
    assert job.status == "done" and not job.errors
    assert len(contacts_of(alice)) == 4  # Ana Silva, Name Only, Luis, and the other Ana
    assert (job.created, job.updated, job.skipped) == (4, 1, 3)
    ana = one(alice, last_name="Silva")
    assert ana["phones"] == ["+34612345678"] and ana["tags"] == ["vip"]


def test_two_rows_for_one_person_in_one_batch_merge_before_anything_is_written(alice):
    data = HEADER + ("Ana,Silva,ana@example.com,,,,,,vip\n"
                     "ana,SILVA,ana@example.com,+34612345678,Calle 1,,,,gold\n"
                     "Ána,Silva,,+34612345678,,1990-01-01,,,\n")
    job = imported(alice, data)
    assert (job.created, job.updated, job.skipped) == (1, 2, 0)
    ana = one(alice, first_name="Ana")
    assert (ana["last_name"], ana["phones"], ana["address"], ana["birthday"], ana["tags"]) == (
        "Silva", ["+34612345678"], "Calle 1", date(1990, 1, 1), ["gold", "vip"])
    assert ContactLookup.objects.owned_by(alice).count() == 4  # email, phone, national number, last digits


def test_duplicates_are_found_only_among_the_owners_contacts(alice, bob):
    contact_create(owner=bob, first_name="Ana", emails=["ana@example.com"])
    job = imported(alice, HEADER + "Ana,,ana@example.com,,,,,,\n")
    assert_counts(job, created=1)
    assert len(contacts_of(bob)) == 1 and len(contacts_of(alice)) == 1


# --- Per-row errors ------------------------------------------------------------------------------------


def test_a_value_that_fails_never_costs_the_contact(alice):
    long_email = "x" * 200 + "@@example.com"
    data = HEADER + "\n".join([
        "Good,One,good@example.com,,,,,,",
        f"Bad,Email,{long_email},,,,,,newtag",
        "Bad,Phone,,+1-800-MYFAX | 12,,,,,",
        f"{'N' * 101},,,,,,,,",
        "Bad,Stage,,,,,,no-such-stage,",
        "Bad,Birthday,,,,circa 1980,,,",
        "Bad,Future,,,,2999-01-01,,,",
        ",,,,Only an address,,,,",
        "Too,Many," + " | ".join(f"e{i}@example.com" for i in range(11)) + ",,,,,,",
        "Nul\x00Byte,,,,,,,,",
        "Good,Two,two@example.com,,,,,,",
    ]) + "\n"

    job = imported(alice, data)

    assert (job.created, job.updated, job.skipped) == (10, 0, 1)  # only the row of binary junk is refused
    found = problems(job)
    assert sorted(found) == [3, 4, 5, 6, 7, 8, 10, 11]
    assert "Bad Email: email “" in found[3] and long_email[:59] in found[3] and "kept in a note" in found[3]
    assert long_email not in found[3] and len(found[3]) < 200  # quoted, cut to 60 characters
    assert "Bad Phone: phone “+1-800-MYFAX” could not be read" in found[4] and "“12”" in found[4]
    assert "first name “NNN" in found[5]
    assert "stage “no-such-stage”" in found[6]
    assert "birthday “circa 1980”" in found[7]
    assert "birthday “2999-01-01”" in found[8]
    assert "Only an address" not in str(job.errors)
    assert "email “e10@example.com”" in found[10]
    assert "unreadable" in found[11]
    notes = notes_of(alice)
    for kept in (long_email, "+1-800-MYFAX", "N" * 101, "no-such-stage", "circa 1980", "2999-01-01",
                 "e10@example.com"):
        assert any(f"“{kept}”" in note and note.startswith("From the import:") for note in notes), kept
    with acting_for(alice.pk):
        assert Contact.objects.owned_by(alice).get(first_name="Bad", last_name="Email").tags.get().name == "newtag"
        assert len(Contact.objects.owned_by(alice).get(first_name="Too").emails) == 10
        assert Contact.objects.owned_by(alice).get(first_name="Bad", last_name="Stage").stage.slug == "new-lead"


def test_the_report_keeps_the_first_thousand_problems_and_counts_the_rest(alice):
    data = HEADER + "".join(f"Row{i},,bad{i},,,,,,\n" for i in range(1200))
    job = imported(alice, data)
    assert job.created == 1200  # every person came in, each bad email kept in a note
    assert len(job.errors) == limits.MAX_REPORTED_ERRORS
    assert job.errors[-1]["row"] is None
    assert job.errors[-1]["error"] == "201 more problems are not listed here."


# --- An imported contact is one made by hand ------------------------------------------------------------


def state(owner, contact_id) -> dict:
    with acting_for(owner.pk):
        contact = Contact.objects.owned_by(owner).select_related("stage").prefetch_related("tags").get(pk=contact_id)
        return {
            **view(contact), "search_name": contact.search_name, "sort_name": contact.sort_name,
            "tokens": sorted(ContactToken.objects.filter(contact=contact).values_list("owner_id", "token")),
            "lookups": sorted(ContactLookup.objects.filter(contact=contact).values_list("owner_id", "kind", "digest")),
            "followups": sorted((f.kind, f.title, f.due_at.date()) for f in FollowUp.objects.filter(contact=contact)),
            "created_today": contact.created_at.date() == timezone.now().date(),
        }


@pytest.mark.parametrize("stage", ["new-lead", "customer"])
def test_a_bulk_imported_contact_is_indistinguishable_from_one_made_by_contact_create(alice, stage):
    alice.country = "GB"
    alice.save(update_fields=["country"])
    fields = {"first_name": "Zoë Ann", "last_name": "O’Brien-Smith", "emails": ["Zoe@Example.COM", "z@example.org"],
              "phones": ["07700 900123", "+1 (415) 555-0100"], "address": "1 High St", "birthday": date(1980, 1, 2),
              "source": "event", "tags": ["VIP", "Yoga"], "stage": stage, "reorder_every_days": 45}
    by_hand = contact_create(owner=alice, **fields)
    expected = state(alice, by_hand.pk)
    contact_delete(owner=alice, contact_id=by_hand.pk)
    data = (HEADER.rstrip() + ",reorder_every_days\n"
            + "Zoë Ann,O’Brien-Smith,Zoe@Example.COM | z@example.org,07700 900123 | +1 (415) 555-0100,1 High St,"
            + f"1980-01-02,event,{stage},VIP | Yoga,45\n")

    job = imported(alice, data)

    assert_counts(job, created=1)
    imported_id = Contact.objects.owned_by(alice).get().pk
    assert state(alice, imported_id) == expected
    for q in ("zoe", "o’brien", "zoe@example.com", "07700 900123", "7700900123", "+14155550100"):
        assert [c.pk for c in queries.page(alice, q=q).items] == [imported_id], q
    assert sorted(Tag.objects.owned_by(alice).values_list("name", flat=True)) == ["VIP", "Yoga"]


def test_the_batched_duplicate_search_agrees_with_find_duplicates(alice):
    ana = contact_create(owner=alice, first_name="Ana", emails=["ana@example.com"], phones=["+34612345678"])
    contact_create(owner=alice, first_name="Luis", emails=["luis@example.com"])
    found = find_duplicates(owner=alice, emails=["ana@example.com"], phones=["+34612345678"])
    assert [c.pk for c in found] == [ana.pk]
    job = imported(alice, HEADER + "ana,,,+34612345678,,,,,\nX,,ana@example.com,,,,,,\n")
    assert_counts(job, created=1, skipped=1)  # the same name and phone is Ana; X shares her email but is X
    assert {c.first_name for c in find_duplicates(owner=alice, emails=["ana@example.com"])} == {"Ana", "X"}


# --- Jobs: retries, resumption, cancellation, failure ---------------------------------------------------


def test_a_job_interrupted_between_batches_resumes_without_doubling_anything(alice, monkeypatch):
    monkeypatch.setattr(limits, "BATCH", 4)
    data = HEADER + "".join(f"Person,N{i},p{i}@example.com,,,,,,t{i % 3}\n" for i in range(10))
    job = start(alice, data)
    real_write, calls = writer._Batch.write, []

    def crash_on_second_batch(self):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("the database went away")
        return real_write(self)

    monkeypatch.setattr(writer._Batch, "write", crash_on_second_batch)
    job = run(job)  # the task catches it and leaves it to huey's retry
    assert (job.status, job.processed, job.created) == ("running", 4, 4)
    assert Contact.objects.owned_by(alice).count() == 4

    job = run(job)  # the retry
    assert_counts(job, created=10)
    assert Contact.objects.owned_by(alice).count() == 10
    assert ContactLookup.objects.owned_by(alice).count() == 10
    assert Tag.objects.owned_by(alice).count() == 3

    job = run(job)  # and once more, for good measure: a finished job is left alone
    assert_counts(job, created=10)


def test_a_second_run_of_the_same_job_never_writes_a_batch_twice(alice, monkeypatch):
    monkeypatch.setattr(limits, "BATCH", 2)
    job = start(alice, HEADER + "".join(f"P,N{i},,,,,,,\n" for i in range(6)))
    real_commit = jobs._Run._commit

    def another_worker_got_there_first(self, rows, expected):
        ImportJob.objects.filter(pk=self.job.pk).update(processed=expected + len(rows))
        return real_commit(self, rows, expected)

    monkeypatch.setattr(jobs._Run, "_commit", another_worker_got_there_first)
    with acting_for(alice.pk):
        imports.import_run(job.pk)
    assert not Contact.objects.owned_by(alice).exists()  # this run stood down without writing


def test_the_last_failed_attempt_fails_the_job_and_deletes_its_file(alice, monkeypatch):
    job = start(alice, HEADER + "Ana,,,,,,,,\n")
    monkeypatch.setattr(writer._Batch, "write", lambda self: 1 / 0)
    assert tasks.import_contacts.call_local(str(job.pk)) == "failed"  # no retries left
    job = reread(job)
    assert job.status == "failed" and "went wrong on our side" in job.errors[-1]["error"]
    assert job.file_key is None and not files_in_imports_dir()


def test_cancelling_stops_the_job_and_deletes_the_file(alice, bob):
    job = start(alice, HEADER + "Ana,,,,,,,,\n")
    with pytest.raises(ImportJob.DoesNotExist):
        imports.import_cancel(owner=bob, job_id=job.pk)
    imports.import_cancel(owner=alice, job_id=job.pk)
    job = run(job)
    assert job.status == "failed" and job.created == 0 and not files_in_imports_dir()
    assert "Stopped by you" in job.errors[-1]["error"]


def test_a_damaged_file_fails_the_job_with_a_clear_message(alice):
    job = start(alice, HEADER + "Ana,,,,,,,,\n")
    path = imports.job_file(job.pk)
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0x01
    path.write_bytes(bytes(raw))
    job = run(job)
    assert job.status == "failed" and "damaged" in job.errors[-1]["error"]
    assert not path.exists()


def test_too_many_unfinished_imports_are_refused(alice):
    for _ in range(limits.MAX_ACTIVE_JOBS):
        start(alice, HEADER + "Ana,,,,,,,,\n")
    with pytest.raises(imports.ImportBusy):
        start(alice, HEADER + "Ana,,,,,,,,\n")


def test_housekeeping_fails_abandoned_imports_requeues_stalled_ones_and_sweeps_stray_files(alice):
    waiting = start(alice, "foo,bar\n1,2\n", await_mapping=True)
    stalled = start(alice, HEADER + "Ana,,,,,,,,\n")
    ImportJob.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(days=2))
    ImportJob.objects.filter(pk=stalled.pk).update(created_at=timezone.now() - timedelta(minutes=20))
    stray = imports.imports_dir() / "upload-old.part"
    stray.write_bytes(b"sealed bytes")
    os.utime(stray, (0, 0))

    assert imports.import_housekeeping() == []  # first sight of the stalled job: not yet
    assert imports.import_housekeeping() == [stalled.pk]

    waiting = reread(waiting)
    assert waiting.status == "failed" and not imports.job_file(waiting.pk).exists()
    assert not stray.exists() and imports.job_file(stalled.pk).exists()
    assert tasks.imports_housekeeping.call_local() == 1  # the periodic job queues it again; it resumes
    stalled = reread(stalled)
    assert stalled.status == "done" and stalled.created == 1


# --- Limits, the stored file, the logs ------------------------------------------------------------------


def test_oversize_files_are_refused(alice, monkeypatch):
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 1000)
    with pytest.raises(imports.ImportTooLarge, match="larger than"):
        start(alice, HEADER + "x,y,,,,,,,\n" * 200)
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 50 * 1024 * 1024)
    monkeypatch.setattr(limits, "MAX_ROWS", 10)
    with pytest.raises(imports.ImportTooLarge, match="more than 10 rows"):
        start(alice, HEADER + "x,y,,,,,,,\n" * 11)
    assert_counts(imported(alice, HEADER + "x,y,,,,,,,\n" * 10), created=1, skipped=9)
    assert not ImportJob.objects.filter(status="queued").exists() and not files_in_imports_dir()


def test_the_upload_waits_encrypted_and_is_deleted_when_the_job_ends(alice):
    data = HEADER + f"{CANARY},Person,canary@example.com,,,,,,\n"
    job = start(alice, data)

    stored = files_in_imports_dir()
    assert stored == [imports.job_file(job.pk)]
    raw = stored[0].read_bytes()
    assert raw.startswith(imports.MAGIC) and CANARY.encode() not in raw and b"canary@example.com" not in raw
    with connection.cursor() as cursor:
        cursor.execute("SELECT file_key, mapping FROM crm_importjob WHERE id = %s", [job.pk.hex])
        file_key, plan = cursor.fetchone()
    assert file_key.startswith("v1:") and CANARY not in str(plan)  # the key is sealed; the plan holds no data

    job = run(job)
    assert job.status == "done" and job.file_key is None and not files_in_imports_dir()


def test_nothing_about_contacts_reaches_the_logs(alice, caplog):
    caplog.set_level(logging.DEBUG)
    data = HEADER + f"{CANARY},Person,{CANARY}@example.com,,,,,,\n{CANARY},Bad,not-{CANARY},,,,,,\n"
    job = imported(alice, data)
    assert job.created == 2 and job.skipped == 0  # the bad email is kept in a note
    vcard = f"BEGIN:VCARD\nVERSION:3.0\nFN:{CANARY}\nbroken {CANARY}\nEMAIL:{CANARY}@\nEND:VCARD\n"
    assert imported(alice, vcard, name="c.vcf").created == 1
    assert caplog.text and CANARY not in caplog.text
    assert f"not-{CANARY}" in str(job.errors)  # the seller's own report does quote the value


def test_vcard_numbers_count_cards(alice, monkeypatch):
    monkeypatch.setattr(limits, "MAX_ROWS", 2)
    with pytest.raises(imports.ImportTooLarge):
        start(alice, VCARD3 + VCARD4, name="x.vcf")


def test_it_parses_the_usual_birthday_formats():
    assert imports.parse_birthday("1985-03-14") == (date(1985, 3, 14), None)
    assert imports.parse_birthday("19850314") == (date(1985, 3, 14), None)
    assert imports.parse_birthday("1985-03-14T00:00:00Z") == (date(1985, 3, 14), None)
    assert imports.parse_birthday("1985/3/4") == (date(1985, 3, 4), None)
    assert imports.parse_birthday("14.03.1985") == (date(1985, 3, 14), None)
    assert imports.parse_birthday("03/04/1985", country="US") == (date(1985, 3, 4), None)
    assert imports.parse_birthday("03/04/1985", country="ES") == (date(1985, 4, 3), None)
    assert imports.parse_birthday("3/14/1985", country="ES") == (date(1985, 3, 14), None)
    assert imports.parse_birthday("1604-03-14") == (date(1604, 3, 14), None)  # Apple's year for "no year"
    assert imports.parse_birthday("--0314") == (date(1604, 3, 14), None)
    assert imports.parse_birthday("--03-14") == (date(1604, 3, 14), None)
    with pytest.raises(ValidationError):
        imports.parse_birthday("yesterday")


def test_the_fast_national_digits_agree_with_the_services_for_every_country():
    import phonenumbers

    numbers = []
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                numbers.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    assert len(numbers) > 400 and "+390212345678" in numbers  # Italy's leading zero among them
    for number in numbers:
        assert e164_national_digits(number) == national_digits(number), number


def test_the_real_flow_with_real_commits_queues_and_runs_the_job_by_itself(transactional_db):
    owner = make_user("carol@example.com")
    job = start(owner, HEADER + "Ana,Silva,ana@example.com,,,,,,vip\n")  # on_commit queues it; huey runs inline
    job = reread(job)
    assert_counts(job, created=1)
    assert not files_in_imports_dir()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # the import's SQLite tuning was put back afterwards
            cursor.execute("PRAGMA wal_autocheckpoint")
            assert cursor.fetchone()[0] == 1000


# --- Layouts recognised by their headers, and bytes that don't fit the file's encoding ----------------------

OUTLOOK_HEADER = ("First Name,Middle Name,Last Name,Title,Suffix,Company,Department,Job Title,Business Street,"
                  "Business City,Business State,Business Postal Code,Business Country/Region,Home Street,Home City,"
                  "Home State,Home Postal Code,Home Country/Region,Business Fax,Business Phone,Home Phone,"
                  "Mobile Phone,Birthday,Categories,E-mail Address,E-mail 2 Address,Notes,Web Page\n")


def test_it_reads_an_outlook_csv_with_labels_and_both_addresses(alice):
    alice.country = "US"
    alice.save(update_fields=["country"])
    data = OUTLOOK_HEADER + (
        'Ana,,Silva,Ms.,,Acme,Sales,Buyer,1 Work Rd,Chicago,IL,60601,USA,2 Home St,Evanston,IL,60201,USA,'
        '(312) 555-0199,(312) 555-0100,847.555.0101,312-555-0142,7/19/1980,Customers;VIP,ana@acme.example,'
        'ana@home.example,"Met at the fair, likes tea",www.acme.example\n')

    job = imported(alice, data)

    assert_counts(job, created=1)
    with acting_for(alice.pk):
        ana = Contact.objects.owned_by(alice).get()
        assert (ana.first_name, ana.last_name, ana.company, ana.job_title) == ("Ana", "Silva", "Acme", "Buyer")
        assert list(zip(ana.phones, ana.phone_labels, strict=True)) == [
            ("+13125550199", "work fax"), ("+13125550100", "work"), ("+18475550101", "home"),
            ("+13125550142", "mobile")]
        assert ana.emails == ["ana@acme.example", "ana@home.example"]
        assert [(a["label"], a["value"]) for a in ana.addresses] == [
            ("work", "1 Work Rd, 60601 Chicago, IL, USA"), ("home", "2 Home St, 60201 Evanston, IL, USA")]
        assert ana.urls == [{"label": "", "value": "https://www.acme.example"}]
        assert ana.birthday == date(1980, 7, 19) and sorted(t.name for t in ana.tags.all()) == ["Customers", "VIP"]
    assert "Met at the fair, likes tea" in notes_of(alice)
    assert any("Title: Ms." in n and "Department: Sales" in n for n in notes_of(alice))


def test_a_bom_semicolons_national_numbers_and_one_latin_1_cell_in_a_utf_8_file(alice):
    alice.country = "FR"
    alice.save(update_fields=["country"])
    data = (codecs.BOM_UTF8 + "Prénom;Nom;Téléphone;Courriel\nZoé;Dupré;06 12 34 56 78;zoe@example.fr\n".encode()
            + b"Jos\xe9;Mart\xedn;01 23 45 67 89;jose@example.fr\n")  # a Latin-1 row pasted into UTF-8
    job = imported(alice, data, mapping={"first_name": "Prénom", "last_name": "Nom", "phones": "Téléphone",
                                         "emails": "Courriel"})
    assert_counts(job, created=2)
    assert one(alice, last_name="Dupré")["phones"] == ["+33612345678"]
    jose = one(alice, first_name="José")  # only the bad bytes fell back, the rest of the file is UTF-8
    assert (jose["last_name"], jose["phones"]) == ("Martín", ["+33123456789"])


def test_android_and_outlook_notes_keep_their_unescaped_commas(alice):
    data = ("BEGIN:VCARD\r\nVERSION:2.1\r\nN:Silva;Ana;;;\r\nNOTE:Met at the fair, likes tea, call after 6\r\n"
            "END:VCARD\r\nBEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:P=C3=A9rez;Luis;;;\r\n"
            "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Cliente desde 2020, compra crema=0D=0A=\r\n"
            "y champ=C3=BA, cada mes\r\nEND:VCARD\r\n")
    job = imported(alice, data, name="android.vcf")
    assert_counts(job, created=2)
    assert sorted(notes_of(alice)) == ["Cliente desde 2020, compra crema\r\ny champú, cada mes",
                                       "Met at the fair, likes tea, call after 6"]
    assert one(alice, last_name="Pérez")["first_name"] == "Luis"


def test_it_requeues_an_import_left_running_when_the_job_worker_starts(alice, monkeypatch):
    """A deploy (SIGTERM) or a crash drops the running import; the next worker's start-up resumes it at once."""
    monkeypatch.setattr(limits, "BATCH", 2)
    job = start(alice, HEADER + "".join(f"P,N{i},,,,,,,\n" for i in range(5)))
    # A worker took it, committed one batch and died (nothing of huey's is left running it).
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    real_commit, commits = jobs._Run._commit, []

    def die_after_one_batch(self, rows, expected):
        if commits:
            raise SystemExit("the worker is stopped")
        commits.append(1)
        return real_commit(self, rows, expected)

    monkeypatch.setattr(jobs._Run, "_commit", die_after_one_batch)
    with pytest.raises(SystemExit), acting_for(alice.pk):
        imports.import_run(job.pk)
    monkeypatch.setattr(jobs._Run, "_commit", real_commit)
    assert (reread(job).status, reread(job).processed) == ("running", 2)

    monkeypatch.setattr(tasks, "_requeued_at_start", threading.Event(), raising=False)
    Worker(HUEY, threading.Event(), 0.1, 1.0, 2.0).initialize()  # what huey's consumer runs as it starts

    job = reread(job)
    assert (job.status, job.processed, job.created) == ("done", 5, 5)
    assert Contact.objects.owned_by(alice).count() == 5


def test_it_refuses_a_card_whose_folded_value_unfolds_too_long_and_imports_the_rest(alice):
    """A value folded over thousands of lines would be joined into one huge string for vobject (48 MB of them
    took a worker to ~1 GB and minutes): such a card is reported and skipped before parsing."""
    folded = "".join(f" {'x' * 74}\r\n" for _ in range(limits.MAX_PROPERTY // 75 + 10))
    data = (f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Huge Note\r\nN:Note;Huge;;;\r\nNOTE:start\r\n{folded}"
            "TEL:+14155550100\r\nEND:VCARD\r\n"
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Lima\r\nN:Lima;Ana;;;\r\nNOTE:fine\r\n x\r\nEND:VCARD\r\n")
    job = imported(alice, data, name="folded.vcf")
    assert job.status == "done" and job.created == 1
    assert [c.last_name for c in Contact.objects.owned_by(alice)] == ["Lima"]
    [problem] = job.errors
    assert problem["row"] == 1 and "longer than 262,144 characters once its folded lines are joined" in \
        problem["error"]
