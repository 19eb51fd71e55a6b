"""Forms for police and statutory requests: input parsing only. The rules live in
`statutory.services` (which names its errors after these fields)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from casework.forms import Form
from clients.forms import PeriodDateField
from consent import evidence as evidence_files
from consent.forms import DATETIME_FORMATS, DateInput, DateTimeInput, Reveal, SelectionField, form_layout
from consent.selectors import active_partners
from sharing.forms import REASON_MAX, SelectionWithReasons

from .models import StatutoryRequest

R = StatutoryRequest
YES_NO = [("yes", "Yes"), ("no", "No")]
UPLOAD_ATTRS = {"accept": "application/pdf,image/jpeg,image/png"}


def _yes_no(value):
    return {"yes": True, "no": False}.get(value)


def _text(label, *, required=False, help_text="", rows=3, **kwargs):
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kwargs,
    )


def _told_field():
    return forms.TypedChoiceField(
        choices=YES_NO,
        coerce=_yes_no,
        empty_value=None,
        widget=forms.RadioSelect,
        required=False,
        label="Will the client be told about the request and the decision?",
    )


def _not_told_field():
    return _text("If not, why not", rows=2, help_text="For example: it would prejudice an investigation.")


class StatutoryRequestForm(Form):
    """Log a request. One client per request: a request about several people is logged once per person."""

    # Who is asking
    body = forms.ChoiceField(choices=R.Body.choices, widget=forms.RadioSelect, label="Who is asking", required=False)
    body_name = forms.CharField(
        max_length=200,
        required=False,
        label="Force or organisation",
        help_text="For example Greater Manchester Police.",
    )
    partner = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="The organisation in our list of partners, if it is there",
        empty_label="Not in the list",
        help_text=(
            'Choose it when the force or organisation asking is one of our partners; otherwise leave "Not in the list".'
        ),
    )
    requester_name = forms.CharField(max_length=200, required=False, label="Name of the person asking")
    requester_rank = forms.CharField(max_length=100, required=False, label="Rank or job title")
    requester_number = forms.CharField(max_length=50, required=False, label="Collar or badge number")
    requester_contact = _text("Contact details", rows=2, help_text="Phone number, e-mail address, station.")
    verification = forms.ChoiceField(
        choices=R.Verification.choices,
        widget=forms.RadioSelect,
        required=False,
        label="How their identity was verified",
        help_text="Call back through the force's main switchboard, not a number they give you.",
    )
    verification_note = _text("Notes on the check", rows=2)
    # How it reached us
    received_at = forms.DateTimeField(
        required=False, label="When it was received", widget=DateTimeInput, input_formats=DATETIME_FORMATS
    )
    channel = forms.ChoiceField(
        choices=R.Channel.choices, widget=forms.RadioSelect, required=False, label="How it reached us"
    )
    # What they ask for
    period_from = forms.DateField(required=False, label="About the period from", widget=DateInput)
    period_to = forms.DateField(required=False, label="To", widget=DateInput)
    asked_selection = SelectionField(label="The information they ask for", required=False, none_label="Not asked for")
    asked_text = _text("What they asked for, in their words")
    broad = forms.BooleanField(required=False, label="They asked for everything we hold about the client")
    # The basis they claim
    basis = forms.ChoiceField(
        choices=R.Basis.choices, widget=forms.RadioSelect, required=False, label="The basis they claim"
    )
    order_kind = forms.ChoiceField(
        choices=R.OrderKind.choices, widget=forms.RadioSelect, required=False, label="Kind of order"
    )
    order_reference = forms.CharField(max_length=100, required=False, label="Order reference")
    order_court = forms.CharField(max_length=200, required=False, label="Issuing court")
    order_date = forms.DateField(required=False, label="Date of the order", widget=DateInput)
    order_copy = forms.FileField(
        required=False,
        label="Copy of the warrant or order",
        help_text=evidence_files.ACCEPTED_TEXT,
        widget=forms.ClearableFileInput(attrs=UPLOAD_ATTRS),
    )
    emergency_kind = forms.ChoiceField(
        choices=R.EmergencyKind.choices, widget=forms.RadioSelect, required=False, label="The emergency"
    )
    emergency_urgency = _text("Why it is urgent")
    scope = SelectionField(
        label="What the order covers, or what the emergency needs",
        required=False,
        none_label="Not covered",
        help_text="Nothing wider than this can be disclosed.",
    )
    authorising_officer_name = forms.CharField(max_length=200, required=False, label="Authorising officer's name")
    authorising_officer_rank = forms.CharField(
        max_length=100, required=False, label="Authorising officer's rank", help_text="Usually inspector or above."
    )
    schedule_2_form = forms.FileField(
        required=False,
        label="Signed Schedule 2 request form",
        help_text=evidence_files.ACCEPTED_TEXT,
        widget=forms.ClearableFileInput(attrs=UPLOAD_ATTRS),
    )
    # Why they need it
    why_needed = _text("Why they say they need it")
    why_not_otherwise = _text("Why they cannot get it another way")
    prejudice = forms.ChoiceField(
        choices=R.Prejudice.choices,
        widget=forms.RadioSelect,
        required=False,
        label="Would telling the client prejudice the investigation?",
    )
    prejudice_note = _text("Notes", rows=2)

    SECTIONS = (
        (
            "who",
            "Who is asking",
            (
                "body",
                "body_name",
                "partner",
                "requester_name",
                "requester_rank",
                "requester_number",
                "requester_contact",
                "verification",
                "verification_note",
            ),
        ),
        ("how", "How it reached us", ("received_at", "channel")),
        ("what", "What they ask for", ("period_from", "period_to", "asked_selection", "asked_text", "broad")),
        (
            "basis",
            "The basis they claim",
            (
                "basis",
                Reveal(
                    "The warrant or court order",
                    "basis",
                    (R.Basis.COURT_ORDER,),
                    ("order_kind", "order_reference", "order_court", "order_date", "order_copy"),
                ),
                Reveal("The emergency", "basis", (R.Basis.EMERGENCY,), ("emergency_kind", "emergency_urgency")),
                Reveal("", "basis", (R.Basis.COURT_ORDER, R.Basis.EMERGENCY), ("scope",)),
                Reveal(
                    "The Schedule 2 request",
                    "basis",
                    (R.Basis.SCHEDULE_2,),
                    ("authorising_officer_name", "authorising_officer_rank", "schedule_2_form"),
                ),
            ),
        ),
        ("why", "Why they need it", ("why_needed", "why_not_otherwise", "prejudice", "prejudice_note")),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = active_partners()
        if not self.is_bound:
            self.initial.setdefault("received_at", timezone.localtime().replace(second=0, microsecond=0))

    def sections(self):
        """[(key, title, items)]: items as `consent.forms.form_layout` binds them. The details of
        each basis are a group shown (with JavaScript) only for that basis."""
        return [(key, title, form_layout(self, items)) for key, title, items in self.SECTIONS]

    def clean_order_copy(self):
        upload = self.cleaned_data.get("order_copy")
        return evidence_files.check_upload(upload) if upload else None

    def clean_schedule_2_form(self):
        upload = self.cleaned_data.get("schedule_2_form")
        return evidence_files.check_upload(upload) if upload else None

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in self.fields}


class DecisionForm(SelectionWithReasons):
    """Refuse, disclose in full or in part; the reasons; whether the client is told."""

    outcome = forms.ChoiceField(choices=R.Outcome.choices, widget=forms.RadioSelect, required=False, label="Decision")
    decision_reasons = _text("Reasons for the decision", rows=4)
    client_told = _told_field()
    client_not_told_reason = _not_told_field()

    field_order = ["outcome", "decision_reasons", "client_told", "client_not_told_reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)

    def service_kwargs(self) -> dict:
        selection, reasons = self.selection_and_reasons()
        data = self.cleaned_data
        return {
            "outcome": data["outcome"],
            "decision_reasons": data["decision_reasons"],
            "client_told": data["client_told"],
            "client_not_told_reason": data["client_not_told_reason"],
            "selection": selection,
            "reasons": reasons,
        }


class EmergencyDisclosureForm(SelectionWithReasons):
    """The emergency exception: what the emergency needs, and why no manager could decide."""

    life_at_risk = _text("Whose life is at risk, and how", rows=3)
    managers_tried = _text(
        "Who you tried to reach, and when",
        rows=3,
        help_text="The service managers and the information security officer you called, with the times.",
    )

    field_order = ["life_at_risk", "managers_tried"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)

    def service_kwargs(self) -> dict:
        selection, reasons = self.selection_and_reasons()
        return {
            "selection": selection,
            "reasons": reasons,
            "life_at_risk": self.cleaned_data["life_at_risk"],
            "managers_tried": self.cleaned_data["managers_tried"],
        }


class ReviewForm(Form):
    upheld = forms.TypedChoiceField(
        choices=YES_NO,
        coerce=_yes_no,
        empty_value=None,
        widget=forms.RadioSelect,
        required=False,
        label="Was the emergency disclosure justified?",
    )
    note = _text("Your review", rows=4, help_text="Was life at risk, was only what the emergency needed disclosed?")
    client_told = _told_field()
    client_not_told_reason = _not_told_field()


class LegalHoldLiftForm(Form):
    reason = _text("Why the hold can be lifted", rows=3, help_text="For example: the prosecution has concluded.")


class ReportForm(Form):
    """The transparency report's period and the search of requests."""

    date_from = PeriodDateField(required=False, label="Received from", widget=DateInput)
    date_to = PeriodDateField(required=False, label="Received to", widget=DateInput)
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        help_text="A request or order reference, a client reference, a force or a requester's name.",
    )
    body = forms.ChoiceField(choices=[("", "Any"), *R.Body.choices], required=False, label="Requesting body")
    basis = forms.ChoiceField(choices=[("", "Any"), *R.Basis.choices], required=False, label="Basis claimed")
    outcome = forms.ChoiceField(
        choices=[("", "Any"), *R.Outcome.choices, ("open", "Not yet decided")], required=False, label="Outcome"
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The end of the period cannot be before its start.")
        return data
