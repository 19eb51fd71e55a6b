"""The project's form renderer, and the neutralising of invisible characters in every form.

Rendering: Django puts `maxlength` on every CharField's widget, textareas included. A browser
then cuts pasted text at that length without a word, so a long note would be saved
half-written (found by hand: a pasted 100,000-character note was saved as its first 20,000).
Text areas are rendered without it here; the field's own validation still refuses
over-long text with a message beside the field, and nothing is lost.

Input: every text field of every form — the project's forms through `NeutralisingFormMixin`
(`Form` and `ModelForm` below), the admin's through `accounts.admin_base` — removes
Unicode direction overrides and other invisible control and format characters before
anything else sees the value (`casework.text.neutralise`): a single-line field also turns a
newline or tab into a space, a text area keeps its lines. Fields declared with
`strip=False` (passwords) are left exactly as typed. A test walks every form class and every
admin form and fails on a text field that does not neutralise.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.forms.renderers import DjangoTemplates

from .text import neutralise


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget and widget.get("template_name", "").endswith("textarea.html"):
            widget["attrs"] = {key: value for key, value in widget["attrs"].items() if key != "maxlength"}
        return super().render(template_name, context, request)


class NeutralisingField:
    """Mixed into a text field's class: the raw value is neutralised before the field's own to_python."""

    def to_python(self, value):
        return super().to_python(neutralise(value, multiline=isinstance(self.widget, forms.Textarea)))


_NEUTRALISING_CLASSES: dict[type, type] = {}


def neutralises(field: forms.Field) -> bool:
    """True when `field` takes text in and is not declared to keep it exactly (strip=False)."""
    return isinstance(field, forms.CharField) and field.strip


def neutralise_field(field: forms.Field) -> forms.Field:
    """Make `field` (any CharField: Email, Slug, URL, JSON, a project subclass…) neutralise its input.

    Its class becomes a subclass that neutralises first and then does everything the
    original does. Fields that are not text, or keep their text exactly (strip=False),
    are returned unchanged. Idempotent; returns the same field.
    """
    if not neutralises(field) or isinstance(field, NeutralisingField):
        return field
    cls = type(field)
    if cls not in _NEUTRALISING_CLASSES:
        _NEUTRALISING_CLASSES[cls] = type(f"Neutralising{cls.__name__}", (NeutralisingField, cls), {})
    field.__class__ = _NEUTRALISING_CLASSES[cls]
    return field


def neutralise_fields(fields: Mapping[str, forms.Field]) -> None:
    """`neutralise_field` on every field of a form's `fields` or `base_fields`."""
    for field in fields.values():
        neutralise_field(field)


class NeutralisingFormMixin:
    """Put first in the bases of a form: every text field neutralises invisible characters.

    Applied to the form's own copy of its fields when it is made and again just before it
    is cleaned, so fields a form adds in its own `__init__` are covered too.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        neutralise_fields(self.fields)

    def full_clean(self):
        neutralise_fields(self.fields)
        super().full_clean()


class Form(NeutralisingFormMixin, forms.Form):
    """The project's base form."""


class ModelForm(NeutralisingFormMixin, forms.ModelForm):
    """The project's base model form."""
