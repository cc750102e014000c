"""Your rights as services: see everything and clear what we recorded (deleting everything: lte.privacy.deletion)."""

from __future__ import annotations

import re
from functools import lru_cache

from allauth.account.models import EmailAddress
from allauth.mfa.utils import is_mfa_enabled
from allauth.usersessions.models import UserSession
from django.utils.translation import gettext, gettext_noop, pgettext
from ua_parser import parse

from lte.accounts import plans
from lte.accounts.models import ApiToken, User
from lte.billing.models import Subscription
from lte.privacy import registry, usage
from lte.privacy.documents import acknowledgements_of
from lte.privacy.models import LoginRecord, StaffAccess, UsageEvent
from lte.privacy.staff import active_grant
from lte.vault.context import acting_for


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def your_data(user: User) -> dict:
    """Everything we hold on the account, in named sections (GET /me/data and the Your data page)."""
    usage.flush()  # this process's unwritten usage events are held too: show them
    sessions = UserSession.objects.filter(user=user).order_by("-last_seen_at")
    grant = active_grant(user.pk)
    with acting_for(user.pk):
        staff_log = [{"at": _iso(s.at), "staff": s.staff_name, "basis": s.basis, "reason": s.reason,
                      "action": s.action, "resource": s.resource}
                     for s in StaffAccess.objects.filter(account_id=user.pk).order_by("-seq")]
    acknowledgements = acknowledgements_of(user)
    counts = {}
    for model, entry in registry.entries([registry.OWNED, registry.ACCOUNT, registry.STAFF]):
        if entry.user_field:
            counts[gettext(entry.label)] = registry.queryset(model, entry, user.pk).count()
    return {
        "account": {"id": str(user.pk), "name": user.name, "email": user.email,
                    "email_verified": EmailAddress.objects.filter(user=user, verified=True, primary=True).exists(),
                    "created_at": _iso(user.created_at), "last_login": _iso(user.last_login),
                    "adult_confirmed_at": _iso(user.adult_confirmed_at),
                    "two_factor": is_mfa_enabled(user)},
        "preferences": {"language": user.language, "currency": user.currency, "timezone": user.timezone,
                        "country": user.country, "daily_digest": user.daily_digest,
                        "digest_hour": user.digest_hour, "digest_sent_on": _iso(user.digest_sent_on),
                        "reminder_hour": user.reminder_hour},
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
        "billing": _billing(user),
        "policy_acknowledgements": acknowledgements,
        "api_tokens": [{"name": t.name, "starts_with": t.hint, "created_at": _iso(t.created_at),
                        "last_used_at": _iso(t.last_used_at)} for t in ApiToken.objects.owned_by(user)],
        "support_access": {"granted_until": _iso(grant.expires_at) if grant else None},
        "staff_access_log": staff_log,
        "counts": counts,
        "what_we_keep": [{"what": gettext(entry.label), "kind": entry.kind,
                          "correct": gettext(entry.correct) if entry.correct else "", "delete": gettext(entry.delete)}
                         for _model, entry in registry.entries([registry.ACCOUNT, registry.OWNED, registry.STAFF,
                                                                registry.KEYS])],
        "backups": gettext("Encrypted backups of the data are kept 90 days and of the key store 7 days; after "
                           "you delete your account, its keys are destroyed at once, so no backup can be read for "
                           "it, and no restore brings it back."),
    }


PLAN_NAMES = {plans.FREE: gettext_noop("Free"), plans.PRO: gettext_noop("Pro"), plans.LEADER: gettext_noop("Leader")}


@lru_cache(maxsize=512)
def _device_parts(user_agent: str) -> tuple[str, str]:
    result = parse(user_agent or "")
    browser = result.user_agent.family if result.user_agent and result.user_agent.family != "Other" else ""
    # "Chrome Mobile", "Mobile Safari", "Chrome Mobile iOS": a person says Chrome, Safari (the system says the rest)
    browser = re.sub(r"\b(Mobile|iOS)\b", "", browser).strip() or browser
    browser = " ".join(browser.split())
    system = result.os.family if result.os and result.os.family != "Other" else ""
    return browser, system


def device_name(user_agent: str) -> str:
    """A device as a person says it: "Chrome on Android", "Safari on iOS" (no versions, no raw header)."""
    browser, system = _device_parts(user_agent)
    if browser and system:
        return pgettext("device", "%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or gettext("Unknown device")


def your_data_page(user: User) -> dict:
    """Your data as a person reads it: everything of your_data(), plus a one-screen summary (records of each
    kind, the account, the plan, the devices) and the devices named; the page folds each section."""
    data = your_data(user)
    business: list[dict] = []
    account: list[dict] = []
    for _model, entry in registry.entries([registry.OWNED, registry.ACCOUNT, registry.STAFF]):
        if not entry.user_field:
            continue
        label = gettext(entry.label)
        row = {"label": label, "count": data["counts"].get(label, 0)}
        (business if entry.kind == registry.OWNED else account).append(row)
    devices = [s | {"device": device_name(s["browser"])} for s in data["logins_and_devices"]["sessions"]]
    logins = [r | {"device": device_name(r["browser"])} for r in data["logins_and_devices"]["login_history"]]
    plan = data["billing"]["plan"]
    return {"data": data, "business_counts": business, "account_counts": account, "devices": devices,
            "logins": logins, "plan_name": gettext(PLAN_NAMES.get(plan, plan)),
            "summary_counts": [row for row in business if row["count"]][:4],
            "device_names": sorted({d["device"] for d in devices})}


def _billing(user: User) -> dict:
    """The plan and what we hold of Stripe's: ids, status, currency and dates; never card data."""
    sub = Subscription.objects.filter(user=user).first()
    plan = plans.plan_of(user)
    held = {"plan": plan, "status": f"{plan} plan", "stripe_customer": None, "stripe_subscription": None,
            "subscription_status": None, "currency": None, "current_period_end": None, "trial_end": None,
            "grace_until": None, "card_data": "never stored by LeadTrackEngine (Stripe holds it)"}
    if sub is not None:
        held |= {"stripe_customer": sub.customer_id, "stripe_subscription": sub.subscription_id or None,
                 "subscription_status": sub.status or None, "currency": sub.currency or None,
                 "current_period_end": _iso(sub.current_period_end), "trial_end": _iso(sub.trial_end),
                 "grace_until": _iso(sub.plan_until)}
        if sub.status:
            held["status"] = f"{plan} plan ({sub.status})"
    return held


def login_history_clear(*, user: User) -> int:
    return LoginRecord.objects.filter(user=user).delete()[0]


def usage_events_clear(*, user: User) -> int:
    usage.discard_buffered(user)  # what this process hasn't written yet goes too
    return UsageEvent.objects.filter(user=user).delete()[0]

