"""The locale's formats in templates, loaded in every template (settings.TEMPLATES 'builtins').

    {{ followup.due_at|ldatetime:"MMMEdHm" }}   vie, 15 ene, 14:30   (the user's timezone)
    {{ policy.effective_on|ldate }}             15 de enero de 2027
    {{ job.total|lnumber }}                     1.234
    {{ price|money:"BRL" }}                     R$ 49,90
    {{ number|phone:user.country }}             (11) 91234-5678, or +55 11 91234-5678 abroad
    {% today %}                                 15 de enero de 2027 (today where the reader is)

A style is "short", "medium", "long", "full" or a CLDR skeleton (lte.lib.formats).
"""

from __future__ import annotations

from django import template
from django.utils import timezone, translation

from lte.lib import formats

register = template.Library()


@register.filter
def ldate(value, style: str = "long") -> str:
    return formats.format_day(value, style)


@register.filter
def ltime(value, style: str = "short") -> str:
    return formats.format_time(value, style)


@register.filter
def ldatetime(value, style: str = "medium") -> str:
    return formats.format_moment(value, style)


@register.filter
def lnumber(value) -> str:
    return formats.format_number(value)


@register.filter
def money(amount, currency: str = "USD") -> str:
    return formats.format_money(amount, currency)


@register.filter
def phone(e164, country: str = "") -> str:
    return formats.format_phone(e164, country or "")


@register.filter
def language_label(code: str) -> str:
    """'es' → "Spanish" to an English reader, "espagnol" to a French one."""
    return formats.language_name(code, own=False) if code else ""


@register.filter
def currency_label(code: str) -> str:
    """'BRL' → "Brazilian Real (BRL)" in the reader's language."""
    return f"{formats.currency_name(code)} ({code})" if code else ""


@register.filter
def country_label(code: str) -> str:
    """'DE' → "Germany", "Alemania", "Allemagne" (CLDR); the code when CLDR has no name for it."""
    return formats.territory_name(code) or code if code else ""


@register.filter
def in_sentence(title) -> str:
    """A document's title inside a sentence ("our privacy policy"): lower case, except in German, which writes
    every noun with a capital ("unsere Datenschutzerklärung")."""
    text = str(title)
    return text if (translation.get_language() or "en").lower().startswith("de") else text.lower()


@register.simple_tag
def today(style: str = "long") -> str:
    return formats.format_day(timezone.localdate(), style)
