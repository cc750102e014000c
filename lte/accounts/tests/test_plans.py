"""The price table: every currency the languages issue names, real prices in each, Stripe's minor units."""

from decimal import Decimal

import pytest

from lte.accounts import plans
from lte.accounts.preferences import CURRENCIES

REQUIRED = {"USD", "EUR", "GBP", "CAD", "AUD", "BRL", "MXN", "PHP", "COP", "ZAR"}


def test_the_table_prices_every_required_currency_and_only_real_ones():
    assert REQUIRED <= plans.PRICED_CURRENCIES
    assert plans.PRICED_CURRENCIES <= CURRENCIES


@pytest.mark.parametrize("currency", sorted(plans.PRICES))
def test_leader_costs_more_than_pro_and_free_costs_nothing(currency):
    assert plans.price(plans.FREE, currency) == 0
    assert 0 < plans.price(plans.PRO, currency) < plans.price(plans.LEADER, currency)


def test_an_unpriced_currency_is_sold_in_dollars():
    assert plans.priced_currency("KES") == "USD"
    assert plans.price(plans.PRO, "KES") == plans.price(plans.PRO, "USD")
    assert plans.priced_currency("BRL") == "BRL"


def test_minor_units_follow_stripe():
    assert plans.minor_units(Decimal("49.90"), "BRL") == 4990
    assert plans.minor_units(Decimal("1400"), "JPY") == 1400


def test_only_free_has_a_contact_limit_and_only_leader_leads_teams():
    assert plans.PLANS[plans.FREE].contact_limit == plans.FREE_CONTACT_LIMIT == 250
    assert plans.PLANS[plans.PRO].contact_limit is None
    assert [p.code for p in plans.PLANS.values() if p.leads_teams] == [plans.LEADER]


def test_billing_is_off_without_a_stripe_key(settings):
    settings.STRIPE_SECRET_KEY = ""
    assert not plans.billing_enabled()
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    assert plans.billing_enabled()


def test_with_billing_off_everyone_leads_teams_and_has_no_contact_limit(settings, django_user_model):
    settings.STRIPE_SECRET_KEY = ""
    user = django_user_model(email="x@example.com")
    assert plans.can_lead_teams(user)
    assert plans.contact_limit(user) is None
