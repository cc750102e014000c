"""The five languages (CONTRACT.md v1.1): what a browser gets, what an account stores, and the accounts that had
chosen a language LTE no longer offers."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.test import Client, RequestFactory

from lte.accounts.middleware import parse_prefs_cookie
from lte.accounts.models import User
from lte.accounts.preferences import request_language
from lte.testing.helpers import make_user

five_languages = importlib.import_module("lte.accounts.migrations.0003_languages_five")


@pytest.mark.parametrize(
    ("header", "language"),
    [("pt-BR,pt;q=0.9", "pt-BR"), ("pt-br", "pt-BR"), ("pt", "pt-BR"), ("pt-PT", "pt-BR"), ("es-MX", "es"),
     ("de-AT,de;q=0.8", "de"), ("fr-CA", "fr"), ("nl-NL,nl;q=0.9", "en"), ("it", "en"), ("", "en"),
     ("nl,fr;q=0.5", "fr")],
)
def test_a_browser_gets_the_first_of_its_languages_lte_speaks(header, language):
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE=header)
    assert request_language(request) == language


def test_a_signup_from_a_brazilian_browser_stores_pt_BR(db):
    Client(HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9").post(
        "/signup", {"name": "Bia", "email": "bia@example.com", "password1": "a long passphrase 81", "country": "BR",
                    "adult": "on"})
    assert User.objects.get(email="bia@example.com").language == "pt-BR"


def test_the_page_is_served_in_brazilian_portuguese(client, db):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="pt-BR")
    assert page["Content-Language"] == "pt-BR"
    assert 'lang="pt-BR"' in page.content.decode()
    assert "Seus contatos. Seu negócio. Seus dados." in page.content.decode()


def test_the_preferences_cookie_reads_any_spelling_and_drops_what_lte_no_longer_speaks():
    assert parse_prefs_cookie("pt-br:BRL:auto").language == "pt-BR"
    assert parse_prefs_cookie("nl:EUR:auto") is None


def test_accounts_in_a_dropped_language_move_to_one_lte_speaks(db):
    users = {code: make_user(f"{code}@example.com", language=code) for code in ("pt", "it", "nl", "es", "pt-BR")}
    five_languages.forwards(apps, None)
    assert {code: User.objects.get(pk=user.pk).language for code, user in users.items()} == {
        "pt": "pt-BR", "it": "en", "nl": "en", "es": "es", "pt-BR": "pt-BR"}


def test_the_preferences_form_offers_exactly_the_five(alice_client):
    page = alice_client.get("/app/settings/preferences").content.decode()
    for code, name in (("en", "English"), ("es", "Español"), ("pt-BR", "Português (Brasil)"), ("fr", "Français"),
                       ("de", "Deutsch")):
        assert f'value="{code}"' in page and name in page
    assert 'value="nl"' not in page and 'value="it"' not in page
