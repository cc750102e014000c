"""Reports that an account belongs to someone under 18, and what staff do with them.

Anyone may report (the privacy policy: "If you believe we have collected data from a child, please
contact us and we'll delete it"). The public side never says whether the address has an account. Staff
see the queue, dismiss a report, or delete the account: the deletion is written to the staff access log
first, and the account goes through the same `account_delete` as a self-deletion (keys shredded).
Settled reports are deleted after 90 days by `purge_settled_child_reports`.
"""

from __future__ import annotations

from allauth.core import ratelimit
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from lte.accounts.models import User
from lte.privacy.deletion import account_delete
from lte.privacy.models import ChildReport
from lte.privacy.staff import record_staff_action

DISMISSED = "dismissed"
DELETED = "deleted"


# --- Reporting ---------------------------------------------------------------------------------------------


def report_allowed(request: HttpRequest) -> bool:
    """Spends one of the IP's 5 reports an hour (allauth's rate limit `report_child` in ACCOUNT_RATE_LIMITS,
    in the same cache and with the same client IP as the login limits); False once they are spent."""
    return ratelimit.consume(request, action="report_child")


def child_report_create(*, reported_email: str, details: str, reporter_email: str = "") -> ChildReport:
    """Queues a report for staff. Never looks the address up, so nothing about it can leak back."""
    return ChildReport.objects.create(
        reported_email=reported_email.strip().lower(),
        details=details.strip()[:2000],
        reporter_email=(reporter_email or "").strip().lower(),
    )


# --- The staff queue ----------------------------------------------------------------------------------------


def open_reports() -> QuerySet:
    """Reports waiting for staff, oldest first, each with `has_account`."""
    account = User.objects.filter(email__iexact=OuterRef("reported_email"))
    return ChildReport.objects.filter(resolved_at__isnull=True).annotate(has_account=Exists(account)) \
        .order_by("created_at")


def child_report_dismiss(*, report: ChildReport) -> ChildReport:
    ChildReport.objects.filter(pk=report.pk, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolution=DISMISSED
    )
    report.refresh_from_db()
    return report


def child_report_delete_account(*, report: ChildReport, staff, reason: str) -> int:
    """Deletes the reported account and settles every open report about it. Returns the reports settled.

    The staff access log gets its entry first (committed before anything is deleted); if the log can't
    be written, nothing is deleted. Not one transaction on purpose: the log entry must survive, and
    `account_delete` manages its own steps (tombstone, rows, sessions, keys).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Write why the account is deleted; it goes into the staff access log."})
    user = User.objects.filter(email__iexact=report.reported_email).first()
    if user is None:
        raise ValidationError(_("No account has this address (any more). Dismiss the report instead."))
    if user.is_staff or user.is_superuser or user.pk == staff.pk:
        raise ValidationError(_("Staff accounts can't be deleted from the child report queue."))

    record_staff_action(staff=staff, account_id=user.pk, action="delete_account", basis="reason",
                        reason=f"Child report {report.pk}: {reason}", resource="account")
    account_delete(user=user)
    return ChildReport.objects.filter(reported_email__iexact=report.reported_email, resolved_at__isnull=True) \
        .update(resolved_at=timezone.now(), resolution=DELETED)
