"""Screenshots of the main screens into docs/screens/ (`make screens`), so the next engineer sees the product.

`python -m lte.testing.screens [--out DIR] [--only NAME ...]` starts a fresh `lte run` in a temporary dir, signs a
demo seller up in Chromium (the signup form, the emailed link, the three first-run steps), seeds made-up contacts,
notes, messages, follow-ups and orders through the public API, and captures each screen of SCREENS on a 390×844
phone at scale 1, a few of them in dark mode too, then writes README.md next to the PNGs from the same list.

Deterministic where it can be: the people, their words and the times of day are fixed; dates are relative to the
day it runs (nothing in the app is frozen), in a fixed timezone and language. Billing is on with a key that
reaches nothing (STRIPE_API_BASE is a closed local port), so the billing page shows the plans; no screen here
calls Stripe. lte/testing/test_e2e_screens.py runs the same code for two screens and checks the list and
docs/screens/ agree.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright

from lte.testing.browser import (
    ALLOWED_HOST,
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    outbox_files,
    single_link,
    wait_for_new_email,
)
from lte.testing.server import REPO, LteServer

OUT = REPO / "docs" / "screens"
PHONE: ViewportSize = {"width": 390, "height": 844}  # the review phone
TIMEZONE = "America/Chicago"
LOCALE = "en-US"
SELLER = {"name": "Dana Demo", "email": "dana.demo@example.com"}
# Billing on, so the billing page shows the plans, with a key that opens nothing and an API base nothing listens on.
BILLING_ENV = {"STRIPE_SECRET_KEY": "sk_test_screens_not_a_real_key", "STRIPE_API_BASE": "http://127.0.0.1:9"}


@dataclass(frozen=True)
class Screen:
    name: str  # the file: docs/screens/<name>.png
    title: str
    shows: str  # a line for README.md
    path: str = ""  # where it is; "{contact}" is the demo contact. Empty: captured along the signup flow
    who: str = "seller"  # visitor (signed out), seller, or seller-dark (prefers-color-scheme: dark)
    full_page: bool = False  # the whole page; otherwise what the phone shows at first, which keeps PNGs small


SCREENS = [
    Screen("landing", "Home page", "The public home page a visitor lands on.", "/", "visitor"),
    Screen("pricing", "Pricing", "The plans in the visitor's currency (US dollars here).", "/pricing", "visitor",
           full_page=True),
    Screen("signup", "Sign up", "Name, email, password and the 18+ confirmation.", "/signup", "visitor"),
    Screen("login", "Log in", "Email and password.", "/login", "visitor"),
    Screen("offline", "Offline", "What the service worker shows for a page never opened on this phone while "
           "there is no connection.", "/offline", "visitor"),
    Screen("check-email", "Check your email", "Right after signing up: the confirmation link is on its way.",
           who="signup"),
    Screen("welcome-1", "First run 1/3: your phone's contacts", "Import the phone's contacts as a vCard, with how "
           "to export them on an iPhone and on Android.", who="signup", full_page=True),
    Screen("welcome-2", "First run 2/3: starter scripts", "Keep or drop the starter message scripts.",
           who="signup", full_page=True),
    Screen("welcome-3", "First run 3/3: daily goal", "How many reach-outs a day.", who="signup"),
    Screen("today", "Today, the app's home", "Follow-ups due today and overdue, birthdays, reorders, the day's "
           "activity and the next 7 days.", "/app/", full_page=True),
    Screen("contacts", "Contacts", "The list: name, stage, tags, the main phone or last touch, call and text from "
           "the row.", "/app/contacts/"),
    Screen("contact", "A contact", "Call/Text/WhatsApp, stage chips, follow-ups, orders, scripts to send, the "
           "history of notes and messages, details.", "/app/contacts/{contact}/", full_page=True),
    Screen("contact-form", "New contact", "The full form: phone and email rows with labels, social networks, "
           "Cancel.", "/app/contacts/new", full_page=True),
    Screen("board", "Board", "Contacts by stage, each card with its next follow-up and last contact.",
           "/app/board/"),
    Screen("followups", "Follow-ups", "Every open follow-up, due today, overdue and upcoming.", "/app/followups/"),
    Screen("templates", "Scripts", "Message templates (the starter scripts kept at first run).", "/app/templates/"),
    Screen("import", "Import", "Bring contacts from a CSV, a vCard or LTE's own export.", "/app/import/"),
    Screen("your-data", "Your data", "Everything held on the account, in one screen of folds, with the export and "
           "deletion.", "/app/your-data/", full_page=True),
    Screen("preferences", "Preferences", "Language, currency, timezone, theme and the daily digest.",
           "/app/settings/preferences", full_page=True),
    Screen("billing", "Billing", "The free plan and the paid ones, from the settings.", "/app/settings/billing",
           full_page=True),
    Screen("today-dark", "Today, dark mode", "The app's home with the phone in dark mode.", "/app/",
           "seller-dark"),
    Screen("contact-dark", "A contact, dark mode", "The contact page with the phone in dark mode.",
           "/app/contacts/{contact}/", "seller-dark"),
    Screen("board-dark", "Board, dark mode", "The board with the phone in dark mode.", "/app/board/", "seller-dark"),
]
BY_NAME = {screen.name: screen for screen in SCREENS}


# The demo seller's made-up world: fixed names and words, times of day fixed, days relative to today.
# (first, last, stage, tags, phone, email); 555-01xx numbers are reserved for fiction, example.com for examples.
PEOPLE = [
    ("Maya", "Marigold", "customer", ["fair", "skincare"], "+13125550101", "maya.marigold@example.com"),
    ("Leo", "Lantern", "new-lead", ["fair"], "+13125550102", ""),
    ("Priya", "Pebble", "contacted", ["referral"], "+13125550103", "priya.pebble@example.com"),
    ("Sam", "Sunflower", "presented", ["party"], "+13125550104", ""),
    ("Rosa", "Riverstone", "following-up", ["party", "skincare"], "+13125550105", "rosa.riverstone@example.com"),
    ("Theo", "Teacup", "customer", ["wellness"], "+13125550106", ""),
    ("Nina", "Nutmeg", "team-member", ["team"], "+13125550107", "nina.nutmeg@example.com"),
    ("Omar", "Oakleaf", "new-lead", ["fair"], "+13125550108", ""),
    ("Kiko", "Kettle", "contacted", [], "+13125550109", ""),
    ("Jules", "Juniper", "not-now", ["party"], "+13125550110", "jules.juniper@example.com"),
    ("Ivy", "Inkwell", "new-lead", ["referral"], "+13125550111", ""),
    ("Hugo", "Hazelnut", "presented", ["wellness"], "+13125550112", ""),
]
# (contact index, days from today, local time, title)
FOLLOWUPS = [
    (0, 0, time(11, 0), "Ask how the lavender cream is working"),
    (2, 0, time(15, 30), "Send the fall catalogue"),
    (4, 0, time(18, 0), "Confirm Saturday's party"),
    (3, -1, time(10, 0), "Answer her question about shipping"),
    (7, -3, time(12, 0), "Call back after the fair"),
    (1, 1, time(10, 0), "Invite to the tasting evening"),
    (5, 3, time(17, 0), "Check in about the refill"),
    (11, 5, time(9, 30), "Show the new starter kit"),
]
NOTES = [
    (0, "Met at the spring craft fair. Loves anything citrus; sensitive skin, so unscented lotions only."),
    (0, "Hosting a party next month: wants 8 samples of the hand cream."),
    (4, "Two kids, works evenings: text rather than call."),
]
MESSAGES = [  # (contact index, days ago, channel, direction, body)
    (0, 2, "whatsapp", "out", "Hi Maya! Your order is ready, shall I drop it off on Thursday?"),
    (0, 2, "whatsapp", "in", "Thursday is perfect, thank you!"),
    (2, 6, "sms", "out", "Lovely to meet you at the fair, Priya. Here is the catalogue I mentioned."),
]
ORDERS = [  # (contact index, days ago, products, amount)
    (0, 20, "Lavender hand cream ×2, citrus body scrub", "54.00"),
    (5, 45, "Green tea refill pack", "29.50"),
]
CONTACT = 0  # the one the contact page shows


def api(server: LteServer, method: str, path: str, body: dict | None = None, token: str = "") -> dict:
    """One call of the public API, as any client makes it."""
    request = urllib.request.Request(
        server.url("/api/v1" + path), method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=15) as response:
        text = response.read()
        return json.loads(text) if text else {}


def phone(browser: Browser, *, dark: bool = False, storage_state=None) -> BrowserContext:
    context = browser.new_context(viewport=PHONE, screen=PHONE, device_scale_factor=1, is_mobile=True,
                                  has_touch=True, locale=LOCALE, timezone_id=TIMEZONE,
                                  color_scheme="dark" if dark else "light", reduced_motion="reduce",
                                  service_workers="block", storage_state=storage_state)
    context.set_default_timeout(15_000)
    return context


class Camera:
    """Saves the wanted screens into `out`, each checked to be the page it claims to be."""

    def __init__(self, out: Path, wanted: set[str]) -> None:
        self.out = out
        self.wanted = wanted
        self.saved: list[Path] = []

    def want(self, name: str) -> bool:
        return name in self.wanted

    def shoot(self, page: Page, name: str) -> None:
        if not self.want(name):
            return
        screen = BY_NAME[name]
        page.wait_for_load_state("networkidle")
        target = self.out / f"{name}.png"
        if screen.full_page:
            # A phone as tall as the page, rather than Playwright's full_page, which leaves the fixed tab bar
            # floating one screen down the picture instead of at the bottom.
            height = page.evaluate("document.documentElement.scrollHeight")
            page.set_viewport_size({"width": PHONE["width"], "height": max(height, PHONE["height"])})
            page.wait_for_load_state("networkidle")
        try:
            page.screenshot(path=str(target), animations="disabled", caret="hide")
        finally:
            page.set_viewport_size(PHONE)
        self.saved.append(target)
        print(f"{target} ({target.stat().st_size // 1024} KB)", flush=True)

    def visit(self, page: Page, server: LteServer, name: str, contact_id: str = "") -> None:
        if not self.want(name):
            return
        screen = BY_NAME[name]
        path = screen.path.format(contact=contact_id)
        response = page.goto(server.url(path))
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        landed = urlsplit(page.url).path
        assert landed == urlsplit(path).path, f"{name}: {path} led to {landed}"
        page.evaluate("document.activeElement && document.activeElement.blur()")  # no focus ring in the picture
        self.shoot(page, name)


def sign_up(page: Page, server: LteServer, camera: Camera) -> None:
    """The demo seller signs up on the phone, confirms from the emailed link (which signs them in) and goes through
    the three first-run steps, keeping every starter script and setting a goal."""
    seen = outbox_files(server)
    page.goto(server.url("/signup"))
    form = page.get_by_role("main")
    form.get_by_label("Your name").fill(SELLER["name"])
    form.get_by_label("Email").fill(SELLER["email"])
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_label("I am 18 or older").check()
    with page.expect_navigation():
        form.get_by_role("button", name="Create account").click()
    assert urlsplit(page.url).path == "/accounts/confirm-email/", page.url
    camera.shoot(page, "check-email")
    page.goto(single_link(wait_for_new_email(server, seen)))
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name="Confirm").click()
    for step, button in ((1, "Next"), (2, "Keep these and continue")):
        assert urlsplit(page.url).path == "/app/welcome", page.url
        camera.shoot(page, f"welcome-{step}")
        with page.expect_navigation():
            page.get_by_role("main").get_by_role("button", name=button).click()
    page.get_by_role("main").get_by_label("Reach-outs a day").fill("10")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    camera.shoot(page, "welcome-3")
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name="Done").click()
    assert urlsplit(page.url).path == "/app/", page.url


def at(today: date, days: int, when: time) -> str:
    """A moment `days` from today at a local time of day, as the API takes it."""
    return datetime.combine(today + timedelta(days=days), when, tzinfo=ZoneInfo(TIMEZONE)).isoformat()


def seed(server: LteServer) -> str:
    """The demo seller's contacts, notes, messages, follow-ups and orders, through the public API; returns the id
    of the contact the contact page shows."""
    token = api(server, "POST", "/auth/token", {"email": SELLER["email"], "password": PASSWORD})["token"]
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    ids = []
    for index, (first, last, stage, tags, phone_number, email) in enumerate(PEOPLE):
        fields: dict = {"first_name": first, "last_name": last, "stage": stage, "tags": tags,
                        "phones": [phone_number], "phone_labels": ["mobile"], "source": "Spring craft fair"}
        if email:
            fields |= {"emails": [email], "email_labels": ["personal"]}
        if index == CONTACT:
            fields |= {"birthday": f"--{today:%m-%d}", "customer_since": str(today - timedelta(days=20)),
                       "reorder_every_days": 30, "social": {"instagram": "maya.marigold.example"},
                       "company": "Marigold Bakery"}
        ids.append(api(server, "POST", "/contacts", fields, token)["id"])
    for index, days, when, title in FOLLOWUPS:
        api(server, "POST", "/followups", {"contact_id": ids[index], "due_at": at(today, days, when),
                                           "title": title}, token)
    for index, body in NOTES:
        api(server, "POST", f"/contacts/{ids[index]}/notes", {"body": body}, token)
    for index, days_ago, channel, direction, body in MESSAGES:
        api(server, "POST", f"/contacts/{ids[index]}/messages",
            {"channel": channel, "direction": direction, "body": body,
             "sent_at": at(today, -days_ago, time(16, 0 if direction == "out" else 20))}, token)
    for index, days_ago, products, amount in ORDERS:
        api(server, "POST", f"/contacts/{ids[index]}/orders",
            {"ordered_on": str(today - timedelta(days=days_ago)), "products": products, "amount": amount}, token)
    return ids[CONTACT]


@contextlib.contextmanager
def contexts(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Phone contexts made on demand, all closed at the end, which fails if any page asked another host for
    anything (the CSP forbids it; this proves the pictures show only our own code)."""
    made: list[BrowserContext] = []
    foreign: list[str] = []

    def new(**options) -> BrowserContext:
        context = phone(browser, **options)
        context.on("request", lambda request: foreign.append(request.url)
                   if urlsplit(request.url).hostname != ALLOWED_HOST else None)
        made.append(context)
        return context

    try:
        yield new
    finally:
        for context in made:
            context.close()
    assert not foreign, f"Requests left {ALLOWED_HOST}: {sorted(set(foreign))}"


def capture(server: LteServer, browser: Browser, out: Path, only: Iterable[str] | None = None) -> list[Path]:
    """Captures the screens named in `only` (all of SCREENS by default) from `server`, a fresh instance, into `out`;
    returns the files written. The seller's signup and data are made whatever is asked, since most screens need
    them."""
    wanted = set(only) if only is not None else set(BY_NAME)
    unknown = wanted - set(BY_NAME)
    assert not unknown, f"No such screen: {sorted(unknown)}; the screens are {sorted(BY_NAME)}"
    out.mkdir(parents=True, exist_ok=True)
    camera = Camera(out, wanted)
    with contexts(browser) as new:
        visitor = new().new_page()
        for screen in SCREENS:
            if screen.who == "visitor":
                camera.visit(visitor, server, screen.name)
        seller = new()
        page = seller.new_page()
        sign_up(page, server, camera)
        contact_id = seed(server)
        for screen in SCREENS:
            if screen.who == "seller":
                camera.visit(page, server, screen.name, contact_id)
        dark = new(dark=True, storage_state=seller.storage_state()).new_page()  # the same session, dark
        for screen in SCREENS:
            if screen.who == "seller-dark":
                camera.visit(dark, server, screen.name, contact_id)
    return camera.saved


def readme() -> str:
    lines = [
        "# The main screens",
        "",
        "A demo seller on a 390×844 phone (scale 1, en-US, America/Chicago), with made-up contacts. Regenerate them",
        "all after a visible change, and commit the PNGs:",
        "",
        "```sh",
        "make screens                        # all of them (python -m lte.testing.screens)",
        "make screens SCREENS=\"today board\"  # some of them",
        "```",
        "",
        "It starts a fresh `lte run` in a temporary dir, signs the seller up in Chromium, adds their data through",
        "the public API and captures each screen listed in `lte/testing/screens.py` (`SCREENS`); this file is",
        "written from the same list. Dates are relative to the day it ran.",
        "",
        "| screen | what it shows | file |",
        "|---|---|---|",
    ]
    for screen in SCREENS:
        where = f" (`{screen.path.format(contact='<id>')}`)" if screen.path else ""
        lines.append(f"| {screen.title}{where} | {screen.shows} | [{screen.name}.png]({screen.name}.png) |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lte.testing.screens", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"where the PNGs go (default {OUT})")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=sorted(BY_NAME), help="just these screens")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"Chromium not installed at {CHROMIUM}: apt-get install chromium", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="lte-screens-") as root:
        server = LteServer(root=Path(root), extra_env=BILLING_ENV)
        try:
            server.start()
            with server.log_on_failure(), sync_playwright() as playwright:
                chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                try:
                    saved = capture(server, chromium, args.out, args.only)
                finally:
                    chromium.close()
            server.stop()
            if "Traceback" in server.log_path.read_text(errors="replace"):
                print(f"The server logged an exception while the screens were taken.\n{server.log()}", file=sys.stderr)
                return 1
        finally:
            server.stop()
            server.cleanup()
    if args.only is None:  # a whole run: drop the pictures of screens no longer listed
        for stale in sorted(set(args.out.glob("*.png")) - set(saved)):
            stale.unlink()
            print(f"removed {stale}")
    (args.out / "README.md").write_text(readme())
    total = sum(path.stat().st_size for path in args.out.glob("*.png"))
    print(f"{len(saved)} screens written to {args.out}; all PNGs there: {total / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
