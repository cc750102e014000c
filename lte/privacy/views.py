"""The rights pages: Your data, export, delete, support access; and the staff console."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lte.accounts.models import User
from lte.crm.models import Contact
from lte.privacy import services
from lte.privacy.api import export_response
from lte.privacy.models import UsageDailyCount
from lte.privacy.staff import grant_support, revoke_support, support_view


@login_required
@require_GET
def your_data(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/your_data.html", {"data": services.your_data(request.user),
                                                      "section": "your-data"})


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    fmt = request.GET.get("format", "zip")
    if fmt not in ("zip", "vcard", "json"):
        raise Http404
    return export_response(request.user, fmt)


@login_required
@require_POST
def clear_history(request: HttpRequest, what: str) -> HttpResponse:
    if what == "logins":
        services.login_history_clear(user=request.user)
        messages.success(request, _("Your login history is deleted."))
    elif what == "usage":
        services.usage_events_clear(user=request.user)
        messages.success(request, _("Your usage events are deleted."))
    else:
        raise Http404
    return redirect("privacy:your-data")


@login_required
@require_POST
def support_access(request: HttpRequest) -> HttpResponse:
    if request.POST.get("allow") == "yes":
        grant_support(user=request.user)
        messages.success(request, _("Support may view your account for the next 24 hours. Every view is logged."))
    else:
        revoke_support(user=request.user)
        messages.success(request, _("Support access is off."))
    return redirect("privacy:your-data")


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        try:
            services.account_delete_confirmed(user=request.user, password=request.POST.get("password", ""),
                                              code=request.POST.get("code", ""))
        except PermissionDenied as exc:
            error = str(exc)
        else:
            logout(request)
            return render(request, "privacy/deleted.html")
    return render(request, "privacy/delete_account.html", {"error": error, "section": "your-data"},
                  status=403 if error else 200)


# --- Staff ------------------------------------------------------------------------------------------


def _staff_only(request: HttpRequest) -> None:
    if not (request.user.is_authenticated and request.user.is_staff):
        raise Http404


@require_http_methods(["GET", "POST"])
def staff_account(request: HttpRequest, account_id) -> HttpResponse:
    """Support view of an account's contacts: only with the user's grant or a written reason, logged first."""
    _staff_only(request)
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


@require_GET
def staff_usage(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    rows = (UsageDailyCount.objects.values("name").annotate(uses=Sum("uses"), accounts=Sum("accounts"))
            .order_by("-uses")[:200])
    days = UsageDailyCount.objects.order_by("-day").values_list("day", flat=True).distinct()[:30]
    return render(request, "privacy/staff_usage.html", {"rows": rows, "days": list(days)})
