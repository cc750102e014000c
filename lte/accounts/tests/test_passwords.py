import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from lte.accounts.models import User
from lte.testing.helpers import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.real_hasher
def test_it_stores_a_bcrypt_sha256_hash_with_cost_12(alice):
    stored = User.objects.get(pk=alice.pk).password
    assert stored.startswith("bcrypt_sha256$$2b$12$")
    assert identify_hasher(stored).algorithm == "bcrypt_sha256"


@pytest.mark.real_hasher
def test_it_lists_bcrypt_first_in_the_real_settings():
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.BCryptSHA256PasswordHasher"


@pytest.mark.real_hasher
def test_it_does_not_truncate_long_passwords_at_72_bytes():
    first = "a" * 80 + "one-ending-0000000000"
    second = "a" * 80 + "another-ending-9999999"
    hashed = make_password(first)
    assert check_password(first, hashed)
    assert not check_password(second, hashed)


@pytest.mark.parametrize(
    "password",
    ["eight-ch", "a much longer passphrase of many words", "ü" * 64, "x9!" * 43, "p" * 1024],
)
def test_it_accepts_passwords_from_8_to_1024_characters(password):
    user = User(email="new@example.com", name="New Seller")
    validate_password(password, user)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short1!", "password_too_short"),
        ("password123", "password_too_common"),
        ("qwertyuiop", "password_too_common"),
        ("p" * 1025, "password_too_long"),
        ("new@example.com", "password_too_similar"),
    ],
)
def test_it_refuses_weak_passwords(password, code):
    user = User(email="new@example.com", name="New Seller")
    with pytest.raises(ValidationError) as exc:
        validate_password(password, user)
    assert code in [e.code for e in exc.value.error_list]


def test_it_treats_email_addresses_case_insensitively():
    make_user("Carol@Example.COM")
    assert User.objects.get().email == "carol@example.com"
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("CAROL@example.com", "whatever-password-1", name="Twin")
