"""The OpenAPI description declares the errors the API gives: 401, 404, 400 and 422 where they can happen, with
the bodies they have."""

from __future__ import annotations

import pytest
from django.test import Client

from lte.api.api import ValidationDetail

pytestmark = pytest.mark.django_db


@pytest.fixture
def spec() -> dict:
    return Client().get("/api/v1/openapi.json").json()


def operations(spec: dict):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", path, method, operation


def test_every_operation_declares_the_errors_it_can_give(spec):
    for name, path, method, operation in operations(spec):
        declared = set(operation["responses"])
        if operation.get("security"):
            assert "401" in declared, name
        if "{" in path:
            assert "404" in declared, name
        if operation.get("parameters") or operation.get("requestBody") or method == "post":
            assert {"400", "422"} <= declared, name
            schema = operation["responses"]["422"]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ValidationDetail"}, name


def test_an_id_in_the_body_declares_404(spec):
    assert "404" in spec["paths"]["/api/v1/followups"]["post"]["responses"]
    assert "404" in spec["paths"]["/api/v1/duplicates/dismiss"]["post"]["responses"]


def test_a_422_answer_has_the_declared_shape(api, spec):
    response = api.post("/api/v1/contacts", {"first_name": 42, "surprise": True}, content_type="application/json")
    assert response.status_code == 422
    body = ValidationDetail.model_validate(response.json())
    assert body.detail and all(problem.msg for problem in body.detail)
    declared = spec["components"]["schemas"]["ValidationDetail"]
    assert declared["required"] == ["detail"] and declared["properties"]["detail"]["type"] == "array"


def test_a_401_answer_has_the_declared_shape(spec):
    response = Client().get("/api/v1/contacts")
    assert response.status_code == 401 and isinstance(response.json()["detail"], str)
