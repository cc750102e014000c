"""The staff pages under /staff/ (the admin is at /staff/admin/): the logged support view of an account, usage
counts, the child report queue and the visitor counts. One guard, `staff_only`: anyone who isn't staff gets
404, so the pages' existence isn't advertised."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from lte.accounts.models import User
from lte.crm.models import Contact
from lte.privacy import children, visitors
from lte.privacy.models import ChildReport, UsageDailyCount
from lte.privacy.staff import support_view
from lte.privacy.staff_signin import staff_without_two_factor, two_factor_setup


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Not found for everyone but staff (the page's existence isn't advertised); staff without two-factor are
    sent to set it up first."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            raise Http404
        if staff_without_two_factor(request):
            return two_factor_setup(request)
        return view(request, *args, **kwargs)

    return wrapper


# --- An account and the usage counts --------------------------------------------------------------------------


@staff_only
@require_http_methods(["GET", "POST"])
def staff_account(request: HttpRequest, account_id) -> HttpResponse:
    """Support view of an account's contacts: only with the user's grant or a written reason, logged first."""
    account = User.objects.filter(pk=account_id).first()
    if account is None:
        raise Http404
    contacts = None
    error = ""
    if request.method == "POST":
        try:
            with support_view(staff=request.user, account_id=account.pk, resource="contact list",
                              reason=request.POST.get("reason", "")):
                contacts = [{"name": f"{c.first_name} {c.last_name}".strip(), "emails": c.emails,
                             "phones": c.phones}
                            for c in Contact.objects.owned_by(account).order_by("sort_name", "id")[:100]]
        except ValidationError as exc:
            error = " ".join(exc.messages)
    return render(request, "privacy/staff_account.html", {"account": account, "contacts": contacts, "error": error},
                  status=400 if error else 200)


@staff_only
@require_GET
def staff_usage(request: HttpRequest) -> HttpResponse:
    rows = (UsageDailyCount.objects.values("name").annotate(uses=Sum("uses"), accounts=Sum("accounts"))
            .order_by("-uses")[:200])
    days = UsageDailyCount.objects.order_by("-day").values_list("day", flat=True).distinct()[:30]
    return render(request, "privacy/staff_usage.html", {"rows": rows, "days": list(days)})


# --- The child report queue -----------------------------------------------------------------------------------


class DeleteAccountForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (goes into the staff access log)"), max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(label=gettext_lazy("Delete this account and everything in it now"))


@staff_only
@require_http_methods(["GET", "POST"])
def staff_child_reports(request: HttpRequest) -> HttpResponse:
    """The open reports; POST `report` (its id) with `action` dismiss, or delete (with `reason`, `confirm`)."""
    if request.method == "POST":
        _act_on_report(request)
        return redirect("staff:child-reports")
    return render(request, "privacy/staff_child_reports.html",
                  {"reports": children.open_reports(), "delete_form": DeleteAccountForm()})


def _act_on_report(request: HttpRequest) -> None:
    try:
        report_id = uuid.UUID(request.POST.get("report", ""))
    except ValueError:
        raise Http404 from None
    report = get_object_or_404(ChildReport, pk=report_id, resolved_at__isnull=True)
    action = request.POST.get("action")
    if action == "dismiss":
        children.child_report_dismiss(report=report)
        messages.success(request, _("Report dismissed."))
        return
    if action != "delete":
        raise Http404
    form = DeleteAccountForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a reason and tick the confirmation to delete the account."))
        return
    try:
        children.child_report_delete_account(report=report, staff=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The account is deleted and the report is closed."))


# --- Visitors ------------------------------------------------------------------------------------------------


@staff_only
@require_GET
def staff_visitors(request: HttpRequest) -> HttpResponse:
    days = visitors.last_days(30)
    return render(request, "privacy/staff_visitors.html", {
        "days": days,
        "total_visitors": sum(d["visitors"] for d in days),
        "total_views": sum(d["views"] for d in days),
    })
