"""The request line and headers have limits of our own, answered as JSON `{detail}` on the API, below gunicorn's
(which would answer with an HTML page)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


def test_it_answers_an_over_long_request_line_with_414_json():
    response = Client().get("/api/v1/contacts", {"q": "x" * settings.MAX_REQUEST_LINE})
    assert response.status_code == 414
    assert "request line" in response.json()["detail"]


def test_it_answers_an_over_long_header_with_431_json():
    response = Client().get("/api/v1/me", headers={"X-Padding": "x" * settings.MAX_REQUEST_HEADER_LINE})
    assert response.status_code == 431
    assert "header" in response.json()["detail"]


def test_it_answers_too_many_headers_with_431_json():
    headers = {f"X-Extra-{i}": "1" for i in range(settings.MAX_REQUEST_HEADERS + 1)}
    response = Client().get("/api/v1/me", headers=headers)
    assert response.status_code == 431
    assert "headers" in response.json()["detail"]


def test_it_lets_a_request_within_the_limits_through(api):
    response = api.get("/api/v1/contacts", {"q": "x" * 200}, headers={"X-Padding": "x" * 4000})
    assert response.status_code == 200
