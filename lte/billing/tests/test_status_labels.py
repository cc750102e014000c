"""Stripe's subscription statuses are shown to the seller in words of their language, never as Stripe's ids."""

import pytest
from django.utils import translation

from lte.billing.models import Subscription

STRIPE_STATUSES = ["trialing", "active", "past_due", "canceled", "unpaid", "incomplete", "incomplete_expired",
                   "paused"]


@pytest.mark.parametrize("language", ["en", "es", "pt-BR", "fr", "de"])
def test_every_stripe_status_has_a_label_in_every_language(language):
    with translation.override(language):
        labels = [Subscription(status=status).status_label for status in STRIPE_STATUSES]
    assert all(label and "_" not in label for label in labels)
    assert len(set(labels)) == len(STRIPE_STATUSES)
    if language != "en":
        with translation.override("en"):
            english = [Subscription(status=status).status_label for status in STRIPE_STATUSES]
        assert not set(labels) & set(english)  # every one translated


def test_an_unknown_status_is_shown_as_stripe_wrote_it():
    assert Subscription(status="something_new").status_label == "something_new"
