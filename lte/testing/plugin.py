"""The suite's pytest plugin (conftest.py loads it): every test isolated — fast hashing, a fresh .eml outbox,
an empty cache, both databases — and the shared cast: alice (an owner), bob (another account) and staff, with
alice's logged-in page client and alice's and bob's API clients."""

from __future__ import annotations

import pytest
from django.test import Client

from lte.accounts.models import User
from lte.lib.catalogs import compile_catalogs
from lte.privacy import usage
from lte.testing.helpers import bearer_client, clear_cache, make_user, with_two_factor

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_configure(config) -> None:
    """The translations the pages are tested in: locale/*.po compiled as `lte run` compiles them."""
    compile_catalogs()


def pytest_collection_modifyitems(items) -> None:
    """Every database test may use the key store too (the vault's second database)."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None and not {"db", "transactional_db"} & set(item.fixturenames):
            continue
        kwargs = dict(marker.kwargs) if marker is not None else {}
        if "transactional_db" in item.fixturenames:
            kwargs.setdefault("transaction", True)
        kwargs.setdefault("databases", "__all__")
        # First, so that it is the closest marker even where a test carries its own `@pytest.mark.django_db`.
        item.add_marker(pytest.mark.django_db(*(marker.args if marker else ()), **kwargs), append=False)


@pytest.fixture(autouse=True)
def _isolation(request, settings, tmp_path):
    """Fast password hashing (unless a test is marked real_hasher), a fresh .eml outbox, an empty cache."""
    if request.node.get_closest_marker("real_hasher") is None:
        settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.OUTBOX_DIR = tmp_path / "outbox"
    settings.EMAIL_BACKEND = "lte.lib.mail.OutboxBackend"  # the real transport, not Django's test one
    uses_db = request.node.get_closest_marker("django_db") is not None  # the cache is a table (without Redis)
    if uses_db:
        clear_cache()
    usage.discard_all()  # another test's unwritten usage events
    yield
    if uses_db:
        clear_cache()


@pytest.fixture
def alice(db) -> User:
    return make_user("alice@example.com", name="Alice Owner")


@pytest.fixture
def bob(db) -> User:
    return make_user("bob@example.com", name="Bob Other")


@pytest.fixture
def staff(db) -> User:
    """A staff member with two-factor on, as the admin and the staff pages require."""
    return with_two_factor(make_user("staff@example.com", name="Sam Staff", is_staff=True))


@pytest.fixture
def alice_client(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def api(alice) -> Client:
    """Alice's API client: her bearer token, no session (a file may override it, e.g. to see 500s as answers)."""
    return bearer_client(alice)


@pytest.fixture
def bob_api(bob) -> Client:
    return bearer_client(bob)
