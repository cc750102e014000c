"""Notes the country of each new session, so the session list can show where a login came from."""

from __future__ import annotations

from allauth.account.signals import user_logged_in
from allauth.usersessions.models import UserSession
from django.dispatch import receiver

from lte.accounts.preferences import request_country


@receiver(user_logged_in, dispatch_uid="lte-session-country")
def remember_session_country(sender, request, user, **kwargs) -> None:
    if request is None or not getattr(request, "session", None) or not request.session.session_key:
        return
    country = request_country(request)
    if country:
        for session in UserSession.objects.filter(user=user, session_key=request.session.session_key):
            session.data = {**session.data, "country": country}
            session.save(update_fields=["data"])
