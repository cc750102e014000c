"""The contact form a phone likes (issue 15 part 3): phone and email rows with a label select and type=tel /
type=email inputs, social profiles as a network picker and a handle, customer-only fields marked for the stage
toggle, a Cancel link; the list's rows with the main phone and call / text buttons, and a search that found
nothing offering to add what was searched."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from lte.crm.models import Contact
from lte.crm.tests.test_pages import make_contact, reload

pytestmark = pytest.mark.django_db


def page_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def shown(page: str) -> str:
    """The page without its <template>s (the row "+ add" copies, which aren't posted)."""
    return re.sub(r"<template.*?</template>", "", page, flags=re.S)


def inputs(page: str, name: str) -> list[str]:
    return re.findall(rf'<input[^>]*name="{name}"[^>]*>', shown(page))


def selected(page: str, name: str) -> list[str]:
    selects = re.findall(rf'<select name="{name}"[^>]*>(.*?)</select>', shown(page), re.S)
    return [(re.findall(r'<option value="([^"]*)" selected>', s) or [""])[0] for s in selects]


def test_the_new_form_has_phone_and_email_rows_not_textareas(alice_client):
    page = page_of(alice_client.get("/app/contacts/new"))
    assert 'name="phones"' not in page and 'name="emails"' not in page and "One per line; a label" not in page
    phones, emails = inputs(page, "phone"), inputs(page, "email")
    assert len(phones) >= 2 and len(emails) >= 2  # a few empty rows, for a phone without JavaScript
    assert all('type="tel"' in p and 'inputmode="tel"' in p for p in phones)
    assert all('type="email"' in e and 'inputmode="email"' in e for e in emails)
    assert selected(page, "phone_label")[:2] == ["mobile", "mobile"]
    assert {"mobile", "home", "work", "other"} <= set(re.findall(r'<option value="(\w+)"', page))
    assert 'data-add-row="phone"' in page and 'data-add-row="email"' in page and "<template" in page
    networks = re.search(r'<select name="social_network"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.findall(r'value="(\w+)"', networks) == ["instagram", "facebook", "tiktok", "whatsapp", "linkedin",
                                                     "x", "other"]
    assert inputs(page, "social_handle")
    customer = re.search(r"<div class=\"customer-only\" data-customer-only>(.*?)</div>\s*\n\s*<", page, re.S)
    assert customer and 'name="customer_since"' in customer.group(1) and 'name="reorder_every_days"' in page
    assert re.search(r'<a class="button ghost wide" href="/app/contacts/">Cancel</a>', page)


def test_rows_save_with_their_labels_and_empty_rows_are_ignored(alice_client, alice):
    form = {"first_name": "Zoë", "last_name": "Rows", "stage": "customer",
            "phone": ["+34 612 345 678", "", "+34 698 765 432"], "phone_label": ["mobile", "mobile", "work"],
            "email": ["zoe@example.com", ""], "email_label": ["work", "home"],
            "social_network": ["instagram", "tiktok", "x"], "social_handle": ["@zoe", "", "zoe_x"],
            "customer_since": "2025-02-01", "reorder_every_days": "30"}
    response = alice_client.post("/app/contacts/new", form)
    assert response.status_code == 302
    contact = reload(Contact.objects.get(owner=alice))
    assert (contact.phones, contact.phone_labels) == (["+34612345678", "+34698765432"], ["mobile", "work"])
    assert (contact.emails, contact.email_labels) == (["zoe@example.com"], ["work"])
    assert contact.social == {"instagram": "@zoe", "x": "zoe_x"} and contact.reorder_every_days == 30

    edit = page_of(alice_client.get(f"/app/contacts/{contact.pk}/edit"))
    values = [re.search(r'value="([^"]*)"', i).group(1) for i in inputs(edit, "phone")]
    assert values == ["+34612345678", "+34698765432", ""]  # the contact's, then one to fill
    assert selected(edit, "phone_label") == ["mobile", "work", "mobile"]
    assert selected(edit, "social_network")[:2] == ["instagram", "x"] and 'value="zoe_x"' in edit
    assert f'href="/app/contacts/{contact.pk}/">Cancel</a>' in edit

    # Emptying a row deletes that number; a label a contact brought from an import stays choosable.
    response = alice_client.post(f"/app/contacts/{contact.pk}/edit", {
        **form, "phone": ["", "+34 698 765 432"], "phone_label": ["mobile", "cell"], "social_handle": ["", "", ""]})
    assert response.status_code == 302
    contact = reload(contact)
    assert (contact.phones, contact.phone_labels, contact.social) == (["+34698765432"], ["cell"], None)
    edit = page_of(alice_client.get(f"/app/contacts/{contact.pk}/edit"))
    assert selected(edit, "phone_label")[0] == "cell" and '<option value="cell" selected>cell</option>' in edit


def test_a_wrong_row_comes_back_with_what_was_typed(alice_client, alice):
    response = alice_client.post("/app/contacts/new", {
        "first_name": "Nia", "stage": "new-lead", "phone": ["12", ""], "phone_label": ["work", "mobile"],
        "email": ["nia@example.com"], "email_label": ["home"]})
    assert response.status_code == 400
    page = response.content.decode()
    assert "is not a phone number" in page and 'value="12"' in page and 'value="nia@example.com"' in page
    assert selected(page, "phone_label")[0] == "work"
    assert not Contact.objects.filter(owner=alice).exists()


def test_quick_add_errors_open_the_full_form_with_rows(alice_client, alice):
    response = alice_client.post("/app/contacts/quick", {"first_name": "Nia", "phone": "12"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="12"' in inputs(page, "phone")[0] and "is not a phone number" in page


def test_list_rows_show_the_main_phone_and_call_and_text(alice_client, alice):
    alice.country = "US"
    alice.save(update_fields=["country"])
    ana = make_contact(alice, phones=["+14155550100", "+14155550101"])
    make_contact(alice, first="Bea", last="Nophone")
    page = page_of(alice_client.get("/app/contacts/"))
    row = re.search(rf'<li class="has-actions"><a class="row" href="/app/contacts/{ana.pk}/">(.*?)</li>', page,
                    re.S).group(1)
    assert "(415) 555-0100" in row and "0101" not in row  # the first number, nationally
    assert 'href="tel:+14155550100"' in row and 'href="sms:+14155550100"' in row
    assert "Call Ana" in row and "Text Ana" in row
    bea = re.search(r'<li><a class="row" href="[^"]*">(?:(?!</li>).)*Nophone(?:(?!</li>).)*</li>', page, re.S)
    assert bea and "tel:" not in bea.group(0)


def test_a_rows_call_and_text_buttons_are_named_in_the_sellers_language_and_escaped(alice_client, alice):
    alice.language = "de"
    alice.save(update_fields=["language"])
    make_contact(alice, first="", last="<b>O'Neil", phones=["+14155550100"])
    page = page_of(alice_client.get("/app/contacts/"))
    assert '<span class="sr">&lt;b&gt;O&#x27;Neil anrufen</span>' in page
    assert '<span class="sr">&lt;b&gt;O&#x27;Neil eine SMS schreiben</span>' in page
    assert "<b>O'Neil" not in page


def test_no_match_offers_to_add_what_was_searched(alice_client, alice):
    page = page_of(alice_client.get("/app/contacts/?q=Ana+Mar%C3%ADa+L%C3%B3pez"))
    assert "No contacts match." in page
    link = html_lib.unescape(re.search(r'<a class="empty-add" href="([^"]*)">', page).group(1))
    assert link == "/app/contacts/new?q=Ana%20Mar%C3%ADa%20L%C3%B3pez"
    assert "Add ‘Ana María López’ as a contact" in page
    form = page_of(alice_client.get(link))
    assert 'value="Ana"' in form and 'value="María López"' in form
    form = page_of(alice_client.get("/app/contacts/new?q=%2B1+415+555+0199"))
    assert 'value="+1 415 555 0199"' in inputs(form, "phone")[0]
    form = page_of(alice_client.get("/app/contacts/new?q=nia%40example.com"))
    assert 'value="nia@example.com"' in inputs(form, "email")[0]
    # A search by tag alone (no words) has nothing to prefill.
    assert "empty-add" not in page_of(alice_client.get("/app/contacts/?tag=nothing"))
