"""The public pages' language switcher (a cookie only on a visitor's choice), the Vary headers, and /pricing in
the visitor's currency from lte/accounts/plans.py."""

from __future__ import annotations

import pytest
from django.test import Client

from lte.accounts.middleware import parse_prefs_cookie

pytestmark = pytest.mark.django_db

PUBLIC = ["/", "/pricing", "/privacy", "/login", "/signup"]
PREFS = "lte_prefs"


def prefs_cookie(response):
    morsel = response.cookies.get(PREFS)
    return parse_prefs_cookie(morsel.value) if morsel is not None and morsel.value else None


# --- The switcher ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PUBLIC)
def test_every_public_page_offers_the_languages_by_their_own_names(client, path):
    html = client.get(path).content.decode()
    assert f'href="/language/es?next={path.replace("/", "%2F")}"' in html
    assert ">Español</a>" in html and ">Deutsch</a>" in html and ">Français</a>" in html


@pytest.mark.parametrize("headers", [{}, {"HTTP_SEC_GPC": "1"}, {"HTTP_DNT": "1"}],
                         ids=["plain", "gpc", "dnt"])
@pytest.mark.parametrize("path", PUBLIC)
def test_a_visitor_who_has_not_chosen_gets_no_preferences_cookie(path, headers):
    response = Client().get(path, HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9", **headers)
    assert response.status_code == 200
    assert PREFS not in response.cookies
    assert response["Content-Language"] == "es"  # the browser's language, without a cookie
    if headers and path in ("/", "/pricing", "/privacy"):
        assert not response.cookies, response.cookies  # under GPC/DNT the marketing pages set nothing at all


@pytest.mark.parametrize("headers", [{}, {"HTTP_SEC_GPC": "1"}], ids=["plain", "gpc"])
def test_choosing_a_language_keeps_it_in_the_preferences_cookie_and_goes_back(headers):
    visitor = Client()
    response = visitor.get("/language/de?next=/pricing", **headers)
    assert response.status_code == 302 and response["Location"] == "/pricing"
    chosen = prefs_cookie(response)
    assert chosen is not None and chosen.language == "de" and chosen.theme == "auto"
    assert response.cookies[PREFS]["httponly"] and response.cookies[PREFS]["samesite"] == "Lax"
    page = visitor.get("/pricing", HTTP_ACCEPT_LANGUAGE="en-US", **headers)
    assert page["Content-Language"] == "de"  # the choice beats the browser
    assert '<html lang="de"' in page.content.decode()
    assert 'aria-current="true">Deutsch</a>' in page.content.decode()
    assert PREFS not in page.cookies  # set once, on the choice


def test_choosing_a_language_keeps_the_currency_the_visitor_sees(settings):
    settings.LTE_TRUST_COUNTRY_HEADER = True
    response = Client().get("/language/fr?next=/", HTTP_CF_IPCOUNTRY="BR")
    assert prefs_cookie(response).currency == "BRL"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""])
def test_the_switcher_only_goes_back_to_our_own_pages(client, target):
    response = client.get("/language/es", {"next": target})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize("code", ["xx", "en-GB", "es:USD:dark", "ES"])
def test_a_language_we_dont_offer_is_not_found_and_sets_nothing(client, code):
    response = client.get(f"/language/{code}")
    assert response.status_code == 404
    assert PREFS not in response.cookies


def test_a_signed_in_seller_changes_the_language_in_preferences_not_with_a_cookie(alice_client):
    response = alice_client.get("/language/es?next=/")
    assert response.status_code == 302 and response["Location"] == "/app/settings/preferences"
    assert PREFS not in response.cookies


def test_the_language_chosen_before_signing_up_is_the_new_accounts(django_user_model):
    visitor = Client()
    visitor.get("/language/es?next=/signup")
    response = visitor.post("/api/v1/auth/signup", {"name": "Ana", "email": "ana@example.com",
                                                    "password": "a long enough password 42", "adult": True},
                            content_type="application/json", HTTP_ACCEPT_LANGUAGE="en-US")
    assert response.status_code == 201
    assert django_user_model.objects.get(email="ana@example.com").language == "es"


@pytest.mark.parametrize("path", PUBLIC)
def test_pages_say_they_depend_on_the_browsers_language_and_the_cookie(client, path, settings):
    vary = {v.strip().lower() for v in client.get(path)["Vary"].split(",")}
    assert {"accept-language", "cookie"} <= vary
    settings.LTE_TRUST_COUNTRY_HEADER = True
    vary = {v.strip().lower() for v in client.get(path)["Vary"].split(",")}
    assert "cf-ipcountry" in vary


# --- /pricing --------------------------------------------------------------------------------------------------


def test_pricing_is_in_usd_by_default_with_the_free_plans_limit(client):
    html = client.get("/pricing").content.decode()
    assert "$9.00 / month" in html and "$19.00 / month" in html
    assert "Free — up to 250 contacts" in html
    assert "placeholder" not in html.lower()


def test_pricing_says_everything_is_free_while_billing_is_off_and_still_shows_the_plans(client, settings):
    settings.STRIPE_SECRET_KEY = ""
    html = client.get("/pricing").content.decode()
    assert "every feature of every plan is free here" in html
    assert html.count('class="card plan"') == 3
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    assert "every feature of every plan is free here" not in client.get("/pricing").content.decode()


def test_a_brazilian_visitor_behind_cloudflare_sees_reais(client, settings):
    settings.LTE_TRUST_COUNTRY_HEADER = True
    html = client.get("/pricing", HTTP_CF_IPCOUNTRY="BR", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert "R$49.90 / month" in html and "R$99.90 / month" in html  # in English, as English writes reais


def test_the_country_header_counts_only_where_the_deployment_trusts_it(client, settings):
    settings.LTE_TRUST_COUNTRY_HEADER = False
    html = client.get("/pricing", HTTP_CF_IPCOUNTRY="BR", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "$9.00 / month" in html and "R$" not in html


def test_a_browser_in_brazilian_portuguese_sees_reais_as_brazilians_write_them(client):
    html = client.get("/pricing", HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9").content.decode()
    assert "R$ 49,90" in html and "R$ 99,90" in html  # plain spaces: as sellers type and search them
    assert "US$" not in html and "$9.00" not in html


@pytest.mark.parametrize(("language", "country", "expected"), [
    ("de-DE", "DE", "9,00 €"), ("es-MX", "MX", "MXN"), ("en-GB", "GB", "£8.00"), ("en-PH", "PH", "₱499.00"),
    ("en-ZA", "ZA", "ZAR"), ("es-CO", "CO", "COP"), ("en-CA", "CA", "CA$12.00"), ("en-AU", "AU", "A$14.00"),
])
def test_the_ten_currencies_of_our_sellers(client, settings, language, country, expected):
    settings.LTE_TRUST_COUNTRY_HEADER = True
    html = client.get("/pricing", HTTP_CF_IPCOUNTRY=country, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert expected in html.split('id="plan-pro"', 1)[1].split("</section>", 1)[0]


def test_the_page_picker_shows_another_currency_without_a_cookie(client):
    response = client.get("/pricing?currency=EUR")
    assert "€9.00 / month" in response.content.decode()
    assert PREFS not in response.cookies
    assert "$9.00 / month" in client.get("/pricing?currency=XYZ").content.decode()  # not one we price in


def test_a_signed_in_seller_sees_their_own_currency_or_usd_where_we_have_no_price(alice, alice_client):
    alice.currency = "BRL"
    alice.save(update_fields=["currency"])
    assert "R$49.90 / month" in alice_client.get("/pricing").content.decode()
    alice.currency = "NPR"
    alice.save(update_fields=["currency"])
    assert "$9.00 / month" in alice_client.get("/pricing").content.decode()


def test_pricing_sells_only_what_the_app_has(client):
    html = client.get("/pricing").content.decode()
    for feature in ("Import from CSV", "reorder reminders", "One-tap export", "No limit on contacts"):
        assert feature in html
    assert "Share scripts with your team" not in html  # no teams app yet: nothing sold that isn't there


@pytest.mark.parametrize(("accept", "expected"), [("de", "9,00 €"), ("fr;q=0.9", "9,00 €"), ("pt", "R$ 49,90"),
                                                  ("es-419,es;q=0.8", "US$"), ("en", "$9.00")])
def test_a_browser_naming_only_a_language_is_priced_in_that_languages_main_country(client, accept, expected):
    html = client.get("/pricing", HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    assert expected in html.split('id="plan-pro"', 1)[1].split("</section>", 1)[0]
