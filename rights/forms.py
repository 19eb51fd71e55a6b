"""Forms for clients' rights: input parsing only. The rules live in `rights.services`
(which names its errors after these fields)."""

from __future__ import annotations

from django import forms

from casework.forms import Form
from consent.forms import DateInput, Reveal, form_layout, layout_names

from .models import ErasureRequest, RectificationNotice, RectificationRequest, SarWithholding, SubjectAccessRequest

SAR = SubjectAccessRequest
TEXT_MAX = 4000


def _text(label, *, help_text="", rows=3):
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _date(label, *, help_text=""):
    return forms.DateField(label=label, required=False, help_text=help_text, widget=DateInput)


class SarLogForm(Form):
    requester = forms.ChoiceField(
        choices=SAR.Requester.choices, widget=forms.RadioSelect, required=False, label="Who is asking"
    )
    requester_name = forms.CharField(label="Name of the person acting for the client", max_length=200, required=False)
    requester_relationship = forms.CharField(
        label="Their relationship to the client",
        max_length=200,
        required=False,
        help_text="For example: solicitor, daughter, advocate.",
    )
    authority = forms.ChoiceField(
        choices=SAR.Authority.choices,
        widget=forms.RadioSelect,
        required=False,
        label="Their authority to act for the client",
    )
    authority_note = _text("About the authority", help_text="What you saw, for example the signed form's date.")
    verification = forms.ChoiceField(
        choices=SAR.Verification.choices,
        widget=forms.RadioSelect,
        required=False,
        label="How the requester's identity was verified",
    )
    verification_note = _text("About the verification")
    asked_for = _text("What they asked for", help_text="In their words: everything, or particular records.")
    received_on = _date("Date received", help_text="The one-month deadline runs from this day.")

    # Who acts for the client, and their authority, show (with JavaScript) only when it is not the client.
    LAYOUT = (
        "requester",
        Reveal(
            "The person acting for the client",
            "requester",
            (SAR.Requester.REPRESENTATIVE,),
            ("requester_name", "requester_relationship", "authority", "authority_note"),
        ),
        "verification",
        "verification_note",
        "asked_for",
        "received_on",
    )
    field_order = layout_names(LAYOUT)

    def layout(self) -> list:
        """The fields for includes/form.html, grouped by `consent.forms.form_layout`."""
        return form_layout(self, self.LAYOUT)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {name: data.get(name) or ("" if name != "received_on" else None) for name in self.fields}


class SarExtendForm(Form):
    months = forms.TypedChoiceField(
        choices=[(1, "One further month"), (2, "Two further months")],
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
        required=False,
        label="Extend by",
    )
    reason = _text("Why the request is complex", help_text="The requester must be told this reason.")
    told_on = _date("Date the requester was told", help_text="Within the first month after receipt.")


class SarCompleteForm(Form):
    completed_on = _date("Date the response was sent")
    note = _text("Note", help_text="For example how the response was sent.")


class RequesterFields(Form):
    """Who asked: the client, or someone acting for them (named only then; rights.requesters)."""

    requester = forms.ChoiceField(
        choices=SAR.Requester.choices, widget=forms.RadioSelect, required=False, label="Who asked"
    )
    asked_by = forms.CharField(label="Name of the person acting for the client", max_length=120, required=False)
    requester_relationship = forms.CharField(
        label="Their relationship to the client",
        max_length=75,
        required=False,
        help_text="For example: solicitor, daughter, advocate.",
    )
    LAYOUT = (
        "requester",
        Reveal(
            "The person acting for the client",
            "requester",
            (SAR.Requester.REPRESENTATIVE,),
            ("asked_by", "requester_relationship"),
        ),
    )

    def layout(self) -> list:
        """The fields for includes/form.html, grouped by `consent.forms.form_layout`."""
        return form_layout(self, self.LAYOUT)


class ErasureLogForm(RequesterFields):
    received_on = _date("Date received")
    asked_text = _text("What they asked for")

    LAYOUT = ("received_on", *RequesterFields.LAYOUT, "asked_text")
    field_order = layout_names(LAYOUT)


class ErasureDecideForm(Form):
    decision = forms.ChoiceField(
        choices=[("grant", "Grant: anonymise the client's records"), ("refuse", "Refuse: the information is kept")],
        widget=forms.RadioSelect,
        required=False,
        label="Decision",
    )
    ground = forms.ChoiceField(
        choices=[("", "—"), *ErasureRequest.Ground.choices], required=False, label="Ground for erasure (if granted)"
    )
    exemption = forms.ChoiceField(
        choices=[("", "—"), *ErasureRequest.Exemption.choices],
        required=False,
        label="Exemption that applies (if refused)",
    )
    note = _text("Reasons")


class WithholdForm(Form):
    exemption = forms.ChoiceField(
        choices=SarWithholding.Exemption.choices,
        widget=forms.RadioSelect,
        required=False,
        label="The exemption that applies",
    )
    note = _text(
        "Why it applies to this item",
        help_text="Kept with the decision, for a complaint or the ICO. It is not shown to the client.",
    )


class RetentionApproveForm(Form):
    """Approve anonymising the closed cases past retention: which teams, and a confirmation."""

    team = forms.ModelChoiceField(
        label="Which clients",
        queryset=None,
        required=False,
        empty_label="Every team I handle",
        help_text=(
            "The closed cases listed above for the team chosen (or every team you handle), "
            "as they stand when you approve."
        ),
    )
    confirm = forms.BooleanField(
        label="I have checked the list: these closed cases are past their retention period and may be anonymised",
        required=False,
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams

    def clean_confirm(self):
        if not self.cleaned_data.get("confirm"):
            raise forms.ValidationError("Tick to confirm you have checked the list.")
        return True


# --- Rectification (Art 16) and correction notices (Art 19) -----------------------------------


class RectificationLogForm(RequesterFields):
    received_on = _date("Date received", help_text="The one-month deadline runs from this day.")
    what_is_wrong = _text("What they say is wrong or incomplete", help_text="In their words.", rows=4)

    LAYOUT = ("received_on", *RequesterFields.LAYOUT, "what_is_wrong")
    field_order = layout_names(LAYOUT)


class RectificationDecideForm(Form):
    decision = forms.ChoiceField(
        choices=RectificationRequest.Decision.choices, widget=forms.RadioSelect, required=False, label="Decision"
    )
    reason = _text(
        "Reasons",
        help_text="Needed when refused or partly corrected: the client is told why, and that they may complain "
        "to the ICO.",
    )
    outcome_on = _date("Date the client was told the outcome")


class ToldOtherwiseForm(Form):
    how = forms.ChoiceField(
        choices=[c for c in RectificationNotice.How.choices if c[0] not in ("email", "email_notice")],
        widget=forms.RadioSelect,
        required=False,
        label="How they were told",
    )
    note = _text("Note", help_text="Who you spoke to or wrote to, and when.", rows=2)
