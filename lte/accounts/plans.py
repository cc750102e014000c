"""The plans and their prices: one table that `/pricing` shows and that billing charges.

Three plans. Free keeps up to `FREE_CONTACT_LIMIT` contacts; Pro has no limit; Leader is Pro plus leading teams.
Prices are monthly, per currency, as a seller there would expect to read them (R$ 49,90, not a converted
R$ 47,13): a price is set per currency, never converted at run time. A currency without its own price is sold in
USD (`priced_currency`). When billing is off (no `STRIPE_SECRET_KEY`, the self-hosted default) every feature is
free and no price is shown or charged (`billing_enabled`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.utils import timezone

FREE = "free"
PRO = "pro"
LEADER = "leader"
PLAN_CODES = (FREE, PRO, LEADER)

FREE_CONTACT_LIMIT = 250

# Monthly prices of (pro, leader) in each currency we price in.
PRICES: dict[str, tuple[Decimal, Decimal]] = {
    code: (Decimal(pro), Decimal(leader))
    for code, pro, leader in [
        ("USD", "9.00", "19.00"),
        ("EUR", "9.00", "19.00"),
        ("GBP", "8.00", "16.00"),
        ("CAD", "12.00", "25.00"),
        ("AUD", "14.00", "29.00"),
        ("NZD", "15.00", "32.00"),
        ("BRL", "49.90", "99.90"),
        ("MXN", "179.00", "379.00"),
        ("COP", "37900", "79900"),
        ("CLP", "8900", "17900"),
        ("PEN", "35.00", "69.00"),
        ("PHP", "499.00", "999.00"),
        ("ZAR", "169.00", "349.00"),
        ("CHF", "9.00", "19.00"),
        ("SEK", "99.00", "199.00"),
        ("NOK", "99.00", "199.00"),
        ("DKK", "69.00", "139.00"),
        ("PLN", "39.00", "79.00"),
        ("JPY", "1400", "2900"),
        ("INR", "749.00", "1499.00"),
        ("MYR", "39.00", "79.00"),
    ]
}
PRICED_CURRENCIES = frozenset(PRICES)

# Stripe's zero-decimal currencies among ours: amounts are sent in whole units (JPY 1400 is 1400, not 140000).
ZERO_DECIMAL = frozenset({"JPY", "CLP"})


@dataclass(frozen=True)
class Plan:
    code: str
    contact_limit: int | None  # None: no limit
    leads_teams: bool


PLANS: dict[str, Plan] = {
    FREE: Plan(FREE, FREE_CONTACT_LIMIT, leads_teams=False),
    PRO: Plan(PRO, None, leads_teams=False),
    LEADER: Plan(LEADER, None, leads_teams=True),
}


def billing_enabled() -> bool:
    """Billing is on only where the deployment holds a Stripe key; off, every feature is free."""
    return bool(getattr(settings, "STRIPE_SECRET_KEY", ""))


def priced_currency(currency: str) -> str:
    """The currency a seller is offered: theirs when we price in it, else USD."""
    return currency if currency in PRICED_CURRENCIES else "USD"


def price(plan: str, currency: str) -> Decimal:
    """The monthly price of a plan in a currency (in `priced_currency(currency)`); 0 for free."""
    if plan == FREE:
        return Decimal(0)
    pro, leader = PRICES[priced_currency(currency)]
    return pro if plan == PRO else leader


def minor_units(amount: Decimal, currency: str) -> int:
    """An amount as Stripe's integer `unit_amount` (cents, centavos; whole yen)."""
    return int(amount if currency in ZERO_DECIMAL else amount * 100)


def plan_of(user) -> str:
    """The plan a user is on: their billing.Subscription's `plan` (written by lte.billing from Stripe's state),
    until `plan_until` when a grace period runs; free without a subscription.

    Read by name (apps.get_model), not imported: billing sits above accounts, and this keeps one row as the
    truth (no copy of the plan in accounts, no accounts migration) while accounts knows only two field names."""
    if user is None or not getattr(user, "pk", None):
        return FREE
    row = (apps.get_model("billing", "Subscription")._default_manager.filter(user_id=user.pk)
           .values_list("plan", "plan_until").first())
    if row is None:
        return FREE
    plan, until = row
    if until is not None and until <= timezone.now():
        return FREE
    return plan if plan in PLANS else FREE


def can_lead_teams(user) -> bool:
    """Leading a team is the Leader plan's when billing is on, and everyone's when it is off."""
    return not billing_enabled() or PLANS[plan_of(user)].leads_teams


def contact_limit(user) -> int | None:
    """How many contacts the user may keep adding up to (None: no limit; always None when billing is off)."""
    return PLANS[plan_of(user)].contact_limit if billing_enabled() else None
