from functools import lru_cache

from django import template
from ua_parser import parse

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
