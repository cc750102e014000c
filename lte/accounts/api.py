"""/auth and /me: signup, tokens and the profile."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.email_verification import send_verification_email_for_user
from allauth.account.models import EmailAddress
from allauth.account.signals import user_signed_up
from allauth.core import ratelimit
from allauth.mfa.utils import is_mfa_enabled
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field, StrictBool

from lte.accounts import plans
from lte.accounts.forms import ADULT_REQUIRED, SignupForm
from lte.accounts.http import AuthenticatedHttpRequest
from lte.accounts.limits import mfa_attempt, mfa_succeeded
from lte.accounts.models import User
from lte.accounts.services import api_token_create, mfa_code_valid, user_update
from lte.lib.schemas import Detail, Strict, given_fields

router = Router(tags=["account"])


class SignupIn(Strict):
    name: str = Field(max_length=150)
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    adult: StrictBool
    timezone: str | None = Field(default=None, max_length=64)
    country: str | None = Field(default=None, min_length=2, max_length=2, description="ISO 3166-1 alpha-2, e.g. US")


class TokenIn(Strict):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    code: str | None = Field(default=None, max_length=64, description="two-factor or recovery code, when on")


class TokenOut(Schema):
    token: str


class MeOut(Schema):
    id: UUID
    name: str
    email: str
    language: str
    currency: str
    timezone: str
    country: str | None = Field(description="ISO 3166-1 alpha-2, or null when not set")
    daily_digest: bool = Field(description="a morning email with today's counts (never a contact's name)")
    plan: str = Field(description="free, pro or leader; free while billing is off (every feature free)")
    created_at: datetime

    @staticmethod
    def resolve_plan(user: User) -> str:
        return plans.plan_of(user)

    @staticmethod
    def resolve_country(user: User) -> str | None:
        return user.country or None


class MePatch(Strict):
    name: str | None = Field(default=None, max_length=150)
    language: str | None = Field(default=None, max_length=8)
    currency: str | None = Field(default=None, max_length=3)
    timezone: str | None = Field(default=None, max_length=64)
    country: str | None = Field(default=None, min_length=2, max_length=2, description="ISO 3166-1 alpha-2, or null")
    daily_digest: bool | None = None
    digest_hour: int | None = Field(default=None, ge=0, le=23, description="the hour (0-23, the user's timezone) "
                                    "the digest goes out; 8 unless set (shown in /me/data's preferences)")
    reminder_hour: int | None = Field(default=None, ge=0, le=23, strict=True,
                                      description="the hour (0-23, the user's timezone) a reorder reminder falls "
                                      "due on its day; 9 unless set. Changing it moves the open reorder reminders "
                                      "to it (shown in /me/data's preferences)")


API_FIELD = {"password1": "password"}  # the form's field names as the API calls them
SIGNUP_SENT = "Check your email: we sent a link to confirm the address."


@router.post("/auth/signup", auth=None, response={201: Detail, 400: Detail, 429: Detail})
def signup(request: HttpRequest, payload: SignupIn):
    """Creates an account and emails a verification link. A registered address gets the same answer.

    `country`, when sent, is the user's own choice and wins over every guess (the CDN's header, the
    browser's language); a code that is not a country refuses the signup. See AccountAdapter.save_user.
    """
    if payload.adult is not True:
        return Status(400, {"detail": str(ADULT_REQUIRED)})
    if not ratelimit.consume(request, action="signup"):
        return Status(429, {"detail": _("Too many signups from here. Please wait a minute.")})
    form = SignupForm(
        data={
            "name": payload.name,
            "email": payload.email,
            "password1": payload.password,
            "adult": "on",
            "timezone": payload.timezone or "",
            "country": payload.country or "",
        }
    )
    if not form.is_valid():
        return Status(400, {"detail": {API_FIELD.get(field, field): [str(e) for e in errs]
                                       for field, errs in form.errors.items()}})
    if form.account_already_exists:
        form.hash_as_for_a_new_account()  # the same hashing work as a new account, so timing tells nothing
        email = form.cleaned_data["email"]
        if ratelimit.consume(request, action="confirm_email", key=email.lower()):  # the page's limit per address
            get_adapter(request).send_account_already_exists_mail(email)
        return Status(201, {"detail": SIGNUP_SENT})
    with transaction.atomic():
        user = form.save(request)
    user_signed_up.send(sender=User, request=request, user=user)
    send_verification_email_for_user(request, user)
    return Status(201, {"detail": SIGNUP_SENT})


@router.post("/auth/token", auth=None, response={200: TokenOut, 401: Detail, 429: Detail})
def token_create(request: HttpRequest, payload: TokenIn):
    """Exchanges a verified account's email and password for a new API token."""
    if not ratelimit.consume(request, action="api_token"):
        return Status(429, {"detail": _("Too many attempts. Please wait a minute.")})
    adapter = get_adapter(request)
    try:
        user = adapter.authenticate(request, email=payload.email.strip().lower(), password=payload.password)
    except DjangoValidationError:
        return Status(429, {"detail": _("Too many failed attempts. Please wait 15 minutes.")})
    verified = user is not None and EmailAddress.objects.filter(user=user, verified=True, primary=True).exists()
    if user is None or not user.is_active or not verified:
        return Status(401, {"detail": _("Wrong email or password, or the address is not verified yet.")})
    if is_mfa_enabled(user):
        # One two-factor budget with the web's two-factor page (the same action and key): codes can't be
        # guessed faster by switching between them.
        if not mfa_attempt(request, user):
            return Status(429, {"detail": _("Too many two-factor attempts. Please wait 15 minutes.")})
        if not mfa_code_valid(user=user, code=payload.code or ""):
            return Status(401, {"detail": _("Two-factor authentication is on: send a current code as `code`.")})
        mfa_succeeded(request, user)
    _token, secret = api_token_create(owner=user, name=_token_name(request))
    return Status(200, {"token": secret})


def _token_name(request: HttpRequest) -> str:
    agent = request.META.get("HTTP_USER_AGENT", "")[:60].strip()
    return f"API login ({agent})" if agent else "API login"


@router.delete("/auth/token", response={204: None, 400: Detail})
def token_delete(request: AuthenticatedHttpRequest):
    """Revokes the bearer token used for this request."""
    api_token = getattr(request, "api_token", None)
    if api_token is None:
        raise HttpError(400, _("Send the token to revoke as Authorization: Bearer <token>."))
    api_token.delete()
    return HttpResponse(status=204)


@router.get("/me", response=MeOut)
def me(request: AuthenticatedHttpRequest):
    return request.user


@router.patch("/me", response={200: MeOut, 400: Detail})
def me_update(request: AuthenticatedHttpRequest, payload: MePatch):
    if "country" in payload.model_fields_set and payload.country is None:
        payload = payload.model_copy(update={"country": ""})  # null clears the country ("" itself is refused above)
    data = given_fields(payload)
    try:
        user = user_update(
            user=request.user,
            name=data.get("name"),
            language=data.get("language"),
            currency=data.get("currency"),
            timezone_name=data.get("timezone"),
            country=data.get("country"),
            daily_digest=data.get("daily_digest"),
            digest_hour=data.get("digest_hour"),
            reminder_hour=data.get("reminder_hour"),
        )
    except DjangoValidationError as exc:
        return Status(400, {"detail": exc.message_dict})
    return Status(200, user)
