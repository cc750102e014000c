"""One function per email LTE sends. Plain, short, no tracking, and never a contact, note or message."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from lte.lib.zones import zone_named


def _send(name: str, to: str, context: dict, language: str = "en", timezone_name: str = "UTC") -> None:
    """Renders in the recipient's language and timezone: dates and numbers as they write them (lte.lib.formats)."""
    with translation.override(language), timezone.override(zone_named(timezone_name)):
        context = {"base_url": settings.BASE_URL, **context}
        subject = render_to_string(f"emails/{name}-subject.txt", context).strip()
        body = render_to_string(f"emails/{name}-body.txt", context)
    send_mail(f"LTE: {subject}", body, None, [to])


def send_staff_access_notice(*, email: str, name: str, language: str, action: str, at,
                             timezone_name: str = "UTC") -> None:
    _send("staff_access", email, {"name": name, "action": action, "at": at}, language, timezone_name)


def send_account_deleted(*, email: str, name: str, language: str = "en") -> None:
    _send("account_deleted", email, {"name": name}, language)


def send_daily_digest(*, email: str, name: str, language: str, due: int, overdue: int, birthdays: int,
                      reorders: int, timezone_name: str = "UTC") -> None:
    """Counts only: the digest never names a contact or carries a note, a message or a follow-up's title."""
    _send("daily_digest", email, {"name": name, "due": due, "overdue": overdue, "birthdays": birthdays,
                                  "reorders": reorders}, language, timezone_name)


# Billing (lte.billing): dates and links only, never a contact.
def send_trial_ending(*, email: str, name: str, language: str, plan: str, trial_end,
                      timezone_name: str = "UTC") -> None:
    _send("trial_ending", email, {"name": name, "plan": plan.title(), "trial_end": trial_end}, language,
          timezone_name)


def send_payment_failed(*, email: str, name: str, language: str, grace_until, timezone_name: str = "UTC") -> None:
    _send("payment_failed", email, {"name": name, "grace_until": grace_until}, language, timezone_name)


def send_subscription_canceled(*, email: str, name: str, language: str) -> None:
    _send("subscription_canceled", email, {"name": name}, language)


def send_receipt_link(*, email: str, name: str, language: str, receipt_url: str) -> None:
    _send("receipt", email, {"name": name, "receipt_url": receipt_url}, language)
