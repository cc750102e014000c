"""Every real address book in ../shared/corpus/contacts/ comes in whole: every person in each file becomes a
contact, with the fields that file holds (counts and values written here from reading each file), nothing is
cut short, and importing the same file again creates nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from lte.crm.models import Contact, Note
from lte.crm.tests.test_import import imported
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "contacts"
FILES = sorted(p.name for p in CORPUS.glob("*") if p.suffix in (".vcf", ".csv")) if CORPUS.is_dir() else []

# The number of people in each file, counted by reading it (a vCard group card is one contact too).
PEOPLE = {
    "ezvcard_John_Doe_ANDROID.vcf": 6,
    "ezvcard_John_Doe_BLACK_BERRY.vcf": 1,
    "ezvcard_John_Doe_EVOLUTION.vcf": 1,
    "ezvcard_John_Doe_GMAIL.vcf": 1,
    "ezvcard_John_Doe_IPHONE.vcf": 1,
    "ezvcard_John_Doe_LOTUS_NOTES.vcf": 1,
    "ezvcard_John_Doe_MAC_ADDRESS_BOOK.vcf": 1,
    "ezvcard_John_Doe_MS_OUTLOOK.vcf": 1,
    "ezvcard_gmail-list.vcf": 3,
    "ezvcard_outlook-2007.vcf": 1,
    "ezvcard_rfc2426-example.vcf": 2,
    "ezvcard_rfc6350-example.vcf": 1,
    "ezvcard_thunderbird-MoreFunctionsForAddressBook-extension.vcf": 1,
    "thunderbird_basic_csv_addressbook.csv": 2,
    "thunderbird_csv_semicolon.csv": 2,
    "vobject_vcard40_full.vcf": 1,
    "vobject_vcard40_group.vcf": 1,
    "vobject_vcard40_multilang.vcf": 1,
}
LICENCE_START = "THIS SOFTWARE IS PROVIDED BY"


@pytest.fixture
def seller(alice):
    alice.country = "US"  # the corpus's national numbers are North American
    alice.save(update_fields=["country"])
    return alice


def load(owner, name: str):
    job = imported(owner, (CORPUS / name).read_bytes(), name=name)
    with acting_for(owner.pk):
        contacts = list(Contact.objects.owned_by(owner).prefetch_related("tags").order_by("sort_name", "id"))
        notes = {c.pk: [n.body for n in Note.objects.owned_by(owner).filter(contact=c)] for c in contacts}
        for c in contacts:  # open every sealed value while acting for the owner
            c.emails, c.phones, c.addresses, c.urls, c.birthday, c.job_title
    return job, contacts, notes


def only(contacts: list) -> Contact:
    assert len(contacts) == 1, [str(c) for c in contacts]
    return contacts[0]


def test_the_corpus_is_there_and_every_file_is_counted():
    assert FILES, f"no corpus at {CORPUS}"
    assert set(FILES) == set(PEOPLE), "a file was added to or removed from the corpus: count its people here"


@pytest.mark.parametrize("name", FILES)
def test_every_person_of_every_file_comes_in_and_a_second_import_adds_nothing(seller, name):
    job, contacts, _notes = load(seller, name)
    assert job.status == "done"
    assert (job.created, job.skipped) == (PEOPLE[name], 0), job.errors
    assert len(contacts) == PEOPLE[name]
    for entry in job.errors:  # every problem names the contact it is about, whose note keeps the value
        assert entry["row"] is not None and ":" in entry["error"]
    again = imported(seller, (CORPUS / name).read_bytes(), name=name)
    assert (again.status, again.created) == ("done", 0), again.errors
    with acting_for(seller.pk):
        assert Contact.objects.owned_by(seller).count() == PEOPLE[name]


def test_android_2_1_quoted_printable_names_notes_and_short_numbers(seller):
    _, contacts, notes = load(seller, "ezvcard_John_Doe_ANDROID.vcf")
    emails_only = sorted(c.emails[0] for c in contacts if not (c.first_name or c.last_name) and c.emails)
    assert emails_only == ["jane.doe@company.com", "john.doe@company.com"]
    bob = next(c for c in contacts if "bob@company.com" in c.emails)
    assert (bob.first_name, bob.last_name, bob.company) == ("Ñ Ñ Ñ", "Ñ Ñ", "Ñ" * 12)  # QUOTED-PRINTABLE, UTF-8
    assert bob.email_labels == ["work"]
    assert [u["value"] for u in bob.urls] == ["https://www.company.com", "http://www.company.com"]
    four = next(c for c in contacts if c.last_name == " ".join(["Ñ"] * 11))
    assert any("Ñ Ñ" in n and not n.startswith("From the import") for n in notes[four.pk])  # its NOTE, decoded
    for short in ("123456", "234567", "3456789", "45678901"):  # short codes are kept, as typed, in a note
        assert any(f"“{short}”" in n for n in notes[four.pk]), short
    henry = next(c for c in contacts if "henry@company.com" in c.emails)
    assert henry.company.startswith("ÑÑÑÑ")  # the byte outside UTF-8 falls back alone, not the whole value
    assert all(t.casefold() != "my contacts" for c in contacts for t in c.tags.values_list("name", flat=True))


def test_outlook_notes_with_unescaped_commas_come_in_whole(seller):
    _, contacts, notes = load(seller, "ezvcard_John_Doe_MS_OUTLOOK.vcf")
    john = only(contacts)
    body = next(n for n in notes[john.pk] if n.startswith(LICENCE_START))
    assert "INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES" in body
    assert body.endswith("EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.")
    assert (john.first_name, john.last_name, john.company, john.job_title) == (
        "John Richter James", "Doe", "IBM", "Money Counter")
    assert list(zip(john.phones, john.phone_labels)) == [("+19055551234", "work"), ("+19056661234", "home")]
    assert [a["label"] for a in john.addresses] == ["work", "home"] and len(john.addresses) == 2
    assert john.urls == [{"label": "work", "value": "http://www.ibm.com"}]
    assert john.birthday == date(1980, 3, 22) and john.emails == ["john.doe@ibm.cm"]
    extra = next(n for n in notes[john.pk] if n.startswith("Also on the card"))
    for kept in ("Nickname: Johny", "Role: Counting Money", "Manager: Big Blue", "Assistant: Jenny"):
        assert kept in extra


def test_outlook_2007_quoted_printable_note_and_every_number(seller):
    _, contacts, notes = load(seller, "ezvcard_outlook-2007.vcf")
    mike = only(contacts)
    assert (mike.first_name, mike.last_name, mike.company, mike.job_title) == (
        "Michael", "Angstadt", "TheCompany", "TheJobTitle")
    assert list(zip(mike.phones, mike.phone_labels)) == [
        ("+11115551111", "work"), ("+11115552222", "home"), ("+11115554444", "mobile"), ("+11115553333", "work fax")]
    assert mike.birthday == date(1922, 3, 10) and mike.emails == ["mike.angstadt@gmail.com"]
    body = next(n for n in notes[mike.pk] if n.startswith("This is the NOTE field"))
    assert body.rstrip().endswith("It does not preserve the formatting")


def test_iphone_and_mac_labels_from_item_groups(seller):
    for name in ("ezvcard_John_Doe_IPHONE.vcf", "ezvcard_John_Doe_MAC_ADDRESS_BOOK.vcf"):
        _, contacts, _notes = load(seller, name)
        john = only(contacts)
        labels = dict(zip(john.phones, john.phone_labels, strict=True))
        assert labels == {"+19055551234": "mobile", "+19056661234": "home", "+19057771234": "work",
                          "+19058881234": "home fax", "+19059991234": "work fax", "+19051111234": "pager",
                          "+19052221234": "assistantphone"}, name
        assert [a["label"] for a in john.addresses] == ["home", "work"]
        assert "Street4\nBuilding 6\nFloor 8" in john.addresses[1]["value"]
        assert john.urls == [{"label": "homepage", "value": "http://www.ibm.com"}]
        assert john.birthday == date(2012, 6, 6) and john.company == "IBM"
        Contact.objects.owned_by(seller).delete()


def test_lotus_notes_profile_line_keeps_the_card(seller):
    _, contacts, notes = load(seller, "ezvcard_John_Doe_LOTUS_NOTES.vcf")
    john = only(contacts)
    assert (john.first_name, john.last_name, john.company, john.job_title) == (
        "John Johny", "Doe", "IBM", "Generic Accountant")
    assert john.emails == ["john.doe@ibm.com", "billy_bob@gmail.com"] and john.email_labels == ["work", "work"]
    assert john.urls == [{"label": "homepage", "value": "http://www.sun.com"}]
    assert john.birthday == date(1980, 5, 21)
    assert any("“+1 (212) 204-34456”" in n for n in notes[john.pk])  # an impossible number, kept as typed
    assert any("“00-1-212-555-7777”" in n for n in notes[john.pk])
    licence = next(n for n in notes[john.pk] if n.startswith(LICENCE_START))
    assert "POSSIBILITY OF SUCH DAMAGE." in licence


def test_gmail_evolution_and_blackberry(seller):
    _, contacts, notes = load(seller, "ezvcard_John_Doe_GMAIL.vcf")
    john = only(contacts)
    assert list(zip(john.phones, john.phone_labels)) == [("+19055551234", "mobile"), ("+19056661234", "home")]
    assert john.urls == [{"label": "work", "value": "http://www.ibm.com"}] and john.email_labels == ["home"]
    extra = next(n for n in notes[john.pk] if n.startswith("Also on the card"))
    assert "Anniversary: 1975-03-01" in extra and "Spouse: Jenny" in extra and "Phonetic first name: Jon" in extra
    Contact.objects.owned_by(seller).delete()
    _, contacts, notes = load(seller, "ezvcard_John_Doe_EVOLUTION.vcf")
    john = only(contacts)
    assert [t.name for t in john.tags.all()] == ["VIP"] and john.company == "IBM"
    assert "ASB-123" in john.address and john.birthday == date(1980, 3, 22)
    Contact.objects.owned_by(seller).delete()
    _, contacts, notes = load(seller, "ezvcard_John_Doe_BLACK_BERRY.vcf")
    john = only(contacts)
    assert (john.first_name, john.last_name, john.company) == ("john", "Doe", "Acme Solutions")


def test_rfc_examples_and_vcard_4(seller):
    _, contacts, notes = load(seller, "ezvcard_rfc2426-example.vcf")
    frank = next(c for c in contacts if c.last_name == "Dawson")
    assert frank.emails == ["Frank_Dawson@lotus.com", "fdawson@earthlink.net"]
    assert list(zip(frank.phones, frank.phone_labels)) == [("+19196769515", "work"), ("+19196769564", "work fax")]
    assert frank.address == "6544 Battleford Drive, 27613-3502 Raleigh, NC, U.S.A."
    Contact.objects.owned_by(seller).delete()
    _, contacts, notes = load(seller, "ezvcard_rfc6350-example.vcf")
    simon = only(contacts)
    assert simon.birthday == date(1604, 2, 3) and simon.birthday_without_year  # BDAY:--0203
    assert list(zip(simon.phones, simon.phone_labels)) == [("+14186569254", "work ext. 102"),
                                                           ("+14182626501", "mobile")]
    assert simon.company == "Viagenie" and simon.urls == [{"label": "home", "value": "http://nomis80.org"}]
    Contact.objects.owned_by(seller).delete()
    _, contacts, notes = load(seller, "vobject_vcard40_full.vcf")
    john = only(contacts)
    assert (john.company, john.job_title, john.birthday) == ("Example Corp.", "CEO", date(1985, 4, 15))
    assert sorted(t.name for t in john.tags.all()) == ["BUSINESS", "NETWORKING"]
    assert "This is a note about John.\nHe likes vCards." in notes[john.pk]
    assert [a["label"] for a in john.addresses] == ["work", "home"]


def test_thunderbird_extension_with_escaped_categories(seller):
    _, contacts, notes = load(seller, "ezvcard_thunderbird-MoreFunctionsForAddressBook-extension.vcf")
    john = only(contacts)
    assert len(john.emails) == 5 and len(john.phones) == 5 and len(john.addresses) == 2 and len(john.urls) == 2
    assert sorted(t.name for t in john.tags.all()) == ["category1", "category2", "category3"]
    assert any(n.endswith("; even curse words.") for n in notes[john.pk])


def test_groups_and_names_in_several_languages(seller):
    _, contacts, notes = load(seller, "vobject_vcard40_group.vcf")
    family = only(contacts)
    assert family.company == "The Doe Family"
    assert "Member: mailto:kid@example.com" in next(n for n in notes[family.pk] if n.startswith("Also on"))
    Contact.objects.owned_by(seller).delete()
    _, contacts, notes = load(seller, "vobject_vcard40_multilang.vcf")
    taro = only(contacts)
    assert (taro.first_name, taro.last_name) == ("Taro", "Yamada")
    assert "山田" in next(n for n in notes[taro.pk] if n.startswith("Also on"))


def test_thunderbird_csv_files(seller):
    for name in ("thunderbird_basic_csv_addressbook.csv", "thunderbird_csv_semicolon.csv"):
        _, contacts, _notes = load(seller, name)
        assert [(c.first_name, c.last_name, c.emails) for c in contacts] == [
            ("Jane", "Doe", ["jane@doe.invalid"]), ("John", "Doe", ["john@doe.invalid"])]
        Contact.objects.owned_by(seller).delete()
