"""Emails: one .eml per message in the outbox by default; Postmark with tracking off when configured."""

import email
import json
import os
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.mail import send_mail

from lte.testing.helpers import outbox_messages

ROOT = Path(__file__).resolve().parents[3]


def test_each_email_is_one_rfc5322_file_readable_only_by_us(settings):
    send_mail("Subject one", "Body one", None, ["a@example.com"])
    send_mail("Subject two", "Body two", None, ["b@example.com"])
    files = sorted(Path(settings.OUTBOX_DIR).glob("*.eml"))
    assert len(files) == 2
    parsed = email.message_from_bytes(files[0].read_bytes())
    assert parsed["Subject"] == "Subject one" and parsed["To"] == "a@example.com"
    assert parsed["Date"] and parsed["Message-ID"] and parsed["From"]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert not list(Path(settings.OUTBOX_DIR).glob(".*.tmp"))
    assert [m["Subject"] for m in outbox_messages()] == ["Subject one", "Subject two"]


class FakePostmark(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        FakePostmark.received.append({"path": self.path, "token": self.headers.get("X-Postmark-Server-Token"),
                                      "json": json.loads(body)})
        reply = json.dumps({"To": "a@example.com", "SubmittedAt": "2026-11-26T00:00:00Z",
                            "MessageID": "b7bc2f4a-e38e-4336-af7d-e6c392c2f817", "ErrorCode": 0,
                            "Message": "OK"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def postmark():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePostmark)
    FakePostmark.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", FakePostmark.received
    server.shutdown()


def test_with_a_postmark_token_mail_goes_to_postmark_with_tracking_off(tmp_path, postmark):
    url, received = postmark
    code = ("import django; django.setup(); from django.core.mail import send_mail; "
            "print(send_mail('Hello', 'Plain body', None, ['a@example.com']))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lte.settings", "LTE_DATA_DIR": str(tmp_path),
           "POSTMARK_SERVER_TOKEN": "server-token-123", "POSTMARK_API_URL": url}
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    [call] = received
    assert call["path"] == "/email"
    assert call["token"] == "server-token-123"
    assert call["json"]["TrackOpens"] is False
    assert call["json"]["TrackLinks"] == "None"
    assert call["json"]["TextBody"] == "Plain body"
    assert call["json"]["MessageStream"] == "outbound"  # the transactional stream
    assert not (tmp_path / "outbox").exists()


def test_the_postmark_stream_can_be_named(tmp_path, postmark):
    url, received = postmark
    code = ("import django; django.setup(); from django.core.mail import send_mail; "
            "send_mail('Hello', 'Plain body', None, ['a@example.com'])")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lte.settings", "LTE_DATA_DIR": str(tmp_path),
           "POSTMARK_SERVER_TOKEN": "server-token-123", "POSTMARK_API_URL": url,
           "POSTMARK_MESSAGE_STREAM": "lte-transactional"}
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    [call] = received
    assert call["json"]["MessageStream"] == "lte-transactional"
