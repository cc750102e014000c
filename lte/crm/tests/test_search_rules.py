"""The contract's search rules (GET /api/v1/contacts?q=, the contact list's search box, crm.queries):
every word starts a word of the name, digits included; an exact email; a phone number however it is
written; and 4 or more digits alone find the numbers that end with them, through a blind index of each
number's last 4 digits, so phones stay encrypted."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client

from lte.crm import imports, queries
from lte.crm.models import Contact, ContactLookup
from lte.crm.services.contacts import ContactData, contact_create, contact_update
from lte.crm.services.duplicates import contact_merge
from lte.crm.tests.migrating import BEFORE_INTEGER_KEYS, migrated_back
from lte.crm.tests.test_import import HEADER
from lte.testing.helpers import bearer_client
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db

API = "/api/v1"
PHONE = "+1 312 555 0142"



def found(client: Client, q: str) -> tuple[int, set[str]]:
    """(count, ids) of GET /contacts?q=, checking that the count agrees with the items."""
    response = client.get(f"{API}/contacts", {"q": q})
    assert response.status_code == 200, (q, response.content[:300])
    body = response.json()
    ids = {item["id"] for item in body["items"]}
    assert body["count"] == len(ids) == len(body["items"]), q
    return body["count"], ids


def searched(owner, q: str) -> set[str]:
    """The same search through crm.queries, outside any request (as a job or the shell would run it)."""
    result = queries.page(owner, q=q)
    assert result.count == len(result.items) == queries.contacts(owner, q=q).count(), q
    return {str(c.pk) for c in result.items}


@pytest.fixture
def jess(alice) -> str:
    return str(contact_create(owner=alice, first_name="Jess91", last_name="Moreau").pk)


@pytest.fixture
def ramon(alice) -> str:
    return str(contact_create(owner=alice, first_name="Ramón", phones=[PHONE]).pk)


# --- Words of the name, digits included ---------------------------------------------------------------------


@pytest.mark.parametrize("q", ["jess91", "Jess", "JESS91", "jess9", "jess91 mor", "  Jess91  "])
def test_it_finds_a_name_with_digits_by_each_word_prefix(api, alice, jess, q):
    assert found(api, q) == (1, {jess})
    assert searched(alice, q) == {jess}


@pytest.mark.parametrize("q", ["jess92", "91", "ess91", "jess91 smith"])
def test_it_does_not_find_a_name_by_a_word_it_lacks(api, jess, q):
    assert found(api, q) == (0, set())


def test_it_finds_letters_and_digits_mixed_in_any_word(api, alice):
    droid = str(contact_create(owner=alice, first_name="R2D2", last_name="Droid").pk)
    agent = str(contact_create(owner=alice, first_name="Agent", last_name="007").pk)
    expo = str(contact_create(owner=alice, first_name="Expo", last_name="2024").pk)
    assert found(api, "r2d2") == (1, {droid})
    assert found(api, "r2") == (1, {droid})
    assert found(api, "007") == (1, {agent})
    assert found(api, "agent 007") == (1, {agent})
    # 4 digits alone are also a word of a name; no phone ends with them here
    assert found(api, "2024") == (1, {expo})
    assert found(api, "expo 2024") == (1, {expo})


# --- Phones: however written, and by their ending ------------------------------------------------------------


@pytest.mark.parametrize("q", ["0142", "5550142", "555-0142", "555 0142", "(312) 555-0142", "312.555.0142",
                               "3125550142", "13125550142", "+13125550142", "+1 312 555 0142", "+1 (312) 555-0142",
                               "０１４２"])
def test_it_finds_a_phone_however_it_is_written_and_by_its_last_digits(api, alice, ramon, q):
    assert found(api, q) == (1, {ramon})
    assert searched(alice, q) == {ramon}


@pytest.mark.parametrize("q", ["0143", "4555 0142", "6550142", "+1 312 555 0143", "1420", "+0142", "+5550142"])
def test_it_does_not_find_a_phone_by_another_ending(api, alice, ramon, q):
    assert found(api, q) == (0, set())
    assert searched(alice, q) == set()


@pytest.mark.parametrize("q", ["014", "142", "42", "0-1-4"])
def test_it_does_not_match_an_ending_of_fewer_than_4_digits(api, alice, ramon, q):
    assert found(api, q) == (0, set())
    assert searched(alice, q) == set()


def test_three_digits_are_a_word_of_the_name(api, alice, ramon):
    room = str(contact_create(owner=alice, first_name="Room", last_name="014B").pk)
    assert found(api, "014") == (1, {room})


def test_it_finds_every_contact_whose_number_ends_so_and_counts_them(api, alice, ramon):
    same_tail = str(contact_create(owner=alice, first_name="Lena", phones=["+44 20 7946 0142"]).pk)
    longer = str(contact_create(owner=alice, first_name="Kai", phones=["+1 415 555 0142"]).pk)
    other = str(contact_create(owner=alice, first_name="Ola", phones=["+1 312 555 0199"]).pk)
    assert found(api, "0142") == (3, {ramon, same_tail, longer})
    assert found(api, "5550142") == (2, {ramon, longer})
    assert found(api, "3125550142") == (1, {ramon})
    assert found(api, "0199") == (1, {other})
    page = api.get(f"{API}/contacts", {"q": "0142", "limit": 2}).json()
    assert page["count"] == 3 and len(page["items"]) == 2
    rest = api.get(f"{API}/contacts", {"q": "0142", "limit": 2, "offset": 2}).json()
    assert rest["count"] == 3 and {i["id"] for i in page["items"] + rest["items"]} == {ramon, same_tail, longer}


def test_it_finds_a_contact_by_the_ending_of_any_of_its_numbers(api, alice):
    two = str(contact_create(owner=alice, first_name="Two", phones=["+1 312 555 0142",
                                                                          "+1 312 555 0777", "+1 415 555 0142"]).pk)
    assert found(api, "0142") == (1, {two})
    assert found(api, "0777") == (1, {two})
    assert found(api, "4155550142") == (1, {two})
    assert ContactLookup.objects.filter(contact_id=two, kind=ContactLookup.TAIL).count() == 2  # one per ending


def test_a_full_number_finds_both_itself_and_the_numbers_ending_with_it(api, alice):
    """'612345678' is a whole Spanish number (read in the account's country) and the end of a longer one."""
    alice.country = "ES"
    alice.save(update_fields=["country"])
    spanish = str(contact_create(owner=alice, first_name="Ana", phones=["612 34 56 78"]).pk)
    longer = str(contact_create(owner=alice, first_name="Bea", phones=["+1 415 234 5678"]).pk)
    other = str(contact_create(owner=alice, first_name="Ciro", phones=["+49 30 612345678"]).pk)
    assert found(api, "612 34 56 78") == (2, {spanish, other})
    assert found(api, "5678") == (3, {spanish, longer, other})
    assert found(api, "+34 612 34 56 78") == (1, {spanish})


def test_a_name_and_a_number_together_must_both_match(api, alice, ramon):
    other = str(contact_create(owner=alice, first_name="Ana", phones=["+1 312 555 0142"]).pk)
    contact_create(owner=alice, first_name="Ana", phones=["+1 312 555 0199"])
    assert found(api, "ana 0142") == (1, {other})
    assert found(api, "ramon 555-0142") == (1, {ramon})
    assert found(api, "ana 0143") == (0, set())
    assert found(api, "ana 014") == (0, set())


@pytest.mark.parametrize("q", ["((((", "+", "++++ ----", "-.-/-", "1" * 200, "0142 " * 40, "+" + "9" * 199,
                               "٠١٤٢", "ana () 0142 -", "0142\t5550142", "jess91 +1", "00000", "0000 0000"])
def test_odd_queries_answer_with_a_consistent_count(api, alice, ramon, jess, q):
    found(api, q)
    searched(alice, q)


def test_the_ending_index_holds_no_digits_and_differs_between_accounts(alice, bob, ramon):
    contact_create(owner=bob, first_name="Ramón", phones=[PHONE])
    alices = set(ContactLookup.objects.owned_by(alice).filter(kind=ContactLookup.TAIL).values_list("digest", flat=True))
    bobs = set(ContactLookup.objects.owned_by(bob).filter(kind=ContactLookup.TAIL).values_list("digest", flat=True))
    assert len(alices) == len(bobs) == 1 and not alices & bobs
    assert not any("0142" in digest for digest in alices | bobs)


def test_it_never_shows_bobs_contact_with_the_same_ending_to_alice(api, alice, bob, ramon):
    bobs = str(contact_create(owner=bob, first_name="Ramón", phones=[PHONE]).pk)
    for q in ("0142", "5550142", "+13125550142", "(312) 555-0142", "ramon 0142"):
        assert found(api, q) == (1, {ramon}), q
        assert searched(alice, q) == {ramon}, q
        assert searched(bob, q) == {bobs}, q
    assert found(bearer_client(bob), "0142") == (1, {bobs})


def test_a_changed_number_is_found_by_its_new_ending_and_not_the_old(api, alice, ramon):
    response = api.patch(f"{API}/contacts/{ramon}", data={"phones": ["+1 312 555 0777"]},
                         content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    assert found(api, "0777") == (1, {ramon})
    assert found(api, "5550777") == (1, {ramon})
    assert found(api, "0142") == (0, set())
    assert found(api, "5550142") == (0, set())
    # a change of name leaves the phone lookups alone
    assert api.patch(f"{API}/contacts/{ramon}", data={"first_name": "Ray"},
                     content_type="application/json").status_code == 200
    assert found(api, "0777") == (1, {ramon})


def test_removing_every_number_removes_its_ending(api, alice, ramon):
    with acting_for(alice.pk):  # as the pages' service calls run, for the signed-in owner
        contact_update(owner=alice, contact_id=ramon, data=ContactData(phones=[]))
    assert found(api, "0142") == (0, set())
    assert not ContactLookup.objects.filter(contact_id=ramon, kind=ContactLookup.TAIL).exists()


def test_a_merged_contact_is_found_by_the_endings_of_both(api, alice, ramon):
    other = contact_create(owner=alice, first_name="Ramon", phones=["+1 415 555 0999"])
    with acting_for(alice.pk):
        contact_merge(owner=alice, keep_id=ramon, merge_id=other.pk)
    assert found(api, "0999") == (1, {ramon})
    assert found(api, "0142") == (1, {ramon})


def imported_through_the_api(client: Client, data: str, django_capture_on_commit_callbacks) -> dict:
    with django_capture_on_commit_callbacks(execute=True):  # the job runs inline once the request commits
        response = client.post(f"{API}/contacts/import",
                               {"file": SimpleUploadedFile("contacts.csv", data.encode(), "text/csv")})
        assert response.status_code == 202, response.content[:300]
    job = client.get(f"{API}/imports/{response.json()['id']}").json()
    assert job["status"] == "done", job
    assert not imports.job_file(response.json()["id"]).exists()  # the upload is gone once the job is done
    return job["report"]


def test_an_imported_contact_is_found_by_its_ending(api, alice, django_capture_on_commit_callbacks):
    data = HEADER + "Imported,Person,,+1 (312) 555-0142,,,,,\nSecond,Person,,+44 20 7946 0199,,,,,\n"
    assert imported_through_the_api(api, data, django_capture_on_commit_callbacks)["created"] == 2
    first = str(Contact.objects.owned_by(alice).get(first_name="Imported").pk)
    second = str(Contact.objects.owned_by(alice).get(first_name="Second").pk)
    assert found(api, "0142") == (1, {first})
    assert found(api, "5550142") == (1, {first})
    assert found(api, "79460199") == (1, {second})
    assert found(api, "0143") == (0, set())


def test_two_imported_people_whose_numbers_only_end_alike_stay_two(api, alice, django_capture_on_commit_callbacks):
    """Import rows match by the same name and email or phone, never by a number's last 4 digits."""
    data = HEADER + "Ana,Silva,,+1 312 555 0142,,,,,\nAna,Silva,,+44 20 7946 0142,,,,,\n"
    report = imported_through_the_api(api, data, django_capture_on_commit_callbacks)
    assert (report["created"], report["updated"]) == (2, 0), report
    assert found(api, "0142")[0] == 2


# --- Contacts made before the ending index: the data migration ----------------------------------------------


def migration(direction: str = "add_phone_tails") -> None:
    """Runs the back-fill migration's function with the models as they stood at that migration (on the schema
    they stood in until 0012: inside `migrated_back("crm", BEFORE_INTEGER_KEYS)`)."""
    loader = MigrationLoader(connection)
    (key,) = [key for key in loader.disk_migrations if key[0] == "crm" and key[1].endswith("_phone_tails")]
    module = importlib.import_module(f"lte.crm.migrations.{key[1]}")
    getattr(module, direction)(loader.project_state(key).apps, SimpleNamespace(connection=connection))


@pytest.mark.django_db(transaction=True)  # the schema goes back to where the migration ran, and forward again
def test_the_migration_gives_older_contacts_the_endings_the_services_write(api, alice, bob, ramon):
    two = contact_create(owner=alice, first_name="Two", emails=["two@example.com"],
                                  phones=["+44 20 7946 0142", "+1 415 555 0199"])
    no_phone = contact_create(owner=alice, first_name="Nophone", emails=["n@example.com"])
    contact_create(owner=alice, first_name="Nothing")
    bobs = contact_create(owner=bob, first_name="Bob's", phones=[PHONE])
    tails = ContactLookup.objects.filter(kind=ContactLookup.TAIL)
    written = set(tails.values_list("owner_id", "contact_id", "digest"))
    tails.delete()  # as before this change
    assert found(api, "0142") == (0, set())

    with migrated_back("crm", BEFORE_INTEGER_KEYS):
        migration()
        migration()  # running it again writes nothing twice

    assert set(tails.values_list("owner_id", "contact_id", "digest")) == written
    assert tails.count() == len(written) == 4
    assert found(api, "0142") == (2, {ramon, str(two.pk)})
    assert found(api, "5550199") == (1, {str(two.pk)})
    assert searched(bob, "0142") == {str(bobs.pk)}
    assert not tails.filter(contact=no_phone).exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_runs_on_an_empty_database_and_can_be_reversed(alice):
    with migrated_back("crm", BEFORE_INTEGER_KEYS):
        migration()
    assert not ContactLookup.objects.exists()
    ramon = contact_create(owner=alice, first_name="Ramón", phones=[PHONE])
    with migrated_back("crm", BEFORE_INTEGER_KEYS):
        migration("remove_phone_tails")
    assert set(ContactLookup.objects.filter(contact=ramon).values_list("kind", flat=True)) == {
        ContactLookup.PHONE, ContactLookup.NATIONAL}


# --- The search box says what it finds ------------------------------------------------------------------------


def test_the_search_box_says_what_can_be_found_and_finds_an_ending(alice_client, alice, ramon):
    page = alice_client.get("/app/contacts/").content.decode()
    assert 'placeholder="Search name, phone or email"' in page
    rows = alice_client.get("/app/contacts/", {"q": "0142"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Ramón" in rows
    assert "Ramón" not in alice_client.get("/app/contacts/", {"q": "0143"}, HTTP_HX_REQUEST="true").content.decode()
