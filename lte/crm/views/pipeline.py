"""The pipeline: the board of contacts by stage, and renaming and reordering the stages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lte.crm.forms import StageNameForm
from lte.crm.models import Contact, FollowUp, Stage
from lte.crm.services import stages
from lte.lib.http import flash_errors

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
                                              "moved": request.GET.get("moved", "")[:40], "section": "board"})


@login_required
@require_GET
def stage_list(request: HttpRequest) -> HttpResponse:
    pipeline = stages.stages_of(request.user)
    counts = dict(Contact.objects.owned_by(request.user).values_list("stage").annotate(n=Count("id")).order_by())
    rows = [{"stage": s, "count": counts.get(s.pk, 0), "form": StageNameForm(initial={"name": s.name},
                                                                             prefix=s.slug)} for s in pipeline]
    return render(request, "crm/stage_list.html", {"rows": rows, "section": "stages"})


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
