"""The CRM lines of the API contract (CONTRACT.md): contacts, search, paging, notes, messages, follow-ups,
tags and stages — the shapes exactly as written there, and never another account's rows."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from lte.crm.models import Contact, ContactLookup, FollowUp
from lte.crm.services.contacts import contact_create
from lte.crm.services.duplicates import find_duplicates
from lte.crm.services.messages import message_log
from lte.crm.services.stages import stage_rename
from lte.lib.zones import today_for, zone_for
from lte.testing.helpers import bearer_client, make_user

API = "/api/v1"
CONTACT_FIELDS = {"id", "first_name", "last_name", "emails", "phones", "address", "birthday", "source", "stage",
                  "tags", "created_at", "updated_at"}
NOTE_FIELDS = {"id", "contact_id", "body", "created_at", "updated_at"}
MESSAGE_FIELDS = {"id", "contact_id", "channel", "direction", "body", "sent_at"}
STAGE_FIELDS = {"slug", "name", "position"}
TAG_FIELDS = {"name", "count"}
CHANNELS = ["sms", "whatsapp", "email", "call", "in_person", "social", "other"]
ISO_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$")
ISO_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
DEFAULT_STAGES = ["new-lead", "contacted", "presented", "following-up", "customer", "team-member", "not-now"]



def post(client: Client, path: str, data):
    return client.post(API + path, data=data, content_type="application/json")


def patch(client: Client, path: str, data):
    return client.patch(API + path, data=data, content_type="application/json")


def get(client: Client, path: str, **params):
    return client.get(API + path, params)


def created(client: Client, path: str, data) -> dict:
    response = post(client, path, data)
    assert response.status_code == 201, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def new_contact(client: Client, **fields) -> dict:
    return created(client, "/contacts", fields or {"first_name": "Someone"})


def found(client: Client, **params) -> tuple[int, list[str]]:
    """(count, ids) of GET /contacts with these parameters."""
    response = get(client, "/contacts", **params)
    assert response.status_code == 200, (params, response.content[:300])
    body = response.json()
    return body["count"], [item["id"] for item in body["items"]]


def assert_detail(response, statuses=(400, 422)) -> None:
    statuses = statuses if isinstance(statuses, tuple) else (statuses,)
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def assert_contact_shape(contact: dict) -> None:
    assert set(contact) >= CONTACT_FIELDS, CONTACT_FIELDS - set(contact)
    UUID(contact["id"])
    assert isinstance(contact["first_name"], str) and isinstance(contact["last_name"], str)
    assert isinstance(contact["emails"], list) and all(isinstance(e, str) for e in contact["emails"])
    assert isinstance(contact["phones"], list) and all(isinstance(p, str) for p in contact["phones"])
    assert contact["address"] is None or isinstance(contact["address"], str)
    assert contact["birthday"] is None or ISO_DATE.match(contact["birthday"])
    assert isinstance(contact["source"], str)
    assert isinstance(contact["stage"], str) and contact["stage"] in DEFAULT_STAGES
    assert isinstance(contact["tags"], list) and all(isinstance(t, str) for t in contact["tags"])
    assert ISO_DATETIME.match(contact["created_at"]) and ISO_DATETIME.match(contact["updated_at"])


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- POST /contacts, GET/PATCH/DELETE /contacts/{id} -----------------------------------------------------


def test_it_creates_a_contact_with_every_field_in_the_contract_shape(api):
    contact = new_contact(api, first_name="Zoë", last_name="García", emails=["Zoe@Example.COM"],
                          phones=["+1 415 555 0100"], address="1 Main St\nSpringfield", birthday="1990-02-28",
                          source="event", stage="contacted", tags=["vip", "yoga"])
    assert_contact_shape(contact)
    assert contact["first_name"] == "Zoë" and contact["last_name"] == "García"
    assert contact["emails"] == ["Zoe@example.com"]  # the domain is case-insensitive, the local part isn't
    assert contact["phones"] == ["+14155550100"]  # E.164
    assert contact["address"] == "1 Main St\nSpringfield"
    assert contact["birthday"] == "1990-02-28"
    assert contact["source"] == "event"
    assert contact["stage"] == "contacted"
    assert sorted(contact["tags"]) == ["vip", "yoga"]
    assert parse(contact["created_at"]) <= timezone.now()


def test_it_answers_a_contact_the_same_way_it_was_created(api):
    contact = new_contact(api, first_name="Ana", emails=["ana@example.com"], birthday="1985-12-01")
    response = get(api, f"/contacts/{contact['id']}")
    assert response.status_code == 200
    assert response.json() == contact


@pytest.mark.parametrize("fields", [{"first_name": "Ana"}, {"last_name": "Solo"}, {"emails": ["only@example.com"]},
                                    {"phones": ["+34612345678"]}], ids=["first", "last", "email", "phone"])
def test_it_creates_a_contact_from_a_name_an_email_or_a_phone_alone(api, fields):
    contact = new_contact(api, **fields)
    assert_contact_shape(contact)
    assert contact["stage"] == "new-lead"
    assert contact["birthday"] is None and contact["address"] is None
    assert contact["tags"] == []


@pytest.mark.parametrize("fields", [{}, {"first_name": "   "}, {"source": "event"}, {"emails": [], "phones": []}])
def test_it_refuses_a_contact_with_nothing_to_call_it_by(api, alice, fields):
    assert_detail(post(api, "/contacts", fields))
    assert not Contact.objects.owned_by(alice).exists()


def test_it_updates_only_the_fields_given(api):
    contact = new_contact(api, first_name="Ana", last_name="Ruiz", emails=["ana@example.com"], source="event",
                          tags=["vip"], birthday="1990-01-01")
    response = patch(api, f"/contacts/{contact['id']}", {"last_name": "Ruiz Gil", "stage": "presented"})
    assert response.status_code == 200
    updated = response.json()
    assert_contact_shape(updated)
    assert updated["last_name"] == "Ruiz Gil" and updated["stage"] == "presented"
    for unchanged in ("first_name", "emails", "phones", "source", "tags", "birthday", "created_at", "id"):
        assert updated[unchanged] == contact[unchanged], unchanged
    assert parse(updated["updated_at"]) >= parse(contact["updated_at"])
    assert get(api, f"/contacts/{contact['id']}").json() == updated


def test_it_clears_a_birthday_and_an_address_with_null(api):
    contact = new_contact(api, first_name="Ana", birthday="1990-01-01", address="Somewhere")
    updated = patch(api, f"/contacts/{contact['id']}", {"birthday": None, "address": None}).json()
    assert updated["birthday"] is None and updated["address"] is None


def test_it_replaces_emails_phones_and_tags(api):
    contact = new_contact(api, first_name="Ana", emails=["a@example.com"], phones=["+34612345678"], tags=["a", "b"])
    updated = patch(api, f"/contacts/{contact['id']}",
                    {"emails": ["b@example.com", "c@example.com"], "phones": [], "tags": ["c"]}).json()
    assert updated["emails"] == ["b@example.com", "c@example.com"]
    assert updated["phones"] == []
    assert updated["tags"] == ["c"]


def test_it_deletes_a_contact_with_its_notes_messages_and_follow_ups(api, alice):
    contact = new_contact(api, first_name="Ana")
    created(api, f"/contacts/{contact['id']}/notes", {"body": "hello"})
    created(api, f"/contacts/{contact['id']}/messages", {"channel": "sms", "body": "hi"})
    created(api, "/followups", {"contact_id": contact["id"], "due_at": "2030-01-01T10:00:00Z", "title": "call"})
    response = api.delete(f"{API}/contacts/{contact['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert get(api, f"/contacts/{contact['id']}").status_code == 404
    assert api.delete(f"{API}/contacts/{contact['id']}").status_code == 404
    assert get(api, "/followups").json() == []
    assert not Contact.objects.owned_by(alice).exists()


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_it_answers_404_with_a_detail_for_a_contact_that_does_not_exist(api, method):
    response = getattr(api, method)(f"{API}/contacts/{uuid4()}", data={"first_name": "x"},
                                    content_type="application/json")
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


def test_it_answers_404_for_an_id_that_is_not_a_uuid(api):
    response = get(api, "/contacts/12345")
    assert response.status_code == 404
    assert "detail" in response.json()


# --- GET /contacts: search ------------------------------------------------------------------------------------


@pytest.fixture
def people(api) -> dict[str, str]:
    """A small address book; the values are contact ids."""
    return {
        "zoe": new_contact(api, first_name="Zoë", last_name="Smith", emails=["zoe.smith@example.com"])["id"],
        "garcia": new_contact(api, first_name="Ana María", last_name="García López",
                              phones=["+14155550100"], emails=["Ana.Garcia@Example.com"])["id"],
        "obrien": new_contact(api, first_name="Seán", last_name="O'Brien", phones=["+353861234567"])["id"],
        "zeta": new_contact(api, first_name="Zeta", last_name="Jones")["id"],
        "anders": new_contact(api, first_name="Anders", last_name="Ångström", emails=["anders@example.se"])["id"],
    }


@pytest.mark.parametrize(("q", "who"), [
    ("zoe", {"zoe"}), ("Zoë", {"zoe"}), ("ZOE", {"zoe"}), ("zo", {"zoe"}), ("z", {"zoe", "zeta"}),
    ("gar", {"garcia"}), ("garcia", {"garcia"}), ("GARCÍA", {"garcia"}), ("lop", {"garcia"}),
    ("maria", {"garcia"}), ("ana gar", {"garcia"}), ("García López", {"garcia"}), ("smith", {"zoe"}),
    ("sean", {"obrien"}), ("angstrom", {"anders"}), ("ÅNG", {"anders"}), ("an", {"garcia", "anders"}),
    ("  zoe  ", {"zoe"}), ("xyz", set()), ("mith", set()),
])
def test_it_finds_contacts_by_name_prefix_of_any_word_ignoring_case_and_accents(api, people, q, who):
    count, ids = found(api, q=q)
    assert set(ids) == {people[name] for name in who}
    assert count == len(who)


@pytest.mark.parametrize("q", ["ana.garcia@example.com", "ANA.GARCIA@EXAMPLE.COM", "Ana.Garcia@Example.com",
                               " ana.garcia@example.com "])
def test_it_finds_a_contact_by_exact_email_in_any_letter_case(api, people, q):
    assert found(api, q=q) == (1, [people["garcia"]])


@pytest.mark.parametrize("q", ["ana.garcia@", "garcia@example.com", "@example.com", "ana.garcia@example"])
def test_it_does_not_find_a_contact_by_part_of_an_email(api, people, q):
    assert found(api, q=q)[0] == 0


@pytest.mark.parametrize("q", ["+14155550100", "+1 415 555 0100", "+1 (415) 555-0100", "(415) 555-0100",
                               "415.555.0100", "415-555-0100", "4155550100"])
def test_it_finds_a_contact_by_phone_however_it_is_written(api, people, q):
    assert found(api, q=q) == (1, [people["garcia"]])


@pytest.mark.parametrize("q", ["14155550100", "1-415-555-0100", "1 415 555 0100"])
def test_it_finds_a_contact_by_phone_written_with_the_country_code_but_no_plus(api, people, q):
    """Was not found for an account without a country: search only tried its region and the national digits."""
    assert found(api, q=q) == (1, [people["garcia"]])


def test_it_finds_an_irish_mobile_written_locally_and_internationally(api, people):
    for q in ("+353 86 123 4567", "086 123 4567", "0861234567"):
        assert found(api, q=q) == (1, [people["obrien"]]), q


def test_a_number_is_found_by_its_last_digits_never_by_a_fragment_inside_it(api, people):
    assert found(api, q="555")[0] == 0  # three digits are too few to mean a number
    assert found(api, q="5550100") == (1, [people["garcia"]])  # how sellers remember a number: its end
    assert found(api, q="4155550")[0] == 0  # the middle of a number is not its end


def test_an_empty_search_lists_everyone(api, people):
    assert found(api, q="")[0] == len(people)
    assert found(api)[0] == len(people)


# --- GET /contacts: tag, stage, limit, offset, sort, cursor ------------------------------------------------


def test_it_filters_by_tag_and_by_stage(api):
    vip = new_contact(api, first_name="Vip", tags=["vip", "yoga"])["id"]
    yoga = new_contact(api, first_name="Yogi", tags=["yoga"], stage="customer")["id"]
    plain = new_contact(api, first_name="Plain")["id"]
    assert found(api, tag="vip") == (1, [vip])
    assert set(found(api, tag="yoga")[1]) == {vip, yoga}
    assert found(api, tag="nope") == (0, [])
    assert found(api, stage="customer") == (1, [yoga])
    assert set(found(api, stage="new-lead")[1]) == {vip, plain}
    assert found(api, stage="not-now") == (0, [])
    assert found(api, tag="yoga", stage="customer") == (1, [yoga])
    assert found(api, tag="yoga", q="vip") == (1, [vip])


def test_it_lists_contacts_in_the_contract_shape_sorted_by_name(api):
    for name in ("Carla", "ana", "Bea", "Álvaro"):
        new_contact(api, first_name=name)
    response = get(api, "/contacts")
    assert response.status_code == 200
    body = response.json()
    assert {"items", "count"} <= set(body)
    assert body["count"] == 4
    for item in body["items"]:
        assert_contact_shape(item)
    assert [c["first_name"] for c in body["items"]] == ["Álvaro", "ana", "Bea", "Carla"]


@pytest.mark.parametrize("limit", ["0", "-1", "201", "1000", "abc", "1.5"])
def test_it_refuses_a_limit_outside_1_to_200(api, limit):
    assert_detail(get(api, "/contacts", limit=limit))


@pytest.mark.parametrize("offset", ["-1", "abc"])
def test_it_refuses_a_bad_offset(api, offset):
    assert_detail(get(api, "/contacts", offset=offset))


def test_it_pages_with_limit_and_offset_and_always_gives_the_whole_count(api):
    ids = {new_contact(api, first_name=f"Person {i:02}")["id"] for i in range(7)}
    seen = []
    for offset in range(0, 9, 3):
        count, page = found(api, limit=3, offset=offset)
        assert count == 7
        assert len(page) == min(3, max(0, 7 - offset))
        seen += page
    assert len(seen) == 7 and set(seen) == ids
    assert found(api, limit=200) == (7, found(api, limit=200)[1])
    assert found(api, offset=50) == (7, [])


@pytest.fixture
def crowd(alice) -> set[str]:
    """230 contacts with clashing names, some contacted (at the same moment), some never."""
    ids = set()
    moment = timezone.now() - timedelta(days=3)
    for i in range(230):
        first = ["Ana", "Bea", "Zoë", "Éva", ""][i % 5]
        contact = contact_create(owner=alice, first_name=first, last_name=["Ruiz", "Ruiz", "Lee"][i % 3],
                                          emails=[] if first else [f"p{i}@example.com"])
        if i % 4 == 0:
            message_log(owner=alice, contact_id=contact.pk, channel="call", sent_at=moment)
        elif i % 7 == 0:
            message_log(owner=alice, contact_id=contact.pk, channel="sms",
                                 sent_at=moment - timedelta(minutes=i))
        ids.add(str(contact.pk))
    return ids


@pytest.mark.parametrize("sort", ["name", "-created", "created", "-last_contacted"])
def test_next_cursor_pages_through_230_contacts_giving_each_exactly_once(api, crowd, sort):
    seen: list[str] = []
    params = {"limit": 50, "sort": sort}
    for _page in range(10):
        response = get(api, "/contacts", **params)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        assert body["count"] == 230
        seen += [item["id"] for item in body["items"]]
        if not body.get("next_cursor"):
            break
        params = {"limit": 50, "sort": sort, "cursor": body["next_cursor"]}
    assert len(seen) == 230 and set(seen) == crowd


def test_offset_pages_through_230_contacts_giving_each_exactly_once(api, crowd):
    seen = []
    for offset in range(0, 230, 200):
        seen += found(api, limit=200, offset=offset)[1]
    assert len(seen) == 230 and set(seen) == crowd


def test_it_sorts_by_last_contacted_with_the_never_contacted_last(api):
    never = new_contact(api, first_name="Never")["id"]
    old = new_contact(api, first_name="Old")["id"]
    recent = new_contact(api, first_name="Recent")["id"]
    created(api, f"/contacts/{old}/messages", {"channel": "sms", "sent_at": "2025-01-01T10:00:00Z"})
    created(api, f"/contacts/{recent}/messages", {"channel": "sms", "sent_at": "2026-01-01T10:00:00Z"})
    assert found(api, sort="-last_contacted")[1] == [recent, old, never]


@pytest.mark.parametrize("params", [{"sort": "owner"}, {"sort": "-name; DROP TABLE"}, {"cursor": "garbage"},
                                    {"cursor": "W10"}, {"cursor": "!!!"}])
def test_it_refuses_an_unknown_sort_or_a_forged_cursor(api, params):
    new_contact(api, first_name="Ana")
    assert_detail(get(api, "/contacts", **params))


def test_a_cursor_of_one_sort_is_refused_by_another(api):
    for i in range(3):
        new_contact(api, first_name=f"P{i}")
    cursor = get(api, "/contacts", limit=1, sort="name").json()["next_cursor"]
    assert cursor
    assert_detail(get(api, "/contacts", limit=1, sort="-created", cursor=cursor))


# --- Notes -----------------------------------------------------------------------------------------------------


def test_it_adds_lists_edits_and_deletes_notes(api):
    contact = new_contact(api, first_name="Ana")["id"]
    first = created(api, f"/contacts/{contact}/notes", {"body": "Met at the fair.\nLikes tea."})
    assert set(first) >= NOTE_FIELDS
    assert first["contact_id"] == contact and first["body"] == "Met at the fair.\nLikes tea."
    assert ISO_DATETIME.match(first["created_at"]) and ISO_DATETIME.match(first["updated_at"])
    second = created(api, f"/contacts/{contact}/notes", {"body": "Called back."})

    listed = get(api, f"/contacts/{contact}/notes")
    assert listed.status_code == 200
    assert isinstance(listed.json(), list)
    assert {n["id"] for n in listed.json()} == {first["id"], second["id"]}
    for note in listed.json():
        assert set(note) >= NOTE_FIELDS

    response = patch(api, f"/notes/{first['id']}", {"body": "Met at the spring fair."})
    assert response.status_code == 200
    edited = response.json()
    assert edited["id"] == first["id"] and edited["body"] == "Met at the spring fair."
    assert edited["created_at"] == first["created_at"]
    assert parse(edited["updated_at"]) >= parse(first["updated_at"])

    assert api.delete(f"{API}/notes/{second['id']}").status_code == 204
    assert [n["id"] for n in get(api, f"/contacts/{contact}/notes").json()] == [first["id"]]
    assert api.delete(f"{API}/notes/{second['id']}").status_code == 404
    assert patch(api, f"/notes/{second['id']}", {"body": "x"}).status_code == 404


def test_it_refuses_an_empty_note(api, alice):
    contact = new_contact(api, first_name="Ana")["id"]
    for body in ({"body": ""}, {"body": "   "}, {}):
        assert_detail(post(api, f"/contacts/{contact}/notes", body))
    assert get(api, f"/contacts/{contact}/notes").json() == []


def test_notes_of_a_missing_contact_are_a_404(api):
    assert get(api, f"/contacts/{uuid4()}/notes").status_code == 404
    assert post(api, f"/contacts/{uuid4()}/notes", {"body": "x"}).status_code == 404


# --- Messages ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("direction", ["out", "in"])
def test_it_logs_a_message_on_every_channel_both_ways(api, channel, direction):
    contact = new_contact(api, first_name="Ana")["id"]
    message = created(api, f"/contacts/{contact}/messages",
                      {"channel": channel, "direction": direction, "body": "Hi!", "sent_at": "2026-01-02T03:04:05Z"})
    assert set(message) >= MESSAGE_FIELDS
    assert message["contact_id"] == contact
    assert (message["channel"], message["direction"], message["body"]) == (channel, direction, "Hi!")
    assert parse(message["sent_at"]) == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert [m["id"] for m in get(api, f"/contacts/{contact}/messages").json()] == [message["id"]]


def test_a_message_without_sent_at_is_sent_now_and_outgoing_by_default(api):
    contact = new_contact(api, first_name="Ana")["id"]
    message = created(api, f"/contacts/{contact}/messages", {"channel": "call"})
    assert message["direction"] == "out"
    assert abs(parse(message["sent_at"]) - timezone.now()) < timedelta(minutes=1)


def test_it_keeps_the_offset_of_sent_at(api):
    contact = new_contact(api, first_name="Ana")["id"]
    message = created(api, f"/contacts/{contact}/messages", {"channel": "sms", "sent_at": "2026-01-02T10:00:00+13:00"})
    assert parse(message["sent_at"]) == datetime(2026, 1, 1, 21, 0, tzinfo=UTC)


def test_it_lists_messages_newest_first(api):
    contact = new_contact(api, first_name="Ana")["id"]
    old = created(api, f"/contacts/{contact}/messages", {"channel": "sms", "sent_at": "2025-01-01T10:00:00Z"})
    new = created(api, f"/contacts/{contact}/messages", {"channel": "sms", "sent_at": "2026-01-01T10:00:00Z"})
    assert [m["id"] for m in get(api, f"/contacts/{contact}/messages").json()] == [new["id"], old["id"]]


@pytest.mark.parametrize("body", [{"channel": "fax"}, {"channel": "sms", "direction": "sideways"}, {},
                                  {"channel": "sms", "sent_at": "2999-01-01T00:00:00Z"}])
def test_it_refuses_a_message_on_an_unknown_channel_or_direction(api, body):
    contact = new_contact(api, first_name="Ana")["id"]
    assert_detail(post(api, f"/contacts/{contact}/messages", body))
    assert get(api, f"/contacts/{contact}/messages").json() == []


# --- Follow-ups ----------------------------------------------------------------------------------------------------


def test_it_creates_edits_completes_and_deletes_a_follow_up(api):
    contact = new_contact(api, first_name="Ana")["id"]
    followup = created(api, "/followups", {"contact_id": contact, "due_at": "2030-05-01T09:00:00Z", "title": "Call"})
    assert {"id", "contact_id", "due_at", "title", "done"} <= set(followup)
    assert followup["contact_id"] == contact and followup["title"] == "Call" and followup["done"] is False
    assert parse(followup["due_at"]) == datetime(2030, 5, 1, 9, 0, tzinfo=UTC)

    response = patch(api, f"/followups/{followup['id']}", {"title": "Call back", "due_at": "2030-05-02T09:00:00Z"})
    assert response.status_code == 200
    assert response.json()["title"] == "Call back"
    assert parse(response.json()["due_at"]) == datetime(2030, 5, 2, 9, 0, tzinfo=UTC)

    done = patch(api, f"/followups/{followup['id']}", {"done": True}).json()
    assert done["done"] is True
    assert followup["id"] not in [f["id"] for f in get(api, "/followups").json()]
    undone = patch(api, f"/followups/{followup['id']}", {"done": False}).json()
    assert undone["done"] is False

    assert api.delete(f"{API}/followups/{followup['id']}").status_code == 204
    assert api.delete(f"{API}/followups/{followup['id']}").status_code == 404
    assert patch(api, f"/followups/{followup['id']}", {"title": "x"}).status_code == 404


def test_it_creates_a_follow_up_already_done(api):
    contact = new_contact(api, first_name="Ana")["id"]
    followup = created(api, "/followups", {"contact_id": contact, "due_at": "2020-05-01T09:00:00Z", "title": "Met",
                                           "done": True})
    assert followup["done"] is True


def test_it_moves_a_follow_up_to_another_contact(api):
    ana, bea = new_contact(api, first_name="Ana")["id"], new_contact(api, first_name="Bea")["id"]
    followup = created(api, "/followups", {"contact_id": ana, "due_at": "2030-05-01T09:00:00Z", "title": "Call"})
    assert patch(api, f"/followups/{followup['id']}", {"contact_id": bea}).json()["contact_id"] == bea


@pytest.mark.parametrize("body", [
    {"due_at": "2030-05-01T09:00:00Z", "title": "x"},
    {"contact_id": "CONTACT", "title": "x"},
    {"contact_id": "CONTACT", "due_at": "2030-05-01T09:00:00Z"},
    {"contact_id": "CONTACT", "due_at": "2030-05-01T09:00:00Z", "title": ""},
    {"contact_id": "CONTACT", "due_at": "2030-05-01T09:00:00", "title": "naive"},
    {"contact_id": "CONTACT", "due_at": "soon", "title": "x"},
])
def test_it_refuses_a_follow_up_without_contact_due_date_or_title(api, alice, body):
    contact = new_contact(api, first_name="Ana")["id"]
    body = {k: contact if v == "CONTACT" else v for k, v in body.items()}
    assert_detail(post(api, "/followups", body))
    assert not FollowUp.objects.owned_by(alice).exists()


def test_it_refuses_a_follow_up_for_a_missing_contact(api, alice):
    response = post(api, "/followups", {"contact_id": str(uuid4()), "due_at": "2030-05-01T09:00:00Z", "title": "x"})
    assert response.status_code == 404
    assert not FollowUp.objects.owned_by(alice).exists()


FROZEN = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # 2026-03-11 09:00 in Auckland (UTC+13), still the 10th in UTC


def due_lists(client: Client) -> dict[str, list[str]]:
    lists = {}
    for due in ("today", "overdue", "upcoming"):
        response = get(client, "/followups", due=due)
        assert response.status_code == 200, response.content[:300]
        lists[due] = [f["title"] for f in response.json()]
    return lists


@pytest.fixture
def frozen():
    with time_machine.travel(FROZEN, tick=False):
        yield


def add_followups(client: Client, times: dict[str, str]) -> None:
    contact = new_contact(client, first_name="Ana")["id"]
    for title, due_at in times.items():
        created(client, "/followups", {"contact_id": contact, "due_at": due_at, "title": title})


def test_today_overdue_and_upcoming_are_counted_in_utc_by_default(api, frozen):
    add_followups(api, {"yesterday": "2026-03-09T23:59:00Z", "this morning": "2026-03-10T00:00:00Z",
                        "tonight": "2026-03-10T23:59:00Z", "tomorrow": "2026-03-11T00:00:00Z"})
    assert due_lists(api) == {"today": ["this morning", "tonight"], "overdue": ["yesterday"],
                              "upcoming": ["tomorrow"]}


def test_today_means_today_in_the_users_timezone(api, frozen):
    response = patch(api, "/me", {"timezone": "Pacific/Auckland"})
    assert response.status_code == 200 and response.json()["timezone"] == "Pacific/Auckland"
    add_followups(api, {
        "late last night": "2026-03-10T23:30:00+13:00",   # 10:30 UTC on the 10th: overdue in Auckland
        "23:30 tonight": "2026-03-11T23:30:00+13:00",     # 10:30 UTC on the 11th: today in Auckland
        "just after midnight": "2026-03-11T00:05:00+13:00",
        "tomorrow morning": "2026-03-12T00:00:00+13:00",
    })
    assert due_lists(api) == {"today": ["just after midnight", "23:30 tonight"], "overdue": ["late last night"],
                              "upcoming": ["tomorrow morning"]}


def test_done_follow_ups_are_in_no_due_list(api, frozen):
    contact = new_contact(api, first_name="Ana")["id"]
    followup = created(api, "/followups", {"contact_id": contact, "due_at": "2026-03-10T12:00:00Z", "title": "x"})
    patch(api, f"/followups/{followup['id']}", {"done": True})
    assert due_lists(api) == {"today": [], "overdue": [], "upcoming": []}


@pytest.mark.parametrize("due", ["yesterday", "TODAY", "x" * 11, "today;"])
def test_it_refuses_an_unknown_due_filter(api, due):
    assert_detail(get(api, "/followups", due=due))


def open_reorders(alice, contact_id) -> list[FollowUp]:
    return list(FollowUp.objects.owned_by(alice).filter(contact_id=contact_id, kind=FollowUp.Kind.REORDER,
                                                        done_at__isnull=True))


def test_it_schedules_a_reorder_reminder_when_a_contact_becomes_a_customer(api, alice):
    contact = new_contact(api, first_name="Ana", reorder_every_days=30)["id"]
    assert open_reorders(alice, contact) == []
    assert patch(api, f"/contacts/{contact}", {"stage": "customer"}).status_code == 200
    reorders = open_reorders(alice, contact)
    assert len(reorders) == 1
    assert reorders[0].due_at == reorder_due(alice, days=30)
    listed = [f for f in get(api, "/followups", due="upcoming").json() if f["contact_id"] == contact]
    assert [f["id"] for f in listed] == [str(reorders[0].pk)]
    assert patch(api, f"/contacts/{contact}", {"stage": "customer", "first_name": "Ana B"}).status_code == 200
    assert len(open_reorders(alice, contact)) == 1  # staying a customer doesn't pile reminders up


def test_it_schedules_the_next_reorder_when_one_is_done(api, alice):
    contact = new_contact(api, first_name="Ana", reorder_every_days=14, stage="customer")["id"]
    (first,) = open_reorders(alice, contact)
    assert patch(api, f"/followups/{first.pk}", {"done": True}).json()["done"] is True
    (second,) = open_reorders(alice, contact)
    assert second.pk != first.pk
    assert second.due_at == reorder_due(alice, days=14)


def reorder_due(user, *, days: int, since: date | None = None) -> datetime:
    """09:00 in the seller's timezone, `days` after `since` (today there by default)."""
    day = (since or today_for(user)) + timedelta(days=days)
    return datetime(day.year, day.month, day.day, 9, tzinfo=zone_for(user))


@time_machine.travel(datetime(2026, 12, 1, 3, 31, tzinfo=UTC), tick=False)  # 21:31 on 30 Nov in Chicago
def test_it_counts_a_reorder_from_the_day_they_became_a_customer_not_the_minute_saved(api, alice):
    alice.timezone = "America/Chicago"
    alice.save(update_fields=["timezone"])
    contact = new_contact(api, first_name="Ana", stage="customer", customer_since="2026-11-01",
                          reorder_every_days=30)["id"]
    (reorder,) = open_reorders(alice, contact)
    assert reorder.due_at == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 1 Dec, 09:00 in Chicago
    assert [f["id"] for f in get(api, "/followups", due="today").json()] == []  # still 30 Nov there


def test_a_customer_without_a_reorder_interval_gets_no_reminder(api, alice):
    contact = new_contact(api, first_name="Ana", stage="customer")["id"]
    assert open_reorders(alice, contact) == []


# --- Tags and stages -----------------------------------------------------------------------------------------------


def test_it_lists_tags_with_how_many_contacts_carry_each(api):
    new_contact(api, first_name="A", tags=["vip", "yoga"])
    new_contact(api, first_name="B", tags=["yoga"])
    new_contact(api, first_name="C", tags=["yoga", "zumba"])
    response = get(api, "/tags")
    assert response.status_code == 200
    tags = response.json()
    for tag in tags:
        assert set(tag) >= TAG_FIELDS
    assert {t["name"]: t["count"] for t in tags} == {"vip": 1, "yoga": 3, "zumba": 1}


def test_it_lists_the_stages_in_pipeline_order(api):
    response = get(api, "/stages")
    assert response.status_code == 200
    stages = response.json()
    for stage in stages:
        assert set(stage) >= STAGE_FIELDS
    assert [s["slug"] for s in stages] == DEFAULT_STAGES
    positions = [s["position"] for s in stages]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert stages[0]["name"] == "New lead"


def test_every_contact_stage_is_one_of_the_listed_slugs(api):
    slugs = {s["slug"] for s in get(api, "/stages").json()}
    for slug in slugs:
        assert new_contact(api, first_name=slug, stage=slug)["stage"] == slug
    assert_detail(post(api, "/contacts", {"first_name": "x", "stage": "no-such-stage"}))


# --- Duplicates --------------------------------------------------------------------------------------------------


def test_it_allows_a_duplicate_email_and_finds_both_by_blind_index(api, alice):
    first = new_contact(api, first_name="Ana", emails=["ana@example.com"])["id"]
    second = new_contact(api, first_name="Ana twin", emails=["ANA@Example.com"])["id"]
    assert set(found(api, q="ana@example.com")[1]) == {first, second}
    duplicates = find_duplicates(owner=alice, emails=["ana@example.com"])
    assert {str(c.pk) for c in duplicates} == {first, second}
    stored = list(ContactLookup.objects.owned_by(alice).values_list("digest", flat=True))
    assert stored and not any("ana" in digest.lower() for digest in stored)


def test_the_same_email_has_a_different_blind_index_in_each_account(api, bob_api, alice, bob):
    new_contact(api, first_name="Ana", emails=["ana@example.com"])
    new_contact(bob_api, first_name="Ana", emails=["ana@example.com"])
    alices = set(ContactLookup.objects.owned_by(alice).values_list("digest", flat=True))
    bobs = set(ContactLookup.objects.owned_by(bob).values_list("digest", flat=True))
    assert alices and bobs and not alices & bobs


# --- Another account's rows never show ----------------------------------------------------------------------------


def test_it_hides_alices_contacts_from_bobs_search_counts_tags_and_lists(api, bob_api):
    alices = new_contact(api, first_name="Zoë", last_name="Quintana", emails=["zoe.q@example.com"],
                         phones=["+14155550100"], tags=["alice-only"], stage="customer")
    created(api, "/followups", {"contact_id": alices["id"], "due_at": "2030-01-01T10:00:00Z", "title": "x"})
    created(api, f"/contacts/{alices['id']}/notes", {"body": "secret"})
    new_contact(bob_api, first_name="Bob's", last_name="Friend", tags=["bob-only"])

    for q in ("zoe", "Quintana", "quin", "zoe.q@example.com", "ZOE.Q@EXAMPLE.COM", "+14155550100",
              "(415) 555-0100", "4155550100"):
        assert found(bob_api, q=q) == (0, []), q
    assert found(bob_api, tag="alice-only") == (0, [])
    assert found(bob_api, stage="customer") == (0, [])
    assert found(bob_api)[0] == 1
    assert [t["name"] for t in get(bob_api, "/tags").json()] == ["bob-only"]
    for due in ("", "today", "overdue", "upcoming"):
        assert get(bob_api, "/followups", due=due).json() == [], due
    assert get(bob_api, f"/contacts/{alices['id']}").status_code == 404
    assert get(bob_api, f"/contacts/{alices['id']}/notes").status_code == 404
    assert get(bob_api, f"/contacts/{alices['id']}/messages").status_code == 404


def test_it_hides_alices_contacts_from_her_team_leader(api, db):
    carol = make_user("carol@example.com", name="Carol Leader")
    new_contact(api, first_name="Zoë", emails=["zoe@example.com"], tags=["downline"])
    carol_api = bearer_client(carol)
    assert found(carol_api) == (0, [])
    assert found(carol_api, q="zoe@example.com") == (0, [])
    assert get(carol_api, "/tags").json() == []


def test_the_stage_slugs_are_each_accounts_own(api, bob_api, alice):
    stage_rename(owner=alice, slug="customer", name="Happy customer")
    assert {s["name"] for s in get(bob_api, "/stages").json()} >= {"Customer"}
    assert "Happy customer" not in {s["name"] for s in get(bob_api, "/stages").json()}


# --- Sessions and tokens both work; the OpenAPI description lists the contract ----------------------------------


def test_the_browser_session_works_as_well_as_a_token(alice_client):
    contact = created(alice_client, "/contacts", {"first_name": "Ana"})
    assert get(alice_client, f"/contacts/{contact['id']}").json()["first_name"] == "Ana"


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/contacts"), ("post", "/contacts"), ("get", "/contacts/{contact_id}"),
    ("patch", "/contacts/{contact_id}"), ("delete", "/contacts/{contact_id}"),
    ("get", "/contacts/{contact_id}/notes"), ("post", "/contacts/{contact_id}/notes"),
    ("patch", "/notes/{note_id}"), ("delete", "/notes/{note_id}"),
    ("get", "/contacts/{contact_id}/messages"), ("post", "/contacts/{contact_id}/messages"),
    ("get", "/followups"), ("post", "/followups"), ("patch", "/followups/{followup_id}"),
    ("delete", "/followups/{followup_id}"), ("get", "/tags"), ("get", "/stages"),
])
def test_the_openapi_description_lists_each_crm_operation_of_the_contract(client, method, path):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    paths = {re.sub(r"\{\w+:", "{", p).removeprefix(API): ops for p, ops in response.json()["paths"].items()}
    assert method in paths.get(path, {}), sorted(paths)


def test_birthdays_are_plain_dates(api):
    contact = new_contact(api, first_name="Leap", birthday="2000-02-29")
    assert contact["birthday"] == "2000-02-29"
    assert date.fromisoformat(get(api, f"/contacts/{contact['id']}").json()["birthday"]) == date(2000, 2, 29)
