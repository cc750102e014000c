"""LTE is complete in five languages (CONTRACT.md): every message in our templates and code has a translation in
es, pt_BR, fr and de, and no page of the app shows an English sentence of ours in another language.

Messages are extracted as `make messages` extracts them (lte.lib.catalogs: Django's templatize and Babel, no GNU
gettext), so a string added anywhere fails here until `make messages` has put it in the .po files and someone has
translated it. Pages are discovered from the URLconf (as the ownership test does), rendered for a visitor and a
signed-in seller (the staff pages for a staff member) in each language, and searched for the English of every
message that has a different translation.
"""

from __future__ import annotations

import html
import re
from functools import cache

import pytest
from babel.messages.catalog import Catalog
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from lte.accounts.preferences import canonical_language
from lte.crm.tests.test_ownership import FACTORIES, WEB_ROUTES, World, make_contact
from lte.lib.catalogs import LOCALES, extract_messages, read_catalog
from lte.testing.helpers import make_user, with_two_factor

# locale/ directory → the code users and the API see
LANGUAGE_OF = {"es": "es", "pt_BR": "pt-BR", "fr": "fr", "de": "de"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}")
SPLIT = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}|<[^>]*>|\n")
# Pages that aren't ours to word (Django's admin, with Django's own translations), nor pages at all.
SKIPPED_PREFIXES = ("static/", "staff/admin/", "api/", "healthz", "accounts/logout/")
PENDING: set[str] = set()  # a page that is not in the sweep yet (none: every page is)


@cache
def messages():
    return extract_messages()


@cache
def catalog(locale: str) -> Catalog:
    return read_catalog(locale)


def forms_of(entry) -> tuple[str, ...]:
    """A catalog entry's translation: one string, or one per plural form."""
    string = entry.string
    return tuple(string) if isinstance(string, (tuple, list)) else (str(string or ""),)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_the_five_languages_are_the_contracts():
    assert [code for code, _name in settings.LANGUAGES] == ["en", "es", "pt-BR", "fr", "de"]
    assert set(LOCALES) == set(LANGUAGE_OF)
    assert canonical_language("PT-br") == "pt-BR" and canonical_language("nl") is None


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_has_a_translation_with_the_same_placeholders(locale):
    po = catalog(locale)
    problems = []
    for message in messages().values():
        entry = po.get(message.msgid, context=message.context)
        where = f"{message.msgid[:70]!r} ({message.locations[0][0]})"
        if entry is None:
            problems.append(f"not in locale/{locale}: {where} — run `make messages`")
            continue
        forms = forms_of(entry)
        if entry.fuzzy or not all(form.strip() for form in forms):
            problems.append(f"untranslated or fuzzy: {where}")
            continue
        wanted = [placeholders(message.msgid)] + [placeholders(message.plural or message.msgid)] * (len(forms) - 1)
        for form, want in zip(forms, wanted, strict=True):
            if placeholders(form) != want and not (message.plural and placeholders(form) == placeholders(
                    message.plural)):
                problems.append(f"placeholders {placeholders(form)} instead of {want}: {where}")
    assert not problems, f"{len(problems)} problems in locale/{locale}:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("locale", LOCALES)
def test_django_reads_the_compiled_catalog(locale):
    with translation.override(LANGUAGE_OF[locale]):
        assert gettext("Today") == catalog(locale).get("Today").string != "Today"
        assert gettext("Due today") != "Due today"


def test_pt_br_is_found_in_any_spelling():
    for code in ("pt-BR", "pt-br", "pt_BR"):
        with translation.override(code):
            assert gettext("Today") == "Hoje"


# --- Every page, in every language -------------------------------------------------------------------------


@cache
def english_phrases(locale: str) -> tuple[str, ...]:
    """The English of every message translated differently in `locale`, cut at placeholders and tags into
    phrases of two words or more that no translation in that language contains itself (German says
    "Follow-up" too)."""
    po = catalog(locale)
    translated = "\n".join(form for entry in po if entry.id for form in forms_of(entry))
    phrases = set()
    for message in messages().values():
        entry = po.get(message.msgid, context=message.context)
        if entry is None:
            continue
        forms = forms_of(entry)
        for english in filter(None, (message.msgid, message.plural)):
            if english in forms:
                continue
            for piece in SPLIT.split(english):
                piece = piece.strip(" .,:;·—-()")
                if len(piece.split()) >= 2 and piece not in translated:
                    phrases.add(piece)
    return tuple(sorted(phrases))


def page_routes():
    for route in WEB_ROUTES:
        if route.route.startswith(SKIPPED_PREFIXES) or route.is_admin or route.route in PENDING:
            continue
        yield route


def visible_text(response) -> str:
    """The page as a reader gets it (entities decoded), without the policy documents' own text: the policies
    are published in English; their pages' chrome is what is translated."""
    text = html.unescape(response.content.decode())
    policy = (response.context or {}).get("policy") if response.context is not None else None
    if policy is not None:
        pieces = [*policy.intro]
        for section in policy.sections:
            pieces.append(section.heading)
            for _block, content in section.blocks:
                pieces += [content] if isinstance(content, str) else list(content)
        for piece in sorted(pieces, key=len, reverse=True):
            text = text.replace(html.unescape(str(piece)), "")
    return text


def english_left(response, locale: str) -> list[str]:
    text = visible_text(response)
    return [phrase for phrase in english_phrases(locale) if phrase in text]


def urls_for(route, world: World) -> str | None:
    values = {}
    for name, _kind in route.params:
        factory = FACTORIES.get(name)
        if factory is None:
            return None
        values[name] = world.targets.setdefault(name, factory(world)).value
    return route.url(values)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_page_shows_english_in_another_language(locale, db):
    language = LANGUAGE_OF[locale]
    seller = make_user(f"seller-{locale.lower()}@example.com", name="Rosa Vendedora", language=language)
    client = Client(raise_request_exception=False)
    client.force_login(seller)
    world = World(alice=seller, alice_client=client)
    make_contact(world)
    visitor = Client(HTTP_ACCEPT_LANGUAGE=language, raise_request_exception=False)
    staff = Client(raise_request_exception=False)
    staff.force_login(with_two_factor(make_user(f"staff-{locale.lower()}@example.com", name="Sam", is_staff=True,
                                                language=language)))
    rendered, leftovers = 0, []
    for route in page_routes():
        url = urls_for(route, world)
        if url is None:
            continue
        callers = (visitor, client) if route.is_public else (staff,) if route.is_staff_tool else (client,)
        for who in callers:
            response = who.get(url, follow=False)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            rendered += 1
            assert response["Content-Language"] == language, url
            leftovers += [f"{url}: {phrase!r}" for phrase in english_left(response, locale)]
    assert rendered >= 40, f"only {rendered} pages rendered: the sweep checks too little"
    assert not leftovers, f"English left in {language}:\n" + "\n".join(leftovers[:60])


DESCRIPTION = "Your contacts, follow-ups and daily activity — private, on your phone."


@pytest.mark.parametrize("locale", LOCALES)
def test_the_manifest_speaks_the_visitors_language(locale, client):
    language = LANGUAGE_OF[locale]
    manifest = client.get("/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE=language).json()
    assert manifest["lang"] == language
    with translation.override(language):
        assert manifest["description"] == gettext(DESCRIPTION) != DESCRIPTION


def test_an_english_page_stays_english(client, alice):
    client.force_login(alice)
    page = client.get("/app/").content.decode()
    assert "Due today" in page and "Settings" in page
