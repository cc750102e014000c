"""Scripts ready on day one (issue 14): a new account has six starter templates in its language, its own to edit or
delete; signing up again never doubles them."""

from __future__ import annotations

import pytest
from django.test import Client

from lte.accounts.models import User
from lte.crm.models import MessageTemplate
from lte.crm.services.templates import PLACEHOLDER, template_delete, template_save
from lte.crm.starter import STARTER_SCRIPTS, starter_scripts, starter_templates_create
from lte.testing.helpers import PASSWORD

SIGNUP = "/api/v1/auth/signup"


def sign_up(language: str) -> User:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    response = client.post(SIGNUP, data={"name": "Carol Seller", "email": "carol@example.com", "password": PASSWORD,
                                         "adult": True}, content_type="application/json")
    assert response.status_code == 201
    return User.objects.get(email="carol@example.com")


@pytest.mark.django_db
@pytest.mark.parametrize(("accept", "first"), [("en", "Invitation"), ("es-MX,es;q=0.9", "Invitación"),
                                                ("pt-BR", "Convite"), ("de-DE", "Einladung")])
def test_a_new_account_has_the_starter_scripts_in_its_language(accept, first):
    user = sign_up(accept)
    names = list(MessageTemplate.objects.owned_by(user).values_list("name", flat=True))
    assert len(names) == 6
    assert names[0] == first
    assert names == [name for name, _channel, _body in starter_scripts(user.language)]


@pytest.mark.django_db
def test_the_starter_scripts_are_the_sellers_own_to_edit_and_delete():
    user = sign_up("en")
    invitation, *others = MessageTemplate.objects.owned_by(user)
    template_save(owner=user, template_id=invitation.pk, name="My invitation", body="Hi {first_name}!")
    template_delete(owner=user, template_id=others[0].pk)
    assert starter_templates_create(owner=user) == []  # an account with scripts keeps what it has
    names = list(MessageTemplate.objects.owned_by(user).values_list("name", flat=True))
    assert len(names) == 5 and "My invitation" in names


def test_every_language_has_the_same_six_scripts_with_known_placeholders_only():
    assert set(STARTER_SCRIPTS) == {"en", "es", "pt", "fr", "de"}
    for language, scripts in STARTER_SCRIPTS.items():
        assert len(scripts) == 6, language
        for name, channel, body in scripts:
            assert name and len(name) <= 80 and len(body) <= 5000
            assert channel in ("sms", "whatsapp")
            assert "{first_name}" in body
            braces = body.count("{")
            assert braces == len(PLACEHOLDER.findall(body)), (language, name)  # no unknown {placeholder}
    assert starter_scripts("it") == STARTER_SCRIPTS["en"]
