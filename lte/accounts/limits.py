"""The failed-login budget, shared by the login page and `POST /api/v1/auth/token`, and the two-factor budget,
shared by allauth's two-factor page and the token endpoint's `code` (all in the database cache or Redis, so one
budget for every worker).

A lockout keyed by the account alone let anyone lock the owner out: ten wrong passwords for the address, again
every 15 minutes. No cookie may mark a known device (two cookies at most) and allauth has no login-by-device,
so the tight limit counts per (account, IP): a stranger's failures cool off only the stranger's address. Against
guessing from many addresses, the account as a whole has a looser cap (`login_failed_account`)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit  # the internal API returns the usage to roll back on success
from allauth.core.internal.ratelimit import get_ip
from django.http import HttpRequest

APP = "allauth.account"
ACCOUNT_ACTION = "login_failed_account"


def mfa_key(user) -> str:
    """allauth's key for the two-factor budget (allauth.mfa.base.internal.flows.check_rate_limit)."""
    return f"mfa-auth-user-{user.pk}"


def mfa_attempt(request: HttpRequest, user):
    """Spends one two-factor attempt of the user's budget, the web form's: the usage, or None when spent.
    Call `mfa_succeeded` after a right code, as allauth's form does."""
    return ratelimit.consume(request, app=APP, action="login_failed", key=mfa_key(user))


def mfa_succeeded(request: HttpRequest, user) -> None:
    ratelimit.clear(request, app=APP, action="login_failed", key=mfa_key(user))


class LoginLimitsAdapter(DefaultAccountAdapter):
    """The account adapter's failed-login keys (see above), on allauth's own pre_authenticate."""

    def _account_key(self, request: HttpRequest, **credentials: Any) -> str:
        return super()._get_login_attempts_cache_key(request, **credentials)

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        return f"{self._account_key(request, **credentials)}:{get_ip(request)}"

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        super().pre_authenticate(request, **credentials)  # per IP, and per (account, IP)
        key = self._account_key(request, **credentials)
        usage = ratelimit.consume(request, app=APP, action=ACCOUNT_ACTION, key=key)
        if not usage:
            self._rollback_login_failed_rl_usage()
            raise self.validation_error("too_many_login_attempts")
        self._login_failed_rl_usage.usage.extend(usage.usage)  # rolled back together after a right password

    def _delete_login_attempts_cached_email(self, request: HttpRequest, **credentials: Any) -> None:
        """After a password reset: the resetting address's failures and the account's cap start again."""
        super()._delete_login_attempts_cached_email(request, **credentials)
        ratelimit.clear(request, app=APP, action=ACCOUNT_ACTION, key=self._account_key(request, **credentials))
