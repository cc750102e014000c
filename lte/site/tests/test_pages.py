import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/pricing", "/privacy", "/signup", "/login"])
def test_the_contract_pages_answer(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_privacy_shows_the_current_policy_with_its_last_updated_date(client):
    html = client.get("/privacy").content.decode()
    assert html.index("Last updated") < html.index("What we collect")
    assert 'datetime="2026-11-26"' in html
    assert "We will never give your contacts to your upline" in html


def test_healthz_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_dashboard_needs_a_login(client):
    response = client.get("/app/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=/app/")


def test_home_sends_a_logged_in_seller_to_the_dashboard(alice_client):
    assert alice_client.get("/")["Location"] == "/app/"


@pytest.mark.parametrize(
    "path", ["/app/", "/app/settings/", "/app/settings/preferences", "/app/settings/tokens",
             "/accounts/sessions/", "/accounts/email/", "/accounts/password/change/", "/accounts/2fa/"]
)
def test_the_account_pages_render_for_their_owner(alice_client, path):
    response = alice_client.get(path)
    assert response.status_code in (200, 302), path
    if response.status_code == 302:  # allauth asks to re-authenticate before sensitive pages
        assert "reauthenticate" in response["Location"]
