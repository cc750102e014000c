"""The installable, offline-capable app (CONTRACT.md, "Web pages"): /manifest.webmanifest, the service worker at
/sw.js (scope /) and the page it shows when a page was never seen and there is no connection.

The worker's code is lte/site/sw.js (plain JavaScript, next to this module, not a static file: its URL must be
/sw.js for the scope /). It is served behind one line of configuration: the shell's files by their real static
URLs (hashed in production) and a version, the hash of those files and of the code, so a deploy that changes any
of them changes sw.js, the browser installs the new worker, and the new worker drops the old caches.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

WORKER = Path(__file__).with_name("sw.js")
THEME_COLOR = "#0b5f4f"
BACKGROUND_COLOR = "#f7f7f5"
# What the worker keeps from the first visit: enough to draw any cached page and the offline page.
SHELL_FILES = ("css/lte.css", "js/lte.js", "js/outbox.js", "vendor/htmx.min.js", "icon.svg",
               "icons/icon-192.png", "icons/apple-touch-icon.png")
ICONS = (
    {"file": "icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
    {"file": "icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
    {"file": "icons/icon-maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
    {"file": "icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
)


@functools.cache
def shell_version() -> str:
    """A short hash of the shell's files (and of the worker's own template), computed once per process."""
    digest = hashlib.sha256()
    for name in SHELL_FILES:
        path = finders.find(name)
        digest.update(name.encode())
        if path:
            with open(path, "rb") as handle:
                digest.update(handle.read())
    digest.update(worker_code().encode())
    return digest.hexdigest()[:12]


@functools.cache
def worker_code() -> str:
    return WORKER.read_text(encoding="utf-8")


def account_marker(user) -> str:
    """An opaque, stable name for the signed-in account in its own pages (base.html): the offline queue sends
    only what this account wrote, never what someone else left on a shared phone. Not the account's id."""
    return salted_hmac("lte.site.pwa.account", str(user.pk)).hexdigest()[:20]


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    body = {
        "id": "/app/",
        "name": "LeadTrackEngine",
        "short_name": "LTE",
        "description": _("Your contacts, follow-ups and daily activity — private, on your phone."),
        "lang": getattr(request, "LANGUAGE_CODE", "en"),
        "dir": "auto",
        "start_url": "/app/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": BACKGROUND_COLOR,
        "theme_color": THEME_COLOR,
        "categories": ["business", "productivity"],
        "icons": [{"src": static(icon["file"]), "sizes": icon["sizes"], "type": icon["type"],
                   "purpose": icon["purpose"]} for icon in ICONS],
        "shortcuts": [
            {"name": _("Today"), "url": reverse("crm:dashboard")},
            {"name": _("New contact"), "url": reverse("crm:contact-new")},
            {"name": _("Contacts"), "url": reverse("crm:contact-list")},
            {"name": _("Follow-ups"), "url": reverse("crm:followup-list")},
        ],
    }
    response = HttpResponse(json.dumps(body, ensure_ascii=False, indent=1),
                            content_type="application/manifest+json; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Vary"] = "Accept-Language, Cookie"  # written in the visitor's language
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    config = {
        "version": shell_version(),
        "shell": [static(name) for name in SHELL_FILES] + [reverse("site:offline")],
        "outbox": static("js/outbox.js"),
        "offline": reverse("site:offline"),
        "start": reverse("crm:dashboard"),
        "newContact": reverse("crm:contact-new"),
        "logout": reverse("account_logout"),
        "deleteAccount": reverse("privacy:delete-account"),
        "followUpTitle": _("Follow up"),
    }
    code = f"const LTE = {json.dumps(config, ensure_ascii=False)};\n{worker_code()}"
    response = HttpResponse(code, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # the browser checks for a new worker on every visit
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the worker for a page never opened on this phone while there is no connection."""
    return render(request, "site/offline.html")
