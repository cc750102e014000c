"""The end-to-end tests' plugin (conftest.py loads it): a real ``lte run`` and Debian's headless Chromium, one of
each per test module, and the server's outbox read the way a user reads their mail.

Without Chromium the browser tests skip with a clear message on a developer's machine (CONTRACT.md: ``make test``
passes on a fresh one) and fail in CI, where ``.ci/run`` installs it: there a skip would only hide the suite.
"""

from __future__ import annotations

import email
import os
import re
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ViewportSize, sync_playwright

from lte.testing.server import LteServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE: ViewportSize = {"width": 360, "height": 740}
ALLOWED_HOST = "127.0.0.1"
PASSWORD = "marble-lantern-orchard-73"
EMAIL_WAIT_SECONDS = 15
URL = re.compile(r"https?://[^\s<>\"]+")


# --- The server and the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lte_server(tmp_path_factory) -> Iterator[LteServer]:
    """`lte run` with a fresh data dir (and database), stopped with SIGTERM at the end, which must exit 0."""
    server = LteServer(root=tmp_path_factory.mktemp("e2e"), from_template=True)
    try:
        server.start()
        yield server
        returncode = server.stop()
        assert returncode == 0, (
            f"`lte run` did not stop cleanly on SIGTERM within 30 s (exit code {returncode}).\n{server.log()}"
        )
        assert "Traceback" not in server.log_path.read_text(errors="replace"), (
            f"The server logged an exception.\n{server.log()}"
        )
    finally:
        server.stop()
        server.cleanup()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        missing = f"Chromium not installed at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(f"{missing}. CI runs the browser tests (.ci/run installs it), so this is a failure.",
                        pytrace=False)
        pytest.skip(missing)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


# --- Email, read from the server's outbox ---------------------------------------------------------------------------


def outbox_files(server: LteServer) -> set[str]:
    return {p.name for p in server.outbox.glob("*.eml")} if server.outbox.exists() else set()


def wait_for_new_email(server: LteServer, seen: set[str]) -> EmailMessage:
    """The newest .eml that was not in the outbox before (waits a little: mail may come from a job)."""
    deadline = time.monotonic() + EMAIL_WAIT_SECONDS
    while True:
        new = sorted(outbox_files(server) - seen)
        if new:
            assert len(new) == 1, f"Expected one new email, found {new}"
            raw = (server.outbox / new[-1]).read_bytes()
            return email.message_from_bytes(raw, policy=policy.default)
        assert time.monotonic() < deadline, f"No email arrived in {server.outbox} within {EMAIL_WAIT_SECONDS} s"
        time.sleep(0.1)


def text_of(message: EmailMessage) -> str:
    return "".join(part.get_content() for part in message.walk() if part.get_content_type() == "text/plain")


def single_link(message: EmailMessage) -> str:
    links = sorted(set(URL.findall(text_of(message))))
    assert len(links) == 1, f"Expected exactly one link in the email, found {links}"
    return links[0]
