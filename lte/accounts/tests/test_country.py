"""The account's country: PATCH /me, signup (chosen, the CDN's header, the browser's language), the settings
page, the signed-in home's prompt, and phone numbers typed without their +country code."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from lte.accounts.countries import COUNTRIES, country_choices, language_region
from lte.accounts.models import User
from lte.testing.helpers import PASSWORD, outbox_messages

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"
SIGNUP = "/api/v1/auth/signup"
CONTACTS = "/api/v1/contacts"
PROMPT = "Which country are your contacts in?"
NATIONAL = "(312) 555-0100"
E164 = "+13125550100"
OPTION = re.compile(r'<option value="([A-Z]*)"( selected)?>([^<]*)</option>')


def with_country(user: User, code: str) -> User:
    user.country = code
    user.save(update_fields=["country"])
    return user


def patch_me(client: Client, data) -> object:
    return client.patch(ME, data=data, content_type="application/json")


def post_signup(data: dict, **headers) -> object:
    body = {"name": "Carol Seller", "email": "carol@example.com", "password": PASSWORD, "adult": True, **data}
    return Client().post(SIGNUP, data=body, content_type="application/json", **headers)


def carol() -> User:
    return User.objects.get(email="carol@example.com")


def options(html: str, name: str = "country") -> list[tuple[str, bool, str]]:
    select = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    return [(code, bool(selected), label) for code, selected, label in OPTION.findall(select)]


def selected(html: str) -> list[str]:
    return [code for code, is_selected, _label in options(html) if is_selected]


# --- The list of countries -----------------------------------------------------------------------------


def test_it_knows_every_assigned_iso_code_and_nothing_else():
    assert len(COUNTRIES) == 242
    assert {"US", "BR", "ES", "GB", "CW", "SS"} <= set(COUNTRIES)
    assert not {"ZZ", "XX", "XK", "UK", "EU", "AN", "AC", "TA", "T1", "AQ", "BV", "HM"} & set(COUNTRIES)
    # every region phonenumbers can read is here, but for the three that are not ISO 3166-1 codes; and a
    # national number can be read in every country an account can have
    assert set(phonenumbers.SUPPORTED_REGIONS) - set(COUNTRIES) == {"AC", "TA", "XK"}
    for code in COUNTRIES:
        example = phonenumbers.example_number(code)
        national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
        assert phonenumbers.parse(national, code) == example, code


def test_it_lists_countries_by_name_after_an_empty_choice():
    choices = country_choices()
    assert choices[0] == ("", "—")
    names = [name for _code, name in choices[1:]]
    assert names[:3] == ["Afghanistan", "Åland Islands", "Albania"]  # Å sorts with the A's
    assert len(names) == 242


@pytest.mark.parametrize(("tag", "country"), [("en-us", "US"), ("pt-br", "BR"), ("zh-hant-tw", "TW"),
                                              ("es-419", ""), ("fr", ""), ("en-uk", ""), ("x-private", "")])
def test_it_reads_the_region_of_a_language_tag(tag, country):
    assert language_region(tag) == country


# --- PATCH /me -----------------------------------------------------------------------------------------


def test_it_answers_null_while_the_country_is_not_set(alice_client, alice):
    assert alice.country == ""
    assert alice_client.get(ME).json()["country"] is None


@pytest.mark.parametrize(("sent", "stored"), [("US", "US"), ("us", "US"), ("Br", "BR"), ("cw", "CW")])
def test_it_sets_the_country(alice_client, alice, sent, stored):
    response = patch_me(alice_client, {"country": sent})
    assert response.status_code == 200, response.content
    assert response.json()["country"] == stored
    alice.refresh_from_db()
    assert alice.country == stored
    assert alice_client.get(ME).json()["country"] == stored


def test_it_clears_the_country_with_null(alice_client, alice):
    with_country(alice, "US")
    response = patch_me(alice_client, {"country": None})
    assert response.status_code == 200, response.content
    assert response.json()["country"] is None
    alice.refresh_from_db()
    assert alice.country == ""


def test_it_sets_the_country_with_other_fields(alice_client, alice):
    response = patch_me(alice_client, {"country": "MX", "timezone": "America/Mexico_City"})
    assert response.status_code == 200
    alice.refresh_from_db()
    assert (alice.country, alice.timezone) == ("MX", "America/Mexico_City")


@pytest.mark.parametrize("value", ["ZZ", "XX", "XK", "UK", "EU", "T1", "USA", "U", "", "  ", "U1", "1A", 5, True,
                                   ["US"], {"code": "US"}, "U\x00"])
def test_it_refuses_a_code_that_is_not_a_country(alice_client, alice, value):
    with_country(alice, "ES")
    response = patch_me(alice_client, {"country": value})
    assert response.status_code in (400, 422), (response.status_code, response.content)
    assert "detail" in response.json()
    alice.refresh_from_db()
    assert alice.country == "ES"


def test_it_changes_nothing_when_the_country_is_bad(alice_client, alice):
    response = patch_me(alice_client, {"name": "Alice New", "country": "ZZ"})
    assert response.status_code == 400
    assert set(response.json()["detail"]) == {"country"}
    alice.refresh_from_db()
    assert (alice.name, alice.country) == ("Alice Owner", "")


def test_it_lets_bob_change_only_his_own_country(alice, bob):
    client = Client()
    client.force_login(bob)
    assert patch_me(client, {"country": "DE"}).status_code == 200
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.country, bob.country) == ("", "DE")


def test_it_refuses_an_anonymous_country_change(client, alice):
    assert patch_me(client, {"country": "US"}).status_code == 401
    alice.refresh_from_db()
    assert alice.country == ""


# --- Phone numbers without their +country code -----------------------------------------------------------


def test_it_reads_a_national_number_with_the_accounts_country_in_the_api(alice_client, alice):
    with_country(alice, "US")
    response = alice_client.post(CONTACTS, data={"first_name": "Jo", "phones": [NATIONAL]},
                                 content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["phones"] == [E164]


def test_it_refuses_a_national_number_while_the_account_has_no_country(alice_client, alice):
    response = alice_client.post(CONTACTS, data={"first_name": "Jo", "phones": [NATIONAL]},
                                 content_type="application/json")
    assert response.status_code in (400, 422)
    assert "detail" in response.json()


def test_it_keeps_stored_numbers_when_the_country_changes(alice_client, alice):
    with_country(alice, "US")
    created = alice_client.post(CONTACTS, data={"first_name": "Jo", "phones": [NATIONAL, "+34 612 34 56 78"]},
                                content_type="application/json").json()
    assert created["phones"] == [E164, "+34612345678"]
    assert patch_me(alice_client, {"country": "GB"}).status_code == 200
    assert alice_client.get(f"{CONTACTS}/{created['id']}").json()["phones"] == [E164, "+34612345678"]
    assert patch_me(alice_client, {"country": None}).status_code == 200
    assert alice_client.get(f"{CONTACTS}/{created['id']}").json()["phones"] == [E164, "+34612345678"]
    assert alice_client.get(CONTACTS, {"q": "3125550100"}).json()["count"] == 1


def test_it_reads_a_national_number_in_quick_add(alice_client, alice):
    with_country(alice, "US")
    response = alice_client.post("/app/contacts/quick", {"first_name": "Jo", "phone": NATIONAL})
    assert response.status_code == 302, response.content[:500]
    assert "/app/contacts/" in response["Location"]
    items = alice_client.get(CONTACTS).json()["items"]
    assert [(c["first_name"], c["phones"]) for c in items] == [("Jo", [E164])]


def test_it_reads_a_national_number_in_the_contact_form(alice_client, alice):
    with_country(alice, "US")
    response = alice_client.post("/app/contacts/new", {"first_name": "Jo", "phones": NATIONAL})
    assert response.status_code == 302, response.content[:500]
    assert alice_client.get(CONTACTS).json()["items"][0]["phones"] == [E164]


def test_it_reads_a_national_number_in_an_import(alice_client, alice, django_capture_on_commit_callbacks):
    with_country(alice, "US")
    upload = SimpleUploadedFile("contacts.csv", f"First Name,Phone\nJo,{NATIONAL}\n".encode(), "text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post("/api/v1/contacts/import", {"file": upload})
    assert response.status_code == 202, response.content
    report = alice_client.get(f"/api/v1/imports/{response.json()['id']}").json()
    assert report["status"] == "done" and report["report"]["created"] == 1, report
    assert alice_client.get(CONTACTS).json()["items"][0]["phones"] == [E164]


# --- Signup ----------------------------------------------------------------------------------------------


# Nepal pays in rupees (NPR): CLDR knows every country's money, not only a hand-made table's
@pytest.mark.parametrize(("sent", "stored", "currency"), [("BR", "BR", "BRL"), ("de", "DE", "EUR"),
                                                          ("NP", "NP", "NPR")])
def test_it_signs_up_with_a_chosen_country(sent, stored, currency):
    assert post_signup({"country": sent}).status_code == 201
    assert (carol().country, carol().currency) == (stored, currency)


@pytest.mark.parametrize("value", ["ZZ", "XX", "USA", "", 5, ["US"]])
def test_it_refuses_a_signup_with_a_bad_country_and_stores_nothing(value):
    response = post_signup({"country": value})
    assert response.status_code in (400, 422), response.content
    assert "detail" in response.json()
    assert not User.objects.exists()
    assert outbox_messages() == []


def test_it_takes_a_null_country_at_signup_as_not_chosen():
    assert post_signup({"country": None}, HTTP_ACCEPT_LANGUAGE="pt-BR").status_code == 201
    assert carol().country == "BR"


@pytest.mark.parametrize(
    ("accept", "country", "currency"),
    [("pt-BR,pt;q=0.9,en;q=0.8", "BR", "BRL"), ("en-US", "US", "USD"),
     ("es-419,es;q=0.9,en-US;q=0.8", "US", "USD"), ("fr, en-GB;q=0.5", "GB", "GBP"),
     ("en-US;q=0.2, pt-BR;q=0.9", "BR", "BRL"), ("de-DE;q=0, es-ES;q=0.5", "ES", "EUR"),
     ("en-UK, fr-FR;q=0.7", "FR", "EUR"), ("fr, de", "", "USD"), ("", "", "USD"), ("garbage;;;", "", "USD")],
    ids=["pt-BR", "en-US", "es-419-skipped", "first-with-region", "by-q-weight", "q0-skipped", "UK-not-a-code",
         "no-region", "none", "malformed"],
)
def test_it_guesses_the_country_from_the_browsers_languages(accept, country, currency):
    assert post_signup({}, HTTP_ACCEPT_LANGUAGE=accept).status_code == 201
    assert (carol().country, carol().currency) == (country, currency)


def test_it_prefers_the_trusted_header_to_the_browsers_language(settings):
    settings.LTE_TRUST_COUNTRY_HEADER = True
    assert post_signup({}, HTTP_CF_IPCOUNTRY="ES", HTTP_ACCEPT_LANGUAGE="en-US").status_code == 201
    assert (carol().country, carol().currency) == ("ES", "EUR")


def test_it_ignores_the_header_unless_told_to_trust_it(settings):
    settings.LTE_TRUST_COUNTRY_HEADER = False
    assert post_signup({}, HTTP_CF_IPCOUNTRY="ES", HTTP_ACCEPT_LANGUAGE="en-US").status_code == 201
    assert carol().country == "US"


@pytest.mark.parametrize("header", ["XX", "T1", "XK", "ZZ", "", "E"])
def test_it_falls_back_to_the_browser_when_the_header_names_no_country(settings, header):
    settings.LTE_TRUST_COUNTRY_HEADER = True
    assert post_signup({}, HTTP_CF_IPCOUNTRY=header, HTTP_ACCEPT_LANGUAGE="pt-BR").status_code == 201
    assert carol().country == "BR"


def test_a_chosen_country_wins_over_the_header(settings):
    settings.LTE_TRUST_COUNTRY_HEADER = True
    assert post_signup({"country": "MX"}, HTTP_CF_IPCOUNTRY="ES").status_code == 201
    assert (carol().country, carol().currency) == ("MX", "MXN")


def page_signup(client: Client, **fields) -> object:
    data = {"name": "Mar", "email": "mar@example.com", "password1": PASSWORD, "adult": "on", **fields}
    return client.post("/signup", data, HTTP_ACCEPT_LANGUAGE="en-US")


def test_the_signup_page_offers_a_country_select_with_the_guess(client):
    html = client.get("/signup", HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9").content.decode()
    assert selected(html) == ["BR"]
    assert options(html)[0] == ("", False, "—")


def test_the_signup_page_preselects_the_trusted_header(client, settings):
    settings.LTE_TRUST_COUNTRY_HEADER = True
    html = client.get("/signup", HTTP_CF_IPCOUNTRY="DE", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert selected(html) == ["DE"]


def test_the_signup_page_stores_the_chosen_country(client):
    assert page_signup(client, country="CA").status_code == 302
    user = User.objects.get(email="mar@example.com")
    assert (user.country, user.currency) == ("CA", "CAD")


def test_the_signup_page_guesses_when_no_country_is_chosen(client):
    assert page_signup(client, country="").status_code == 302
    assert User.objects.get(email="mar@example.com").country == "US"


def test_the_browsers_timezone_is_the_last_hint(client):
    data = {"name": "Mar", "email": "mar@example.com", "password1": PASSWORD, "adult": "on", "country": "",
            "timezone": "America/Chicago"}
    assert client.post("/signup", data, HTTP_ACCEPT_LANGUAGE="en").status_code == 302  # no region in "en"
    assert User.objects.get(email="mar@example.com").country == "US"


def test_a_timezone_of_no_one_country_is_no_hint():
    from lte.accounts.countries import timezone_country

    assert (timezone_country("Europe/Madrid"), timezone_country("UTC"), timezone_country("Etc/GMT+3"),
            timezone_country("")) == ("ES", "", "", "")


def test_the_signup_page_refuses_a_bad_country(client):
    response = page_signup(client, country="ZZ")
    assert response.status_code == 200
    assert not User.objects.exists()


# --- Settings → Preferences ------------------------------------------------------------------------------

PREFS = "/app/settings/preferences"


def prefs(**fields) -> dict:
    return {"language": "en", "currency": "USD", "timezone": "UTC", "theme": "auto", **fields}


def test_the_preferences_page_lists_countries_with_the_current_one_selected(alice_client, alice):
    html = alice_client.get(PREFS).content.decode()
    listed = options(html)
    assert listed[0] == ("", True, "—")
    assert len(listed) == 243
    assert [label for _code, _sel, label in listed[1:4]] == ["Afghanistan", "Åland Islands", "Albania"]
    with_country(alice, "BR")
    assert selected(alice_client.get(PREFS).content.decode()) == ["BR"]


def test_the_preferences_page_sets_and_clears_the_country(alice_client, alice):
    assert alice_client.post(PREFS, prefs(country="us")).status_code == 302
    alice.refresh_from_db()
    assert alice.country == "US"
    assert alice_client.post(PREFS, prefs(country="")).status_code == 302
    alice.refresh_from_db()
    assert alice.country == ""


def test_the_preferences_page_refuses_a_bad_country(alice_client, alice):
    with_country(alice, "ES")
    response = alice_client.post(PREFS, prefs(country="ZZ", timezone="Europe/Madrid"))
    assert response.status_code == 200
    alice.refresh_from_db()
    assert (alice.country, alice.timezone) == ("ES", "UTC")


def test_the_preferences_page_keeps_the_country_when_the_form_omits_it(alice_client, alice):
    with_country(alice, "ES")
    assert alice_client.post(PREFS, prefs(timezone="Europe/Madrid")).status_code == 302
    alice.refresh_from_db()
    assert (alice.country, alice.timezone) == ("ES", "Europe/Madrid")


# --- The signed-in home's prompt -------------------------------------------------------------------------

COUNTRY = "/app/settings/country"


def test_the_home_asks_for_the_country_while_there_is_none(alice_client, alice):
    html = alice_client.get("/app/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert PROMPT in html
    assert "Phone numbers without +country code are read with it." in html
    assert f'action="{COUNTRY}"' in html
    assert selected(html) == ["US"]  # pre-filled with the guess


def test_the_home_does_not_ask_once_the_country_is_set(alice_client, alice):
    with_country(alice, "US")
    assert PROMPT not in alice_client.get("/app/").content.decode()


def test_the_prompt_saves_the_country_and_comes_back(alice_client, alice):
    response = alice_client.post(COUNTRY, {"country": "BR", "next": "/app/"})
    assert response.status_code == 302 and response["Location"] == "/app/"
    alice.refresh_from_db()
    assert alice.country == "BR"
    assert alice.currency == "USD"  # the currency stays the one the account has
    assert PROMPT not in alice_client.get("/app/").content.decode()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "", "javascript:alert(1)"])
def test_the_prompt_never_redirects_off_the_site(alice_client, alice, next_url):
    response = alice_client.post(COUNTRY, {"country": "BR", "next": next_url})
    assert response.status_code == 302 and response["Location"] == "/app/"


@pytest.mark.parametrize("value", ["", "ZZ", "USA"])
def test_the_prompt_refuses_a_bad_or_empty_choice(alice_client, alice, value):
    response = alice_client.post(COUNTRY, {"country": value, "next": "/app/"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.country == ""
    assert PROMPT in alice_client.get("/app/").content.decode()


def test_the_prompt_changes_only_the_signed_in_account(alice, bob):
    client = Client()
    client.force_login(bob)
    client.post(COUNTRY, {"country": "FR"})
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.country, bob.country) == ("", "FR")


def test_the_prompt_needs_a_login_and_a_post(client, alice_client, alice):
    response = client.post(COUNTRY, {"country": "FR"})
    assert response.status_code == 302 and "/login" in response["Location"]
    assert alice_client.get(COUNTRY).status_code == 405
    alice.refresh_from_db()
    assert alice.country == ""
