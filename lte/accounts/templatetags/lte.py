from functools import lru_cache

from django import template
from ua_parser import parse

from lte.accounts.preferences import guess_country

register = template.Library()


@register.filter
@lru_cache(maxsize=512)
def device(user_agent: str) -> str:
    """'Chrome 131 on Android 14' from a User-Agent header."""
    result = parse(user_agent or "")
    parts = []
    if result.user_agent and result.user_agent.family != "Other":
        parts.append(f"{result.user_agent.family} {result.user_agent.major or ''}".strip())
    if result.os and result.os.family != "Other":
        parts.append(f"{result.os.family} {result.os.major or ''}".strip())
    return " on ".join(parts) if parts else "Unknown device"


@register.simple_tag(takes_context=True)
def prefill_country(context, form) -> str:
    """Pre-selects our guess of the visitor's country in an unbound signup form.

    allauth's SignupView never hands its form the request, so the page does it just before drawing the form.
    """
    if not form.is_bound and "country" in form.fields and not form.initial.get("country"):
        form.initial["country"] = guess_country(context["request"])
    return ""
