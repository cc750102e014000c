"""The API as users run it (`lte run`: gunicorn and the worker): over-long request heads answered as JSON by us,
not as HTML by gunicorn; and schemathesis against the running API and its own OpenAPI description."""

from __future__ import annotations

import http.client
import json
import subprocess
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from lte.testing.server import LteServer, lte_command

EXAMPLES_PER_OPERATION = 50  # about 1,500 requests: a minute or two

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("live-api")]  # one server per module: one worker


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LteServer]:
    server = LteServer(root=tmp_path_factory.mktemp("live-api"), from_template=True)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        server.cleanup()


def raw_get(server: LteServer, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read().decode()
    finally:
        connection.close()


@pytest.mark.parametrize(("path", "headers", "status"), [
    ("/api/v1/contacts?q=" + "x" * 5000, {}, 414),         # over gunicorn's default request line (4094)
    ("/api/v1/me", {"X-Padding": "x" * 9000}, 431),        # over its default header size (8190)
    ("/api/v1/me", {f"X-Extra-{i}": "1" for i in range(120)}, 431),  # over its default 100 headers
])
def test_it_answers_an_over_long_request_head_as_json_on_the_real_server(server, path, headers, status):
    with server.log_on_failure():
        code, content_type, body = raw_get(server, path, headers)
        assert (code, content_type) == (status, "application/json")
        assert json.loads(body)["detail"]


def signed_in_token(server: LteServer) -> str:
    """A verified account and an API token on the server, made with its own `lte shell` (the same services)."""
    code = ("from lte.accounts.services import api_token_create; from lte.testing.helpers import make_user; "
            "print(api_token_create(owner=make_user('fuzz@example.com'), name='schemathesis')[1])")
    done = subprocess.run([str(lte_command()), "shell", "-c", code], env=server.environment(), check=True,
                          capture_output=True, text=True, timeout=120)
    return done.stdout.strip().splitlines()[-1]


def test_the_running_api_answers_as_its_openapi_description_says(server):
    """No 5xx, no status the description doesn't declare, every declared body as described — for generated
    requests to every operation (but `DELETE /auth/token`, which would end the run's own token)."""
    auth = {"Authorization": f"Bearer {signed_in_token(server)}"}
    schema = schemathesis.openapi.from_url(server.url("/api/v1/openapi.json")).exclude(
        method="DELETE", path="/api/v1/auth/token")
    checks = [not_a_server_error, status_code_conformance, response_schema_conformance]
    cases, failed_cases, failures = 0, 0, {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case) -> None:
            nonlocal cases, failed_cases
            cases += 1
            try:
                case.call_and_validate(base_url=server.base_url, headers=auth, checks=checks, timeout=30)
            except (Failure, FailureGroup) as exc:
                failed_cases += 1
                for failure in getattr(exc, "exceptions", [exc]):
                    failures.setdefault(f"{operation.label}: {failure.title}", str(failure.message)[:300])

        run()
    print(f"schemathesis: {cases} cases, {failed_cases} failed, {len(failures)} distinct failures")
    assert cases >= EXAMPLES_PER_OPERATION  # (it ran)
    assert "Traceback" not in server.log_path.read_text(errors="replace"), server.log()
    assert not failures, "\n".join(f"{where}\n    {message}" for where, message in sorted(failures.items()))
