"""Every model of LTE and of the libraries it uses, declared in the personal-data registry."""

from __future__ import annotations

import json

from django.utils.translation import gettext_noop as _  # translated where shown (Your data)

from lte.crm.birthdays import birthday_text
from lte.crm.fields import EXPORT_COLUMNS
from lte.privacy.registry import ACCOUNT, AGGREGATE, DERIVED, KEYS, NONE, OWNED, STAFF, Entry, register


def _join(values) -> str:
    return " | ".join(values or [])


def _labels(labels) -> str:
    """Labels lined up with the values of the cell before: "mobile |  | work" (empty ones kept in place)."""
    return " | ".join(labels) if any(labels) else ""


def _pairs(items) -> str:
    """Addresses beyond the first, as JSON [{label, value}]: an address may hold any character."""
    return json.dumps(list(items), ensure_ascii=False) if items else ""


def _date(value) -> str:
    return value.isoformat() if value else ""


# contacts.csv: each column of lte.crm.fields.EXPORT_COLUMNS, as written (the import reads them back).
_CONTACT_CELLS = {
    "id": lambda c: c.pk, "first_name": lambda c: c.first_name, "last_name": lambda c: c.last_name,
    "company": lambda c: c.company, "job_title": lambda c: c.job_title,
    "emails": lambda c: _join(c.emails), "email_labels": lambda c: _labels(c.email_labels),
    "phones": lambda c: _join(c.phones), "phone_labels": lambda c: _labels(c.phone_labels),
    "address": lambda c: c.address or "",
    "address_label": lambda c: c.addresses[0]["label"] if c.address else "",
    "other_addresses": lambda c: _pairs(c.addresses[1:]),
    "urls": lambda c: _join(u["value"] for u in c.urls),
    "url_labels": lambda c: _labels([u["label"] for u in c.urls]),
    "birthday": lambda c: birthday_text(c.birthday) or "", "source": lambda c: c.source,
    "stage": lambda c: c.stage.slug if c.stage_id else "",
    "tags": lambda c: _join(sorted(t.name for t in c.tags.all())),
    "customer_since": lambda c: _date(c.customer_since),
    "reorder_every_days": lambda c: c.reorder_every_days or "",
    "stay_in_touch_days": lambda c: c.stay_in_touch_days or "",
    "social": lambda c: _join(f"{k}:{v}" for k, v in sorted((c.social or {}).items())),
    "last_contacted_at": lambda c: _date(c.last_contacted_at),
    "created_at": lambda c: _date(c.created_at), "updated_at": lambda c: _date(c.updated_at),
}


def declare() -> None:
    # --- Accounts ---
    register("accounts.User", Entry(
        _("Your account"), ACCOUNT, user_field="pk", export_file="account.csv",
        columns=(("id", lambda u: u.pk), ("name", lambda u: u.name), ("email", lambda u: u.email),
                 ("language", lambda u: u.language), ("currency", lambda u: u.currency),
                 ("timezone", lambda u: u.timezone), ("country", lambda u: u.country),
                 ("daily_digest", lambda u: u.daily_digest), ("digest_hour", lambda u: u.digest_hour),
                 ("digest_sent_on", lambda u: _date(u.digest_sent_on)),
                 ("reminder_hour", lambda u: u.reminder_hour),
                 ("adult_confirmed_at", lambda u: _date(u.adult_confirmed_at)),
                 ("onboarded_at", lambda u: _date(u.onboarded_at)),
                 ("created_at", lambda u: _date(u.created_at)), ("last_login", lambda u: _date(u.last_login))),
        correct=_("Settings → Profile, Email and Preferences"), delete=_("deleted when you delete your account")))
    register("accounts.ApiToken", Entry(
        _("API tokens (names, never the secrets)"), ACCOUNT, user_field="owner_id", export_file="api_tokens.csv",
        columns=(("name", lambda t: t.name), ("starts_with", lambda t: t.hint),
                 ("created_at", lambda t: _date(t.created_at)), ("last_used_at", lambda t: _date(t.last_used_at))),
        correct=_("Settings → API tokens (revoke)"), delete=_("revoke each in Settings → API tokens")))
    register("account.EmailAddress", Entry(
        _("Email addresses and their verification"), ACCOUNT, user_field="user_id", export_file="email_addresses.csv",
        columns=(("email", lambda e: e.email), ("verified", lambda e: e.verified), ("primary", lambda e: e.primary)),
        correct=_("Settings → Email")))
    register("account.EmailConfirmation", Entry(
        _("Pending email confirmations"), ACCOUNT, user_field="email_address__user_id",
        correct=_("Settings → Email"), delete=_("expire by themselves, and go with your account")))
    register("mfa.Authenticator", Entry(
        _("Two-factor authentication (that it is on; secrets stay encrypted)"), ACCOUNT, user_field="user_id",
        export_file="two_factor.csv",
        columns=(("type", lambda a: a.type), ("created_at", lambda a: _date(a.created_at)),
                 ("last_used_at", lambda a: _date(a.last_used_at))),
        correct=_("Settings → Two-factor"), delete=_("turn it off in Settings → Two-factor")))
    register("usersessions.UserSession", Entry(
        _("Sessions and devices"), ACCOUNT, user_field="user_id", export_file="sessions.csv",
        columns=(("started_at", lambda s: _date(s.created_at)), ("last_seen_at", lambda s: _date(s.last_seen_at)),
                 ("ip", lambda s: s.ip), ("browser", lambda s: s.user_agent),
                 ("country", lambda s: s.data.get("country", ""))),
        correct=_("Settings → Sessions"), delete=_("log out any session in Settings → Sessions")))
    register("sessions.Session", Entry(_("Login sessions (the session cookie's server side)"), ACCOUNT,
                                       delete=_("ended at logout, expiry or deletion")))
    # --- Billing (ids and status only: card data never reaches us) ---
    register("billing.Subscription", Entry(
        _("Billing: your plan, its status and Stripe's ids (never card data)"), ACCOUNT, user_field="user_id",
        export_file="billing.csv",
        columns=(("plan", lambda s: s.plan), ("status", lambda s: s.status), ("currency", lambda s: s.currency),
                 ("current_period_end", lambda s: _date(s.current_period_end)),
                 ("trial_end", lambda s: _date(s.trial_end)), ("grace_until", lambda s: _date(s.plan_until)),
                 ("stripe_customer", lambda s: s.customer_id), ("stripe_subscription", lambda s: s.subscription_id),
                 ("created_at", lambda s: _date(s.created_at)), ("updated_at", lambda s: _date(s.updated_at))),
        correct=_("Settings → Billing → Manage billing (Stripe's portal)"),
        delete=_("deleted with your account; the subscription is cancelled and the Stripe customer deleted")))
    register("billing.ProcessedEvent", Entry(_("Stripe events already handled (event ids only, no account)"), NONE))
    register("billing.StripeCustomerDeletion", Entry(
        _("Stripe customers of deleted accounts (the id only), kept until Stripe confirms their deletion"), STAFF,
        delete=_("forgotten as soon as Stripe confirms the customer is deleted")))
    # --- CRM ---
    register("crm.Contact", Entry(
        _("Contacts"), OWNED, user_field="owner_id", export_file="contacts.csv", order_by=("sort_name", "id"),
        select_related=("stage",), prefetch_related=("tags",),
        columns=tuple((name, _CONTACT_CELLS[name]) for name in EXPORT_COLUMNS),
        correct=_("each contact's Edit page, or PATCH /api/v1/contacts/{id}"),
        delete=_("delete on the contact's page")))
    register("crm.Note", Entry(
        _("Notes"), OWNED, user_field="owner_id", export_file="notes.csv", order_by=("created_at", "id"),
        columns=(("id", lambda n: n.pk), ("contact_id", lambda n: n.contact_id), ("body", lambda n: n.body),
                 ("created_at", lambda n: _date(n.created_at)), ("updated_at", lambda n: _date(n.updated_at))),
        correct=_("edit on the contact's page"), delete=_("delete on the contact's page")))
    register("crm.Message", Entry(
        _("Messages and conversations"), OWNED, user_field="owner_id", export_file="messages.csv",
        order_by=("sent_at", "id"),
        columns=(("id", lambda m: m.pk), ("contact_id", lambda m: m.contact_id), ("channel", lambda m: m.channel),
                 ("direction", lambda m: m.direction), ("body", lambda m: m.body),
                 ("sent_at", lambda m: _date(m.sent_at))),
        correct=_("the contact's page"), delete=_("delete the contact, on its page, to delete its history")))
    register("crm.FollowUp", Entry(
        _("Follow-ups"), OWNED, user_field="owner_id", export_file="followups.csv", order_by=("due_at", "id"),
        columns=(("id", lambda f: f.pk), ("contact_id", lambda f: f.contact_id), ("title", lambda f: f.title),
                 ("kind", lambda f: f.kind), ("due_at", lambda f: _date(f.due_at)),
                 ("done_at", lambda f: _date(f.done_at)), ("created_at", lambda f: _date(f.created_at))),
        correct=_("Follow-ups page"), delete=_("delete on the Follow-ups page")))
    register("crm.Order", Entry(
        _("Orders"), OWNED, user_field="owner_id", export_file="orders.csv",
        order_by=("ordered_on", "created_at", "id"),
        columns=(("id", lambda o: o.pk), ("contact_id", lambda o: o.contact_id),
                 ("ordered_on", lambda o: _date(o.ordered_on)), ("products", lambda o: o.products),
                 ("amount", lambda o: "" if o.amount is None else f"{o.amount:.2f}"),
                 ("currency", lambda o: o.currency),
                 ("created_at", lambda o: _date(o.created_at))),
        correct=_("the contact's page (Orders), or PATCH /api/v1/orders/{id}"),
        delete=_("delete on the contact's page")))
    register("crm.StageChange", Entry(
        _("Pipeline history"), OWNED, user_field="owner_id", export_file="stage_changes.csv", order_by=("at", "id"),
        columns=(("id", lambda s: s.pk), ("contact_id", lambda s: s.contact_id), ("from", lambda s: s.from_name),
                 ("to", lambda s: s.to_name),
                 ("at", lambda s: _date(s.at))),
        delete=_("delete the contact, on its page, to delete its history")))
    register("crm.Stage", Entry(
        _("Pipeline stages"), OWNED, user_field="owner_id", export_file="stages.csv", order_by=("position",),
        columns=(("slug", lambda s: s.slug), ("name", lambda s: s.name), ("position", lambda s: s.position),
                 ("followup_days", lambda s: s.followup_days or "")),
        correct=_("Pipeline settings")))
    register("crm.Tag", Entry(
        _("Tags"), OWNED, user_field="owner_id", export_file="tags.csv", order_by=("name",),
        columns=(("name", lambda t: t.name),), correct=_("each contact's tags")))
    register("crm.MessageTemplate", Entry(
        _("Message templates"), OWNED, user_field="owner_id", export_file="templates.csv",
        order_by=("position", "name"),
        columns=(("id", lambda t: t.pk), ("name", lambda t: t.name), ("channel", lambda t: t.channel),
                 ("subject", lambda t: t.subject), ("body", lambda t: t.body), ("position", lambda t: t.position),
                 ("created_at", lambda t: _date(t.created_at))),
        correct=_("Templates page"), delete=_("delete on the Templates page")))
    register("crm.ActivityDay", Entry(
        _("Daily activity"), OWNED, user_field="owner_id", export_file="activity.csv", order_by=("day",),
        columns=(("day", lambda a: _date(a.day)), ("reach_outs", lambda a: a.reach_outs),
                 ("follow_ups", lambda a: a.follow_ups), ("presentations", lambda a: a.presentations)),
        correct=_("Activity page")))
    register("crm.ActivityGoal", Entry(
        _("Daily goals"), OWNED, user_field="owner_id", export_file="activity_goal.csv",
        columns=(("reach_outs", lambda g: g.reach_outs), ("follow_ups", lambda g: g.follow_ups),
                 ("presentations", lambda g: g.presentations)),
        correct=_("Activity page")))
    register("crm.ImportJob", Entry(
        _("Imports"), OWNED, user_field="owner_id", export_file="imports.csv", order_by=("created_at",),
        columns=(("status", lambda i: i.status), ("format", lambda i: i.file_format),
                 ("created", lambda i: i.created), ("updated", lambda i: i.updated), ("skipped", lambda i: i.skipped),
                 ("errors", lambda i: len(i.errors or [])), ("created_at", lambda i: _date(i.created_at))),
        delete=_("with your account (the uploaded file itself is deleted when the import ends)")))
    register("crm.DuplicateDismissal", Entry(
        _("Contacts you marked as not the same person"), OWNED, user_field="owner_id",
        export_file="duplicate_dismissals.csv", order_by=("created_at", "id"),
        columns=(("contact_id", lambda d: d.contact_a_id), ("other_contact_id", lambda d: d.contact_b_id),
                 ("created_at", lambda d: _date(d.created_at))),
        correct=_("Contacts → Possible duplicates → Not the same person (Suggest again)"),
        delete=_("delete with “Suggest again” there; it also goes when either contact is deleted or merged")))
    register("crm.CalendarFeed", Entry(
        _("Private calendar feed (that it exists and how it titles events; its secret is kept only as a hash)"),
        OWNED, user_field="owner_id", export_file="calendar_feed.csv",
        columns=(("full_titles", lambda f: f.full_titles), ("created_at", lambda f: _date(f.created_at))),
        correct=_("Settings → Calendar"), delete=_("revoke it in Settings → Calendar")))
    register("crm.IdempotentAnswer", Entry(
        "Answers to API writes, kept 24 hours so that a repeated request (Idempotency-Key) gets the same one",
        DERIVED, user_field="owner_id", delete="after 24 hours, and with your account"))
    register("crm.ContactToken", Entry("Search index of contact names", DERIVED, user_field="owner_id"))
    register("crm.ContactLookup", Entry("Blind index of contact emails and phones", DERIVED, user_field="owner_id"))
    register("crm.Contact_tags", Entry("Contact ↔ tag links", DERIVED, user_field="contact__owner_id"))
    register("crm.ContactCount", Entry("How many contacts you hold (kept for the list's count)", DERIVED,
                                       user_field="owner_id"))
    # --- Teams (lte.teams: nothing in them points at anyone's CRM). Account rows, not owned ones: the ORM
    # deletes them with the account, so a leader's teams go with every membership and share in them. ---
    register("teams.Team", Entry(
        _("Teams you lead"), ACCOUNT, user_field="leader_id", export_file="teams_led.csv",
        order_by=("created_at", "id"),
        columns=(("id", lambda t: t.pk), ("name", lambda t: t.name), ("created_at", lambda t: _date(t.created_at))),
        correct=_("Teams → the team's page"), delete=_("close the team on its page; deleting your account closes it")))
    register("teams.Membership", Entry(
        _("Teams you are in, and whether you share your weekly counts"), ACCOUNT, user_field="user_id",
        export_file="team_memberships.csv", order_by=("joined_at", "id"), select_related=("team",),
        columns=(("team_id", lambda m: m.team_id), ("team", lambda m: m.team.name),
                 ("share_activity", lambda m: m.share_activity), ("joined_at", lambda m: _date(m.joined_at))),
        correct=_("Teams → the team's page (the sharing switch)"),
        delete=_("leave the team on its page: the membership and everything you shared go at once")))
    register("teams.Invite", Entry(
        _("Invite links and codes of your teams"), ACCOUNT, user_field="team__leader_id",
        export_file="team_invites.csv", order_by=("created_at", "id"),
        columns=(("team_id", lambda i: i.team_id), ("code", lambda i: i.code),
                 ("created_at", lambda i: _date(i.created_at)), ("expires_at", lambda i: _date(i.expires_at)),
                 ("revoked_at", lambda i: _date(i.revoked_at))),
        correct=_("Teams → the team's page (revoke or make a new one)"), delete=_("revoke on the team's page")))
    register("teams.SharedTemplate", Entry(
        _("Scripts you shared with your teams (copies of your templates)"), ACCOUNT, user_field="team__leader_id",
        export_file="team_scripts.csv", order_by=("created_at", "id"),
        columns=(("team_id", lambda t: t.team_id), ("name", lambda t: t.name), ("channel", lambda t: t.channel),
                 ("subject", lambda t: t.subject), ("body", lambda t: t.body), ("version", lambda t: t.version),
                 ("updated_at", lambda t: _date(t.updated_at))),
        correct=_("share the edited template again on the team's page"), delete=_("stop sharing on the team's page")))
    register("teams.TeamPost", Entry(
        _("Announcements, training notes and links you posted to your teams"), ACCOUNT, user_field="team__leader_id",
        export_file="team_posts.csv", order_by=("created_at", "id"),
        columns=(("team_id", lambda p: p.team_id), ("kind", lambda p: p.kind), ("title", lambda p: p.title),
                 ("body", lambda p: p.body), ("url", lambda p: p.url), ("created_at", lambda p: _date(p.created_at))),
        delete=_("delete on the team's page")))
    register("teams.TemplateCopy", Entry(
        _("Team scripts you copied into your templates (which version)"), ACCOUNT, user_field="user_id",
        export_file="team_script_copies.csv", order_by=("created_at", "id"),
        columns=(("shared_script_id", lambda c: c.shared_id), ("template_id", lambda c: c.template_id),
                 ("version", lambda c: c.version), ("created_at", lambda c: _date(c.created_at))),
        delete=_("deleted when you leave the team (your copies stay your templates)")))
    # --- Privacy ---
    register("privacy.LoginRecord", Entry(
        _("Login history"), ACCOUNT, user_field="user_id", export_file="logins.csv", order_by=("-at",),
        columns=(("at", lambda r: _date(r.at)), ("ip", lambda r: r.ip or ""), ("browser", lambda r: r.user_agent),
                 ("country", lambda r: r.country), ("method", lambda r: r.method)),
        delete=_("delete it on Your data (kept 90 days otherwise)")))
    register("privacy.UsageEvent", Entry(
        _("Usage events (pages and features, never contents)"), ACCOUNT, user_field="user_id",
        export_file="usage.csv", order_by=("-at",),
        columns=(("at", lambda e: _date(e.at)), ("name", lambda e: e.name)),
        delete=_("delete it on Your data (kept 90 days otherwise)")))
    register("privacy.SupportGrant", Entry(
        _("Support access you granted"), ACCOUNT, user_field="user_id", export_file="support_grants.csv",
        columns=(("created_at", lambda g: _date(g.created_at)), ("expires_at", lambda g: _date(g.expires_at)),
                 ("revoked_at", lambda g: _date(g.revoked_at))),
        correct=_("Your data → Support access")))
    register("privacy.PolicyAcknowledgement", Entry(
        _("Policy acknowledgements"), ACCOUNT, user_field="user_id", export_file="policy_acknowledgements.csv",
        columns=(("policy", lambda a: a.version.kind), ("version", lambda a: _date(a.version.published_on)),
                 ("acknowledged_at", lambda a: _date(a.at))),
        select_related=("version",)))
    register("privacy.StaffAccess", Entry(
        _("Staff access to your account"), STAFF, user_field="account_id", export_file="staff_access.csv",
        order_by=("seq",),
        columns=(("at", lambda s: _date(s.at)), ("staff", lambda s: s.staff_name), ("basis", lambda s: s.basis),
                 ("reason", lambda s: s.reason), ("action", lambda s: s.action), ("resource", lambda s: s.resource)),
        delete=_("kept (append-only); the reasons are sealed under your key, so they are shredded with it")))
    register("privacy.ChildReport", Entry(
        _("Reports that an account belongs to a child"), STAFF,
        delete=_("resolved and kept by staff; hold only the reported address")))
    register("privacy.UsageDailyCount", Entry("Anonymous daily usage counts", AGGREGATE))
    register("privacy.VisitorDay", Entry("Anonymous daily visitor counts", AGGREGATE))
    register("privacy.PolicyVersion", Entry("Published policies", NONE))
    # --- Key store ---
    for label in ("vault.AccountKey", "vault.AccountIndexKey"):
        register(label, Entry(_("Encryption keys of your account"), KEYS, user_field="owner_id",
                              delete=_("destroyed at once when you delete your account")))
    register("vault.Tombstone", Entry(_("Deletion record (account id and time only)"), KEYS,
                                      delete=_("kept 91 days so no backup brings a deleted account back")))
    # --- Framework tables with nothing about anyone ---
    register("admin.LogEntry", Entry(_("Staff's admin actions (on staff-side records only)"), STAFF,
                                     user_field="user_id", delete=_("kept with the staff member's account")))
    for label in ("auth.Permission", "auth.Group", "contenttypes.ContentType"):
        register(label, Entry("Framework table", NONE))
    register("accounts.User_groups", Entry(_("Staff roles given to your account (none for sellers)"), ACCOUNT,
                                           user_field="user_id"))
    register("accounts.User_user_permissions", Entry(_("Staff rights given to your account (none for sellers)"),
                                                     ACCOUNT, user_field="user_id"))
    register("auth.Group_permissions", Entry("Framework table", NONE))
