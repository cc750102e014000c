"""/contacts/{id}/orders and /orders/{id}: a customer's orders over HTTP, through lte.crm.services.orders (the same
as the contact page). Another account's id is a DoesNotExist, answered exactly like a missing row (404)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from lte.crm.models import Contact, Order
from lte.crm.services import orders
from lte.crm.services.normalise import UNSET
from lte.lib.schemas import Detail, Strict, given_fields

router = Router(tags=["orders"])


class OrderIn(Strict):
    ordered_on: date
    products: str = Field(default="", max_length=5000)
    amount: Decimal | None = Field(default=None, description="e.g. 49.90; at most 2 decimals")
    currency: str = Field(default="", max_length=3, description="ISO 4217; the account's currency when left out")


class OrderPatch(Strict):
    ordered_on: date | None = None
    products: str | None = Field(default=None, max_length=5000)
    amount: Decimal | None = None
    currency: str | None = Field(default=None, max_length=3)


class OrderOut(Schema):
    id: UUID
    contact_id: UUID
    ordered_on: date
    products: str
    amount: str | None = Field(description="a decimal number as text, e.g. \"49.90\"")
    currency: str
    created_at: datetime

    @staticmethod
    def resolve_amount(order: Order) -> str | None:
        return None if order.amount is None else f"{order.amount:.2f}"


@router.get("/contacts/{uuid:contact_id}/orders", response=list[OrderOut])
def order_list(request: HttpRequest, contact_id: UUID):
    contact = Contact.objects.owned_by(request.user).get(pk=contact_id)
    return list(Order.objects.owned_by(request.user).filter(contact=contact)[:1000])


@router.post("/contacts/{uuid:contact_id}/orders", response={201: OrderOut, 400: Detail})
def order_create(request: HttpRequest, contact_id: UUID, payload: OrderIn):
    return Status(201, orders.order_create(owner=request.user, contact_id=contact_id, **payload.model_dump()))


@router.patch("/orders/{uuid:order_id}", response={200: OrderOut, 400: Detail})
def order_update(request: HttpRequest, order_id: UUID, payload: OrderPatch):
    given = payload.model_dump(exclude_unset=True)
    amount = given.pop("amount", UNSET)  # null clears the amount; every other field must have a value
    fields = given_fields(OrderPatch(**given))
    return Status(200, orders.order_update(owner=request.user, order_id=order_id, amount=amount, **fields))


@router.delete("/orders/{uuid:order_id}", response={204: None})
def order_delete(request: HttpRequest, order_id: UUID):
    orders.order_delete(owner=request.user, order_id=order_id)
    return HttpResponse(status=204)
