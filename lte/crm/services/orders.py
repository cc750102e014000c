"""A customer's orders: what they bought and when. The open reorder reminder follows the last order."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from lte.accounts.preferences import CURRENCIES
from lte.crm.models import Contact, FollowUp, Order
from lte.crm.services.followups import reorder_reminder
from lte.crm.services.normalise import UNSET, clean_text
from lte.lib.zones import today_for

MAX_PRODUCTS = 5000
MAX_AMOUNT = Decimal("9999999999.99")
EARLIEST = date(1900, 1, 1)


def clean_ordered_on(value: Any, owner) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError({"ordered_on": "is a date (YYYY-MM-DD)."}) from None
    if not isinstance(value, date):
        raise ValidationError({"ordered_on": "is a date (YYYY-MM-DD)."})
    # One day of slack: the seller's "today" may already be tomorrow where the customer is.
    if not EARLIEST <= value <= today_for(owner) + timedelta(days=1):
        raise ValidationError({"ordered_on": "can't be in the future or before 1900."})
    return value


def clean_amount(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": "is a number, such as 49.90."}) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise ValidationError({"amount": "is a number from 0 to 9,999,999,999.99."})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": "has at most 2 decimals."})
    return amount.quantize(Decimal("0.01"))


def clean_currency(value: Any, *, owner, amount: Decimal | None) -> str:
    """An ISO 4217 code we know; the seller's own currency when an amount comes without one; none without an
    amount (a currency alone says nothing)."""
    code = (value or "").strip().upper() if isinstance(value, str) or value is None else None
    if code is None:
        raise ValidationError({"currency": "is a currency code such as USD or EUR."})
    if not code:
        return owner.currency if amount is not None else ""
    if code not in CURRENCIES:
        raise ValidationError({"currency": f"“{code[:8]}” is not a currency we know (use a code such as USD)."})
    return code if amount is not None else ""


def last_order_on(contact: Contact) -> date | None:
    return (Order.objects.filter(owner_id=contact.owner_id, contact=contact).order_by("-ordered_on")
            .values_list("ordered_on", flat=True).first())


def reorder_follow_orders(contact: Contact) -> FollowUp | None:
    """The customer's open reorder reminder, due the interval after their last order (created if they have an
    interval and no open reminder; one reminder only, ever)."""
    if not contact.reorder_every_days:
        return None
    last = last_order_on(contact)
    if last is None:
        return None
    due = reorder_reminder(contact, owner=contact.owner, since=last).due_at
    open_one = (FollowUp.objects.filter(owner_id=contact.owner_id, contact=contact, kind=FollowUp.Kind.REORDER,
                                        done_at__isnull=True).order_by("due_at").first())
    if open_one is None:
        reminder = reorder_reminder(contact, owner=contact.owner, since=last)
        reminder.save()
        return reminder
    if open_one.due_at != due:
        open_one.due_at = due
        open_one.save(update_fields=["due_at"])
    return open_one


def _after_orders_changed(contact: Contact) -> None:
    first = (Order.objects.filter(owner_id=contact.owner_id, contact=contact).order_by("ordered_on")
             .values_list("ordered_on", flat=True).first())
    if first is not None and (contact.customer_since is None or first < contact.customer_since):
        contact.customer_since = first
        contact.save(update_fields=["customer_since"])
    reorder_follow_orders(contact)


@transaction.atomic
def order_create(*, owner, contact_id, ordered_on: Any, products: str = "", amount: Any = None,
                 currency: Any = "") -> Order:
    """Logs an order; the customer's reorder reminder then counts from their last order."""
    contact = Contact.objects.owned_by(owner).select_for_update().get(pk=contact_id)
    value = clean_amount(amount)
    order = Order.objects.create(
        owner=owner, contact=contact, ordered_on=clean_ordered_on(ordered_on, owner),
        products=clean_text(products, field="products", max_length=MAX_PRODUCTS), amount=value,
        currency=clean_currency(currency, owner=owner, amount=value))
    _after_orders_changed(contact)
    return order


@transaction.atomic
def order_update(*, owner, order_id, ordered_on: Any = UNSET, products: Any = UNSET, amount: Any = UNSET,
                 currency: Any = UNSET) -> Order:
    order = Order.objects.owned_by(owner).select_for_update().select_related("contact").get(pk=order_id)
    if ordered_on is not UNSET:
        order.ordered_on = clean_ordered_on(ordered_on, owner)
    if products is not UNSET:
        order.products = clean_text(products, field="products", max_length=MAX_PRODUCTS)
    if amount is not UNSET:
        order.amount = clean_amount(amount)
    if currency is not UNSET or amount is not UNSET:
        given = currency if currency is not UNSET else order.currency
        order.currency = clean_currency(given, owner=owner, amount=order.amount)
    order.save()
    _after_orders_changed(order.contact)
    return order


@transaction.atomic
def order_delete(*, owner, order_id) -> None:
    order = Order.objects.owned_by(owner).select_related("contact").get(pk=order_id)
    contact = order.contact
    order.delete()
    reorder_follow_orders(contact)
