"""Writes on accounts and API tokens. Views, the API and commands call these, never the models directly."""

from __future__ import annotations

from datetime import timedelta

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from lte.accounts.countries import is_country
from lte.accounts.events import reminder_hour_changed
from lte.accounts.models import ApiToken, User, hash_token, new_token_secret
from lte.accounts.preferences import CURRENCIES, canonical_language, is_timezone, language_codes
from lte.lib.diskfull import tolerate_disk_full
from lte.lib.prepared import Prepared
from lte.vault.keys import is_tombstoned

LAST_USED_RESOLUTION = timedelta(minutes=1)


@transaction.atomic
def api_token_create(*, owner: User, name: str) -> tuple[ApiToken, str]:
    """Creates a token and returns it with its secret, which is shown once and never stored."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError(_("Give the token a name of 1 to 100 characters."))
    secret = new_token_secret()
    token = ApiToken.objects.create(owner=owner, name=name, token_hash=hash_token(secret), hint=secret[:8])
    return token, secret


def api_token_revoke(*, owner: User, token_id: int) -> bool:
    deleted, _rows = ApiToken.objects.owned_by(owner).filter(pk=token_id).delete()
    return bool(deleted)


def api_token_authenticate(*, secret: str) -> ApiToken | None:
    """The live token for a secret, or None; notes when it was last used (at most once a minute)."""
    if not secret or len(secret) > 200:
        return None
    token = _token_with_owner(hash_token(secret))
    if token is None or is_tombstoned(token.owner_id):  # a deletion begun: its tokens are dead at once
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
        with tolerate_disk_full("a token's last use"):
            token.save(update_fields=["last_used_at"])
    return token


_TOKEN_FIELDS = [field.attname for field in ApiToken._meta.concrete_fields]
_OWNER_FIELDS = [field.attname for field in User._meta.concrete_fields]
_TOKEN_BY_HASH = Prepared(
    lambda token_hash: ApiToken.objects.filter(token_hash=token_hash, owner__is_active=True).values_list(
        *_TOKEN_FIELDS, *(f"owner__{name}" for name in _OWNER_FIELDS)),
    [ApiToken._meta.get_field("token_hash")])


def _token_with_owner(token_hash: str) -> ApiToken | None:
    """The token of an active account, with its account: the query of every API request, compiled once."""
    rows = _TOKEN_BY_HASH.rows(token_hash)
    if not rows:
        return None
    db, row, cut = _TOKEN_BY_HASH.alias, rows[0], len(_TOKEN_FIELDS)
    token = ApiToken.from_db(db, _TOKEN_FIELDS, row[:cut])
    token.owner = User.from_db(db, _OWNER_FIELDS, row[cut:])
    return token


@transaction.atomic
def user_update(
    *,
    user: User,
    name: str | None = None,
    language: str | None = None,
    currency: str | None = None,
    timezone_name: str | None = None,
    country: str | None = None,
    daily_digest: bool | None = None,
    digest_hour: int | None = None,
    reminder_hour: int | None = None,
) -> User:
    """Changes the profile and preferences; raises ValidationError naming each bad field.

    `country` is an ISO 3166-1 alpha-2 code in any case, or "" to clear it. It only changes how numbers typed
    from now on without a +country code are read: the phone numbers already stored (E.164) stay as they are.
    """
    errors: dict[str, str] = {}
    fields: list[str] = []
    if name is not None:
        name = name.strip()
        if not name or len(name) > 150 or "\x00" in name:
            errors["name"] = _("A name has 1 to 150 characters.")
        else:
            user.name = name
            fields.append("name")
    if language is not None:
        language = canonical_language(language) or language
        if language not in language_codes():
            errors["language"] = _("Unknown language: use one of %(codes)s.") % {
                "codes": ", ".join(sorted(language_codes()))
            }
        else:
            user.language = language
            fields.append("language")
    if currency is not None:
        currency = currency.upper()
        if currency not in CURRENCIES:
            errors["currency"] = _("Unknown currency: use an ISO 4217 code such as USD or EUR.")
        else:
            user.currency = currency
            fields.append("currency")
    if timezone_name is not None:
        if not is_timezone(timezone_name):
            errors["timezone"] = _("Unknown timezone: use an IANA name such as Europe/Madrid.")
        else:
            user.timezone = timezone_name
            fields.append("timezone")
    if country is not None:
        country = country.upper()
        if country and not is_country(country):  # only "" itself clears it, never "  "
            errors["country"] = _("Unknown country: use an ISO 3166-1 alpha-2 code such as US or BR.")
        else:
            user.country = country
            fields.append("country")
    if daily_digest is not None:
        user.daily_digest = bool(daily_digest)
        fields.append("daily_digest")
    if digest_hour is not None:
        if not isinstance(digest_hour, int) or isinstance(digest_hour, bool) or not 0 <= digest_hour <= 23:
            errors["digest_hour"] = _("The digest's hour is a whole hour from 0 to 23.")
        else:
            user.digest_hour = digest_hour
            fields.append("digest_hour")
    old_reminder_hour = user.reminder_hour
    if reminder_hour is not None:
        if not isinstance(reminder_hour, int) or isinstance(reminder_hour, bool) or not 0 <= reminder_hour <= 23:
            errors["reminder_hour"] = _("The reminders' hour is a whole hour from 0 to 23.")
        else:
            user.reminder_hour = reminder_hour
            fields.append("reminder_hour")
    if errors:
        raise ValidationError(errors)
    if fields:
        user.save(update_fields=fields)
    if user.reminder_hour != old_reminder_hour:
        reminder_hour_changed.send(sender=User, user=user, old_hour=old_reminder_hour)
    return user


def user_session_end(*, request: HttpRequest, owner: User, session_id: int) -> bool:
    """Logs out one of the owner's sessions (the current one included); False if there is no such session."""
    sessions = list(UserSession.objects.filter(user=owner, pk=session_id))
    if not sessions:
        return False
    get_usersessions_adapter().end_sessions(sessions)
    return True


def mfa_code_valid(*, user: User, code: str) -> bool:
    """A current TOTP code (each usable once) or an unused recovery code of the user's."""
    code = code.strip().replace(" ", "")
    if not code:
        return False
    for authenticator in Authenticator.objects.filter(user=user):
        if authenticator.type == Authenticator.Type.TOTP and TOTP(authenticator).validate_code(code):
            return True
        if authenticator.type == Authenticator.Type.RECOVERY_CODES and RecoveryCodes(authenticator).validate_code(code):
            return True
    return False
