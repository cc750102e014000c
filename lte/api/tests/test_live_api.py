"""The API as users run it (`lte run`: gunicorn and the worker): over-long request heads answered as JSON by us,
not as HTML by gunicorn."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest

from lte.testing.server import LteServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LteServer]:
    server = LteServer(root=tmp_path_factory.mktemp("live-api"))
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
