"""Forms: input parsing only. The rules (basis, agreement, reasons) live in sharing.selectors
and sharing.services.

The referral and meeting forms choose the selection one category at a time with the same
choices as consent's `SelectionField` (`consent.forms.level_choices`), but as one radio
group per category so that a special-category item's "why is it necessary" box, and its
error, sit right beside that category's choice.
"""

from __future__ import annotations

from django import forms
from django.utils.text import Truncator

from casework.forms import Form
from clients.categories import CATEGORIES, REGISTRY, Selection
from consent.forms import DATETIME_FORMATS, NOT_SHARED, DateInput, DateTimeInput, level_choices
from consent.selectors import active_partners, active_purposes

from .models import RecipientNotice, Referral
from .selectors import active_groups, needs_reason, reason_field

REASON_MAX = 2000


def level_field(key: str) -> str:
    return f"level_{key}"


class SelectionWithReasons(Form):
    """Per category: not shared / summary / detail, and for sensitive ones the reason it is necessary."""

    def __init__(self, *args, selection: Selection | None = None, reasons: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        selection = selection or Selection()
        reasons = reasons or {}
        for category in CATEGORIES:
            name = level_field(category.key)
            kind = (
                " (special category)" if category.special else " (criminal-offence data)" if category.criminal else ""
            )
            self.fields[name] = forms.ChoiceField(
                choices=level_choices(category),
                required=False,
                widget=forms.RadioSelect,
                label=f"{category.label}{kind}",
            )
            self.initial.setdefault(name, selection[category.key].label if category.key in selection else NOT_SHARED)
            if needs_reason(category.key):
                reason = reason_field(category.key)
                self.fields[reason] = forms.CharField(
                    required=False,
                    max_length=REASON_MAX,
                    widget=forms.Textarea(attrs={"rows": 2}),
                    label=f"Why {category.label.lower()} is necessary",
                    help_text="Needed if you share it: say why this recipient needs it for this purpose.",
                )
                self.initial.setdefault(reason, reasons.get(category.key, ""))

    def selection_and_reasons(self) -> tuple[Selection, dict[str, str]]:
        data = self.cleaned_data
        selection = Selection(
            (category.key, data[level_field(category.key)])
            for category in CATEGORIES
            if data.get(level_field(category.key)) not in (None, NOT_SHARED)
        )
        reasons = {
            key: data.get(reason_field(key), "").strip()
            for key in selection
            if needs_reason(key) and data.get(reason_field(key), "").strip()
        }
        return selection, reasons

    def apply_errors(self, error) -> None:
        """Put a service's errors beside the fields they name (the rest above the form)."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


class ReferralStartForm(Form):
    partner = forms.ModelChoiceField(
        queryset=None,
        label="Organisation to refer to",
        empty_label="Choose an organisation",
        help_text="The referral can only be e-mailed to this organisation's registered secure address.",
    )
    purpose = forms.ModelChoiceField(queryset=None, widget=forms.RadioSelect, empty_label=None, label="Purpose")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = active_partners()
        self.fields["purpose"].queryset = active_purposes()


SAFE_CHOICES = [("", "Not recorded"), *Referral.Safe.choices]


class ReferralForm(SelectionWithReasons):
    """The draft: the request, how to reach the referrer and the client safely, what to share
    and which case notes. The partner and purpose are fixed once the draft exists."""

    request = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="What are you asking them to do, and why now?",
    )
    referrer_phone = forms.CharField(
        required=False,
        max_length=40,
        label="Your phone number",
        help_text="Sent with your name, team and e-mail so that they can reach you.",
    )
    safe_to_phone = forms.ChoiceField(choices=SAFE_CHOICES, required=False, label="Is it safe to phone the client?")
    voicemail_ok = forms.ChoiceField(choices=SAFE_CHOICES, required=False, label="Is it safe to leave a voicemail?")
    letters_ok = forms.ChoiceField(choices=SAFE_CHOICES, required=False, label="Is it safe to send letters?")
    safe_contact_notes = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Safe time or number",
        help_text="For example: only call 10am to 2pm on weekdays, on the number given; never text.",
    )
    notes = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Case notes to include",
        help_text="Each note is sent in full, so only notes in a category you share at detail level are sent.",
    )

    DETAIL_FIELDS = ("request", "referrer_phone", "safe_to_phone", "voicemail_ok", "letters_ok", "safe_contact_notes")

    def __init__(self, *args, referral: Referral, case_notes=(), **kwargs):
        super().__init__(*args, selection=referral.selection_obj, reasons=referral.reasons, **kwargs)
        for name in self.DETAIL_FIELDS:
            self.initial.setdefault(name, getattr(referral, name))
        self.initial.setdefault("notes", list(referral.notes))
        self.fields["notes"].choices = [
            (
                note.pk,
                f"{REGISTRY[note.category].label}, {note.written_at:%-d %b %Y}: {Truncator(note.text).chars(90)}",
            )
            for note in case_notes
        ]
        order = [*self.DETAIL_FIELDS]
        self.order_fields(order + [name for name in self.fields if name not in order and name != "notes"] + ["notes"])

    def details_and_notes(self) -> tuple[dict[str, str], list[int]]:
        data = self.cleaned_data
        return {name: data.get(name) or "" for name in self.DETAIL_FIELDS}, list(data.get("notes") or [])


class MeetingForm(SelectionWithReasons):
    meeting_group = forms.ModelChoiceField(queryset=None, label="Meeting", empty_label="Choose a meeting")
    meeting_on = forms.DateField(label="Date of the meeting", widget=DateInput)
    present = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label="Organisations present",
        help_text="Every organisation in the room. Only the meeting group's named members are covered by its basis.",
    )
    purpose = forms.ModelChoiceField(queryset=None, widget=forms.RadioSelect, empty_label=None, label="Purpose")

    field_order = ["meeting_group", "meeting_on", "present", "purpose"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting_group"].queryset = active_groups()
        self.fields["present"].queryset = active_partners()
        self.fields["purpose"].queryset = active_purposes()
        self.order_fields(self.field_order)


class NoticeDoneForm(Form):
    how = forms.ChoiceField(choices=RecipientNotice.How.choices, widget=forms.RadioSelect, label="How they were told")
    at = forms.DateTimeField(
        required=False,
        label="When they were told",
        help_text="Leave blank for now.",
        widget=DateTimeInput,
        input_formats=DATETIME_FORMATS,
    )
    note = forms.CharField(
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Note",
        help_text="For example who you spoke to, or what they said they would do.",
    )
