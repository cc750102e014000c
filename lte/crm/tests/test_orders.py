"""A customer's orders (issue 14): logged on the contact page and through /contacts/{id}/orders and /orders/{id},
products sealed like notes, amounts in a currency we know; the reorder reminder counts from the last order; the
home screen shows the reorders of the week; never another account's."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from lte.crm.models import Contact, FollowUp, Order
from lte.crm.services.contacts import contact_create
from lte.crm.services.orders import order_create, order_delete
from lte.lib.zones import zone_for
from lte.testing.helpers import make_user
from lte.vault.context import acting_for

API = "/api/v1"
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def send(client: Client, method: str, path: str, data=None):
    return getattr(client, method)(API + path, data=data, content_type="application/json")


@pytest.fixture
def alice(db):
    return make_user("alice@example.com", name="Alice", timezone="America/Chicago", currency="MXN")


@pytest.fixture
def customer(alice):
    return contact_create(owner=alice, first_name="Rosa", stage="customer", customer_since=date(2026, 11, 1),
                          reorder_every_days=30)


def reorder_due(contact: Contact) -> datetime:
    reminder = FollowUp.objects.get(contact=contact, kind=FollowUp.Kind.REORDER, done_at__isnull=True)
    return timezone.localtime(reminder.due_at, zone_for(contact.owner))


@time_machine.travel(NOW, tick=False)
def test_it_logs_lists_corrects_and_deletes_an_order_through_the_api(api, customer):
    made = send(api, "post", f"/contacts/{customer.pk}/orders",
                {"ordered_on": "2026-11-20", "products": "2 × shampoo", "amount": "49.9"})
    assert made.status_code == 201, made.content
    order = made.json()
    assert (order["ordered_on"], order["products"], order["amount"], order["currency"]) == \
        ("2026-11-20", "2 × shampoo", "49.90", "MXN")  # the account's currency when none is given
    assert [o["id"] for o in send(api, "get", f"/contacts/{customer.pk}/orders").json()] == [order["id"]]

    changed = send(api, "patch", f"/orders/{order['id']}", {"currency": "eur", "products": "3 × shampoo"})
    assert changed.status_code == 200
    assert (changed.json()["currency"], changed.json()["products"], changed.json()["amount"]) == \
        ("EUR", "3 × shampoo", "49.90")
    cleared = send(api, "patch", f"/orders/{order['id']}", {"amount": None})
    assert (cleared.json()["amount"], cleared.json()["currency"]) == (None, "")

    assert send(api, "delete", f"/orders/{order['id']}").status_code == 204
    assert send(api, "patch", f"/orders/{order['id']}", {"products": "x"}).status_code == 404
    assert not Order.objects.filter(pk=order["id"]).exists()


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("body", [
    {"ordered_on": "2026-11-20", "amount": "10", "currency": "ZZZ"},  # a currency we don't know
    {"ordered_on": "2026-11-20", "amount": "-1"},
    {"ordered_on": "2026-11-20", "amount": "1.999"},
    {"ordered_on": "2026-11-20", "amount": "1e40"},
    {"ordered_on": "2027-06-01"},  # in the future
    {"ordered_on": "1850-01-01"},
    {"ordered_on": "not a date"},
    {"products": "no date"},
    {"ordered_on": "2026-11-20", "owner": "someone else"},
], ids=["currency", "negative", "decimals", "huge", "future", "ancient", "bad-date", "no-date", "mass-assign"])
def test_it_refuses_bad_orders_with_a_4xx_and_stores_nothing(api, customer, body):
    response = send(api, "post", f"/contacts/{customer.pk}/orders", body)
    assert 400 <= response.status_code < 500, response.content
    assert "detail" in response.json()
    assert not Order.objects.exists()


def test_another_accounts_orders_are_404(api, bob_api, bob, customer):
    order = order_create(owner=customer.owner, contact_id=customer.pk, ordered_on=date(2026, 11, 2), products="Tea")
    assert send(bob_api, "get", f"/contacts/{customer.pk}/orders").status_code == 404
    assert send(bob_api, "post", f"/contacts/{customer.pk}/orders", {"ordered_on": "2026-11-02"}).status_code == 404
    assert send(bob_api, "patch", f"/orders/{order.pk}", {"products": "Mallory"}).status_code == 404
    assert send(bob_api, "delete", f"/orders/{order.pk}").status_code == 404
    with pytest.raises(Order.DoesNotExist):
        order_delete(owner=bob, order_id=order.pk)
    assert Order.objects.get(pk=order.pk).contact_id == customer.pk


@time_machine.travel(NOW, tick=False)
def test_the_reorder_reminder_counts_from_the_last_order(customer):
    assert reorder_due(customer) == datetime(2026, 12, 1, 9, 0, tzinfo=zone_for(customer.owner))  # from 1 Nov
    order_create(owner=customer.owner, contact_id=customer.pk, ordered_on=date(2026, 11, 20))
    assert reorder_due(customer) == datetime(2026, 12, 20, 9, 0, tzinfo=zone_for(customer.owner))
    older = order_create(owner=customer.owner, contact_id=customer.pk, ordered_on=date(2026, 11, 5))
    assert reorder_due(customer).date() == date(2026, 12, 20)  # the last one counts, not the newest logged
    latest = Order.objects.get(contact=customer, ordered_on=date(2026, 11, 20))
    order_delete(owner=customer.owner, order_id=latest.pk)
    assert reorder_due(customer).date() == date(2026, 12, 5)
    assert FollowUp.objects.filter(contact=customer, kind=FollowUp.Kind.REORDER).count() == 1  # never two
    assert older.pk


@time_machine.travel(NOW, tick=False)
def test_an_order_makes_a_customer_of_someone_without_a_start_date(alice):
    lead = contact_create(owner=alice, first_name="Ana", reorder_every_days=14)
    order_create(owner=alice, contact_id=lead.pk, ordered_on=date(2026, 11, 28))
    lead.refresh_from_db()
    assert lead.customer_since == date(2026, 11, 28)
    assert reorder_due(lead).date() == date(2026, 12, 12)


@time_machine.travel(NOW, tick=False)
def test_the_contact_page_logs_edits_and_deletes_orders(alice_client, customer):
    page = alice_client.get(f"/app/contacts/{customer.pk}/")
    assert b"Orders" in page.content and b'name="order-ordered_on"' in page.content
    added = alice_client.post(f"/app/contacts/{customer.pk}/orders",
                              {"order-ordered_on": "2026-11-25", "order-products": "Lipstick", "order-amount": "12.50",
                               "order-currency": "usd"})
    assert added.status_code == 302
    order = Order.objects.get(contact=customer)
    assert (order.amount, order.currency, order.ordered_on) == (12.5, "USD", date(2026, 11, 25))
    assert b"Lipstick" in alice_client.get(f"/app/contacts/{customer.pk}/").content
    refused = alice_client.post(f"/app/contacts/{customer.pk}/orders",
                                {"order-ordered_on": "2026-11-25", "order-amount": "5", "order-currency": "XYZ"})
    assert refused.status_code == 400 and b"not a currency we know" in refused.content
    edited = alice_client.post(f"/app/orders/{order.pk}/edit", {"ordered_on": "2026-11-26", "products": "Lip balm"})
    assert edited.status_code == 302
    with acting_for(customer.owner_id):
        order = Order.objects.get(pk=order.pk)
        assert (order.products, order.ordered_on, order.amount) == ("Lip balm", date(2026, 11, 26), None)
    assert alice_client.post(f"/app/orders/{order.pk}/delete").status_code == 302
    assert not Order.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_home_screen_shows_the_reorders_of_the_week(alice, alice_client):
    soon = contact_create(owner=alice, first_name="Soon", stage="customer", customer_since=date(2026, 11, 6),
                          reorder_every_days=30)  # due 6 Dec
    later = contact_create(owner=alice, first_name="Later", stage="customer", customer_since=date(2026, 11, 30),
                           reorder_every_days=30)  # due 30 Dec
    page = alice_client.get("/app/").content.decode()
    assert "Reorders this week" in page
    section = page.split("Reorders this week", 1)[1].split("</section>", 1)[0]
    assert soon.first_name in section and later.first_name not in section


def test_it_needs_an_order_date_in_the_service_too(alice, customer):
    with pytest.raises(ValidationError):
        order_create(owner=alice, contact_id=customer.pk, ordered_on=None)


def test_what_was_ordered_is_sealed_at_rest(customer):
    order_create(owner=customer.owner, contact_id=customer.pk, ordered_on=date(2026, 11, 2),
                 products="canary-serum-4471", amount="10", currency="EUR")
    with connection.cursor() as cursor:
        cursor.execute("SELECT products, amount, currency FROM crm_order")
        [(sealed, _amount, currency)] = cursor.fetchall()
    raw = bytes(sealed) if isinstance(sealed, memoryview | bytes) else str(sealed).encode()
    assert b"canary-serum-4471" not in raw and currency == "EUR"
