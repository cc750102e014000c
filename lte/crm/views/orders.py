"""A customer's orders on the contact page: add, edit, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from lte.crm.forms import OrderForm
from lte.crm.models import Order
from lte.crm.services import orders
from lte.crm.views.contacts import contact_detail_url, contact_for, invalid_detail
from lte.lib.http import form_errors, found, owned


@login_required
@require_POST
def order_add(request: HttpRequest, contact_id) -> HttpResponse:
    contact = contact_for(request, contact_id)
    form = OrderForm(request.POST, prefix="order")
    if form.is_valid():
        with form_errors(form):
            orders.order_create(owner=request.user, contact_id=contact.pk, **form.cleaned_data)
            messages.success(request, _("Order saved."))
            return redirect(contact_detail_url(contact.pk))
    return invalid_detail(request, contact, order_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def order_edit(request: HttpRequest, order_id) -> HttpResponse:
    order = owned(Order, request, order_id, Order.objects.owned_by(request.user).select_related("contact"))
    initial = {"ordered_on": order.ordered_on, "products": order.products, "amount": order.amount,
               "currency": order.currency}
    form = OrderForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with form_errors(form):
            orders.order_update(owner=request.user, order_id=order.pk, **form.cleaned_data)
            messages.success(request, _("Order saved."))
            return redirect(contact_detail_url(order.contact_id))
    return render(request, "crm/order_form.html", {"form": form, "order": order, "contact": order.contact,
                                                   "section": "contacts"}, status=400 if form.errors else 200)


@login_required
@require_POST
def order_delete(request: HttpRequest, order_id) -> HttpResponse:
    order = owned(Order, request, order_id)
    with found():
        orders.order_delete(owner=request.user, order_id=order.pk)
    messages.success(request, _("Order deleted."))
    return redirect(contact_detail_url(order.contact_id))
