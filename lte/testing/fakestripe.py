"""localstripe (a stateful fake Stripe server) on loopback, in a thread of the test process, for the billing tests.

localstripe has no Checkout Sessions and no Customer Portal sessions, so two small routes are added to its app
here — the fake, not our code: they record what was asked and answer with the fields we read (id, url).
Its store is kept in memory (it would otherwise pickle itself to /tmp/localstripe.pickle, shared by every run).
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import threading

from aiohttp import web
from localstripe import resources, server

checkout_sessions: dict[str, dict] = {}
portal_sessions: dict[str, dict] = {}


async def _checkout_session_create(request: web.Request) -> web.Response:
    data = await server.get_post_data(request) or {}
    session_id = "cs_test_" + secrets.token_hex(12)
    session = {"id": session_id, "object": "checkout.session", "url": f"https://checkout.stripe.com/c/pay/{session_id}",
               "status": "open", **data}
    checkout_sessions[session_id] = session
    return server.json_response(session)


async def _portal_session_create(request: web.Request) -> web.Response:
    data = await server.get_post_data(request) or {}
    session_id = "bps_" + secrets.token_hex(12)
    session = {"id": session_id, "object": "billing_portal.session",
               "url": f"https://billing.stripe.com/p/session/{session_id}", **data}
    portal_sessions[session_id] = session
    return server.json_response(session)


_started: dict[str, str] = {}
_lock = threading.Lock()


def start() -> str:
    """Starts the fake once per process and returns its base URL (http://127.0.0.1:PORT)."""
    with _lock:
        if "url" in _started:
            return _started["url"]
        resources.Store.dump_to_disk = lambda self: None
        server.app.router.add_post("/v1/checkout/sessions", _checkout_session_create)
        server.app.router.add_post("/v1/billing_portal/sessions", _portal_session_create)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            runner = web.AppRunner(server.app, access_log=None)
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.SockSite(runner, sock).start())
            ready.set()
            loop.run_forever()

        threading.Thread(target=run, name="localstripe", daemon=True).start()
        ready.wait()
        _started["url"] = f"http://127.0.0.1:{port}"
        return _started["url"]


def flush() -> None:
    resources.store.clear()
    checkout_sessions.clear()
    portal_sessions.clear()
