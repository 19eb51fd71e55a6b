"""Forms: input parsing only. The rules live in consent.services.

`SelectionField` is the reusable `{category: level}` chooser (sharing uses it for
referrals): per category a fieldset with a legend and three radios — not shared,
summary, detail. Its cleaned value is a `clients.categories.Selection`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.forms.boundfield import BoundField
from django.utils import timezone

from casework.forms import Form
from clients.categories import CATEGORIES, Category, Level, Selection

from . import evidence as evidence_files
from .models import (
    BasisEndReason,
    ConsentRecord,
    ConsentReview,
    CriminalCondition,
    LawfulBasis,
    MeetingGroup,
    PrivacyNotice,
    SpecialCondition,
)
from .selectors import active_partners, active_purposes

NOT_SHARED = ""


def level_choices(category: Category, none_label: str = "Not shared") -> list[tuple[str, str]]:
    """The three answers for one category: `none_label` (the blank value), summary, detail."""
    return [
        (NOT_SHARED, none_label),
        (Level.SUMMARY.label, f"Summary: {category.summary_help.lower()}"),
        (Level.DETAIL.label, f"Detail: {category.detail_help.lower()} (includes the summary)"),
    ]


class SelectionWidget(forms.MultiWidget):
    """One radio group per category, each in its own fieldset with the category as legend."""

    template_name = "consent/widgets/selection.html"

    def __init__(self, categories: tuple[Category, ...] = CATEGORIES, attrs=None, none_label: str = "Not shared"):
        self.categories = tuple(categories)
        widgets = {
            category.key: forms.RadioSelect(choices=level_choices(category, none_label)) for category in self.categories
        }
        super().__init__(widgets, attrs)

    def decompress(self, value):
        selection = value if isinstance(value, Selection) else Selection.from_json(value or {})
        return [selection[c.key].label if c.key in selection else NOT_SHARED for c in self.categories]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for category, subwidget in zip(self.categories, context["widget"]["subwidgets"], strict=True):
            subwidget["category"] = category
        return context

    def id_for_label(self, id_):
        # The first radio of the first category, so the error summary link lands in the group.
        return f"{id_}_0_0" if id_ else ""


class GroupBoundField(BoundField):
    """Rendered by includes/field.html like a radio group: a fieldset with the label as legend."""

    @property
    def widget_type(self):
        return "radioselect"


class SelectionField(forms.MultiValueField):
    default_error_messages = {"required": "Choose at least one item of information."}
    bound_field_class = GroupBoundField

    def __init__(self, *, categories: tuple[Category, ...] = CATEGORIES, none_label: str = "Not shared", **kwargs):
        """`none_label` names the blank answer: "Not shared" for consent and referrals, "Not asked
        for" on what a police request asks for."""
        self.categories = tuple(categories)
        fields = [forms.ChoiceField(choices=level_choices(c, none_label), required=False) for c in self.categories]
        kwargs.setdefault("widget", SelectionWidget(self.categories, none_label=none_label))
        super().__init__(fields=fields, require_all_fields=False, **kwargs)

    def compress(self, data_list) -> Selection:
        return Selection(
            (category.key, level)
            for category, level in zip(self.categories, data_list or [], strict=False)
            if level not in (None, NOT_SHARED)
        )

    def clean(self, value):
        if isinstance(value, Selection):
            value = self.widget.decompress(value)
        return super().clean(value)


@dataclass(frozen=True)
class Reveal:
    """Fields that matter only for some answers to one radio question (a basis, a method).

    Rendered by includes/fields.html as a fieldset with `legend` (or, without one, a plain
    group whose field is itself a fieldset). static/js/reveal.js shows the group only while
    the radio named `control` has one of `values`, and disables it while hidden so what
    cannot be seen is not sent. Without JavaScript every group shows and the service checks
    what the answer given needs; a group holding a field with an error always shows.
    """

    legend: str
    control: str
    values: tuple[str, ...]
    names: tuple[str, ...]


@dataclass(frozen=True)
class BoundReveal:
    """A `Reveal` bound to a form: what includes/fields.html renders."""

    legend: str
    control: str
    values: str
    fields: list
    is_group: bool = True


def form_layout(form: forms.Form, items) -> list:
    """Bind a layout for includes/fields.html: each item a field name or a `Reveal`.

    Returns a list of BoundField and `BoundReveal`, in the order given.
    """
    return [
        BoundReveal(item.legend, item.control, " ".join(item.values), [form[name] for name in item.names])
        if isinstance(item, Reveal)
        else form[item]
        for item in items
    ]


def layout_names(items) -> list[str]:
    """The field names of a layout (field names and `Reveal`s), in order: a form's `field_order`."""
    return [name for item in items for name in (item.names if isinstance(item, Reveal) else (item,))]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class ScopeFields(Form):
    """Recipients, purposes and the selection: the scope every basis names."""

    partners = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Organisations the information may go to",
        help_text="Name each organisation. “Partner agencies” in general is not specific enough.",
    )
    meeting_group = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Or a multi-agency meeting group",
        empty_label="No meeting group",
        help_text="Covers sharing at the group's meetings with its named member organisations only.",
    )
    purposes = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, label="Purposes", required=False
    )
    selection = SelectionField(label="What information may be shared", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partners"].queryset = active_partners()
        self.fields["meeting_group"].queryset = MeetingGroup.objects.filter(is_active=True).order_by("name")
        self.fields["purposes"].queryset = active_purposes()

    def scope_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "partners": list(data["partners"]),
            "meeting_group": data["meeting_group"],
            "purposes": list(data["purposes"]),
            "selection": data["selection"],
        }


class NoticeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"Version {obj.version}, from {obj.effective_on.day} {obj.effective_on:%B %Y}"


class ConsentForm(ScopeFields):
    method = forms.ChoiceField(
        choices=ConsentRecord.Method.choices,
        widget=forms.RadioSelect,
        label="How the client gave consent",
        error_messages={"required": "Choose how the client gave consent."},
    )
    evidence = forms.FileField(
        required=False,
        label="Signed consent form",
        help_text="For written consent: a PDF, or a photo or scan as JPEG or PNG.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )
    witness_name = forms.CharField(
        required=False, max_length=200, label="Witness", help_text="For verbal consent: who else heard it."
    )
    verbal_notes = forms.CharField(required=False, widget=forms.Textarea, label="Notes on the conversation")
    explicit_statement = forms.CharField(
        required=False,
        widget=forms.Textarea,
        label="What the client said, in their words",
        help_text="Needed for verbal consent to share health, substance use, domestic abuse, "
        "childhood experiences or offending history.",
    )
    electronic_reference = forms.CharField(
        required=False, max_length=200, label="Electronic consent reference", help_text="For electronic consent."
    )
    notice = NoticeChoiceField(
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        label="Privacy notice the client was given",
        error_messages={
            "required": "Choose the privacy notice the client was given.",
            "invalid_choice": "Choose one of the privacy notices listed.",
        },
    )
    has_capacity = forms.TypedChoiceField(
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        label="Did the client have capacity to consent to this?",
        error_messages={"required": "Say whether the client had capacity to consent."},
    )
    support_used = forms.CharField(
        required=False,
        max_length=300,
        label="Support or interpreter used",
        help_text="For example an interpreter (name the language), an advocate, or easy-read materials.",
    )
    given_at = forms.DateTimeField(
        label="When consent was given",
        widget=DateTimeInput,
        input_formats=DATETIME_FORMATS,
        error_messages={
            "required": "Enter when consent was given.",
            "invalid": "Enter a date and time, for example 3 May 2026 at 14:30.",
        },
    )
    review_due = forms.DateField(
        required=False, label="Review by", widget=DateInput, help_text="Check with the client that it still stands."
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on",
        widget=DateInput,
        help_text="Optional. From this date the consent no longer covers any sharing.",
    )

    # The details of each way consent is given show (with JavaScript) only for that way.
    LAYOUT = (
        "partners",
        "meeting_group",
        "purposes",
        "selection",
        "method",
        Reveal("Written consent", "method", (ConsentRecord.Method.WRITTEN,), ("evidence",)),
        Reveal(
            "Verbal consent",
            "method",
            (ConsentRecord.Method.VERBAL,),
            ("witness_name", "verbal_notes", "explicit_statement"),
        ),
        Reveal("Electronic consent", "method", (ConsentRecord.Method.ELECTRONIC,), ("electronic_reference",)),
        "notice",
        "has_capacity",
        "support_used",
        "given_at",
        "review_due",
        "expires_on",
    )
    field_order = layout_names(LAYOUT)

    def layout(self) -> list:
        """The fields for includes/form.html, grouped by `form_layout`."""
        return form_layout(self, self.LAYOUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notice"].queryset = PrivacyNotice.objects.order_by("-effective_on", "-id")
        if not self.is_bound:
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.setdefault("given_at", now)
            self.initial.setdefault("review_due", now.date() + dt.timedelta(days=182))
            latest = self.fields["notice"].queryset.first()
            if latest is not None:
                self.initial.setdefault("notice", latest.pk)

    def clean_evidence(self):
        upload = self.cleaned_data.get("evidence")
        if not upload:
            return None
        return evidence_files.check_upload(upload)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            **self.scope_kwargs(),
            "method": data["method"],
            "evidence": data["evidence"],
            "witness_name": data["witness_name"],
            "verbal_notes": data["verbal_notes"],
            "explicit_statement": data["explicit_statement"],
            "electronic_reference": data["electronic_reference"],
            "notice": data["notice"],
            "has_capacity": data["has_capacity"],
            "support_used": data["support_used"],
            "given_at": data["given_at"],
            "review_due": data["review_due"],
            "expires_on": data["expires_on"],
        }


class WithdrawForm(Form):
    how = forms.ChoiceField(
        choices=ConsentRecord.WithdrawalMethod.choices,
        widget=forms.RadioSelect,
        label="How the client told us",
        error_messages={"required": "Choose how the client told us."},
    )
    note = forms.CharField(required=False, widget=forms.Textarea, label="Note")
    at = forms.DateTimeField(
        required=False,
        label="When the client told us",
        help_text="Leave blank for now.",
        widget=DateTimeInput,
        input_formats=DATETIME_FORMATS,
    )


class BasisEndForm(Form):
    why = forms.ChoiceField(
        choices=BasisEndReason.choices,
        widget=forms.RadioSelect,
        label="Why is this basis ending?",
        error_messages={"required": "Choose why this basis is ending."},
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What the client said, or why the need has passed",
        error_messages={"required": "Say what the client said, or why the need has passed."},
    )


class RestrictionForm(Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What the client asked for, and why",
        error_messages={"required": "Say what the client asked for and why."},
    )


class RestrictionLiftForm(Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why the restriction is lifted",
        error_messages={"required": "Say why the restriction is lifted."},
    )


class LawfulBasisForm(ScopeFields):
    basis = forms.ChoiceField(
        choices=LawfulBasis.choices,
        widget=forms.RadioSelect,
        label="Lawful basis",
        error_messages={"required": "Choose the lawful basis."},
    )
    justification = forms.CharField(
        widget=forms.Textarea,
        label="Why this basis applies",
        help_text="Say why sharing is necessary and why consent is not the right basis here.",
        error_messages={"required": "Explain why this basis applies to this sharing."},
    )
    special_condition = forms.ChoiceField(
        choices=[("", "Not needed: no special-category data"), *SpecialCondition.choices],
        required=False,
        label="Condition for special-category data",
        help_text="Needed for health, substance use, domestic abuse or childhood experiences.",
    )
    criminal_condition = forms.ChoiceField(
        choices=[("", "Not needed: no offending history"), *CriminalCondition.choices],
        required=False,
        label="Condition for criminal-offence data",
        help_text="Needed for offending history (DPA 2018 Schedule 1).",
    )
    starts_on = forms.DateField(required=False, label="Starts on", widget=DateInput, help_text="Blank for today.")
    ends_on = forms.DateField(
        required=False, label="Ends on", widget=DateInput, help_text="Optional. From this date it covers nothing."
    )

    field_order = [
        "basis",
        "partners",
        "meeting_group",
        "purposes",
        "selection",
        "justification",
        "special_condition",
        "criminal_condition",
        "starts_on",
        "ends_on",
    ]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            **self.scope_kwargs(),
            "basis": data["basis"],
            "justification": data["justification"],
            "special_condition": data["special_condition"],
            "criminal_condition": data["criminal_condition"],
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
        }


class ReviewForm(Form):
    """Recording a consent's review with the client (consent.services.consent_reconfirm and friends)."""

    outcome = forms.ChoiceField(
        choices=ConsentReview.Outcome.choices,
        widget=forms.RadioSelect,
        label="Outcome of the review",
        error_messages={"required": "Choose the outcome of the review."},
    )
    how = forms.ChoiceField(
        choices=ConsentReview.Method.choices,
        widget=forms.RadioSelect,
        label="How it was reviewed with the client",
        error_messages={"required": "Choose how the consent was reviewed with the client."},
    )
    reviewed_at = forms.DateTimeField(
        required=False,
        label="When it was reviewed",
        help_text="Leave blank for now.",
        widget=DateTimeInput,
        input_formats=DATETIME_FORMATS,
    )
    note = forms.CharField(required=False, widget=forms.Textarea, label="Note")


class ReplacesForm(Form):
    """Hidden fields carried by the record page when a review changes a consent."""

    replaces = forms.IntegerField(widget=forms.HiddenInput)
    review_how = forms.ChoiceField(choices=ConsentReview.Method.choices, widget=forms.HiddenInput)
