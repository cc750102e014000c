"""What makes a contact findable: the folded words of its name and the blind indexes of its emails and phones.

The one place contact_create, contact_update, the merge and the import's batches take them from, and the
one place search (lte.crm.queries) reads a query the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers

from lte.crm.models import NAME_MAX, Contact, ContactLookup, ContactToken
from lte.crm.services.normalise import unique
from lte.crm.text import fold, search_key, sort_key
from lte.vault.blind import blind_index

TAIL_DIGITS = 4
# The blind index's domain of each kind of lookup: mixed into its HMAC, so fixed for as long as digests are stored
# (ContactLookup's one-character kinds are only how a row says which it is).
EMAIL_DOMAIN, PHONE_DOMAIN, NATIONAL_DOMAIN, TAIL_DOMAIN = "email", "phone", "phonen", "tail4"
PHONE_TEXT = re.compile(r"[0-9+\-.()/\s]+")  # what a number is written with: digits, spaces, + - . ( ) /


def looks_like_phone(text: str) -> bool:
    """A phone query: only digits and phone punctuation, at least TAIL_DIGITS digits ('0142', '(312) 555-0142').
    A word with a letter ('Jess91', 'r2d2') is a word of a name; so are fewer digits ('014', '007')."""
    return bool(PHONE_TEXT.fullmatch(text)) and len(re.sub(r"[^0-9]", "", text)) >= TAIL_DIGITS


def email_digest(owner_id, email: str) -> str:
    return blind_index(owner_id, EMAIL_DOMAIN, email.casefold())


def phone_digest(owner_id, e164: str) -> str:
    return blind_index(owner_id, PHONE_DOMAIN, e164)


def national_digits(text: str) -> str:
    """The digits a person would type locally: '+1 415 555 0100' -> '4155550100', '07700 900123' -> '7700900123'."""
    if text.strip().startswith("+"):
        try:
            return str(phonenumbers.parse(text).national_number)
        except phonenumbers.NumberParseException:
            return ""
    return re.sub(r"\D", "", text).lstrip("0")


def national_digest(owner_id, digits: str) -> str:
    return blind_index(owner_id, NATIONAL_DOMAIN, digits)


def phone_tail(text: str) -> str:
    """The last TAIL_DIGITS digits of a number ('+1 312 555 0142' -> '0142'); '' when it has fewer."""
    digits = re.sub(r"[^0-9]", "", text)
    return digits[-TAIL_DIGITS:] if len(digits) >= TAIL_DIGITS else ""


def tail_digest(owner_id, tail: str) -> str:
    return blind_index(owner_id, TAIL_DOMAIN, tail)


def tail_digests(owner_id, phones: Iterable[str]) -> list[str]:
    """One ending per contact, however many of its numbers share it."""
    return [tail_digest(owner_id, t) for t in unique(t for t in map(phone_tail, phones) if t)]


def index_entries(contact: Contact) -> tuple[list[str], list[tuple[str, str]]]:
    """What makes a contact findable: the folded words of its name (search-as-you-type) and its blind-indexed
    emails, phones, national numbers and phone endings as (kind, digest). The one place both contact_create
    and the import's contact_create_many take them from."""
    return name_tokens(contact), lookup_entries(contact)


def name_tokens(contact: Contact) -> list[str]:
    return [w[:NAME_MAX] for w in unique(fold(f"{contact.first_name} {contact.last_name}").split())]


def lookup_entries(contact: Contact) -> list[tuple[str, str]]:
    owner_id = contact.owner_id
    return ([(ContactLookup.EMAIL, email_digest(owner_id, e)) for e in contact.emails]
            + [(ContactLookup.PHONE, phone_digest(owner_id, p)) for p in contact.phones]
            + [(ContactLookup.NATIONAL, national_digest(owner_id, e164_national_digits(p))) for p in contact.phones]
            + [(ContactLookup.TAIL, digest) for digest in tail_digests(owner_id, contact.phones)])


def e164_national_digits(e164: str) -> str:
    """national_digits for an E.164 number, without parsing it again: country codes are prefix-free, so the
    first 1–3 digits that are one are it (a test checks it against national_digits for every region)."""
    digits = e164[1:]
    if e164.startswith("+") and digits.isdigit():
        for length in (1, 2, 3):
            if int(digits[:length]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE and digits[length:]:
                return str(int(digits[length:]))
    return national_digits(e164)


def index_contact(contact: Contact, *, tokens: bool = True, lookups: bool = True) -> None:
    """Refreshes the name tokens and the blind-indexed lookups of a contact (index_entries)."""
    if tokens:  # (each part only when asked: the lookups open the sealed emails and phones)
        ContactToken.objects.filter(contact=contact).delete()
        ContactToken.objects.bulk_create([ContactToken(owner_id=contact.owner_id, contact=contact, token=w)
                                          for w in name_tokens(contact)])
    if lookups:
        ContactLookup.objects.filter(contact=contact).delete()
        ContactLookup.objects.bulk_create([ContactLookup(owner_id=contact.owner_id, contact=contact, kind=kind,
                                                         digest=digest) for kind, digest in lookup_entries(contact)])


def name_keys(contact: Contact) -> None:
    """Search and sort keys: by name, or by the company for a card that has only that."""
    contact.search_name = search_key(contact.first_name, contact.last_name)
    named = contact.first_name or contact.last_name
    contact.sort_name = sort_key(contact.first_name, contact.last_name) if named else sort_key(contact.company, "")
