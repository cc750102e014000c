"""The ownership matrix: every route that takes an object id, for every kind of caller (SECURITY.md 12–16).

Routes are discovered, not listed. Django's URL resolver and the ninja API are walked when the tests are
collected, so a page or an API operation added later is in the matrix without anyone touching this file —
unless one of its path parameters has no factory here, which fails the test ("add a factory for …") until
someone writes one. For each route and method, alice owns a real object (made through the services) and:
- bob (another account), bob with a bearer token, carol (alice's team leader: alice is in carol's team and
  shares her weekly counts with her), staff without a grant and a superuser get exactly the answer for a row that
  does not exist;
- an anonymous visitor gets 401 (API) or a redirect to the login page (web);
- alice's object, everything hanging from it and every row pointing at her account are unchanged afterwards;
- alice herself gets a real answer for the very same request (so the probe was meaningful).
Staff tools (the admin and the rest of /staff/…) look accounts up on purpose: there, other users still can't
tell alice's row from a missing one, and staff must never see her contacts, notes or messages.
The page matrix is the suite's longest sweep: `make test-fast` probes one route per kind of object id (every
method, every caller); the rest is marked slow and runs in `make test` and CI.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, get_args, get_origin

import pytest
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone

from lte.accounts.models import ApiToken
from lte.accounts.services import api_token_create
from lte.api.api import api
from lte.crm.models import Contact, FollowUp, ImportJob
from lte.crm.services.contacts import contact_create
from lte.crm.services.followups import followup_create
from lte.crm.services.messages import message_log
from lte.crm.services.notes import note_create
from lte.crm.services.orders import order_create
from lte.crm.services.stages import stage_create, stage_rename, stages_of
from lte.crm.services.templates import template_save
from lte.teams.models import TeamPost
from lte.teams.services import post_create, share_activity_set, team_create, team_join, template_share
from lte.testing.helpers import PASSWORD, bearer_client, make_user, with_two_factor
from lte.vault.context import acting_for
from lte.vault.fields import EncryptedField

METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
CANARY = "Quetzalcoatl"  # a name no fixture uses: if it shows up in someone else's answer, it leaked
CANARY_EMAIL = "quetzal.canary@example.org"
CANARY_PHONE = "+14155550199"
CANARY_NOTE = "canary note: the combination is 4-8-15-16-23-42"

# --- Which routes are public ----------------------------------------------------------------------------

# Web routes anyone may open (SECURITY.md 12). Everything else needs a login.
PUBLIC_WEB = {
    "", "pricing", "privacy", "terms", "cookies", "language/<code>", "report-child", "signup", "login", "healthz",
    "api/v1/openapi.json",
    "manifest.webmanifest", "sw.js", "offline",  # the installable app: the browser fetches them signed out too
    "calendar/<token>.ics",  # the private calendar feed: its secret is the URL (lte.crm.views.calendar)
    # allauth's public account pages: logging in and signing up, password reset, email confirmation.
    "accounts/login/", "accounts/logout/", "accounts/signup/", "accounts/inactive/",
    "accounts/confirm-email/", "accounts/confirm-email/<key>/",
    "accounts/password/reset/", "accounts/password/reset/done/",
    "accounts/password/reset/key/<uidb36>-<key>/", "accounts/password/reset/key/done/",
    "accounts/login/code/confirm/", "accounts/2fa/authenticate/",
    "staff/admin/login/", "staff/admin/logout/",  # the admin's login (a redirect to /login) and its logged-out page
}
PUBLIC_WEB_PREFIXES = ("static/",)
PUBLIC_API = {("POST", "/auth/signup"), ("POST", "/auth/token"), ("POST", "/billing/webhook")}  # Stripe signs it
LOGIN_URL = "/login"


# --- Walking the routes ----------------------------------------------------------------------------------

ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?:[^()\\]|\\.|\([^()]*\))*\)")
API_PARAM = re.compile(r"\{(?:(?P<converter>\w+):)?(?P<name>\w+)\}")
CONVERTERS = {"IntConverter": "int", "UUIDConverter": "uuid", "UUIDStrConverter": "uuid",
              "StringConverter": "str", "SlugConverter": "slug", "PathConverter": "path"}


@dataclass(frozen=True)
class WebRoute:
    """One Django URL pattern, with the chain of patterns leading to it (outermost first)."""

    levels: tuple  # RoutePattern / RegexPattern objects
    pattern: URLPattern
    namespaces: tuple[str, ...] = ()

    @property
    def route(self) -> str:
        """The pattern written out with named parameters: 'app/settings/tokens/<token_id>/revoke'."""
        out = []
        for level in self.levels:
            text = str(level)
            if isinstance(level, RegexPattern):
                text = REGEX_GROUP.sub(lambda m: f"<{m['name']}>", text.lstrip("^").rstrip("$")).replace("\\", "")
            else:
                text = ROUTE_PARAM.sub(lambda m: f"<{m['name']}>", text)
            out.append(text)
        return "".join(out)

    @property
    def params(self) -> list[tuple[str, str]]:
        """(name, kind) of each parameter, kind being int, uuid, str, slug, path or regex."""
        found = []
        for level in self.levels:
            if isinstance(level, RoutePattern):
                for match in ROUTE_PARAM.finditer(str(level)):
                    converter = level.converters.get(match["name"])
                    found.append((match["name"], CONVERTERS.get(type(converter).__name__, "str")))
            elif isinstance(level, RegexPattern):
                found += [(name, "regex") for name in REGEX_GROUP.findall(str(level))]
        return found

    def url(self, values: dict[str, str]) -> str:
        out = []
        for level in self.levels:
            text = str(level)
            if isinstance(level, RegexPattern):
                text = REGEX_GROUP.sub(lambda m: str(values[m["name"]]), text.lstrip("^").rstrip("$"))
                text = text.replace("\\", "")
            else:
                text = ROUTE_PARAM.sub(lambda m: str(values[m["name"]]), text)
            out.append(text)
        return "/" + "".join(out)

    @property
    def is_api(self) -> bool:
        return getattr(self.pattern.callback, "__module__", "").startswith("ninja")

    @property
    def is_public(self) -> bool:
        return self.route in PUBLIC_WEB or self.route.startswith(PUBLIC_WEB_PREFIXES)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.namespaces

    @property
    def is_staff_tool(self) -> bool:
        """Pages for staff (the admin and the rest of /staff/…): they never show anyone's CRM, and other
        users can't tell them from a missing page; looking an account up is what they are for."""
        return self.is_admin or self.route.startswith("staff/") or "/staff/" in self.route

    @property
    def model(self):
        """The model an admin page is about (ModelAdmin views carry their ModelAdmin)."""
        model_admin = getattr(self.pattern.callback, "model_admin", None)
        return model_admin.model if model_admin is not None else None

    def __str__(self) -> str:
        return "/" + self.route


def walk_web(resolver: URLResolver | None = None, levels: tuple = (), namespaces: tuple = ()) -> Iterator[WebRoute]:
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from walk_web(entry, (*levels, entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield WebRoute((*levels, entry.pattern), entry, namespaces)


@dataclass(frozen=True)
class ApiOperation:
    method: str
    path: str  # as ninja writes it: '/contacts/{uuidstr:contact_id}'
    operation: Any = field(compare=False, hash=False)

    @property
    def params(self) -> list[tuple[str, str]]:
        kinds = {"uuid": "uuid", "uuidstr": "uuid", "int": "int", "slug": "slug", "path": "path"}
        return [(m["name"], kinds.get(m["converter"] or "str", "str")) for m in API_PARAM.finditer(self.path)]

    @property
    def template(self) -> str:
        """'/contacts/{contact_id}'"""
        return API_PARAM.sub(lambda m: "{" + m["name"] + "}", self.path)

    def url(self, values: dict[str, str]) -> str:
        return api_root() + API_PARAM.sub(lambda m: str(values[m["name"]]), self.path).lstrip("/")

    def body_source(self) -> tuple[str, Any] | None:
        """('body', SchemaClass) / ('file', None) / ('form', SchemaClass) or None."""
        for model in self.operation.signature.models:
            source = getattr(model, "__ninja_param_source__", None)
            if source in ("body", "form", "file"):
                fields = list(model.model_fields.values())
                return source, fields[0].annotation if len(fields) == 1 else model
        return None

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


def walk_api() -> Iterator[ApiOperation]:
    bound = api._get_bound_routers() if hasattr(api, "_get_bound_routers") else None
    routers = [(r.prefix, r) for r in bound] if bound is not None else list(api._routers)
    for prefix, router in routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    full = "/" + "/".join(p.strip("/") for p in (prefix, path) if p.strip("/"))
                    yield ApiOperation(method.upper(), full, operation)


def api_root() -> str:
    return reverse("api:api-root")


WEB_ROUTES = [r for r in walk_web() if not r.is_api]
# The admin's other parameters name an app or catch everything; only these name a row.
ADMIN_OBJECT_PARAMS = {"object_id", "content_type_id"}
WEB_OBJECT_ROUTES = [r for r in WEB_ROUTES if r.params and not r.is_public
                     and (not r.is_admin or set(dict(r.params)) <= ADMIN_OBJECT_PARAMS)]
API_OPERATIONS = list(walk_api())
API_OBJECT_OPERATIONS = [op for op in API_OPERATIONS if op.params]


# --- Alice's objects ---------------------------------------------------------------------------------------


@dataclass
class Target:
    value: str  # what goes into the URL
    state: Callable[[], Any]  # re-reads the object (and what hangs from it) for the "unchanged" check
    shared_name: bool = False  # addressed by a name every account has (a stage slug): bob gets his own


@dataclass
class World:
    alice: Any
    alice_client: Client
    targets: dict[str, Target] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)


def row_state(obj: models.Model) -> dict:
    """Every column of the row (sensitive ones opened as their owner), its many-to-many links and how many
    rows of its own app hang from it: the fingerprint compared before and after someone else's requests."""
    model = type(obj)
    owner_id = getattr(obj, "owner_id", None) or getattr(obj, "user_id", None) or obj.pk
    with acting_for(owner_id):
        fresh = model._base_manager.filter(pk=obj.pk).first()
        if fresh is None:
            return {"exists": False}
        state: dict[str, Any] = {"exists": True}
        for column in model._meta.concrete_fields:
            if column.attname not in ("last_login", "last_seen_at", "last_used_at"):
                state[column.attname] = getattr(fresh, column.attname)
        for m2m in model._meta.many_to_many:
            state[m2m.name] = sorted(str(pk) for pk in getattr(fresh, m2m.name).values_list("pk", flat=True))
        for relation in model._meta.related_objects:
            if relation.one_to_many and relation.related_model._meta.app_label == model._meta.app_label:
                state[f"#{relation.related_model.__name__}"] = relation.related_model._base_manager.filter(
                    **{relation.field.name: fresh}).count()
    return state


def footprint(user) -> dict:
    """How many rows of every model point at the account, plus the account row itself: whatever a
    route does to someone else, none of this may change (a 'clear my history' page, say)."""
    user_model = get_user_model()
    counts: dict[str, Any] = {"account": row_state(user_model._base_manager.get(pk=user.pk))}
    for model in apps.get_models():
        for column in model._meta.concrete_fields:
            if column.is_relation and column.related_model is user_model:
                counts[f"{model._meta.label}.{column.name}"] = model._base_manager.filter(**{column.name: user}).count()
    return counts


def make_contact(world: World) -> models.Model:
    if "contact" not in world.objects:
        contact = contact_create(
            owner=world.alice, first_name=CANARY, last_name="Zoë García", emails=[CANARY_EMAIL],
            phones=[CANARY_PHONE], address="1 Canary Wharf", birthday=date(1990, 5, 17), source="event",
            stage="presented", tags=["vip", "canary-tag"], reorder_every_days=30,
        )
        note_create(owner=world.alice, contact_id=contact.pk, body=CANARY_NOTE)
        message_log(owner=world.alice, contact_id=contact.pk, channel="sms", body=CANARY_NOTE)
        followup_create(owner=world.alice, contact_id=contact.pk, title=f"Call {CANARY}",
                                 due_at=timezone.now() + timedelta(days=2))
        world.objects["contact"] = contact
    return world.objects["contact"]


def contact_target(world: World) -> Target:
    contact = make_contact(world)
    return Target(str(contact.pk), lambda: row_state(contact))


def other_contact_target(world: World) -> Target:
    """A second contact of alice's, for routes that take two (merging)."""
    other = contact_create(owner=world.alice, first_name=f"{CANARY} Twin", emails=["twin@example.org"],
                                    tags=["canary-tag"])
    note_create(owner=world.alice, contact_id=other.pk, body=CANARY_NOTE)
    return Target(str(other.pk), lambda: row_state(other))


def note_target(world: World) -> Target:
    contact = make_contact(world)
    note = note_create(owner=world.alice, contact_id=contact.pk, body=f"{CANARY_NOTE} (2)")
    return Target(str(note.pk), lambda: (row_state(note), row_state(contact)))


def message_target(world: World) -> Target:
    contact = make_contact(world)
    message = message_log(owner=world.alice, contact_id=contact.pk, channel="whatsapp", direction="in",
                                   body=f"{CANARY_NOTE} (msg)")
    return Target(str(message.pk), lambda: (row_state(message), row_state(contact)))


def followup_target(world: World) -> Target:
    contact = make_contact(world)
    followup = followup_create(owner=world.alice, contact_id=contact.pk, title=f"Visit {CANARY}",
                                        due_at=timezone.now() + timedelta(days=1))
    return Target(str(followup.pk), lambda: (row_state(followup), row_state(contact)))


def order_target(world: World) -> Target:
    contact = make_contact(world)
    order = order_create(owner=world.alice, contact_id=contact.pk, ordered_on=date(2026, 11, 1),
                         products=f"{CANARY_NOTE} (order)", amount="49.90", currency="EUR")
    return Target(str(order.pk), lambda: (row_state(order), row_state(contact)))


def template_target(world: World) -> Target:
    template = template_save(owner=world.alice, name=f"{CANARY} opener", body="Hi {first_name}!")
    return Target(str(template.pk), lambda: row_state(template))


def token_target(world: World) -> Target:
    token, _secret = api_token_create(owner=world.alice, name=f"{CANARY} phone")
    return Target(str(token.pk), lambda: row_state(token))


def log_alice_in(world: World) -> Client:
    """A real login (form and all), so alice has a session, a device and login history like anyone."""
    client = Client(HTTP_USER_AGENT="alice-phone", REMOTE_ADDR="203.0.113.9")
    assert client.post("/login", {"login": world.alice.email, "password": PASSWORD}).status_code == 302
    return client


def session_target(world: World) -> Target:
    log_alice_in(world)
    user_session = UserSession.objects.filter(user=world.alice).order_by("-created_at").first()
    assert user_session is not None

    def state():
        return (row_state(user_session), Session.objects.filter(session_key=user_session.session_key).exists())

    return Target(str(user_session.pk), state)


def import_target(world: World) -> Target:
    """Through the import API when it exists (POST /contacts/import); else the job row itself."""
    upload = SimpleUploadedFile("contacts.csv", f"first_name,email\n{CANARY},{CANARY_EMAIL}\n".encode(), "text/csv")
    response = world.alice_client.post(api_root() + "contacts/import", {"file": upload})
    if response.status_code == 202:
        job = ImportJob.objects.get(pk=response.json()["id"])
    else:
        job = ImportJob.objects.create(owner=world.alice, file_format="csv", total=1, processed=1, created=1)
    return Target(str(job.pk), lambda: row_state(job))


def stage_target(world: World) -> Target:
    """Stages are addressed by slug, and every account has the same slugs: bob asking for 'presented' gets
    his own stage, never alice's (renamed here to the canary so a leak would show)."""
    if "presented" not in {s.slug for s in stages_of(world.alice)}:  # the request for another method deleted it
        stage_create(owner=world.alice, name="Presented")
    stage = stage_rename(owner=world.alice, slug="presented", name=f"{CANARY} stage")
    return Target(stage.slug, lambda: row_state(stage), shared_name=True)


def history_target(world: World) -> Target:
    """'Clear my login history / usage': each account's own. Alice has some, and keeps it."""
    log_alice_in(world)
    return Target("logins", lambda: footprint(world.alice), shared_name=True)


def account_target(world: World) -> Target:
    """A staff page about an account (the support view)."""
    make_contact(world)
    return Target(str(world.alice.pk), lambda: footprint(world.alice))


def make_team(world: World):
    """A team alice leads, with dave in it: what her team's routes are about."""
    if "team" not in world.objects:
        team, invite = team_create(leader=world.alice, name="Alice's team")
        dave = make_user(f"dave-{uuid.uuid4().hex[:6]}@example.com", name="Dave Member")
        team_join(user=dave, code=invite.code)
        share_activity_set(user=dave, team_id=team.pk, share=True)
        world.objects.update(team=team, invite=invite, dave=dave)
    return world.objects["team"]


def team_target(world: World) -> Target:
    team = make_team(world)
    return Target(str(team.pk), lambda: row_state(team))


def invite_code_target(world: World) -> Target:
    """An invite code is a capability: whoever holds it may see the team's name and join, on purpose. Nothing of
    alice's CRM may show, and the invite itself doesn't change."""
    make_team(world)
    invite = world.objects["invite"]
    return Target(invite.code, lambda: row_state(invite), shared_name=True)


def team_post_target(world: World) -> Target:
    team = make_team(world)
    post = post_create(leader=world.alice, team_id=team.pk, kind=TeamPost.Kind.TRAINING, title="Week one",
                       body="Call three people a day")
    return Target(str(post.pk), lambda: row_state(post))


def shared_template_target(world: World) -> Target:
    team = make_team(world)
    template = template_save(owner=world.alice, name="Team opener", body="Hi {first_name}!")
    shared = template_share(leader=world.alice, team_id=team.pk, template_id=template.pk)
    return Target(str(shared.pk), lambda: row_state(shared))


def member_target(world: World) -> Target:
    """A member of alice's team (dave): removing him is hers to do, nobody else's."""
    make_team(world)
    dave = world.objects["dave"]
    membership = world.objects["team"].memberships.get(user=dave)
    return Target(str(dave.pk), lambda: row_state(membership))


FACTORIES: dict[str, Callable[[World], Target]] = {
    "contact_id": contact_target, "id": contact_target, "other_id": other_contact_target, "note_id": note_target,
    "message_id": message_target, "followup_id": followup_target, "template_id": template_target,
    "order_id": order_target,
    "token_id": token_target, "session_id": session_target, "import_id": import_target, "job_id": import_target,
    "stage": stage_target, "slug": stage_target, "stage_slug": stage_target, "what": history_target,
    "account_id": account_target, "user_id": account_target,
    "team_id": team_target, "code": invite_code_target, "post_id": team_post_target,
    "shared_id": shared_template_target, "member_id": member_target,
}


def admin_targets(world: World, route: WebRoute) -> dict[str, Target]:
    """Admin pages name a row of their model (object_id), or a content type and a row ('view on site'):
    alice's own row where the model has one, her contact for a content type."""
    make_contact(world)
    names = dict(route.params)
    if "content_type_id" in names:
        contact = world.objects["contact"]
        return {"content_type_id": Target(str(ContentType.objects.get_for_model(contact).pk), lambda: None),
                "object_id": Target(str(contact.pk), lambda: row_state(contact))}
    targets = {}
    for name, kind in route.params:
        model, user_model = route.model, get_user_model()
        row = None
        if model is user_model:
            row = world.alice
        elif model is not None:
            link = next((c for c in model._meta.concrete_fields if c.is_relation and c.related_model is user_model),
                        None)
            query = model._base_manager.filter(**{link.name: world.alice}) if link else model._base_manager.all()
            row = query.first()
        if row is None:  # nothing of alice's in this table: the page is still compared with a missing row
            targets[name] = Target(missing_value(kind), lambda: footprint(world.alice))
        else:
            def state(row: Any = row) -> tuple[Any, Any]:
                return row_state(row), footprint(world.alice)

            targets[name] = Target(str(row.pk), state)
    return targets


def missing_value(kind: str) -> str:
    if kind == "int":
        return str(900_000_000 + uuid.uuid4().int % 1_000_000)
    if kind in ("slug", "str", "path", "regex"):
        return f"no-such-thing-{uuid.uuid4().hex[:8]}"
    return str(uuid.uuid4())


def targets_for(world: World, params: list[tuple[str, str]], route: str) -> dict[str, Target]:
    for name, _kind in params:
        if name not in FACTORIES:
            pytest.fail(f"{route}: add a factory for {name} in test_ownership.py (lte/crm/tests), so that the "
                        f"ownership matrix can give alice an object to test it with.")
        if name not in world.targets:
            world.targets[name] = FACTORIES[name](world)
    return {name: world.targets[name] for name, _kind in params}


def route_targets(world: World, route: WebRoute) -> dict[str, Target]:
    if route.is_admin:
        return admin_targets(world, route)
    return targets_for(world, route.params, str(route))


# --- Request bodies ------------------------------------------------------------------------------------------

FIELD_SAMPLES: dict[str, Any] = {
    "channel": "sms", "direction": "out", "first_name": "Mallory", "body": "Mallory was here",
    "title": "Mallory was here", "name": "Mallory", "choice": "tomorrow",
}
# What a curious visitor posts to a page: a change, and (for staff pages) a written reason.
FORM_DATA = {"name": "Mallory", "first_name": "Mallory", "body": "Mallory was here", "title": "Mallory was here",
             "reason": "Ticket 4242: the customer asked us to take a look"}


def sample_value(name: str, annotation: Any) -> Any:
    if name in FIELD_SAMPLES:
        return FIELD_SAMPLES[name]
    if get_origin(annotation) is not None and type(None) in get_args(annotation):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    origin = get_origin(annotation) or annotation
    if annotation is datetime or name.endswith("_at"):
        return (timezone.now() + timedelta(hours=1)).isoformat()
    if annotation is date:
        return "2000-01-01"
    if annotation is bool:
        return False
    if annotation is int:
        return 1
    if annotation is uuid.UUID:
        return str(uuid.uuid4())
    if origin is list:
        return []
    if origin is dict:
        return {}
    return "Mallory"


def api_body(op: ApiOperation, world: World | None = None) -> dict:
    """Request arguments for a body that alice's own request accepts: every required field, plus the
    first optional text field (so a PATCH tries to change something). An id field that names one of alice's
    objects (`template_id` when a leader shares a script) carries that object's id, given the world."""
    source = op.body_source()
    if source is None:
        return {}
    kind, schema = source
    if kind == "file":
        upload = SimpleUploadedFile("contacts.csv", b"first_name\nMallory\n", "text/csv")
        return {"data": {"file": upload}}
    data: dict[str, Any] = {}
    optional_text_done = False
    for name, info in schema.model_fields.items():
        if info.is_required() and world is not None and name in FACTORIES and info.annotation is uuid.UUID:
            data[name] = targets_for(world, [(name, "uuid")], str(op))[name].value
        elif info.is_required():
            data[name] = sample_value(name, info.annotation)
        elif not optional_text_done and (info.annotation in (str, str | None) or name in FIELD_SAMPLES):
            data[name] = sample_value(name, info.annotation)
            optional_text_done = True
    if kind == "form":
        return {"data": data}
    return {"data": data, "content_type": "application/json"}


def send(client: Client, method: str, url: str, **kwargs):
    return getattr(client, method.lower())(url, **kwargs)


# --- Callers -------------------------------------------------------------------------------------------------


@dataclass
class Caller:
    name: str
    client: Client
    staff: bool = False
    bearer_only: bool = False


def session_client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client



@pytest.fixture
def carol(alice):
    """Alice's team leader ("upline"): alice is in carol's team and shares her weekly counts with carol, as
    the product allows. Still, carol must reach nothing of alice's CRM through any route."""
    carol = make_user("carol@example.com", name="Carol Leader")
    team, invite = team_create(leader=carol, name="Carol's downline")
    team_join(user=alice, code=invite.code)
    share_activity_set(user=alice, team_id=team.pk, share=True)
    return carol


@pytest.fixture
def superuser(db):
    return with_two_factor(make_user("root@example.com", name="Root Admin", is_staff=True, is_superuser=True))


@pytest.fixture
def world(alice) -> World:
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    return World(alice=alice, alice_client=client)


@pytest.fixture
def others(bob, carol, staff, superuser) -> list[Caller]:
    return [Caller("bob", session_client(bob)),
            Caller("bob with an API token", bearer_client(bob, raise_request_exception=False), bearer_only=True),
            Caller("carol (alice's team leader)", session_client(carol)),
            Caller("staff without a grant", session_client(staff), staff=True),
            Caller("superuser", session_client(superuser), staff=True)]


def crm_counts() -> dict[str, int]:
    """Rows of every CRM model plus API tokens: nobody else's request may add or remove any."""
    counts = {m.__name__: m._base_manager.count() for m in apps.get_app_config("crm").get_models()}
    counts["ApiToken"] = ApiToken.objects.count()
    return counts


def alice_state(world: World, targets: dict[str, Target]) -> dict:
    return {name: target.state() for name, target in targets.items()}


NONCE = re.compile(rb'(nonce|csrfmiddlewaretoken|csrf-token|csrf_token)(["=: ]+(value=)?")[^"]*"')


def web_body(response) -> bytes:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return NONCE.sub(rb'\1\2-"', content)


def everything_in(response) -> bytes:
    """The body, with any zip archive (an export) unpacked, so a secret inside a file is found too."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content += b"".join(archive.read(name) for name in archive.namelist())
    return content


def leaks(response) -> list[str]:
    body = everything_in(response)
    return [s for s in (CANARY, CANARY_EMAIL, CANARY_PHONE, CANARY_NOTE) if s.encode() in body]


def answer(response, *, web: bool = False) -> tuple:
    """What a caller can observe: status, content type, where a redirect goes, and the body."""
    location = response.get("Location", "")
    if is_login_redirect(response):
        location = location.split("?")[0]  # '?next=' echoes the caller's own URL back
    body = web_body(response) if web else response.content
    return response.status_code, response.get("Content-Type", ""), location, body


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith((LOGIN_URL, reverse("admin:login")))


# --- Discovery sanity ------------------------------------------------------------------------------------------


def test_it_discovers_the_routes_that_take_an_object_id():
    api_paths = {op.template for op in API_OBJECT_OPERATIONS}
    assert "/contacts/{contact_id}" in api_paths
    assert "/notes/{note_id}" in api_paths
    assert "/followups/{followup_id}" in api_paths
    assert any("token_id" in dict(r.params) for r in WEB_OBJECT_ROUTES)


def test_every_api_route_in_the_url_resolver_is_a_walked_api_operation():
    """The two walks agree: nothing under /api/v1 escapes the API matrix."""
    walked = {API_PARAM.sub(lambda m: f"<{m['name']}>", op.path).lstrip("/") for op in API_OPERATIONS}
    root = api_root().lstrip("/")
    for route in walk_web():
        if route.is_api and route.route.startswith(root) and route.route != root:
            relative = route.route[len(root):]
            assert relative in walked or relative == "openapi.json", route


def test_a_route_whose_parameter_has_no_factory_fails_with_a_hint(world):
    with pytest.raises(pytest.fail.Exception, match=re.escape("add a factory for widget_id in test_ownership.py")):
        targets_for(world, [("widget_id", "uuid")], "/app/widgets/<widget_id>/")


def test_no_crm_model_is_in_the_admin():
    """SECURITY.md 16: staff reach contacts, notes and messages only through the logged support view."""
    registered = {model for model in admin.site._registry}
    crm = set(apps.get_app_config("crm").get_models())
    sensitive = {m for m in apps.get_models() if any(isinstance(f, EncryptedField) for f in m._meta.fields)}
    assert not registered & (crm | sensitive), registered & (crm | sensitive)


# --- The matrix: the API -----------------------------------------------------------------------------------


@pytest.mark.parametrize("op", API_OBJECT_OPERATIONS, ids=str)
def test_it_hides_alices_objects_from_everyone_else_in_the_api(op, world, others):
    targets = targets_for(world, op.params, str(op))
    api_body(op, world)  # alice's objects that the body names exist before anything is counted
    mine = {name: t.value for name, t in targets.items()}
    missing = {name: missing_value(kind) for name, kind in op.params}
    shared = any(t.shared_name for t in targets.values())
    before_state, before_counts = alice_state(world, targets), crm_counts()

    for caller in others:
        response = send(caller.client, op.method, op.url(mine), **api_body(op, world))
        if shared:
            assert response.status_code < 500, (caller.name, op, response.content[:300])
            assert not leaks(response), f"{caller.name} saw alice's data through {op}"
        else:
            nothing = send(caller.client, op.method, op.url(missing), **api_body(op, world))
            assert nothing.status_code == 404, (caller.name, op, nothing.status_code, nothing.content[:300])
            assert "detail" in nothing.json()
            assert answer(response) == answer(nothing), (
                f"{caller.name} can tell alice's object from a missing one through {op}")
        assert alice_state(world, targets) == before_state, f"{caller.name} changed alice's object through {op}"
        assert crm_counts() == before_counts, f"{caller.name} added or removed rows through {op}"

    anonymous = send(Client(raise_request_exception=False), op.method, op.url(mine), **api_body(op, world))
    assert anonymous.status_code == 401, (op, anonymous.status_code, anonymous.content[:300])
    assert "detail" in anonymous.json()
    assert not leaks(anonymous)
    assert alice_state(world, targets) == before_state
    assert crm_counts() == before_counts

    own = send(world.alice_client, op.method, op.url(mine), **api_body(op, world))
    assert 200 <= own.status_code < 300, (
        f"alice's own {op} answered {own.status_code} {own.content[:300]!r}: the probe is not testing "
        f"anything. Fix the factory or give the operation a body in api_body() in test_ownership.py.")


# --- The matrix: web pages ---------------------------------------------------------------------------------

# Known failures of the matrix, (method, route): reason. Each becomes a strict xfail, so a fix shows up.
KNOWN_WEB_BUGS: dict = {}
# Issue 5 asks for break-glass support access with a written reason (it wins over SECURITY.md 16, which
# allows only the user's grant): staff who write a reason see the contact list, and that access is logged
# first, emailed to the user and shown on their Your data page (lte/privacy/tests/test_staff_access.py,
# test_rights_pages.py). So this one route is not "the same as a missing row" for staff.
BREAK_GLASS_ROUTES = {("POST", "staff/accounts/<account_id>/")}


def web_request(client: Client, method: str, url: str):
    if method in ("POST", "PUT", "PATCH"):
        if method == "POST":
            return client.post(url, FORM_DATA)
        return send(client, method, url, data="name=Mallory", content_type="application/x-www-form-urlencoded")
    return send(client, method, url)


def first_of_each_kind(routes: list[WebRoute]) -> set[str]:
    """One route per kind of object id (its parameter names): the slice of the page matrix that `make test-fast`
    runs, every method and caller included. The full matrix is marked slow: `make test` and CI run it."""
    first: dict[tuple[str, ...], str] = {}
    for route in routes:
        first.setdefault(tuple(sorted(name for name, _kind in route.params)), route.route)
    return set(first.values())


FAST_WEB_ROUTES = first_of_each_kind(WEB_OBJECT_ROUTES)


def web_case(route: WebRoute, method: str):
    reason = KNOWN_WEB_BUGS.get((method, route.route))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    if route.route not in FAST_WEB_ROUTES:
        marks.append(pytest.mark.slow)
    return pytest.param(route, method, marks=marks, id=f"{method} {route}")


WEB_CASES = [web_case(route, method) for route in WEB_OBJECT_ROUTES for method in METHODS]


@pytest.mark.parametrize(("route", "method"), WEB_CASES)
def test_it_hides_alices_objects_from_everyone_else_in_the_pages(route, method, world, others):
    targets = route_targets(world, route)
    mine = {name: t.value for name, t in targets.items()}
    missing = {name: missing_value(kind) for name, kind in route.params}
    shared = any(t.shared_name for t in targets.values())
    url, nowhere = route.url(mine), route.url(missing)
    assert resolve(url).func == route.pattern.callback, (route, url)
    before_state, before_counts = alice_state(world, targets), crm_counts()
    # In the admin a superuser may change and delete accounts on purpose: they go last, checked for leaks only.
    admins = [c for c in others if route.is_admin and c.name == "superuser"]

    for caller in [c for c in others if c not in admins]:
        response = web_request(caller.client, method, url)
        if caller.bearer_only:
            # Tokens are for the API: on a page, a bearer token alone is no login at all.
            assert is_login_redirect(response) or response.status_code in (404, 405), (
                caller.name, route, method, response.status_code)
        elif (method, route.route) in BREAK_GLASS_ROUTES and caller.staff:
            # Break-glass (issue 5): staff may see the list, but never without the access logged first.
            from lte.privacy.models import StaffAccess

            assert response.status_code < 500, (caller.name, route, method, response.status_code)
            if leaks(response):
                assert StaffAccess.objects.filter(action="view").exists(), "break-glass access was not logged"
        elif shared or (route.is_staff_tool and caller.staff):
            # A name every account has (bob gets his own), or a staff tool in staff hands: whatever the
            # page does, none of alice's CRM shows.
            assert response.status_code < 500, (caller.name, route, method, response.status_code)
            assert not leaks(response), f"{caller.name} saw {leaks(response)} through {method} {route}"
        else:
            nothing = web_request(caller.client, method, nowhere)
            # A missing row is the 404 page (405: a method the page doesn't take); the admin sends a non-staff
            # user to its login (302) and staff without the permission get a 403, whatever the row.
            expected = (302, 403, 404, 405) if route.is_admin else (404, 405)
            assert nothing.status_code in expected, (caller.name, route, method, nothing.status_code)
            assert answer(response, web=True) == answer(nothing, web=True), (
                f"{caller.name} can tell alice's object from a missing one through {method} {route}: "
                f"{response.status_code} vs {nothing.status_code}")
        assert alice_state(world, targets) == before_state, f"{caller.name} changed alice's object: {method} {route}"
        assert crm_counts() == before_counts, f"{caller.name} added or removed rows through {method} {route}"

    anonymous = web_request(Client(raise_request_exception=False), method, url)
    assert alice_state(world, targets) == before_state
    assert crm_counts() == before_counts
    assert not leaks(anonymous)
    for caller in admins:
        response = web_request(caller.client, method, url)
        assert response.status_code < 500, (caller.name, route, method, response.status_code)
        assert not leaks(response), f"{caller.name} saw {leaks(response)} through {method} {route}"
    if route.is_staff_tool:
        assert is_login_redirect(anonymous) or anonymous.status_code in (404, 405), (route, method, anonymous)
        return
    own = web_request(world.alice_client, method, url)
    assert own.status_code != 404 and own.status_code < 500, (
        f"alice's own {method} {route} answered {own.status_code}: fix the factory in test_ownership.py")
    if own.status_code == 405:  # a method the page doesn't take: a 405 tells nothing either
        assert is_login_redirect(anonymous) or anonymous.status_code == 405, (route, method, anonymous)
    else:
        assert is_login_redirect(anonymous), (route, method, anonymous.status_code, anonymous.get("Location"))


@pytest.mark.parametrize("route", [r for r in WEB_OBJECT_ROUTES if not r.is_staff_tool], ids=str)
def test_each_web_object_route_answers_its_owner(route, world):
    """The factories are right: for at least one method, alice's request reaches her object (not a 404 or
    a 405; a 400 for the generic form data still means the page found it)."""
    answers = []
    for method in METHODS:
        fresh = World(alice=world.alice, alice_client=world.alice_client)
        targets = route_targets(fresh, route)
        response = web_request(world.alice_client, method, route.url({n: t.value for n, t in targets.items()}))
        answers.append((method, response.status_code))
    assert any(status not in (404, 405) and status < 500 for _method, status in answers), (route, answers)


def admin_user_delete_url(user) -> str:
    return reverse(f"admin:{user._meta.app_label}_{user._meta.model_name}_delete", args=[user.pk])


def test_an_account_deleted_in_the_admin_is_shredded_like_any_deletion(world, superuser):
    """The admin's delete once cascaded the rows but skipped account_delete: no tombstone, keys kept."""
    from lte.vault.models import AccountKey, Tombstone

    make_contact(world)
    alice_id = world.alice.pk
    assert AccountKey.objects.filter(owner_id=alice_id).exists()
    response = session_client(superuser).post(admin_user_delete_url(world.alice), {"post": "yes"})
    if get_user_model().objects.filter(pk=alice_id).exists():
        assert response.status_code in (302, 403), response.status_code  # refused: fine too
        return
    assert Tombstone.objects.filter(owner_id=alice_id).exists(), "no tombstone: a restore brings alice back"
    assert not AccountKey.objects.filter(owner_id=alice_id).exists(), "alice's keys survive her deletion"


def test_staff_without_permissions_cannot_delete_an_account_in_the_admin(world, staff):
    response = session_client(staff).post(admin_user_delete_url(world.alice), {"post": "yes"})
    assert response.status_code in (302, 403)
    assert get_user_model().objects.filter(pk=world.alice.pk).exists()


# --- Every route is public on purpose or needs a login (SECURITY.md 12) ---------------------------------------


def placeholder(kind: str) -> str:
    return {"int": "1", "uuid": str(uuid.uuid4())}.get(kind, "x1")


@pytest.mark.parametrize("route", WEB_ROUTES, ids=str)
def test_every_page_is_public_on_purpose_or_needs_a_login(route, db):
    url = route.url({name: placeholder(kind) for name, kind in route.params})
    anonymous = Client(raise_request_exception=False)
    if route.is_public:
        assert anonymous.get(url).status_code < 500, route
        return
    for method in ("GET", "POST"):
        response = web_request(anonymous, method, url)
        assert not leaks(response)
        if response.status_code == 302:
            assert is_login_redirect(response), (route, method, response["Location"])
        else:
            assert response.status_code in (401, 403, 404, 405), (
                f"/{route.route} answers {response.status_code} to an anonymous {method}: it is neither in the "
                f"public allow-list (PUBLIC_WEB in test_ownership.py) nor behind a login")


@pytest.mark.parametrize("op", API_OPERATIONS, ids=str)
def test_every_api_operation_needs_a_login_unless_listed_public(op, db):
    if (op.method, op.template) in PUBLIC_API:
        return
    url = op.url({name: placeholder(kind) for name, kind in op.params})
    response = send(Client(raise_request_exception=False), op.method, url, **api_body(op))
    assert response.status_code == 401, (op, response.status_code, response.content[:200])
    assert response.json() == {"detail": "Authentication required."}


def test_the_public_allow_list_names_only_real_routes():
    """A stale allow-list entry would hide a renamed route from the login test."""
    routes = {r.route for r in WEB_ROUTES}
    assert routes >= PUBLIC_WEB, PUBLIC_WEB - routes
    operations = {(op.method, op.template) for op in API_OPERATIONS}
    assert operations >= PUBLIC_API, PUBLIC_API - operations


# --- Lists, search and counts never carry another account's rows (SECURITY.md 13) ------------------------------

API_LIST_OPERATIONS = [op for op in API_OPERATIONS if op.method == "GET" and not op.params
                       and (op.method, op.template) not in PUBLIC_API]
WEB_PAGES = [r for r in WEB_ROUTES if not r.params and not r.is_api and not r.is_public]


@pytest.mark.parametrize("op", API_LIST_OPERATIONS, ids=str)
def test_it_keeps_alices_rows_out_of_everyone_elses_api_lists(op, world, others):
    contact = make_contact(world)
    template_save(owner=world.alice, name=f"{CANARY} opener", body="Hi {first_name}!")
    ids = [str(contact.pk), *(str(n.pk) for n in contact.notes.all()), *(str(f.pk) for f in contact.followups.all())]
    queries = ["", f"?q={CANARY}", f"?q={CANARY_EMAIL}", f"?q={CANARY_PHONE}", "?tag=canary-tag",
               "?stage=presented", "?due=upcoming"]
    for caller in others:
        for query in queries:
            response = caller.client.get(op.url({}) + query)
            assert response.status_code < 500, (caller.name, op, query)
            content = everything_in(response)
            for secret in (CANARY, CANARY_EMAIL, CANARY_PHONE, "canary-tag", *ids):
                assert secret.encode() not in content, (caller.name, op, query, secret)
            data = response.json() if response.get("Content-Type", "").startswith("application/json") else None
            if isinstance(data, dict) and "count" in data and query and "stage" not in query:
                assert data["count"] == 0, (caller.name, op, query, data)


@pytest.mark.parametrize("route", WEB_PAGES, ids=str)
def test_it_keeps_alices_rows_out_of_everyone_elses_pages(route, world, others):
    make_contact(world)
    for caller in others:
        response = caller.client.get(route.url({}))
        assert response.status_code < 500, (caller.name, route)
        assert not leaks(response), (caller.name, route, leaks(response))


# --- Ids in bodies and mass assignment (SECURITY.md 13, 15) ------------------------------------------------------


def test_it_refuses_bob_a_follow_up_on_alices_contact(world, bob):
    contact = make_contact(world)
    client = session_client(bob)
    before = crm_counts()
    body = {"contact_id": str(contact.pk), "due_at": "2030-01-01T10:00:00Z", "title": "Mine now"}
    theirs = client.post(api_root() + "followups", body, content_type="application/json")
    nobody = client.post(api_root() + "followups", {**body, "contact_id": str(uuid.uuid4())},
                         content_type="application/json")
    assert theirs.status_code == 404
    assert answer(theirs) == answer(nobody)
    assert crm_counts() == before


def test_it_refuses_to_move_bobs_follow_up_onto_alices_contact(world, bob):
    contact = make_contact(world)
    bobs_contact = contact_create(owner=bob, first_name="Bob's friend")
    followup = followup_create(owner=bob, contact_id=bobs_contact.pk, title="x",
                                        due_at=timezone.now() + timedelta(days=1))
    client = session_client(bob)
    url = api_root() + f"followups/{followup.pk}"
    theirs = client.patch(url, {"contact_id": str(contact.pk)}, content_type="application/json")
    nobody = client.patch(url, {"contact_id": str(uuid.uuid4())}, content_type="application/json")
    assert theirs.status_code == 404
    assert answer(theirs) == answer(nobody)
    assert FollowUp.objects.get(pk=followup.pk).contact_id == bobs_contact.pk
    assert not contact.followups.filter(owner=bob).exists()


@pytest.mark.parametrize("extra", [{"owner": "ALICE"}, {"owner_id": "ALICE"}, {"user_id": "ALICE"},
                                   {"is_staff": True}, {"id": "NEW"}])
def test_it_never_lets_a_request_choose_the_owner(world, bob, extra):
    client = session_client(bob)
    extra = {k: (str(world.alice.pk) if v == "ALICE" else str(uuid.uuid4()) if v == "NEW" else v)
             for k, v in extra.items()}
    response = client.post(api_root() + "contacts", {"first_name": "Mass", **extra}, content_type="application/json")
    assert response.status_code in (201, 400, 422), response.content
    assert not Contact.objects.owned_by(world.alice).filter(first_name="Mass").exists()
    bob.refresh_from_db()
    assert not bob.is_staff
    if response.status_code == 201:
        assert Contact.objects.owned_by(bob).filter(pk=response.json()["id"]).exists()
