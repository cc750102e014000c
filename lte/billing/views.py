"""Settings → Billing: the plan, an upgrade through Stripe Checkout, and Stripe's Customer Portal. Both leave
our site by a 303 to Stripe's own pages, so no card field and no Stripe script is ever on ours."""

from __future__ import annotations

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lte.accounts import plans
from lte.accounts.http import AuthenticatedHttpRequest
from lte.billing import stripe
from lte.billing.models import Subscription
from lte.billing.services import PAID_PLANS, TRIAL_DAYS, checkout_start, portal_url
from lte.lib.formats import format_money

# The pages Checkout and the Customer Portal live on: the billing page's forms may lead there, no page more.
STRIPE_PAGES = ["https://checkout.stripe.com", "https://billing.stripe.com"]


def _see_other(url: str) -> HttpResponse:
    """303: the browser follows with a GET to Stripe's page (the only place it is allowed to leave to)."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _return_url() -> str:
    return settings.BASE_URL.rstrip("/") + reverse("billing:settings")


@login_required
@require_GET
def billing_settings(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    if not plans.billing_enabled():
        return render(request, "billing/settings_billing.html", {"section": "billing", "enabled": False})
    return _billing_page(request)


@csp_update({"form-action": STRIPE_PAGES})
def _billing_page(request: HttpRequest) -> HttpResponse:
    """Only this page's forms may lead to Stripe (Checkout, the portal), and only while billing is on."""
    return render(request, "billing/settings_billing.html", _billing_context(request))


def _billing_context(request) -> dict:
    user = request.user
    currency = plans.priced_currency(user.currency)
    return {"section": "billing", "enabled": True, "plan": plans.plan_of(user), "trial_days": TRIAL_DAYS,
            "subscription": Subscription.objects.filter(user=user).first(),
            "currency": currency, "limit": plans.FREE_CONTACT_LIMIT,
            # The pricing page's words for it, in the seller's locale ("9,00 € / month").
            "offers": [(code, _("%(price)s / month") % {"price": format_money(plans.price(code, currency), currency)})
                       for code in PAID_PLANS],
            "checkout_done": request.GET.get("checkout") == "done"}


@login_required
@require_POST
def billing_checkout(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not plans.billing_enabled():
        raise Http404
    plan = request.POST.get("plan", "")
    if plan not in PAID_PLANS:
        messages.error(request, _("Choose Pro or Leader."))
        return redirect("billing:settings")
    try:
        url = checkout_start(user=request.user, plan=plan, return_url=_return_url())
    except stripe.StripeError:
        messages.error(request, _("Stripe could not be reached. Nothing was charged; please try again."))
        return redirect("billing:settings")
    return _see_other(url) if url else redirect("billing:settings")


@login_required
@require_POST
def billing_portal(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not plans.billing_enabled():
        raise Http404
    try:
        url = portal_url(user=request.user, return_url=_return_url())
    except ValueError:
        messages.error(request, _("There is no subscription to manage yet."))
        return redirect("billing:settings")
    except stripe.StripeError:
        messages.error(request, _("Stripe could not be reached; please try again."))
        return redirect("billing:settings")
    return _see_other(url)
