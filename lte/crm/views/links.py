"""Reaching a contact: tel:, sms:, WhatsApp and mailto: links, social profiles as links to the network, and buttons
that open the phone's app with a message typed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.utils.translation import gettext as _

from lte.crm.models import Contact
from lte.lib.formats import format_phone


def encode(text: str) -> str:
    """Percent-encodes a message for a URL's query (spaces as %20: SMS and mail apps don't read '+')."""
    return quote(text, safe="")


def mail_encode(text: str) -> str:
    """mailto: bodies use CRLF line breaks (RFC 6068)."""
    return encode(text.replace("\r\n", "\n").replace("\n", "\r\n"))


@dataclass
class Phone:
    number: str  # E.164
    display: str
    tel: str
    sms: str
    whatsapp: str
    label: str = ""


@dataclass
class Email:
    address: str
    mailto: str
    label: str = ""


def phone_links(e164: str, label: str = "", *, country: str = "") -> Phone:
    """The links of a number, shown in the national format of `country` (the account's) when it is one of
    its numbers, in the international one otherwise."""
    display = format_phone(e164, country)
    digits = "".join(ch for ch in e164 if ch.isdigit())
    plus = "+" + digits
    return Phone(number=e164, display=display, tel=f"tel:{plus}", sms=f"sms:{plus}",
                 whatsapp=f"https://wa.me/{digits}", label=label)


@dataclass
class Profile:
    network: str  # the stored key: "instagram", … or what an import brought ("myspace")
    name: str  # the network's name to show
    handle: str
    url: str  # "" when the handle can't be made into a link we trust


HANDLE = re.compile(r"(?=.*\w)[\w.\-]{1,100}")  # a letter or digit at least: not "." or ".."
# A profile's address from its handle, per network the form offers (NETWORKS); the handle goes in quoted.
PROFILE_URLS = {
    "instagram": "https://www.instagram.com/{}/", "facebook": "https://www.facebook.com/{}",
    "tiktok": "https://www.tiktok.com/@{}", "linkedin": "https://www.linkedin.com/in/{}", "x": "https://x.com/{}",
    "twitter": "https://x.com/{}",
}


def profile_url(network: str, handle: str) -> str:
    """Where a profile is: the handle itself when it is already a web address, else the network's address for
    that handle ("@ana.sells" on Instagram), a WhatsApp chat for a number; "" when it is none of these."""
    handle = handle.strip()
    parts = urlsplit(handle)
    if parts.scheme in ("http", "https") and parts.netloc:
        return handle
    if network == "whatsapp":
        digits = "".join(ch for ch in handle if ch.isdigit())
        return f"https://wa.me/{digits}" if 7 <= len(digits) <= 15 else ""
    pattern = PROFILE_URLS.get(network)
    name = handle.removeprefix("@")
    if network == "linkedin":
        name = name.removeprefix("in/")
    if pattern is None or not HANDLE.fullmatch(name):
        return ""
    return pattern.format(quote(name, safe=""))


def profile_links(social: dict[str, str] | None, names: Mapping[str, object]) -> list[Profile]:
    """A contact's social profiles, each with its link (or none) and the network's name from `names`."""
    return [Profile(network=network, name=str(names.get(network, network)), handle=handle,
                    url=profile_url(network, handle))
            for network, handle in (social or {}).items() if handle]


def email_links(address: str, label: str = "") -> Email:
    return Email(address=address, mailto="mailto:" + quote(address, safe="@+"), label=label)


def prefilled(contact: Contact, body: str, subject: str = "", *, country: str = "") -> list[dict[str, str]]:
    """Buttons that open the phone's own app with the message typed in. `base` lets lte.js re-encode an
    edited message; `crlf` marks mailto: bodies."""
    links = []
    for phone in (phone_links(number, country=country) for number in contact.phones):
        links.append({"channel": "sms", "label": _("SMS"), "to": phone.display,
                      "base": f"{phone.sms}?&body=", "href": f"{phone.sms}?&body={encode(body)}", "crlf": ""})
        links.append({"channel": "whatsapp", "label": _("WhatsApp"), "to": phone.display,
                      "base": f"{phone.whatsapp}?text=", "href": f"{phone.whatsapp}?text={encode(body)}", "crlf": ""})
    for email in map(email_links, contact.emails):
        base = f"{email.mailto}?subject={encode(subject)}&body=" if subject else f"{email.mailto}?body="
        links.append({"channel": "email", "label": _("Email"), "to": email.address,
                      "base": base, "href": base + mail_encode(body), "crlf": "1"})
    return links
