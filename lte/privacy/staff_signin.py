"""Staff sign in one way only: allauth's login (/login, with its two-factor step and its rate limits).

The Django admin's own login form is gone: `StaffAdminSite.login` authenticates nobody, whatever it is sent, and
sends the browser to /login with `next` back to the admin. The admin and the staff pages (/staff/, behind
`views_staff.staff_only`) also need two-factor on the staff account: a staff member without TOTP is sent to set
it up first, so a staff password alone never opens anyone's account.
"""

from __future__ import annotations

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def staff_without_two_factor(request: HttpRequest) -> bool:
    """A signed-in staff member whose account has no second factor yet."""
    user = request.user
    return bool(user.is_authenticated and user.is_active and user.is_staff and not is_mfa_enabled(user))


def two_factor_setup(request: HttpRequest) -> HttpResponse:
    return redirect("mfa_activate_totp")


class StaffAdminSite(admin.AdminSite):
    """The admin behind allauth's sign-in, open only to active staff with two-factor on."""

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and not staff_without_two_factor(request)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """Never a login form: to /login (back here afterwards), to the two-factor setup, or on to the admin."""
        index = reverse("admin:index", current_app=self.name)
        wanted = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            wanted = index
        if not request.user.is_authenticated:
            return redirect_to_login(wanted, settings.LOGIN_URL)
        if staff_without_two_factor(request):
            return two_factor_setup(request)
        if self.has_permission(request):
            return HttpResponseRedirect(wanted)
        raise Http404  # signed in, but not staff: the admin's existence isn't advertised (as for /staff/)

    def password_change(self, request: HttpRequest, extra_context=None):
        """Passwords change in one place, allauth's (re-authentication, the email telling the owner): a redirect,
        where the admin answers a form."""
        return redirect("account_change_password")
