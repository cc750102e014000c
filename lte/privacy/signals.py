"""Login history: each successful login, with the time, IP, browser and country."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.signals import user_logged_in
from django.dispatch import receiver

from lte.accounts.preferences import request_country
from lte.privacy.models import LoginRecord
from lte.privacy.usage import record


@receiver(user_logged_in, dispatch_uid="lte-login-record")
def record_login(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    try:
        ip = get_adapter(request).get_client_ip(request)
    except Exception:
        ip = None
    LoginRecord.objects.create(user=user, ip=ip, user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
                               country=request_country(request))
    record(user, "login")
