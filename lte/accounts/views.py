"""Account settings: profile, preferences, country, API tokens, sessions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from lte.accounts.forms import ApiTokenForm, CountryForm, PreferencesForm, ProfileForm
from lte.accounts.http import AuthenticatedHttpRequest
from lte.accounts.middleware import Prefs, set_prefs_cookie
from lte.accounts.models import ApiToken
from lte.accounts.services import api_token_create, api_token_revoke, user_session_end, user_update


@login_required
@require_http_methods(["GET", "POST"])
def settings_profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user_update(user=request.user, name=form.cleaned_data["name"])
        messages.success(request, _("Your profile is saved."))
        return redirect("accounts:settings")
    return render(request, "accounts/settings_profile.html", {"form": form, "section": "profile"})


@login_required
@require_http_methods(["GET", "POST"])
def settings_preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    initial = {"theme": request.prefs.theme}  # type: ignore[attr-defined]
    form = PreferencesForm(request.POST or None, instance=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user_update(user=request.user, language=data["language"], currency=data["currency"],
                        timezone_name=data["timezone"],
                        country=data["country"] if "country" in request.POST else None,  # "—" clears it
                        daily_digest=data["daily_digest"], digest_hour=data["digest_hour"],
                        reminder_hour=data["reminder_hour"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Your preferences are saved."))
            response = redirect("accounts:preferences")
            set_prefs_cookie(response, Prefs(data["language"], data["currency"], data["theme"]))
            return response
    return render(request, "accounts/settings_preferences.html", {"form": form, "section": "preferences"})


@login_required
@require_POST
def settings_country(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in home's country prompt: saves the country and goes back where the form was."""
    form = CountryForm(request.POST)
    if form.is_valid():
        user_update(user=request.user, country=form.cleaned_data["country"])
        messages.success(request, _("Your country is saved."))
    else:
        messages.error(request, _("Choose a country from the list."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = "crm:dashboard"
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        _token, new_secret = api_token_create(owner=request.user, name=form.cleaned_data["name"])
        form = ApiTokenForm()
    tokens = ApiToken.objects.owned_by(request.user)
    return render(
        request,
        "accounts/settings_tokens.html",
        {"form": form, "tokens": tokens, "new_secret": new_secret, "section": "tokens"},
    )


@login_required
@require_POST
def token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    if not api_token_revoke(owner=request.user, token_id=token_id):
        raise Http404
    messages.success(request, _("The token is revoked. Anything using it is signed out."))
    return redirect("accounts:tokens")


@login_required
@require_POST
def session_end(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    if not user_session_end(request=request, owner=request.user, session_id=session_id):
        raise Http404
    messages.success(request, _("That session is logged out."))
    return redirect("usersessions_list")
