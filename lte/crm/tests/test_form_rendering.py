"""Form widgets render through Jinja2 (settings.FORM_RENDERER: Django's own jinja2 copies of its widget templates,
about twice as fast as through the Django template engine). What a seller's browser gets must be the same
HTML either way: every field of the app's forms, blank and bound with errors, in two languages."""

from __future__ import annotations

import pytest
from django.contrib.admin.widgets import AdminDateWidget
from django.forms.renderers import DjangoTemplates, Jinja2, get_default_renderer
from django.test.html import parse_html
from django.utils import translation

from lte.accounts.forms import ApiTokenForm, CountryForm
from lte.crm import forms as crm_forms
from lte.crm.models import Stage
from lte.teams.forms import JoinForm, PostForm, TeamForm

STAGES = [Stage(slug="new-lead", name="New lead"), Stage(slug="customer", name="Customer")]
FORMS = [  # each form with what it needs and the prefix its page gives it
    (crm_forms.QuickContactForm, {}, None), (crm_forms.ContactForm, {"stages": STAGES}, None),
    (crm_forms.NoteForm, {}, "note"), (crm_forms.MessageForm, {}, "msg"), (crm_forms.OrderForm, {}, "order"),
    (crm_forms.FollowUpForm, {}, "fu"), (crm_forms.FollowUpEditForm, {}, None), (crm_forms.TemplateForm, {}, None),
    (crm_forms.GoalForm, {}, None), (crm_forms.StageNameForm, {}, None),
    (crm_forms.StageDeleteForm, {"choices": [("customer", "Customer"), ("new-lead", "New lead")], "needed": True},
     None),
    (CountryForm, {}, None), (ApiTokenForm, {}, None), (TeamForm, {}, None), (JoinForm, {}, None),
    (PostForm, {}, None),
]


def test_the_forms_render_through_jinja2_and_the_admins_widgets_through_the_django_engine():
    renderer = get_default_renderer()
    assert isinstance(renderer.fast, Jinja2)
    assert renderer.get_template("django/forms/widgets/input.html").backend is renderer.fast.engine
    admin = AdminDateWidget().render("day", None)  # admin/widgets/date.html exists only for the Django engine
    assert parse_html(admin) == parse_html(AdminDateWidget().render("day", None, renderer=DjangoTemplates()))
    assert 'class="vDateField"' in admin


def _rendered(form) -> list:
    parts = [form.non_field_errors()]
    for field in form:
        parts += [field.as_widget(), field.label_tag(), field.errors]
    return [parse_html(str(part)) for part in parts]


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize(("form_class", "kwargs", "prefix"), FORMS, ids=[f.__name__ for f, _, _ in FORMS])
def test_every_field_reads_as_the_django_template_engine_renders_it(form_class, kwargs, prefix, language):
    bound = {"fu-due_at": "not a day", "order-amount": "-1", "msg-direction": "sideways", "title": "x" * 500}
    with translation.override(language):
        for data in (None, bound):
            ours = form_class(data, prefix=prefix, **kwargs)
            django = form_class(data, prefix=prefix, renderer=DjangoTemplates(), **kwargs)
            assert _rendered(ours) == _rendered(django)
            assert all("<" in str(field.as_widget()) for field in ours)  # every field rendered an element

