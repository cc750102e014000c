"""The pipeline: the board of contacts by stage, and adding, renaming, reordering and deleting the stages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lte.crm.forms import StageDeleteForm, StageNameForm
from lte.crm.models import Contact, FollowUp, Stage
from lte.crm.services import stages
from lte.lib.formats import format_number
from lte.lib.http import flash_errors, form_errors, next_url

BOARD_CARDS = 50


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    user = request.user
    pipeline = stages.stages_of(user)
    counts = dict(Contact.objects.owned_by(user).values_list("stage").annotate(n=Count("id")).order_by())
    # Each card's next open follow-up (and, from the contact itself, the last contact).
    next_due = Subquery(FollowUp.objects.owned_by(user).filter(contact=OuterRef("pk"), done_at__isnull=True)
                        .order_by("due_at").values("due_at")[:1])
    columns = []
    for i, stage in enumerate(pipeline):
        cards = (Contact.objects.owned_by(user).filter(stage=stage).annotate(next_due=next_due)
                 .order_by("sort_name", "id")[:BOARD_CARDS])
        columns.append({"stage": stage, "cards": list(cards), "count": counts.get(stage.pk, 0),
                        "next": pipeline[i + 1] if i + 1 < len(pipeline) else None})
    return render(request, "crm/board.html", {"columns": columns, "stages": pipeline, "limit": BOARD_CARDS,
                                              "moved": request.GET.get("moved", "")[:40], "section": "board",
                                              "add_form": StageNameForm(prefix="new"),
                                              "can_add": len(pipeline) < stages.MAX_STAGES})


@login_required
@require_GET
def stage_list(request: HttpRequest) -> HttpResponse:
    pipeline = stages.stages_of(request.user)
    counts = dict(Contact.objects.owned_by(request.user).values_list("stage").annotate(n=Count("id")).order_by())
    rows = [{"stage": s, "count": counts.get(s.pk, 0), "form": StageNameForm(initial={"name": s.name},
                                                                             prefix=s.slug)} for s in pipeline]
    return render(request, "crm/stage_list.html", {"rows": rows, "section": "stages",
                                                   "add_form": StageNameForm(prefix="new"),
                                                   "can_add": len(pipeline) < stages.MAX_STAGES})


@login_required
@require_POST
def stage_add(request: HttpRequest) -> HttpResponse:
    """A new stage at the end, from the board or the stages page (`next` says which one to go back to)."""
    back = next_url(request, reverse("crm:stage-list"))
    form = StageNameForm(request.POST, prefix="new")
    with flash_errors(request):
        if not form.is_valid():
            raise ValidationError(_("A stage name is 1 to 40 characters."))
        stage = stages.stage_create(owner=request.user, name=form.cleaned_data["name"])
        messages.success(request, _("Stage “%(stage)s” added at the end.") % {"stage": stage.name})
        return redirect(back.split("#")[0] + ("#col-" if back.startswith(reverse("crm:board")) else "#stage-")
                        + stage.slug)
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def stage_delete(request: HttpRequest, slug: str) -> HttpResponse:
    """Asks where the stage's contacts go (any other stage), then deletes it; the last stage stays."""
    stage = _stage(request, slug)
    pipeline = stages.stages_of(request.user)
    others = [s for s in pipeline if s.pk != stage.pk]
    count = Contact.objects.owned_by(request.user).filter(stage=stage).count()
    back = next_url(request, reverse("crm:stage-list"))
    form = StageDeleteForm(request.POST if request.method == "POST" else None,
                           choices=[(s.slug, s.name) for s in others], needed=bool(count))
    if request.method == "POST" and form.is_valid():
        with form_errors(form):
            moved = stages.stage_delete(owner=request.user, slug=stage.slug,
                                        move_to=form.cleaned_data.get("move_to") or None)
            if moved:
                messages.success(request, ngettext(
                    "Stage “%(stage)s” deleted; its contact is now in %(target)s.",
                    "Stage “%(stage)s” deleted; its %(count)s contacts are now in %(target)s.", moved) % {
                    "stage": stage.name, "count": format_number(moved),
                    "target": next(s.name for s in others if s.slug == form.cleaned_data["move_to"])})
            else:
                messages.success(request, _("Stage “%(stage)s” deleted.") % {"stage": stage.name})
            return redirect(back.split("#")[0])
    return render(request, "crm/stage_delete.html", {"stage": stage, "count": count, "form": form, "back": back,
                                                     "last": not others, "section": "stages"})


def _stage(request: HttpRequest, slug: str) -> Stage:
    return get_object_or_404(Stage.objects.owned_by(request.user), slug=slug)


@login_required
@require_POST
def stage_rename(request: HttpRequest, slug: str) -> HttpResponse:
    stage = _stage(request, slug)
    form = StageNameForm(request.POST, prefix=stage.slug)
    with flash_errors(request):
        if not form.is_valid():
            raise ValidationError(_("A stage name is 1 to 40 characters."))
        stages.stage_rename(owner=request.user, slug=stage.slug, name=form.cleaned_data["name"])
        messages.success(request, _("Stage renamed."))
    return redirect("crm:stage-list")


@login_required
@require_POST
def stage_rule(request: HttpRequest, slug: str) -> HttpResponse:
    stage = _stage(request, slug)
    with flash_errors(request):
        stage = stages.stage_rule_set(owner=request.user, slug=stage.slug,
                                      followup_days=request.POST.get("followup_days", "")[:10].strip())
        if stage.followup_days:
            messages.success(request, _("Contacts moved to %(stage)s get a follow-up %(days)s days later.")
                             % {"stage": stage.name, "days": stage.followup_days})
        else:
            messages.success(request, _("No follow-up rule for %(stage)s.") % {"stage": stage.name})
    return redirect(reverse("crm:stage-list") + f"#stage-{stage.slug}")


@login_required
@require_POST
def stage_move(request: HttpRequest, slug: str) -> HttpResponse:
    stage = _stage(request, slug)
    slugs = [s.slug for s in stages.stages_of(request.user)]
    i = slugs.index(stage.slug)
    j = i - 1 if request.POST.get("direction") == "up" else i + 1
    if 0 <= j < len(slugs):
        slugs[i], slugs[j] = slugs[j], slugs[i]
        stages.stage_reorder(owner=request.user, slugs=slugs)
    return redirect(reverse("crm:stage-list") + f"#stage-{stage.slug}")
