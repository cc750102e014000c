"""The team pages: the list, a team as its leader or a member sees it, and the one-tap join link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lte.accounts.http import AuthenticatedHttpRequest
from lte.accounts.plans import can_lead_teams
from lte.crm.models import MessageTemplate
from lte.lib.http import flash_errors, found
from lte.teams import services
from lte.teams.forms import JoinForm, PostForm, TeamForm
from lte.teams.models import SharedTemplate, TemplateCopy
from lte.teams.queries import team_view, teams_of


def _team_page(team_id) -> str:
    return reverse("teams:detail", args=[team_id])


@login_required
@require_GET
def team_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "teams/team_list.html", {
        "teams": teams_of(request.user), "can_lead": can_lead_teams(request.user),
        "team_form": TeamForm(), "join_form": JoinForm(), "section": "teams"})


@login_required
@require_POST
def team_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TeamForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A team needs a name (up to 80 characters)."))
        return redirect("teams:list")
    with flash_errors(request):
        team, _invite = services.team_create(leader=request.user, name=form.cleaned_data["name"])
        messages.success(request, _("Your team is ready: share its invite link or code."))
        return redirect(_team_page(team.pk))
    return redirect("teams:list")


@login_required
@require_POST
def team_join_by_code(request: AuthenticatedHttpRequest) -> HttpResponse:
    code = services.normalise_code(request.POST.get("code", ""))
    if not code:
        messages.error(request, _("Type the invite code your leader gave you."))
        return redirect("teams:list")
    return redirect("teams:join", code=code)


@login_required
@require_http_methods(["GET", "POST"])
def team_join(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """An invite link: whoever holds it sees the team's name and its leader's, and joins with one tap."""
    try:
        invite = services.invite_by_code(code)
    except services.InviteNotFound:
        return render(request, "teams/join.html", {"invite": None, "section": "teams"}, status=404)
    if request.method == "POST":
        try:
            team = services.team_join(user=request.user, code=code)
        except services.InviteExpired:
            pass
        else:
            messages.success(request, _("You joined %(team)s.") % {"team": team.name})
            return redirect(_team_page(team.pk))
    member = invite.team.memberships.filter(user_id=request.user.pk).exists()
    return render(request, "teams/join.html", {"invite": invite, "team": invite.team, "member": member,
                                               "usable": invite.is_usable, "section": "teams"},
                  status=200 if invite.is_usable or member else 410)


@login_required
@require_GET
def team_detail(request: AuthenticatedHttpRequest, team_id) -> HttpResponse:
    with found():
        team = services.team_for(request.user, team_id)
    view = team_view(team, request.user)
    posts = list(team.posts.all())
    shared = list(SharedTemplate.objects.filter(team=team))
    copies = {c.shared_id: c for c in TemplateCopy.objects.filter(user_id=request.user.pk, shared__team=team)}
    scripts = [{"shared": s, "copy": copies.get(s.pk), "update": s.pk in copies and copies[s.pk].version < s.version}
               for s in shared]
    context = {
        "team": team, "view": view, "scripts": scripts, "section": "teams",
        "announcement": next((p for p in posts if p.kind == p.Kind.ANNOUNCEMENT), None),
        "posts": [p for p in posts if p.kind != p.Kind.ANNOUNCEMENT],
        "leader_name": team.leader.name,
    }
    if view.is_leader:
        invite = services.current_invite(team)
        context.update({
            "invite": invite,
            "invite_link": request.build_absolute_uri(reverse("teams:join", args=[invite.code])) if invite else "",
            "post_form": PostForm(),
            "my_templates": MessageTemplate.objects.owned_by(request.user).only("id", "name"),
            "shared_sources": {s.source_id for s in shared},
        })
    return render(request, "teams/team_detail.html", context)


@login_required
@require_POST
def team_share(request: AuthenticatedHttpRequest, team_id) -> HttpResponse:
    share = request.POST.get("share") in ("on", "1", "true", "yes")
    with found():
        services.share_activity_set(user=request.user, team_id=team_id, share=share)
    messages.success(request, _("Your leader now sees your weekly counts.") if share
                     else _("Your leader no longer sees your weekly counts."))
    return redirect(_team_page(team_id))


@login_required
@require_http_methods(["GET", "POST"])
def team_leave(request: AuthenticatedHttpRequest, team_id) -> HttpResponse:
    with found():
        team = services.team_for(request.user, team_id)
    leading = team.leader_id == request.user.pk
    if request.method == "POST":
        with found():
            services.team_leave(user=request.user, team_id=team.pk)
        messages.success(request, _("The team is closed.") if leading else _("You left the team."))
        return redirect("teams:list")
    return render(request, "crm/confirm.html", {
        "title": _("Close this team?") if leading else _("Leave this team?"), "subject_name": team.name,
        "action": reverse("teams:leave", args=[team.pk]),
        "explain": _("Every member leaves it, and everything shared in it goes. Your members keep the copies of "
                     "scripts they took.") if leading else
        _("Your membership and everything you shared with the team go at once. The copies of scripts you took "
          "stay yours."),
        "confirm": _("Close the team") if leading else _("Leave"), "danger": True, "back": _team_page(team.pk),
        "section": "teams"})


@login_required
@require_POST
def invite_regenerate(request: AuthenticatedHttpRequest, team_id) -> HttpResponse:
    with found():
        services.invite_regenerate(leader=request.user, team_id=team_id)
    messages.success(request, _("A new invite is ready; the old link and code no longer work."))
    return redirect(_team_page(team_id))


@login_required
@require_POST
def invite_revoke(request: AuthenticatedHttpRequest, team_id) -> HttpResponse:
    with found():
        services.invite_revoke(leader=request.user, team_id=team_id)
    messages.success(request, _("The invite link and code no longer work."))
    return redirect(_team_page(team_id))


@login_required
@require_POST
def post_add(request: AuthenticatedHttpRequest, team_id) -> HttpResponse:
    with found():
        services.team_led_by(request.user, team_id)
    form = PostForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A post needs a title (up to 120 characters)."))
        return redirect(_team_page(team_id))
    with flash_errors(request):
        data = form.cleaned_data
        services.post_create(leader=request.user, team_id=team_id, kind=data["kind"] or "announcement",
                             title=data["title"], body=data["body"], url=data["url"])
        messages.success(request, _("Posted to the team."))
    return redirect(_team_page(team_id))


@login_required
@require_POST
def post_delete(request: AuthenticatedHttpRequest, team_id, post_id) -> HttpResponse:
    with found():
        services.post_delete(leader=request.user, team_id=team_id, post_id=post_id)
    messages.success(request, _("Post deleted."))
    return redirect(_team_page(team_id))


@login_required
@require_POST
def script_share(request: AuthenticatedHttpRequest, team_id) -> HttpResponse:
    with found():
        services.team_led_by(request.user, team_id)
    with flash_errors(request):
        try:
            services.template_share(leader=request.user, team_id=team_id,
                                    template_id=request.POST.get("template_id", ""))
        except (MessageTemplate.DoesNotExist, ValidationError, ValueError):
            raise ValidationError(_("Choose one of your templates to share.")) from None
        messages.success(request, _("Script shared with the team."))
    return redirect(_team_page(team_id))


@login_required
@require_POST
def script_copy(request: AuthenticatedHttpRequest, team_id, shared_id) -> HttpResponse:
    with found(), flash_errors(request):
        services.shared_template_copy(user=request.user, team_id=team_id, shared_id=shared_id)
        messages.success(request, _("Copied to your templates: it's yours to edit."))
    return redirect(_team_page(team_id))


@login_required
@require_POST
def script_unshare(request: AuthenticatedHttpRequest, team_id, shared_id) -> HttpResponse:
    with found():
        services.shared_template_delete(leader=request.user, team_id=team_id, shared_id=shared_id)
    messages.success(request, _("The script is no longer shared. Copies members took stay theirs."))
    return redirect(_team_page(team_id))


@login_required
@require_POST
def member_remove(request: AuthenticatedHttpRequest, team_id, member_id) -> HttpResponse:
    with found():
        services.member_remove(leader=request.user, team_id=team_id, member_id=member_id)
    messages.success(request, _("The member was removed, with everything they shared."))
    return redirect(_team_page(team_id))


