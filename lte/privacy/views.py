"""The rights pages: Your data, export, delete, support access (the staff pages: views_staff)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lte.accounts.http import AuthenticatedHttpRequest
from lte.privacy import services
from lte.privacy.api import export_response
from lte.privacy.deletion import TooManyAttempts, account_delete_confirmed
from lte.privacy.staff import grant_support, revoke_support


@login_required
@require_GET
def your_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "privacy/your_data.html", services.your_data_page(request.user) | {"section": "your-data"})


@login_required
@require_GET
def export(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    fmt = request.GET.get("format", "zip")
    if fmt not in ("zip", "vcard", "json"):
        raise Http404
    return export_response(request.user, fmt)


@login_required
@require_POST
def clear_history(request: AuthenticatedHttpRequest, what: str) -> HttpResponse:
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
def support_access(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.POST.get("allow") == "yes":
        grant_support(user=request.user)
        messages.success(request, _("Support may view your account for the next 24 hours. Every view is logged."))
    else:
        revoke_support(user=request.user)
        messages.success(request, _("Support access is off."))
    return redirect("privacy:your-data")


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: AuthenticatedHttpRequest) -> HttpResponse:
    error, status = "", 200
    if request.method == "POST":
        try:
            account_delete_confirmed(request, user=request.user, password=request.POST.get("password", ""),
                                     code=request.POST.get("code", ""))
        except TooManyAttempts as exc:
            error, status = str(exc), 429
        except PermissionDenied as exc:
            error, status = str(exc), 403
        else:
            logout(request)
            return render(request, "privacy/deleted.html")
    return render(request, "privacy/delete_account.html", {"error": error, "section": "your-data"}, status=status)
