from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lte.teams.models import TeamPost


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=80)


class JoinForm(forms.Form):
    code = forms.CharField(label=_("Invite code"), max_length=64)


class PostForm(forms.Form):
    kind = forms.ChoiceField(label=_("What is it?"), initial=TeamPost.Kind.ANNOUNCEMENT, required=False, choices=[
        (TeamPost.Kind.ANNOUNCEMENT, _("Announcement")), (TeamPost.Kind.TRAINING, _("Training note")),
        (TeamPost.Kind.LINK, _("Link"))])
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(label=_("Text"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4}))
    url = forms.CharField(label=_("Link (optional)"), max_length=500, required=False,
                          widget=forms.URLInput(attrs={"placeholder": "https://"}))
