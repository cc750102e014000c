"""Possible duplicates: pairs of contacts sharing a phone or an email, listed by blind index; Merge keeps every
value of both; "Not the same person" is remembered, on the duplicates page and on the contact page."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from lte.crm.models import Contact, DuplicateDismissal, Note
from lte.crm.services import duplicates
from lte.crm.services.contacts import ContactData, contact_create, contact_delete, contact_update
from lte.crm.services.duplicates import contact_merge, duplicate_dismiss, pair_page
from lte.crm.services.notes import note_create
from lte.crm.tests.test_pages import assert_csp_clean, reload
from lte.testing.helpers import bearer_client
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db

PAGE = "/app/contacts/duplicates/"
API = "/api/v1/"
PHONE = "+14155550100"


def make(owner, first: str, last: str = "", *, days_ago: int = 0, **fields) -> Contact:
    """A contact made through the real service, `days_ago` days back (the older one is kept by a plain Merge)."""
    with time_machine.travel(timezone.now() - timedelta(days=days_ago), tick=False):
        return contact_create(owner=owner, first_name=first, last_name=last, **fields)


def page(client: Client, url: str = PAGE) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def merge_url(keep, other) -> str:
    return f"{PAGE}{keep.pk}/{other.pk}/merge"


def dismiss_url(one, two) -> str:
    return f"{PAGE}{one.pk}/{two.pk}/dismiss"


def pairs_of(owner) -> list[tuple[set, set]]:
    with acting_for(owner.pk):
        found = pair_page(owner, limit=1000)
    return [({p.first.first_name, p.second.first_name}, p.shared) for p in found.items if p.first and p.second]


@pytest.fixture
def bob_client(bob) -> Client:
    client = Client()
    client.force_login(bob)
    return client



# --- Which pairs are listed ------------------------------------------------------------------------------


def test_it_lists_two_contacts_sharing_a_phone(alice_client, alice):
    ana = make(alice, "Ana", "Silva", phones=["+1 415 555 0100"], days_ago=3)
    make(alice, "Bea", "Costa", phones=["+1 (415) 555-0100"], emails=["bea@example.com"], company="Acme")
    html = page(alice_client)
    assert "Ana" in html and "Silva" in html and "Bea" in html and "Acme" in html and "bea@example.com" in html
    assert "Same phone" in html and "Same email" not in html
    assert "<strong>+1 415-555-0100</strong>" in html  # the shared number is marked on both sides
    assert html.count("<time datetime=") == 2 and ana.created_at.strftime("%Y") in html
    assert pairs_of(alice) == [({"Ana", "Bea"}, {"phone"})]
    assert_csp_clean(html)


def test_it_lists_two_contacts_sharing_an_email_whatever_its_case(alice_client, alice):
    make(alice, "Ana", emails=["Ana.Silva@Example.com"])
    make(alice, "Ana María", emails=["ana.silva@example.com"], phones=["+34612345678"])
    html = page(alice_client)
    assert "Same email" in html and "Same phone" not in html
    assert pairs_of(alice) == [({"Ana", "Ana María"}, {"email"})]


def test_it_says_when_two_contacts_share_both(alice_client, alice):
    make(alice, "Ana", emails=["ana@example.com"], phones=[PHONE])
    make(alice, "Anita", emails=["ana@example.com"], phones=[PHONE])
    assert "Same phone and same email" in page(alice_client)
    assert pairs_of(alice) == [({"Ana", "Anita"}, {"email", "phone"})]


def test_it_leaves_out_a_contact_with_no_twin(alice_client, alice):
    make(alice, "Ana", phones=[PHONE])
    make(alice, "Bea", phones=[PHONE])
    make(alice, "Loner", phones=["+14155550111"], emails=["loner@example.com"])
    html = page(alice_client)
    assert "Loner" not in html
    assert pairs_of(alice) == [({"Ana", "Bea"}, {"phone"})]


def test_it_doesnt_count_numbers_that_only_end_alike(alice, alice_client):
    """The phone endings and national digits in the blind index are for search, not for duplicates."""
    make(alice, "Ana", phones=["+14155550142"])
    make(alice, "Bea", phones=["+14085550142"])
    assert pairs_of(alice) == []
    assert "No possible duplicates" in page(alice_client)


def test_it_gives_three_pairs_for_three_contacts_sharing_one_phone(alice_client, alice):
    for name in ("Ana", "Bea", "Cleo"):
        make(alice, name, phones=[PHONE])
    assert sorted(sorted(names) for names, _ in pairs_of(alice)) == [["Ana", "Bea"], ["Ana", "Cleo"], ["Bea", "Cleo"]]
    assert page(alice_client).count("Same phone") == 3


def test_it_lists_the_newest_pairs_first(alice):
    make(alice, "Old1", phones=["+14155550101"], days_ago=30)
    make(alice, "Old2", phones=["+14155550101"], days_ago=20)
    make(alice, "New1", phones=["+14155550102"], days_ago=10)
    make(alice, "New2", phones=["+14155550102"], days_ago=1)
    assert [names for names, _ in pairs_of(alice)] == [{"New1", "New2"}, {"Old1", "Old2"}]


def test_it_pages_the_pairs_fifty_at_a_time(alice_client, alice):
    for i in range(11):  # 11 contacts sharing one number: 55 pairs
        make(alice, f"Twin{i:02d}", phones=[PHONE])
    first, second = page(alice_client), page(alice_client, PAGE + "?page=2")
    assert first.count("Same phone") == 50 and second.count("Same phone") == 5
    assert 'href="?page=2"' in first and 'href="?page=1"' in second and 'href="?page=3"' not in second
    assert '<span class="count warn">55</span>' in first
    assert page(alice_client, PAGE + "?page=x").count("Same phone") == 50


def test_it_bounds_the_work_and_says_so(alice_client, alice, monkeypatch):
    for name in ("Ana", "Bea", "Cleo"):
        make(alice, name, phones=[PHONE])
    monkeypatch.setattr(duplicates, "MAX_PAIRS", 2)
    html = page(alice_client)
    assert html.count("Same phone") == 2 and "Showing the first 2 pairs" in html and ">2+<" in html
    monkeypatch.setattr(duplicates, "MAX_PAIRS", 100)
    monkeypatch.setattr(duplicates, "MAX_LOOKUPS", 2)  # 3 holders of the number, 2 read: one pair
    assert len(pairs_of(alice)) == 1


def test_the_contact_list_links_the_page_and_fetches_its_count_afterwards(alice_client, alice):
    html = page(alice_client, "/app/contacts/")
    assert f'href="{PAGE}"' in html and f'hx-get="{PAGE}?badge=1" hx-trigger="load"' in html
    badge = alice_client.get(PAGE + "?badge=1", HTTP_HX_REQUEST="true")
    assert badge.status_code == 200 and badge.content.decode().strip() == ""
    make(alice, "Ana", phones=[PHONE])
    make(alice, "Bea", phones=[PHONE])
    badge = alice_client.get(PAGE + "?badge=1", HTTP_HX_REQUEST="true").content.decode()
    assert badge.strip() == '<span class="count warn" id="duplicate-count">1</span>'
    assert "<html" in page(alice_client, PAGE + "?badge=1")  # without htmx: the whole page


def test_it_escapes_names(alice_client, alice):
    make(alice, "<script>alert(1)</script>", phones=[PHONE], company="<b>Acme</b>")
    make(alice, 'Bea "><img src=x>', phones=[PHONE])
    html = page(alice_client)
    assert "<script>alert(1)" not in html and "<img src=x>" not in html and "<b>Acme" not in html
    assert escape("<script>alert(1)</script>") in html and escape("<b>Acme</b>") in html
    assert_csp_clean(html)


# --- Merge ---------------------------------------------------------------------------------------------------


def test_it_merges_from_the_page_keeping_every_value_of_both(alice_client, alice):
    older = make(alice, "Ana", "Silva", phones=[PHONE], emails=["ana@example.com"], address="1 Main St",
                 tags=["vip"], days_ago=5)
    newer = make(alice, "Ana", "S.", phones=[PHONE, "+34612345678"], emails=["ana@work.example"],
                 address="2 High St, Springfield", tags=["gym"], company="Acme")
    note_create(owner=alice, contact_id=older.pk, body="Likes the green tea")
    note_create(owner=alice, contact_id=newer.pk, body="Asked about the starter kit")
    html = page(alice_client)
    assert f'action="{merge_url(older, newer)}"' in html  # the plain Merge keeps the older one
    response = alice_client.post(merge_url(older, newer), {"next": PAGE})
    assert response.status_code == 302 and response["Location"] == PAGE
    assert not Contact.objects.filter(pk=newer.pk).exists()
    kept = reload(older)
    with acting_for(alice.pk):
        assert kept.phones == [PHONE, "+34612345678"]
        assert kept.emails == ["ana@example.com", "ana@work.example"]
        assert [a["value"] for a in kept.addresses] == ["1 Main St", "2 High St, Springfield"]
        assert sorted(n.body for n in Note.objects.filter(contact=kept)) == [
            "Asked about the starter kit", "Likes the green tea"]
    assert kept.company == "Acme" and kept.last_name == "Silva"
    assert sorted(t.name for t in kept.tags.all()) == ["gym", "vip"]
    after = page(alice_client, response["Location"])
    assert "Merged." in after and "No possible duplicates" in after


def test_it_keeps_the_one_the_seller_chooses(alice_client, alice):
    older = make(alice, "Ana", phones=[PHONE], days_ago=5)
    newer = make(alice, "Anita", phones=[PHONE])
    assert f'action="{merge_url(newer, older)}"' in page(alice_client)  # "Keep this one" on the newer side
    assert alice_client.post(merge_url(newer, older)).status_code == 302
    assert list(Contact.objects.owned_by(alice).values_list("first_name", flat=True)) == ["Anita"]


def test_it_refuses_to_merge_a_contact_into_itself(alice_client, alice):
    ana = make(alice, "Ana", phones=[PHONE])
    response = alice_client.post(merge_url(ana, ana), follow=True)
    assert "can&#x27;t be merged into itself" in response.content.decode()
    assert Contact.objects.filter(pk=ana.pk).exists()


# --- Not the same person --------------------------------------------------------------------------------------


def test_not_the_same_person_hides_the_pair_on_both_pages_and_survives(alice_client, alice):
    ana = make(alice, "Ana", phones=[PHONE], emails=["ana@example.com"], days_ago=2)
    bea = make(alice, "Bea", phones=[PHONE])
    cleo = make(alice, "Cleo", emails=["ana@example.com"])
    assert "Bea" in page(alice_client, f"/app/contacts/{ana.pk}/")
    response = alice_client.post(dismiss_url(bea, ana), {"next": PAGE})  # either order
    assert response.status_code == 302 and response["Location"] == PAGE
    html = page(alice_client)
    assert "They won&#x27;t be suggested" in html or "They won't be suggested" in html
    assert sorted(sorted(names) for names, _ in pairs_of(alice)) == [["Ana", "Cleo"]]
    # The contact pages: Ana still offers Cleo, not Bea; Bea offers nobody.
    ana_page = page(alice_client, f"/app/contacts/{ana.pk}/")
    assert f"/merge/{cleo.pk}" in ana_page and f"/merge/{bea.pk}" not in ana_page
    assert "Possible duplicates" not in page(alice_client, f"/app/contacts/{bea.pk}/")
    # It survives a re-index of both contacts and a new session.
    with acting_for(alice.pk):
        contact_update(owner=alice, contact_id=bea.pk,
                                data=ContactData(phones=[PHONE, "+34612345678"]))
        contact_update(owner=alice, contact_id=ana.pk, data=ContactData(first_name="Ana María"))
    fresh = Client()
    fresh.force_login(alice)
    assert "Bea" not in page(fresh).split("</nav>", 2)[-1]
    assert sorted(sorted(names) for names, _ in pairs_of(alice)) == [["Ana María", "Cleo"]]
    ana_page = page(fresh, f"/app/contacts/{ana.pk}/")
    assert f"/merge/{cleo.pk}" in ana_page and f"/merge/{bea.pk}" not in ana_page


def test_it_remembers_a_pair_once_in_canonical_order(alice):
    ana, bea = make(alice, "Ana", phones=[PHONE]), make(alice, "Bea", phones=[PHONE])
    duplicate_dismiss(owner=alice, contact_id=ana.pk, other_id=bea.pk)
    duplicate_dismiss(owner=alice, contact_id=bea.pk, other_id=ana.pk)
    [row] = DuplicateDismissal.objects.owned_by(alice)
    assert (row.contact_a_id, row.contact_b_id) == tuple(sorted([ana.pk, bea.pk]))
    with pytest.raises(ValidationError):
        duplicate_dismiss(owner=alice, contact_id=ana.pk, other_id=ana.pk)


def test_it_lists_dismissed_pairs_and_can_suggest_them_again(alice_client, alice):
    ana, bea = make(alice, "Ana", phones=[PHONE]), make(alice, "Bea", phones=[PHONE])
    duplicate_dismiss(owner=alice, contact_id=ana.pk, other_id=bea.pk)
    assert pairs_of(alice) == []
    listed = page(alice_client, PAGE + "?show=dismissed")
    first, second = sorted([ana, bea], key=lambda c: c.pk)
    again = f"{PAGE}{first.pk}/{second.pk}/show-again"
    assert "Ana" in listed and "Bea" in listed and f'action="{again}"' in listed
    assert alice_client.post(again).status_code == 302
    assert not DuplicateDismissal.objects.exists()
    assert pairs_of(alice) == [({"Ana", "Bea"}, {"phone"})]
    assert alice_client.post(again).status_code == 302  # nothing to take back: fine


def test_a_dismissal_goes_with_either_contact_and_follows_a_merge(alice):
    ana = make(alice, "Ana", phones=[PHONE], days_ago=3)
    bea = make(alice, "Bea", phones=[PHONE], days_ago=2)
    ana_again = make(alice, "Ana", "Silva", phones=[PHONE], emails=["ana@example.com"])
    duplicate_dismiss(owner=alice, contact_id=ana.pk, other_id=bea.pk)
    duplicate_dismiss(owner=alice, contact_id=ana_again.pk, other_id=bea.pk)
    # Ana is merged into her newer card: Bea is still not her.
    with acting_for(alice.pk):
        contact_merge(owner=alice, keep_id=ana_again.pk, merge_id=ana.pk)
    assert pairs_of(alice) == []
    assert DuplicateDismissal.objects.count() == 1
    contact_delete(owner=alice, contact_id=bea.pk)
    assert not DuplicateDismissal.objects.exists()


def test_the_dismissals_are_in_the_export(alice_client, alice):
    ana, bea = make(alice, "Ana", phones=[PHONE]), make(alice, "Bea", phones=[PHONE])
    duplicate_dismiss(owner=alice, contact_id=ana.pk, other_id=bea.pk)
    response = alice_client.get(API + "me/export")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    [row] = csv.DictReader(io.StringIO(archive.read("duplicate_dismissals.csv").decode("utf-8-sig")))
    assert {row["contact_id"], row["other_contact_id"]} == {str(ana.pk), str(bea.pk)} and row["created_at"]


# --- Bob -----------------------------------------------------------------------------------------------------


def test_bob_never_sees_alices_pairs_and_cant_merge_or_dismiss_them(bob_client, bob, alice):
    ana = make(alice, "Anastasia", phones=[PHONE], emails=["ana@example.com"])
    bea = make(alice, "Beatrix", phones=[PHONE])
    make(bob, "Bobs", phones=[PHONE])  # the same number in another account is no duplicate
    html = page(bob_client)
    assert "Anastasia" not in html and "Beatrix" not in html and "No possible duplicates" in html
    assert pairs_of(bob) == []
    for url in (merge_url(ana, bea), dismiss_url(ana, bea), f"{PAGE}{ana.pk}/{bea.pk}/show-again"):
        assert bob_client.post(url).status_code == 404, url
    bobs = make(bob, "Bobs twin", phones=[PHONE])
    assert bob_client.post(merge_url(bobs, ana)).status_code == 404  # one of his and one of hers: still 404
    assert bob_client.post(dismiss_url(ana, bobs)).status_code == 404
    assert Contact.objects.owned_by(alice).count() == 2 and not DuplicateDismissal.objects.exists()
    assert pairs_of(alice) == [({"Anastasia", "Beatrix"}, {"phone"})]
    with pytest.raises(Contact.DoesNotExist):
        duplicate_dismiss(owner=bob, contact_id=ana.pk, other_id=bea.pk)


# --- The API -------------------------------------------------------------------------------------------------


def test_the_api_lists_pairs_with_both_contacts_and_what_they_share(alice):
    older = make(alice, "Ana", phones=[PHONE], emails=["ana@example.com"], days_ago=1)
    newer = make(alice, "Anita", phones=[PHONE], emails=["ana@example.com"])
    make(alice, "Loner", phones=["+14155550111"])
    response = bearer_client(alice).get(API + "duplicates")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [item] = body["items"]
    assert [c["id"] for c in item["contacts"]] == [str(older.pk), str(newer.pk)]
    assert item["contacts"][0]["phones"] == [PHONE] and item["contacts"][1]["first_name"] == "Anita"
    assert item["shared"] == ["email", "phone"]
    assert bearer_client(alice).get(API + "duplicates?limit=0").status_code == 422


def test_the_api_dismisses_a_pair(alice, bob):
    ana, bea = make(alice, "Ana", phones=[PHONE]), make(alice, "Bea", phones=[PHONE])
    body = {"contact_ids": [str(ana.pk), str(bea.pk)]}
    theirs = bearer_client(bob).post(API + "duplicates/dismiss", body, content_type="application/json")
    assert theirs.status_code == 404 and "detail" in theirs.json()
    client = bearer_client(alice)
    response = client.post(API + "duplicates/dismiss", body, content_type="application/json")
    assert response.status_code == 204
    assert client.get(API + "duplicates").json() == {"items": [], "count": 0}
    same = client.post(API + "duplicates/dismiss", {"contact_ids": [str(ana.pk)] * 2}, content_type="application/json")
    assert same.status_code == 400 and "detail" in same.json()
    one = client.post(API + "duplicates/dismiss", {"contact_ids": [str(ana.pk)]}, content_type="application/json")
    assert one.status_code == 422 and "detail" in one.json()


def test_the_api_merges_keeping_every_value(alice, bob):
    ana = make(alice, "Ana", phones=[PHONE], emails=["ana@example.com"], address="1 Main St")
    bea = make(alice, "Ana", "Silva", phones=["+34612345678"], emails=["ana@example.com"], address="2 High St")
    url = f"{API}contacts/{ana.pk}/merge/{bea.pk}"
    theirs = bearer_client(bob).post(url)
    assert theirs.status_code == 404 and theirs.json() == {"detail": "Not found."}
    response = bearer_client(alice).post(url)
    assert response.status_code == 200
    merged = response.json()
    assert merged["id"] == str(ana.pk) and merged["last_name"] == "Silva"
    assert merged["phones"] == [PHONE, "+34612345678"] and merged["emails"] == ["ana@example.com"]
    assert [a["value"] for a in merged["addresses"]] == ["1 Main St", "2 High St"]
    assert bearer_client(alice).get(f"{API}contacts/{bea.pk}").status_code == 404
