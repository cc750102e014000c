"""The contact list writes its contacts itself (api.contact_out, for speed): the answer must be exactly what
ContactOut, the documented schema, gives for the same contact — keys, order and values — for every kind of contact."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from ninja.responses import NinjaJSONEncoder

from lte.crm.api import ContactOut, contact_out
from lte.crm.models import Contact
from lte.crm.queries import page, with_stages, with_tag_names
from lte.crm.services.contacts import ContactData, contact_create, contact_update
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db


def documented(contact: Contact) -> dict:
    return json.loads(json.dumps(ContactOut.from_orm(contact).model_dump(), cls=NinjaJSONEncoder))


@pytest.fixture
def cast(alice):
    with acting_for(alice.pk):
        bare = contact_create(owner=alice, first_name="Ana")
        company = contact_create(owner=alice, company="Acme Ltd")
        full = contact_create(
            owner=alice, first_name="Zoë", last_name="Müller-García", company="Natura", job_title="Consultora",
            emails=["zoe@example.com", "Z@Work.example"], email_labels=["home", "work"],
            phones=["+34612345678", "+13125550142"], phone_labels=["mobile", ""],
            addresses=[{"label": "home", "value": "Calle Mayor 1, Madrid"}, {"label": "work", "value": "Gran Vía 2"}],
            urls=[{"label": "instagram", "value": "https://instagram.com/zoe"}], birthday="--07-19",
            source="event", stage="customer", tags=["VIP", "yoga", "Équipe"], customer_since=date(2026, 3, 1),
            reorder_every_days=45, social={"instagram": "@zoe"})
        dated = contact_create(owner=alice, first_name="Bea", birthday="1990-02-28", stage="contacted")
        contact_update(owner=alice, contact_id=dated.pk, data=ContactData(last_name="Ruiz"))
        Contact.objects.filter(pk=dated.pk).update(
            last_contacted_at=datetime(2026, 11, 30, 9, 15, 7, 123456, tzinfo=UTC))
    return [bare.pk, company.pk, full.pk, dated.pk]


def test_the_list_answers_each_contact_as_contact_out_does(alice, api, cast):
    listed = api.get("/api/v1/contacts?limit=50").json()["items"]
    assert len(listed) == len(cast)
    with acting_for(alice.pk):
        expected = {str(c.pk): documented(c) for c in Contact.objects.owned_by(alice).select_related("stage")}
    for item in listed:
        assert list(item) == list(expected[item["id"]])  # the same keys in the same order
        assert item == expected[item["id"]]
    full = next(i for i in listed if i["first_name"] == "Zoë")
    assert full["birthday"] == "--07-19" and full["tags"] == ["VIP", "yoga", "Équipe"]
    assert full["stage"] == "customer" and full["customer_since"] == "2026-03-01"
    dated = next(i for i in listed if i["first_name"] == "Bea")
    assert dated["last_contacted_at"] == "2026-11-30T09:15:07.123Z"


def test_a_page_attaches_each_contacts_own_stage_and_sorted_tags(alice, cast):
    with acting_for(alice.pk):
        rows = with_stages(alice, with_tag_names(list(Contact.objects.owned_by(alice))))
        for row in rows:
            fresh = Contact.objects.select_related("stage").get(pk=row.pk)
            assert row.stage == fresh.stage and row.stage.slug == fresh.stage.slug
            assert row.tag_names == sorted(t.name for t in fresh.tags.all())


def _answers(owner, **query) -> tuple[list[dict], int | None, str | None]:
    found = page(owner, **query)
    return [contact_out(c) for c in found.items], found.count, found.next_cursor


@pytest.mark.parametrize("query", [
    {}, {"limit": 2}, {"limit": 1, "offset": 2}, {"sort": "-created"}, {"sort": "-last_contacted", "limit": 2},
    {"sort": "created", "limit": 3, "offset": 1}, {"q": "  "},
    {"q": "zoe"}, {"q": "bea ruiz"}, {"q": "+34 612 345 678"}, {"q": "zoe@example.com"}, {"tag": "yoga"},
    {"stage": "contacted"}, {"q": "nobody"},
], ids=str)
def test_the_lists_rows_read_without_models_answer_as_contacts_do(alice, cast, query):
    """page(listed=True), the API list's reading (no model instances), gives the same answers, count and cursor as
    Contacts read through the ORM, on every path a page takes; and the next page from its cursor too."""
    with acting_for(alice.pk):
        fast, slow = _answers(alice, listed=True, **query), _answers(alice, **query)
        assert fast == slow
        assert _answers(alice, listed=True, **query) == fast  # again: a whole list's page is compiled once
        if fast[2]:
            after = {**query, "cursor": fast[2]} if "offset" not in query else {**query, "offset": query["offset"] + 1}
            assert _answers(alice, listed=True, **after) == _answers(alice, **after)
    assert fast[1] is not None and len(fast[0]) <= fast[1]
