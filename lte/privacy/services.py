"""Your rights as services: see everything, delete everything, correct what we recorded."""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.models import EmailAddress
from allauth.mfa.utils import is_mfa_enabled
from allauth.usersessions.models import UserSession
from django.core.exceptions import PermissionDenied
from django.db import transaction

from lte.accounts.models import ApiToken, User
from lte.accounts.services import account_delete, mfa_code_valid
from lte.lib.emails import send_account_deleted
from lte.lib.mail import purge_outbox_for
from lte.privacy import registry
from lte.privacy.models import LoginRecord, StaffAccess, UsageEvent
from lte.privacy.staff import active_grant
from lte.vault.context import acting_for

# Called with the user before their rows go, e.g. to cancel a Stripe subscription once billing exists.
before_account_deletion: list[Callable[[User], None]] = []


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def your_data(user: User) -> dict:
    """Everything we hold on the account, in named sections (GET /me/data and the Your data page)."""
    sessions = UserSession.objects.filter(user=user).order_by("-last_seen_at")
    grant = active_grant(user.pk)
    with acting_for(user.pk):
        staff_log = [{"at": _iso(s.at), "staff": s.staff_name, "basis": s.basis, "reason": s.reason,
                      "action": s.action, "resource": s.resource}
                     for s in StaffAccess.objects.filter(account_id=user.pk).order_by("-seq")]
    try:
        from lte.privacy.policies import acknowledgements_of

        acknowledgements = acknowledgements_of(user)
    except ImportError:
        acknowledgements = []
    counts = {}
    for model, entry in registry.entries([registry.OWNED, registry.ACCOUNT, registry.STAFF]):
        if entry.user_field:
            counts[entry.label] = registry.queryset(model, entry, user.pk).count()
    return {
        "account": {"id": str(user.pk), "name": user.name, "email": user.email,
                    "email_verified": EmailAddress.objects.filter(user=user, verified=True, primary=True).exists(),
                    "created_at": _iso(user.created_at), "last_login": _iso(user.last_login),
                    "adult_confirmed_at": _iso(user.adult_confirmed_at),
                    "two_factor": is_mfa_enabled(user)},
        "preferences": {"language": user.language, "currency": user.currency, "timezone": user.timezone,
                        "country": user.country},
        "logins_and_devices": {
            "sessions": [{"started_at": _iso(s.created_at), "last_seen_at": _iso(s.last_seen_at), "ip": s.ip,
                          "browser": s.user_agent, "country": s.data.get("country", "")} for s in sessions],
            "login_history": [{"at": _iso(r.at), "ip": r.ip, "browser": r.user_agent, "country": r.country,
                               "method": r.method} for r in LoginRecord.objects.filter(user=user)[:500]],
        },
        "usage_events": {
            "kept_days": 90,
            "total": UsageEvent.objects.filter(user=user).count(),
            "recent": [{"at": _iso(e.at), "name": e.name} for e in UsageEvent.objects.filter(user=user)[:200]],
        },
        "billing": {"status": "free plan", "stripe_customer": None,
                    "card_data": "never stored by LeadTrackEngine (Stripe holds it)"},
        "policy_acknowledgements": acknowledgements,
        "api_tokens": [{"name": t.name, "starts_with": t.hint, "created_at": _iso(t.created_at),
                        "last_used_at": _iso(t.last_used_at)} for t in ApiToken.objects.owned_by(user)],
        "support_access": {"granted_until": _iso(grant.expires_at) if grant else None},
        "staff_access_log": staff_log,
        "counts": counts,
        "what_we_keep": [{"what": entry.label, "kind": entry.kind, "correct": entry.correct, "delete": entry.delete}
                         for _model, entry in registry.entries([registry.ACCOUNT, registry.OWNED, registry.STAFF,
                                                                registry.KEYS])],
        "backups": "Encrypted backups of the data are kept 90 days and of the key store 7 days; after you "
                   "delete your account, its keys are destroyed at once, so no backup can be read for it, and "
                   "no restore brings it back.",
    }


def confirm_identity(user: User, *, password: str = "", code: str = "") -> bool:
    if password and user.check_password(password):
        return True
    return bool(code) and is_mfa_enabled(user) and mfa_code_valid(user=user, code=code)


def account_delete_confirmed(*, user: User, password: str = "", code: str = "") -> None:
    """One-tap deletion behind a confirmation: everything leaves the live database at once, the keys are
    destroyed, sessions and tokens die, the outbox forgets the address, and a confirmation email goes out."""
    if not confirm_identity(user, password=password, code=code):
        raise PermissionDenied("The password (or two-factor code) is not right: nothing was deleted.")
    email, name, language = user.email, user.name, user.language
    for hook in before_account_deletion:
        hook(user)
    account_delete(user=user)
    purge_outbox_for(email)
    transaction.on_commit(lambda: send_account_deleted(email=email, name=name, language=language))


def login_history_clear(*, user: User) -> int:
    return LoginRecord.objects.filter(user=user).delete()[0]


def usage_events_clear(*, user: User) -> int:
    return UsageEvent.objects.filter(user=user).delete()[0]

