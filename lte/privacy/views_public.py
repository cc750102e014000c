"""Pages outside /app: reporting a child's account and acknowledging a policy change."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from lte.privacy import children
from lte.privacy.documents import acknowledge

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
    return redirect("crm:dashboard")
