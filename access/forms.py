import datetime

from django import forms
from django.utils import timezone

from casework.forms import Form
from clients.forms import PeriodDateField

from .gate import REASON_CATEGORIES

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReasonForm(Form):
    """Break the glass: why this person needs a record outside their caseload, or a closed case."""

    category = forms.ChoiceField(
        label="Reason",
        choices=REASON_CATEGORIES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a reason."},
    )
    text = forms.CharField(
        label="Explain why you need this record now",
        min_length=10,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Your manager will read this. For example: covering Sam's caseload while they are on leave.",
        error_messages={"required": "Explain why you need this record."},
    )
    next = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)

    def clean_text(self):
        return " ".join(self.cleaned_data["text"].split())


class ReviewFilterForm(Form):
    team = forms.ModelChoiceField(queryset=None, required=False, empty_label="All my teams")
    date_from = PeriodDateField(label="From", required=False, widget=DATE_WIDGET)
    date_to = PeriodDateField(label="To", required=False, widget=DATE_WIDGET)

    DEFAULT_DAYS = 30

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date must be on or after the start date.")
        return cleaned

    def period(self) -> tuple[datetime.date, datetime.date]:
        today = timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        end = data.get("date_to") or today
        start = data.get("date_from") or end - datetime.timedelta(days=self.DEFAULT_DAYS)
        return start, end

    def selected_team(self):
        return self.cleaned_data.get("team") if self.is_bound and self.is_valid() else None


class ReviewMarkForm(Form):
    KINDS = [("event", "Access event"), ("security", "Security event"), ("volume", "Unusual volume")]

    kind = forms.ChoiceField(choices=KINDS, widget=forms.HiddenInput)
    item = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    period_start = forms.DateField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(label="Review note", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    next = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == "volume" and not cleaned.get("period_start"):
            raise forms.ValidationError("The review period is missing.")
        return cleaned
