"""Pages outside /app: reporting a child's account, acknowledging a policy change, and two staff pages
(the child report queue and the visitor counts), which answer 404 to anyone who isn't staff."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lte.privacy import children, visitors
from lte.privacy.models import ChildReport
from lte.privacy.policies import acknowledge

# --- Forms ---------------------------------------------------------------------------------------------------


class ChildReportForm(forms.Form):
    reported_email = forms.EmailField(
        label=gettext_lazy("Email address of the account"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    details = forms.CharField(
        label=gettext_lazy("What makes you think this account belongs to someone under 18?"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    reporter_email = forms.EmailField(
        label=gettext_lazy("Your email address (optional)"), max_length=254, required=False,
        help_text=gettext_lazy("Only if you want us to be able to reach you about this report."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class DeleteAccountForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (goes into the staff access log)"), max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(label=gettext_lazy("Delete this account and everything in it now"))


# --- Reporting a child's account ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def report_child(request: HttpRequest) -> HttpResponse:
    """The same answer whether or not the address has an account: the report is queued, nothing is looked up."""
    form = ChildReportForm(request.POST or None)
    if request.method == "POST":
        if not children.report_allowed(request):
            return render(request, "privacy/report_child.html", {"form": form, "limited": True}, status=429)
        if form.is_valid():
            children.child_report_create(**form.cleaned_data)
            return redirect(reverse("public:report_child") + "?sent=1")
    elif request.GET.get("sent") == "1":
        return render(request, "privacy/report_child_sent.html")
    return render(request, "privacy/report_child.html", {"form": form})


# --- Policy changes --------------------------------------------------------------------------------------------


@login_required
@require_POST
def policy_acknowledge(request: HttpRequest) -> HttpResponse:
    """Records that the signed-in user saw a meaningful change (POST `version`, the PolicyVersion id)."""
    try:
        version_id = int(request.POST.get("version", ""))
    except ValueError:
        raise Http404 from None
    if acknowledge(user=request.user, version_id=version_id) is None:
        raise Http404
    messages.success(request, _("Thank you. You can find what you acknowledged on your data page."))
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("accounts:dashboard")


# --- Staff pages ------------------------------------------------------------------------------------------------


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Not found for everyone but staff (the page's existence isn't advertised)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@staff_only
@require_http_methods(["GET", "POST"])
def staff_child_reports(request: HttpRequest) -> HttpResponse:
    """The open reports; POST `report` (its id) with `action` dismiss, or delete (with `reason`, `confirm`)."""
    if request.method == "POST":
        _act_on_report(request)
        return redirect("public:staff_child_reports")
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
    except ImportError:
        messages.error(request, _("The staff access log is not available, so nothing was deleted."))
    else:
        messages.success(request, _("The account is deleted and the report is closed."))


@staff_only
@require_GET
def staff_visitors(request: HttpRequest) -> HttpResponse:
    days = visitors.last_days(30)
    return render(request, "privacy/staff_visitors.html", {
        "days": days,
        "total_visitors": sum(d["visitors"] for d in days),
        "total_views": sum(d["views"] for d in days),
    })
