"""Every text field of every form, the admin's included, neutralises invisible control characters.

The test for the kind: it walks every form class the project defines and every form the
admin builds, so a new form or field that forgets is caught here rather than in a PDF that
prints a reference backwards.
"""

from __future__ import annotations

import copy
import importlib

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin

from casework.forms import NeutralisingField, NeutralisingFormMixin, neutralise_fields

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
PROJECT_APPS = ("accounts", "clients", "consent", "sharing", "statutory", "rights", "breaches", "access")
PROJECT_APPS += ("imports", "reports", "deadlines", "casework")


def _project_form_classes() -> list[type]:
    for app in PROJECT_APPS:
        for module in ("forms", "admin"):
            try:
                importlib.import_module(f"{app}.{module}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.{module}":
                    raise
    found, stack = [], [forms.BaseForm]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        package, _, rest = cls.__module__.partition(".")
        if package in PROJECT_APPS and ".tests" not in f".{rest}" and cls.__module__ != "casework.forms":
            found.append(cls)
    return sorted(set(found), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


FORM_CLASSES = _project_form_classes()


def _typed(field: forms.CharField) -> str:
    """A value the field accepts, with a direction override in the middle."""
    if isinstance(field, forms.EmailField):
        return f"ann{RLO}@example.org"
    if isinstance(field, forms.JSONField):
        return f'{{"note": "a{RLO}b"}}'
    return f"CL-{RLO}ABC123"


def _assert_neutralises(fields, where: str) -> None:
    for name, field in fields.items():
        if not isinstance(field, forms.CharField):
            continue
        if not field.strip:
            # Kept exactly as sent: only passwords, and hidden values nobody types (a page to return to).
            assert isinstance(field.widget, forms.PasswordInput | forms.HiddenInput), (
                f"{where}.{name} keeps its text exactly but is neither a password nor hidden"
            )
            continue
        assert isinstance(field, NeutralisingField), f"{where}.{name} does not neutralise its input"
        value = field.to_python(_typed(field))
        assert RLO not in str(value), f"{where}.{name} kept a direction override"


def test_the_walk_finds_the_forms_of_every_kind():
    names = {cls.__name__ for cls in FORM_CLASSES}
    assert {"StatutoryRequestForm", "SarLogForm", "ReportForm", "ClientDetailsForm", "ImportForm"} <= names
    assert {"MeetingForm", "PartnerAdminForm", "StaffCreationForm", "LoginForm"} <= names


@pytest.mark.parametrize("form_class", FORM_CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_every_project_form_neutralises_every_text_field(form_class):
    assert issubclass(form_class, NeutralisingFormMixin), f"{form_class} does not use casework.forms' base forms"
    # What the mixin does to each form's own copy of its fields.
    fields = copy.deepcopy(form_class.base_fields)
    neutralise_fields(fields)
    _assert_neutralises(fields, form_class.__qualname__)


def test_every_admin_form_and_inline_neutralises_every_text_field(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    checked = 0
    for model, model_admin in admin.site._registry.items():
        where = f"{model._meta.label} admin"
        _assert_neutralises(model_admin.get_form(request).base_fields, where)
        for inline in model_admin.get_inline_instances(request):
            _assert_neutralises(inline.get_formset(request).form.base_fields, f"{where} inline")
        checked += 1
    assert checked == len(admin.site._registry) > 10


def test_a_form_cleans_names_and_references_and_keeps_the_lines_of_a_text_area(db):
    from statutory.forms import ReviewForm

    class Example(ReviewForm):
        officer = forms.CharField()
        story = forms.CharField(widget=forms.Textarea)

    form = Example(data={"officer": f"DC {RLO}Patel\u200b", "story": f"Line one{RLO}\r\nLine two", "upheld": "yes"})
    form.is_valid()
    assert form.cleaned_data["officer"] == "DC Patel"
    assert form.cleaned_data["story"] == "Line one\nLine two"


def test_a_staff_name_typed_in_the_admin_is_neutralised(rf, admin_user):
    user_model = apps.get_model("accounts", "User")
    request = rf.get("/admin/")
    request.user = admin_user
    form_class = admin.site._registry[user_model].get_form(request)
    form = form_class(data={"username": f"sam{RLO}", "first_name": f"Sam{RLO}", "last_name": "Patel\u2066"})
    form.is_valid()
    assert form.cleaned_data["username"] == "sam"
    assert form.cleaned_data["first_name"] == "Sam"
    assert form.cleaned_data["last_name"] == "Patel"
