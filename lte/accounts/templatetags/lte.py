from functools import lru_cache

from django import template
from django.utils.translation import gettext, pgettext
from ua_parser import parse

from lte.accounts.preferences import guess_country

register = template.Library()


@register.filter
def device(user_agent: str) -> str:
    """'Chrome 131 on Android 14' from a User-Agent header, in the reader's language."""
    browser, system = _device(user_agent)
    if browser and system:
        return pgettext("device", "%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or gettext("Unknown device")


@lru_cache(maxsize=512)
def _device(user_agent: str) -> tuple[str, str]:
    result = parse(user_agent or "")
    parts = ["", ""]
    if result.user_agent and result.user_agent.family != "Other":
        parts[0] = f"{result.user_agent.family} {result.user_agent.major or ''}".strip()
    if result.os and result.os.family != "Other":
        parts[1] = f"{result.os.family} {result.os.major or ''}".strip()
    return parts[0], parts[1]


@register.simple_tag(takes_context=True)
def prefill_country(context, form) -> str:
    """Pre-selects our guess of the visitor's country in an unbound signup form.

    allauth's SignupView never hands its form the request, so the page does it just before drawing the form.
    """
    if not form.is_bound and "country" in form.fields and not form.initial.get("country"):
        form.initial["country"] = guess_country(context["request"])
    return ""
